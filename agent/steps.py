"""The steps a turn resolves to, and the pure functions that decide them.

A turn asks the model once. If it answers without tool calls, the turn is a `FinalAnswer`.
Otherwise the loop runs the calls (`RunTools`); if any of them created an approval request
the turn resolves to `AwaitApproval` instead, and the run goes on so that the model tells the
user what is waiting and under which id. (openai-agents' `run_steps` has the same shape.)
Steps are also events: `on_event` receives each resolved step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias

from agent.models.types import ChatResponse, FrozenModel, ToolCall
from agent.records import ApprovalRecord, ToolCallRecord


class FinalAnswer(FrozenModel):
    type: Literal["final_answer"] = "final_answer"
    text: str


class RunTools(FrozenModel):
    type: Literal["run_tools"] = "run_tools"
    calls: tuple[ToolCall, ...]
    records: tuple[ToolCallRecord, ...] = ()
    """Filled in once the calls have run, in call order."""


class AwaitApproval(FrozenModel):
    type: Literal["await_approval"] = "await_approval"
    records: tuple[ToolCallRecord, ...]
    approvals: tuple[ApprovalRecord, ...]


Step: TypeAlias = FinalAnswer | RunTools | AwaitApproval


def step_for_response(response: ChatResponse) -> FinalAnswer | RunTools:
    """What the model's answer asks for."""
    if response.tool_calls:
        return RunTools(calls=response.tool_calls)
    return FinalAnswer(text=response.text or "")


def step_after_tools(
    records: Sequence[ToolCallRecord],
    approvals: Sequence[ApprovalRecord],
    calls: Sequence[ToolCall],
) -> RunTools | AwaitApproval:
    """How a turn that ran tools resolves: waiting for a manager, or simply done."""
    if approvals:
        return AwaitApproval(records=tuple(records), approvals=tuple(approvals))
    return RunTools(calls=tuple(calls), records=tuple(records))
