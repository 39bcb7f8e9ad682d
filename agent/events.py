"""Events a run reports while it happens, for a CLI or a web page to show.

`on_event` receives, in order: `TextDelta`s while the model writes, a `ToolCallStarted` and a
`ToolCallFinished` per tool call (parallel calls interleave), and each resolved step
(`RunTools`, `AwaitApproval`, `FinalAnswer`). Every event is a frozen pydantic model with a
`type` field, so it can also be logged as JSON.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Literal, TypeAlias

from agent.models.types import FrozenModel, TextDelta, ToolCall
from agent.records import ToolCallRecord
from agent.steps import AwaitApproval, FinalAnswer, RunTools


class ToolCallStarted(FrozenModel):
    type: Literal["tool_call_started"] = "tool_call_started"
    call: ToolCall


class ToolCallFinished(FrozenModel):
    type: Literal["tool_call_finished"] = "tool_call_finished"
    record: ToolCallRecord


AgentEvent: TypeAlias = (
    TextDelta | ToolCallStarted | ToolCallFinished | RunTools | AwaitApproval | FinalAnswer
)

OnEvent: TypeAlias = Callable[[AgentEvent], Awaitable[None] | None]
"""An event callback; plain functions and coroutine functions both work."""


async def emit(on_event: OnEvent | None, event: AgentEvent) -> None:
    if on_event is None:
        return
    result = on_event(event)
    if inspect.isawaitable(result):
        await result
