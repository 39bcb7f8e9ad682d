"""What a scheduled job is handed (`JobContext`) and what it reports (`JobReport` of `JobItem`s).

Kept apart from the jobs themselves (`jobs`, `member_jobs`), which all use them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from policies import Guard, Principal
from policies.errors import PolicyError
from storage.canonical import JSONObject
from storage.clock import Clock
from storage.store import Store
from tools.actions.errors import ActionError
from tools.automation.reactions import AUTOMATION_PRINCIPAL
from tools.loyalty.config import ProgramFile
from tools.loyalty.errors import LoyaltyError
from tools.loyalty.facts import MemberSource
from tools.loyalty.mews_facts import MewsFactsLoader
from tools.mews import MewsClient, MewsError
from tools.runtime import LoyaltyRuntime

__all__ = ["JobContext", "JobItem", "JobReport", "submit_request"]


@dataclass(frozen=True)
class JobContext:
    store: Store
    guard: Guard
    loader: MewsFactsLoader
    mews: MewsClient
    programs: ProgramFile
    clock: Clock
    after_write: Callable[[], Awaitable[None]] | None = None
    principal: str = AUTOMATION_PRINCIPAL
    program_code: str | None = None  # None: every configured program
    members: MemberSource | None = None
    """Where the tier review and win-back read members (the member read model); None: Mews,
    through `loader`."""
    win_back_bonus_points: int | None = None
    """The win-back job's bonus offer in points; None: the program file's
    `win_back.bonus_points`."""

    @classmethod
    def for_runtime(cls, runtime: LoyaltyRuntime, *, read_model: bool = True) -> JobContext:
        """Jobs on the runtime's store, guard, loader, Mews client, programs and clock, reading
        members from its member read model (`read_model=False`: from Mews, through its loader).
        Named one by one: a runtime field that shares a name with a job setting (`principal`)
        must not become one."""
        return cls(
            store=runtime.store,
            guard=runtime.guard,
            loader=runtime.loader,
            mews=runtime.mews,
            programs=runtime.programs,
            clock=runtime.clock,
            after_write=runtime.after_write,
            members=runtime.facts if read_model else None,
        )


@dataclass(frozen=True)
class JobItem:
    """One thing a job did or proposed, in words."""

    subject: str  # a membership or customer id
    status: str  # posted | pending_approval | denied | expired | skipped | failed
    detail: str


@dataclass
class JobReport:
    job: str
    started_at: datetime
    items: list[JobItem] = field(default_factory=list)
    summary: str = ""

    def count(self, status: str) -> int:
        return sum(item.status == status for item in self.items)


# ---------------------------------------------------------------------- submitting
async def submit_request(
    guard: Guard,
    principal: Principal,
    action: str,
    args: JSONObject,
    key: str,
    subject: str,
    what: str,
) -> JobItem:
    """Submit one request through the guard as a job item: posted, pending approval (its id),
    denied (rule and reason) or failed (the error); never raised."""
    try:
        outcome = await guard.submit(principal, action, args, idempotency_key=key)
    except (PolicyError, LoyaltyError, MewsError, ActionError, ValueError) as exc:
        return JobItem(subject, "failed", f"{what}: {exc}")
    data = outcome.to_dict()
    status = str(data["status"])
    if status == "pending_approval":
        return JobItem(subject, status, f"{what} (approval {data['approval_id']})")
    if status == "denied":
        return JobItem(subject, status, f"{what} ({data['rule']}: {data['reason']})")
    return JobItem(subject, status, what)
