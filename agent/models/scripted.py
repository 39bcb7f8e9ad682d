"""Models that need no server: a fixed script of turns, or a function of the conversation.

They are fakes with the real interface (like openai-agents' testing model and pydantic-ai's
`FunctionModel`): tests, the offline demo and evaluation reference solutions drive the real
loop with them. Both record every request in `.calls`.

    model = ScriptedChatModel([
        tool_turn(("find_members", {"query": "Emma Novak"})),
        "Emma Novak has 1,250 points.",
    ])
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeAlias

from agent.errors import ScriptExhaustedError
from agent.models.base import events_of
from agent.models.types import (
    ChatEvent,
    ChatRequest,
    ChatResponse,
    JsonObject,
    Message,
    ToolCall,
    ToolSpec,
    Usage,
)

Turn: TypeAlias = ChatResponse | str
"""A scripted turn: a full response, or plain text as a shorthand for a final answer."""

CallSpec: TypeAlias = ToolCall | tuple[str, JsonObject | str]
"""A tool call for `tool_turn`: a `ToolCall`, or `(name, arguments)` where a `str` argument
is sent as raw text (to script malformed JSON)."""


def reply(text: str, *, usage: Usage | None = None) -> ChatResponse:
    """A final-answer turn."""
    return ChatResponse(text=text, usage=usage or Usage(), finish_reason="stop")


def tool_turn(
    *calls: CallSpec, text: str | None = None, usage: Usage | None = None
) -> ChatResponse:
    """A turn that calls tools (several calls are parallel calls). Ids are assigned on replay."""
    return ChatResponse(
        text=text,
        tool_calls=tuple(_tool_call(spec) for spec in calls),
        usage=usage or Usage(),
        finish_reason="tool_calls",
    )


def _tool_call(spec: CallSpec) -> ToolCall:
    if isinstance(spec, ToolCall):
        return spec
    name, arguments = spec
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return ToolCall(id="", name=name, arguments=raw)


def _as_response(turn: Turn) -> ChatResponse:
    return reply(turn) if isinstance(turn, str) else turn


def _with_ids(response: ChatResponse, turn_index: int) -> ChatResponse:
    """Give every call without an id a stable one, unique across the conversation."""
    if all(call.id for call in response.tool_calls):
        return response
    calls = tuple(
        call if call.id else call.model_copy(update={"id": f"call_{turn_index}_{i}"})
        for i, call in enumerate(response.tool_calls)
    )
    return response.model_copy(update={"tool_calls": calls})


class ScriptedChatModel:
    """Replays a fixed list of turns, one per request, and records the requests.

    Asking for more turns than the script holds raises `ScriptExhaustedError` (a `ModelError`, so
    a run ends with `model_error` and says why). `assert_complete()` fails a test when turns
    were left unplayed.
    """

    def __init__(self, turns: Sequence[Turn], *, name: str = "scripted") -> None:
        self._turns = [_as_response(turn) for turn in turns]
        self._name = name
        self.calls: list[ChatRequest] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def remaining(self) -> int:
        """Turns not yet played."""
        return len(self._turns) - len(self.calls)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        index = len(self.calls)
        if index >= len(self._turns):
            raise ScriptExhaustedError(
                f"{self._name}: the script has {len(self._turns)} turns and turn {index + 1} "
                "was requested"
            )
        self.calls.append(request)
        return _with_ids(self._turns[index], index)

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatEvent]:
        async for event in events_of(await self.complete(request)):
            yield event

    def assert_complete(self) -> None:
        """Raise `AssertionError` unless every scripted turn was played."""
        if self.remaining:
            raise AssertionError(
                f"{self._name}: {self.remaining} of {len(self._turns)} scripted turns "
                "were not played"
            )


ModelFunction: TypeAlias = Callable[
    [tuple[Message, ...], tuple[ToolSpec, ...]], Turn | Awaitable[Turn]
]


class FunctionChatModel:
    """Answers each request by calling `fn(messages, tools)`; for input-dependent turns.

    `fn` may be sync or async and returns a `ChatResponse` or plain text. Tool calls without
    an id get one, as with `ScriptedChatModel`.
    """

    def __init__(self, fn: ModelFunction, *, name: str = "function") -> None:
        self._fn = fn
        self._name = name
        self.calls: list[ChatRequest] = []

    @property
    def name(self) -> str:
        return self._name

    async def complete(self, request: ChatRequest) -> ChatResponse:
        index = len(self.calls)
        self.calls.append(request)
        result = self._fn(request.messages, request.tools)
        turn = result if isinstance(result, ChatResponse | str) else await result
        return _with_ids(_as_response(turn), index)

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatEvent]:
        async for event in events_of(await self.complete(request)):
            yield event
