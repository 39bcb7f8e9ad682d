"""Translation between our value types and the chat-completions wire format of `openai`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agent.errors import ModelResponseError
from agent.models.types import (
    AssistantMessage,
    ChatResponse,
    FinishReason,
    Message,
    SystemMessage,
    ToolCall,
    ToolMessage,
    ToolSpec,
    Usage,
    UserMessage,
)

if TYPE_CHECKING:
    from openai.types import CompletionUsage
    from openai.types.chat import (
        ChatCompletion,
        ChatCompletionMessageFunctionToolCallParam,
        ChatCompletionMessageParam,
        ChatCompletionToolParam,
    )
    from openai.types.chat.chat_completion_chunk import ChoiceDeltaToolCall

_FINISH_REASONS: frozenset[str] = frozenset({"stop", "tool_calls", "length", "content_filter"})


def to_wire_messages(messages: Iterable[Message]) -> list[ChatCompletionMessageParam]:
    return [_to_wire_message(message) for message in messages]


def _to_wire_message(message: Message) -> ChatCompletionMessageParam:
    match message:
        case SystemMessage():
            return {"role": "system", "content": message.content}
        case UserMessage():
            return {"role": "user", "content": message.content}
        case ToolMessage():
            return {
                "role": "tool",
                "tool_call_id": message.tool_call_id,
                "content": message.content,
            }
        case AssistantMessage():
            if not message.tool_calls:
                return {"role": "assistant", "content": message.content or ""}
            return {
                "role": "assistant",
                "content": message.content,
                "tool_calls": [_to_wire_call(call) for call in message.tool_calls],
            }


def _to_wire_call(call: ToolCall) -> ChatCompletionMessageFunctionToolCallParam:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


def to_wire_tools(tools: Iterable[ToolSpec]) -> list[ChatCompletionToolParam]:
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
                "strict": tool.strict,
            },
        }
        for tool in tools
    ]


def from_wire_completion(completion: ChatCompletion) -> ChatResponse:
    if not completion.choices:
        raise ModelResponseError("the model server returned a completion without choices")
    choice = completion.choices[0]
    calls = tuple(
        ToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments)
        for call in choice.message.tool_calls or ()
        if call.type == "function"  # custom (free-text) tools are never offered
    )
    return ChatResponse(
        text=choice.message.content,
        tool_calls=calls,
        usage=from_wire_usage(completion.usage),
        finish_reason=finish_reason(choice.finish_reason),
    )


def from_wire_usage(usage: CompletionUsage | None) -> Usage:
    if usage is None:
        return Usage()
    return Usage(input_tokens=usage.prompt_tokens, output_tokens=usage.completion_tokens)


def finish_reason(value: str | None) -> FinishReason:
    if value in _FINISH_REASONS:
        return value  # type: ignore[return-value]  # narrowed by the membership test
    return "other"


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class StreamAssembler:
    """Collects streamed deltas into one `ChatResponse`.

    Tool calls arrive as fragments keyed by `index`: the first fragment carries the id and
    name, later ones append to the arguments text. Nothing is parsed here, so malformed
    arguments reach the loop exactly as the model produced them.
    """

    text: list[str] = field(default_factory=list)
    calls: dict[int, _PartialCall] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    finish: FinishReason = "stop"

    def add_tool_delta(self, delta: ChoiceDeltaToolCall) -> None:
        partial = self.calls.setdefault(delta.index, _PartialCall())
        if delta.id:
            partial.id = delta.id
        if delta.function is not None:
            if delta.function.name and not partial.name:
                partial.name = delta.function.name  # some servers repeat it in every fragment
            if delta.function.arguments:
                partial.arguments.append(delta.function.arguments)

    def tool_calls(self) -> tuple[ToolCall, ...]:
        return tuple(
            ToolCall(
                id=partial.id or f"call_{index}",
                name=partial.name,
                arguments="".join(partial.arguments),
            )
            for index, partial in sorted(self.calls.items())
        )

    def response(self) -> ChatResponse:
        text = "".join(self.text)
        return ChatResponse(
            text=text or None,
            tool_calls=self.tool_calls(),
            usage=self.usage,
            finish_reason=self.finish,
        )
