"""One guarded write, defined once: `GuardedWrite`, and `WriteDeps`, what every write uses.

A `GuardedWrite` holds everything about one write: the arguments a caller sends (`input`,
validated once, at the edge), the arguments the policy judges and an approval stores (`args`),
the title, description and annotations of its MCP tool, the model of a posted result, the
policy's action kind, `prepare` (work before the guard, e.g. pricing a redemption; it writes
nothing), `describe` (the `Facts` the policy judges), `stage` (what a request keeps once it is
allowed or queued for approval, never on a denial) and `execute` (`InTransaction` or
`CallsOut`, the two ways of `policies.specs`). The MCP tool
(`tools.server.tooling.write_tool`), the guard's action registry and approval execution
(`action(deps)`), `loyalty call` and the web forms (through the tool), and the eval's write
detection (the tool's read-only annotation) all come from it.

`WriteDeps` is built once per process by the runtime and handed to `prepare`, `describe` and
`execute`: no write binds a client, store or program file of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy.engine import Connection

from policies import (
    ActionKind,
    ActionSpec,
    ExecContext,
    External,
    Facts,
    Guard,
    Outcome,
    Permission,
    Principal,
    Transactional,
)
from storage.canonical import JSONObject
from storage.clock import Clock
from storage.store import Store
from tools.actions.directory import MembershipDirectory
from tools.actions.fulfilment import StayDesk
from tools.loyalty import ProgramConfig, ProgramFile
from tools.loyalty.facts import MemberSource
from tools.loyalty.mews_facts import MewsFactsLoader
from tools.mews import MewsClient
from tools.mews.models import LoyaltyMembership

__all__ = ["AUTOMATION", "CallsOut", "GuardedWrite", "InTransaction", "TierMove", "WriteDeps"]

AUTOMATION: Final = "automation"
"""The principal automated writes (bonuses, drafted messages) run as, through the guard."""

ArgsT = TypeVar("ArgsT", bound=BaseModel)
InputT = TypeVar("InputT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class TierMove:
    """One membership's tier as Mews changed it: tier codes as the program file keys them."""

    membership_id: str
    customer_id: str
    program_id: str
    program_code: str | None
    from_tier: str | None
    to_tier: str


@dataclass(frozen=True)
class WriteDeps:
    """What the writes read and call, one of each per process."""

    store: Store
    programs: ProgramFile
    mews: MewsClient
    directory: MembershipDirectory
    loader: MewsFactsLoader
    clock: Clock
    members: MemberSource | None = None
    """Where audiences are read (the member read model); None: Mews, through `loader`. What
    a write judges (a membership, a balance) is always read from Mews."""

    stays_desk: StayDesk | None = None
    """The stays redemptions and upsells are fulfilled on (default: read through `mews`)."""

    on_enrolled: list[Callable[[Sequence[LoyaltyMembership]], Awaitable[list[str]]]] = field(
        default_factory=list
    )
    """Called with the memberships `add_loyalty_memberships` created, whoever asked (the runtime
    registers the welcome bonus, `tools.actions.program_bonuses`); each returns notes."""

    on_tier_changed: list[Callable[[Sequence[TierMove], str], Awaitable[list[str]]]] = field(
        default_factory=list
    )
    """Called with the tier changes `update_loyalty_memberships` made, whoever asked, and the
    write's idempotency key (the runtime registers the tier-change message,
    `tools.actions.tier_messages`); each returns notes."""

    @property
    def member_source(self) -> MemberSource:
        return self.members or self.loader

    def __post_init__(self) -> None:
        if self.stays_desk is None:
            object.__setattr__(self, "stays_desk", StayDesk(self.mews))

    @property
    def stays(self) -> StayDesk:
        assert self.stays_desk is not None  # set by __post_init__
        return self.stays_desk

    def program(self, code: str | None = None) -> ProgramConfig:
        """The program by its Mews code; without one, the first program of the file."""
        if code is None:
            return next(iter(self.programs.programs.values()))
        return self.programs.program(code)


@dataclass(frozen=True)
class InTransaction(Generic[ArgsT]):
    """`fn(deps, conn, args, ctx)` runs in the guard's transaction (`policies.Transactional`)."""

    fn: Callable[[WriteDeps, Connection, ArgsT, ExecContext], Any]


@dataclass(frozen=True)
class CallsOut(Generic[ArgsT]):
    """`await fn(deps, args, ctx)` calls Mews between two transactions (`policies.External`).

    `landed(deps, args)` reads Mews after an interrupted call: the result when the call's
    effect is visible there, None when it is not (how a crashed approval is resolved)."""

    fn: Callable[[WriteDeps, ArgsT, ExecContext], Awaitable[Any]]
    landed: Callable[[WriteDeps, ArgsT], Awaitable[Any | None]] | None = None


async def no_facts(_deps: WriteDeps, _args: BaseModel) -> Facts:
    """For writes whose rules need nothing but their kind."""
    return Facts()


@dataclass(frozen=True, kw_only=True)
class GuardedWrite(Generic[InputT, ArgsT]):
    name: str
    title: str
    description: str
    kind: ActionKind
    input: type[InputT]
    """What a caller sends; without `prepare`, `args` plus an optional `idempotency_key`."""
    args: type[ArgsT]
    result: Any
    """The model of a posted result (the tool's output schema wraps it in `WriteOutcome`)."""
    execute: InTransaction[ArgsT] | CallsOut[ArgsT]
    describe: Callable[[WriteDeps, ArgsT], Awaitable[Facts]] = field(default=no_facts)
    prepare: Callable[[WriteDeps, InputT], Awaitable[ArgsT]] | None = None
    stage: Callable[[WriteDeps, Connection, ArgsT, ExecContext], None] | None = None
    """What the write keeps once the policy lets it run or queues it for approval, never on a
    denial: runs in the decision's transaction (before an in-transaction `execute`)."""
    undone: Callable[[WriteDeps, str], bool] | None = None
    """Whether what executed under an idempotency key was undone since (a reversed redemption):
    an identical call is then a new request (`policies.ActionSpec.undone`)."""
    needs: tuple[Permission, ...] = ("write",)
    destructive: bool = False
    idempotent: bool = True
    open_world: bool = False

    def __post_init__(self) -> None:
        if self.stage is not None and not isinstance(self.execute, InTransaction):
            raise ValueError(f"write {self.name!r}: only an in-transaction write can stage")

    async def payload(self, deps: WriteDeps, given: InputT) -> JSONObject:
        """The arguments the guard judges and an approval stores, as JSON."""
        if self.prepare is not None:
            prepared: BaseModel = await self.prepare(deps, given)
            return prepared.model_dump(mode="json")
        return given.model_dump(mode="json", exclude={"idempotency_key"})

    async def submit(
        self, guard: Guard, deps: WriteDeps, principal: Principal, given: InputT
    ) -> Outcome:
        payload = await self.payload(deps, given)
        key: str | None = getattr(given, "idempotency_key", None)
        return await guard.submit(principal, self.name, payload, key)

    def action(self, deps: WriteDeps) -> ActionSpec:
        """The guard's view of this write, with `deps` handed to `describe` and `execute`."""
        run: Transactional | External
        if isinstance(self.execute, InTransaction):
            run = Transactional(partial(_in_transaction, self, deps))
        else:
            landed = None if self.execute.landed is None else partial(_landed, self, deps)
            run = External(partial(_calls_out, self, deps), landed)
        on_queue = None if self.stage is None else partial(_stage, self, deps)
        undone = None if self.undone is None else partial(self.undone, deps)
        return ActionSpec(
            self.name, self.kind, run, partial(_describe, self, deps), on_queue, undone
        )


async def _describe(write: GuardedWrite[Any, Any], deps: WriteDeps, args: JSONObject) -> Facts:
    return await write.describe(deps, write.args.model_validate(args))


def _in_transaction(
    write: GuardedWrite[Any, Any],
    deps: WriteDeps,
    conn: Connection,
    args: JSONObject,
    ctx: ExecContext,
) -> Any:
    assert isinstance(write.execute, InTransaction)
    parsed = write.args.model_validate(args)
    if write.stage is not None:
        write.stage(deps, conn, parsed, ctx)
    return write.execute.fn(deps, conn, parsed, ctx)


def _stage(
    write: GuardedWrite[Any, Any],
    deps: WriteDeps,
    conn: Connection,
    args: JSONObject,
    ctx: ExecContext,
) -> None:
    assert write.stage is not None
    write.stage(deps, conn, write.args.model_validate(args), ctx)


async def _calls_out(
    write: GuardedWrite[Any, Any], deps: WriteDeps, args: JSONObject, ctx: ExecContext
) -> Any:
    assert isinstance(write.execute, CallsOut)
    return await write.execute.fn(deps, write.args.model_validate(args), ctx)


async def _landed(write: GuardedWrite[Any, Any], deps: WriteDeps, args: JSONObject) -> Any:
    assert isinstance(write.execute, CallsOut)
    assert write.execute.landed is not None
    return await write.execute.landed(deps, write.args.model_validate(args))
