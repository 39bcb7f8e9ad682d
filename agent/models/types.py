"""Value types shared by every chat model and the agent loop.

They are frozen pydantic models so that a conversation, a request or a run result can be
written as JSON (`loyalty ask --json`, evaluation `results.jsonl`) and read back unchanged.
They carry nothing provider-specific: `agent.models.openai_wire` translates them to and from
the chat-completions wire format.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

JsonObject: TypeAlias = dict[str, Any]
"""A decoded JSON object; `Any` stays behind this name, at the wire."""

FinishReason: TypeAlias = Literal["stop", "tool_calls", "length", "content_filter", "other"]


class FrozenModel(BaseModel):
    """The base of the agent's values: frozen, and refusing fields it does not declare."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ArgumentsError(ValueError):
    """The arguments of a tool call are not a JSON object."""


class ToolCall(FrozenModel):
    """One function call requested by the model.

    `arguments` is the raw text the model produced: it may be malformed, and the loop (not the
    model adapter) decides what to do about that.
    """

    id: str
    name: str
    arguments: str = "{}"

    def parsed_arguments(self) -> JsonObject:
        """The arguments as a JSON object; raises `ArgumentsError` naming what is wrong."""
        if not self.arguments.strip():
            return {}  # some servers send "" for a call without arguments
        try:
            value = json.loads(self.arguments)
        except json.JSONDecodeError as exc:
            raise ArgumentsError(f"arguments are not valid JSON ({exc})") from None
        if not isinstance(value, dict):
            raise ArgumentsError(f"arguments must be a JSON object, not {type(value).__name__}")
        return value


class SystemMessage(FrozenModel):
    role: Literal["system"] = "system"
    content: str


class UserMessage(FrozenModel):
    role: Literal["user"] = "user"
    content: str


class AssistantMessage(FrozenModel):
    role: Literal["assistant"] = "assistant"
    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()


class ToolMessage(FrozenModel):
    """The result of one tool call, as the model will read it."""

    role: Literal["tool"] = "tool"
    tool_call_id: str
    name: str
    content: str
    is_error: bool = False


Message: TypeAlias = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolMessage, Field(discriminator="role")
]


class ToolSpec(FrozenModel):
    """A function tool offered to the model; `parameters` is a JSON schema.

    `strict` asks the provider to constrain the arguments to the schema exactly; it is only
    set when the schema satisfies the provider's strict subset (see `agent.strict_schema`).
    """

    name: str
    description: str = ""
    parameters: JsonObject = Field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool = False


class Usage(FrozenModel):
    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
        )


class ChatRequest(FrozenModel):
    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...] = ()
    parallel_tool_calls: bool = True


class ChatResponse(FrozenModel):
    """One model turn: text, tool calls, or both."""

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = Usage()
    finish_reason: FinishReason = "stop"


class TextDelta(FrozenModel):
    """A piece of assistant text, streamed as it is generated."""

    type: Literal["text_delta"] = "text_delta"
    text: str


class ToolCallReady(FrozenModel):
    """A tool call whose streamed pieces have been assembled."""

    type: Literal["tool_call_ready"] = "tool_call_ready"
    call: ToolCall


class ResponseDone(FrozenModel):
    """The last event of a stream: the whole response, with usage."""

    type: Literal["response_done"] = "response_done"
    response: ChatResponse


ChatEvent: TypeAlias = Annotated[
    TextDelta | ToolCallReady | ResponseDone, Field(discriminator="type")
]
