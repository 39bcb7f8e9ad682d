"""The `ChatModel` protocol every model implementation satisfies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from agent.errors import ModelResponseError
from agent.models.types import (
    ChatEvent,
    ChatRequest,
    ChatResponse,
    ResponseDone,
    TextDelta,
    ToolCallReady,
)


@runtime_checkable
class ChatModel(Protocol):
    """A chat model that can call tools.

    `complete` returns one whole turn. `stream` yields `TextDelta`s as text is generated,
    a `ToolCallReady` for each tool call once its pieces are assembled, and ends with exactly
    one `ResponseDone` carrying the same `ChatResponse` that `complete` would have returned
    (including token usage). Both raise `agent.errors.ModelError` when the call fails.
    """

    @property
    def name(self) -> str:
        """A short label for reports, e.g. `openai:gpt-4.1-mini` or `scripted:demo.yaml`."""
        ...

    async def complete(self, request: ChatRequest) -> ChatResponse: ...

    def stream(self, request: ChatRequest) -> AsyncIterator[ChatEvent]: ...


async def events_of(response: ChatResponse) -> AsyncIterator[ChatEvent]:
    """The stream of events a model would emit for an already complete response."""
    if response.text:
        yield TextDelta(text=response.text)
    for call in response.tool_calls:
        yield ToolCallReady(call=call)
    yield ResponseDone(response=response)


async def collect(events: AsyncIterator[ChatEvent]) -> ChatResponse:
    """Drain a stream and return its final response.

    The stream is read to its end (not just to `ResponseDone`) so that the model's generator,
    and the HTTP response behind it, are closed here rather than whenever it is collected.
    """
    final: ChatResponse | None = None
    async for event in events:
        if isinstance(event, ResponseDone):
            final = event.response
    if final is None:
        raise ModelResponseError("the model stream ended without a final response")
    return final
