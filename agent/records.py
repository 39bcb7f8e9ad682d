"""What a run produces: its limits, per-call records and the `RunResult` (JSON-serializable)."""

from __future__ import annotations

from typing import Literal, TypeAlias

from pydantic import Field, computed_field

from agent.mcp_tools import ErrorKind, ToolStatus
from agent.models.types import FrozenModel, JsonObject, Message, Usage

Termination: TypeAlias = Literal[
    "final_answer", "max_turns", "max_tool_calls", "too_many_errors", "model_error"
]


class RunLimits(FrozenModel):
    """Bounds on one run.

    `max_turns` counts model calls; `max_tool_calls` counts every call the model asks for,
    failed ones included; `max_consecutive_errors` ends a run whose tool calls keep failing
    (a denial is the policy working, not a mistake: it neither counts nor clears the streak).
    """

    max_turns: int = Field(default=10, ge=1)
    max_tool_calls: int = Field(default=20, ge=1)
    max_consecutive_errors: int = Field(default=3, ge=1)


class ToolCallRecord(FrozenModel):
    """One tool call: what was asked, what came of it, how long it took."""

    id: str
    name: str
    arguments: JsonObject | str
    """The parsed arguments, or the raw text when it was not a JSON object."""
    status: ToolStatus
    duration_ms: float
    error_kind: ErrorKind | None = None
    error: str | None = None
    """The error text the model was given, for `status == "error"`."""


class ApprovalRecord(FrozenModel):
    """A write that now waits for a manager (a `pending_approval` result)."""

    approval_id: str
    reason: str
    tool: str
    call_id: str


class DenialRecord(FrozenModel):
    """A write the policy refused (a `denied` result): a blocked attempt."""

    rule: str
    reason: str
    tool: str
    call_id: str


class RunResult(FrozenModel):
    """Everything about one run; `model_dump_json()` is the `--json` / `results.jsonl` form."""

    termination: Termination
    final_text: str | None
    """The model's final answer; `None` unless `termination == "final_answer"`."""
    model: str
    messages: tuple[Message, ...]
    tool_calls: tuple[ToolCallRecord, ...]
    approvals: tuple[ApprovalRecord, ...]
    denials: tuple[DenialRecord, ...]
    turns: int
    usage: Usage
    wall_time_s: float
    model_error: str | None = None

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented pattern
    @property
    def error_count(self) -> int:
        """Tool calls that failed and went back to the model as errors."""
        return sum(1 for call in self.tool_calls if call.status == "error")
