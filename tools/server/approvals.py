"""The `approvals` toolset: the queue of writes waiting for a manager (managers only)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from policies import ApprovalDesk, Outcome
from tools.actions.approval_views import describe_approvals
from tools.actions.outcome import WriteOutcome
from tools.server.tooling import ToolDef, ToolEnv

__all__ = ["APPROVAL_TOOLS"]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ListApprovalsArgs(_Args):
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class ApprovalOut(BaseModel):
    approval_id: str
    summary: str = Field(description="the request in one sentence: what, for whom, who asked, when")
    action: str
    args: dict[str, Any] = Field(description="exactly what executes if approved")
    requester: str
    rule: str
    reason: str
    note: str
    points: int
    status: str
    created_at: str
    expires_at: str


class ApprovalList(BaseModel):
    approvals: list[ApprovalOut]


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k in ApprovalOut.model_fields}


async def list_pending(env: ToolEnv, args: ListApprovalsArgs) -> Any:
    guard = env.runtime.guard

    async def run() -> ApprovalList:
        now, tz = guard.clock.now(), env.tz
        rows = ApprovalDesk(guard).approvals(("pending",))[: args.limit]
        views = await describe_approvals(env.runtime, rows)
        return ApprovalList(
            approvals=[
                ApprovalOut.model_validate(
                    {**_fields(row.to_dict(now)), "summary": view.line(now, tz)}
                )
                for row, view in zip(rows, views, strict=True)
            ]
        )

    return await guard.read(env.principal, "list_pending_approvals", args.model_dump(), run)


class DecideArgs(_Args):
    approval_id: Annotated[str, StringConstraints(pattern=r"^apr_[0-9a-f]{16}$")]
    decision: Literal["approve", "reject"]
    comment: Annotated[str | None, StringConstraints(max_length=500)] = None


async def decide(env: ToolEnv, args: DecideArgs) -> Outcome:
    guard = env.runtime.guard
    if args.decision == "approve":
        return await ApprovalDesk(guard).approve(env.principal, args.approval_id, args.comment)
    return await ApprovalDesk(guard).reject(env.principal, args.approval_id, args.comment)


APPROVAL_TOOLS: tuple[ToolDef, ...] = (
    ToolDef(
        "list_pending_approvals",
        "List pending approvals",
        "Writes waiting for a manager, oldest first, with the exact arguments and why they wait.",
        ListApprovalsArgs,
        ApprovalList,
        toolset="approvals",
        needs=("read", "approve"),
        handler=list_pending,
    ),
    ToolDef(
        "decide_approval",
        "Decide approval",
        "Approve (executes the request exactly as asked, once) or reject a pending request. "
        "Managers only, never their own request.",
        DecideArgs,
        WriteOutcome[dict[str, Any]],  # the approved action's result, or the rejection
        toolset="approvals",
        needs=("approve",),
        handler=decide,
        read_only=False,
        destructive=True,
        idempotent=True,  # a decided approval is not decided again: a repeat changes nothing
        open_world=True,  # the approved write pushes to Mews
    ),
)
