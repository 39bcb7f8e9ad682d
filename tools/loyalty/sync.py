"""Keeping Mews `Points` equal to the ledger: the outbox dispatcher and reconciliation.

    dispatcher = OutboxDispatcher(mews, store, clock=clock, guard=guard, programs=programs)
    report = await dispatcher.drain()
    report = await reconcile(loader, guard, principal, apply=True, rule="adjust_ledger")

**Dispatch.** Every posted ledger entry queues `loyaltyMemberships/update` for its membership
(coalesced per membership, see `storage.outbox`). `drain` claims those commands, reads each
membership's balance from the ledger *at push time* and sends it as the absolute
`Points: {"Value": n}`, up to 1000 memberships per request (one request per chain, as portfolio
tokens need the `ChainId`). Before sending, one `loyaltyMemberships/getAll` reads what Mews
holds now: a change made there since our last push (staff in Mews Operations, another system)
is posted to the ledger as an adjustment attributed to Mews and carried by the push, never
overwritten (`tools.loyalty.compare`; the value Mews accepted is recorded when the push is
settled). Because the value is absolute and current, pushing twice is harmless: a crash
between the push and `complete` re-pushes the same number, and commands that
were coalesced or queued behind an in-flight one converge on the latest balance. A failed push
backs off exponentially and ends as a dead letter after `max_attempts` (`loyalty outbox`
tooling can requeue it). A batch Mews rejects as a whole (400, e.g. a membership deleted in
Mews meanwhile) is split in halves until the bad membership is isolated, so one bad record does
not hold back the others.

**Reconcile.** All memberships (paged) against the ledger accounts (chunked SQL). Per membership:

- `in_sync`: ledger balance = Mews `Points` (a missing `Points` counts as 0);
- `awaiting_push`: a push is queued or in flight: Mews is behind by design, not drifted;
- `unopened`: no ledger account yet and Mews shows points: resolved by an opening balance
  (`ensure_account`, key `opening:{membership_id}`) whatever the rule;
- `mews_ahead` / `ledger_ahead`: drift in either direction, resolved by the rule:
  `adjust_ledger` posts an adjustment of (Mews − ledger) so the ledger follows Mews (someone
  edited `Points` in Mews Operations on purpose; caps and approvals apply to it as to any
  adjustment), `push_ledger` queues the ledger balance for Mews (our numbers win).

Every write goes through the guard as the action `reconcile_points` (kind `points`; an opening
balance or a push moves no points between anyone, so their facts carry 0 points). Its keys are
derived from the membership and the two numbers seen, so re-running an apply does nothing twice.
What the guard is told and runs for it is in `tools.actions.ledger_sync`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from policies import Guard, Outcome, Principal
from policies.audit import AuditDraft
from policies.errors import PolicyError
from storage.canonical import JSONObject
from storage.clock import Clock
from storage.outbox import (
    Delivered,
    OutboxCommand,
    Undelivered,
    claim,
    due_count,
    outbox_table,
    rewrite_payload,
    settle,
)
from storage.progress import counted, step
from storage.store import Store, chunks
from tools.loyalty.compare import (
    EXTERNAL_ACTOR,
    external_change,
    external_change_key,
    known_points,
    pushed_points,
    record_pushed,
    second_ledger_warning,
)
from tools.loyalty.config import ProgramFile
from tools.loyalty.delivery import send_in_halves
from tools.loyalty.errors import LoyaltyError
from tools.loyalty.ledger import (
    MEWS_PUSH_KIND,
    ledger_lock_key,
    points_coalesce_key,
    post_entry,
    push_payload,
)
from tools.loyalty.ledger_model import LedgerEntry, Source
from tools.loyalty.ledger_reads import get_account
from tools.loyalty.ledger_schema import accounts_table
from tools.loyalty.mews_facts import BATCH_SIZE, MewsFactsLoader
from tools.loyalty.stays import MembershipArgs
from tools.mews import MewsClient, MewsError
from tools.mews.models import LoyaltyMembership, LoyaltyMembershipUpdateParameters, UpdateValue

__all__ = [
    "RECONCILE_POINTS",
    "DrainReport",
    "Drift",
    "DriftKind",
    "OutboxDispatcher",
    "ReconcileArgs",
    "ReconcileReport",
    "ReconcileRule",
    "points_coalesce_key",
    "reconcile",
]

_log = logging.getLogger(__name__)

RECONCILE_POINTS: Final = "reconcile_points"
_READ_STEP: Final = 1000
"""Memberships read between two progress steps: one Mews page (`loyaltyMemberships/getAll`)."""
ReconcileRule = Literal["adjust_ledger", "push_ledger"]
DriftKind = Literal["in_sync", "awaiting_push", "unopened", "mews_ahead", "ledger_ahead"]
Resolution = Literal["opening_balance", "adjust_ledger", "push_ledger"]


# ---------------------------------------------------------------------- dispatcher
@dataclass(frozen=True)
class DrainReport:
    """What one `drain` did."""

    claimed: int = 0
    pushed: int = 0
    """Commands whose balance Mews accepted."""
    failed: int = 0
    """Commands that will be retried later (backoff)."""
    dead: int = 0
    """Commands parked as dead letters by this drain."""
    requests: int = 0
    """`loyaltyMemberships/update` requests sent (retries by the client not included)."""
    errors: tuple[str, ...] = ()
    external: int = 0
    """Changes of `Points` made in Mews outside this ledger, recorded before pushing."""


@dataclass
class _Tally:
    claimed: int = 0
    pushed: int = 0
    failed: int = 0
    dead: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    external: int = 0

    def settled(
        self, statuses: dict[int, str], outcomes: Sequence[Delivered | Undelivered]
    ) -> None:
        """Count what `settle` recorded: pushed, failed (retried later) or dead."""
        for outcome in outcomes:
            status = statuses.get(outcome.command_id)
            if isinstance(outcome, Delivered):
                self.pushed += 1
                continue
            if status == "dead":
                self.dead += 1
            else:
                self.failed += 1
            self.errors.append(f"command {outcome.command_id}: {outcome.error}")

    def report(self) -> DrainReport:
        return DrainReport(
            self.claimed,
            self.pushed,
            self.failed,
            self.dead,
            self.requests,
            tuple(self.errors),
            self.external,
        )


@dataclass(frozen=True)
class _Push:
    """One membership's balance to send, for every claimed command of it."""

    commands: tuple[OutboxCommand, ...]
    membership_id: str
    chain_id: str | None
    points: int
    version: int
    overwrite: bool = False
    """Reconcile's `push_ledger`: the ledger wins, nothing is compared."""
    expected: int | None = None
    """The `Points` the ledger expected Mews to hold when its one command was written
    (`push_payload`'s `MewsPointsBefore`), else None."""

    @property
    def uncertain(self) -> bool:
        """An earlier attempt to push this membership is unaccounted for: it failed (a timeout
        may have reached Mews), or its lease ran out (a claim counts that as an attempt)."""
        return any(c.attempts > 0 for c in self.commands)

    def delivered(self) -> list[Delivered]:
        result = {
            "LoyaltyMembershipId": self.membership_id,
            "Points": self.points,
            "Version": self.version,
        }
        return [Delivered(command.id, result) for command in self.commands]


@dataclass(eq=False)
class OutboxDispatcher:
    """Delivers queued balance pushes to Mews (see the module docstring), comparing first
    (`tools.loyalty.compare`): external changes are posted through `guard`'s transactions
    (audited), with the programs of `programs`."""

    mews: MewsClient
    store: Store
    _: KW_ONLY
    clock: Clock
    guard: Guard
    programs: ProgramFile
    batch_size: int = BATCH_SIZE
    max_attempts: int = 12
    lease: timedelta = timedelta(minutes=2)
    warned: bool = field(default=False, init=False)
    """The second-ledger warning was logged (once per process)."""

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= BATCH_SIZE:
            raise ValueError(
                f"batch_size must be between 1 and {BATCH_SIZE}, got {self.batch_size}"
            )

    def due(self) -> int:
        """How many balances wait to be pushed now (what `drain` without a limit pushes)."""
        return due_count(self.store, now=self.clock.now(), kinds=[MEWS_PUSH_KIND])

    async def drain(self, limit: int | None = None) -> DrainReport:
        """Push every due balance (at most `limit` commands); returns what happened."""
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        tally = _Tally()
        while limit is None or tally.claimed < limit:
            size = self.batch_size if limit is None else min(self.batch_size, limit - tally.claimed)
            commands = claim(
                self.store,
                now=self.clock.now(),
                limit=size,
                lease=self.lease,
                kinds=[MEWS_PUSH_KIND],
            )
            if not commands:
                break
            step(tally.claimed, limit, "balances pushed to Mews")
            tally.claimed += len(commands)
            outcomes = await self.push(commands, tally)
            tally.settled(self.settle(outcomes), outcomes)
            step(tally.claimed, limit, "balances pushed to Mews")
            if len(commands) < size:
                break  # a short claim: nothing more is due
        return tally.report()

    def settle(self, outcomes: Sequence[Delivered | Undelivered]) -> dict[int, str]:
        """`storage.outbox.settle`, recording in the same transaction the balances Mews
        accepted (what compare-before-push starts from next time)."""
        now = self.clock.now()
        pushed = [
            p for o in outcomes if isinstance(o, Delivered) and (p := pushed_points(o.result))
        ]

        def record(conn: Connection) -> None:
            record_pushed(conn, pushed, now=now)

        return settle(self.store, outcomes, now=now, also=record if pushed else None)

    async def push(
        self,
        commands: Sequence[OutboxCommand],
        tally: _Tally | None = None,
        *,
        just_committed: bool = False,
    ) -> list[Delivered | Undelivered]:
        """Push the current balance of each claimed command's membership; the outcome of each
        (for `settle`, which the caller runs once for everything it delivered).

        First one `loyaltyMemberships/getAll` of the batch's memberships: a change made in
        Mews since our last push is posted to the ledger and carried by the push.

        `just_committed`: the commands were claimed by the transaction that wrote them, so
        their payload is the balance as of that commit (every later change queues a newer
        command, pushed after this one); no need to read the ledger again."""
        if not commands:
            return []
        tally = tally or _Tally()
        outcomes: list[Delivered | Undelivered] = []
        pushes = (
            self._from_payload(list(commands), outcomes)
            if just_committed
            else self._current(list(commands), outcomes)
        )
        pushes = await self._compared(
            _one_per_membership(pushes), tally, outcomes, just_committed=just_committed
        )
        by_chain: dict[str | None, list[_Push]] = defaultdict(list)
        for push in pushes:
            by_chain[push.chain_id].append(push)
        for chain_id, group in by_chain.items():
            await self._send(chain_id, group, tally, outcomes)
        return outcomes

    def _from_payload(
        self, commands: list[OutboxCommand], outcomes: list[Delivered | Undelivered]
    ) -> list[_Push]:
        pushes: list[_Push] = []
        stale: list[OutboxCommand] = []
        for command in commands:
            payload = command.payload
            membership_id, points = payload.get("LoyaltyMembershipId"), payload.get("Points")
            version = payload.get("Version")
            if (
                isinstance(membership_id, str)
                and membership_id
                and isinstance(points, int)
                and isinstance(version, int)
            ):
                chain_id = payload.get("ChainId")
                chain = chain_id if isinstance(chain_id, str) else None
                overwrite = payload.get("Overwrite") is True
                before = payload.get("MewsPointsBefore")
                expected = before if isinstance(before, int) else None
                pushes.append(
                    _Push((command,), membership_id, chain, points, version, overwrite, expected)
                )
            else:
                stale.append(command)
        return pushes + (self._current(stale, outcomes) if stale else [])

    def _current(
        self, commands: list[OutboxCommand], outcomes: list[Delivered | Undelivered]
    ) -> list[_Push]:
        """The balance to push for each command: the ledger's now (the payload's if gone)."""
        ids = [str(c.payload.get("LoyaltyMembershipId", "")) for c in commands]
        a = accounts_table
        with self.store.single() as conn:  # one statement
            rows = conn.execute(
                sa.select(a.c.membership_id, a.c.balance, a.c.version, a.c.chain_id).where(
                    a.c.membership_id.in_(ids)
                )
            ).all()
        current = {
            row.membership_id: (int(row.balance), int(row.version), row.chain_id) for row in rows
        }
        pushes: list[_Push] = []
        for command, membership_id in zip(commands, ids, strict=True):
            points = command.payload.get("Points")
            if not membership_id or (membership_id not in current and not isinstance(points, int)):
                outcomes.append(
                    self._failed(command, "malformed command: no LoyaltyMembershipId or Points")
                )
                continue
            overwrite = command.payload.get("Overwrite") is True
            if membership_id in current:
                balance, version, chain_id = current[membership_id]
            else:  # no account (a command queued by hand): push what it says
                assert isinstance(points, int)
                balance, version, chain_id = points, 0, command.payload.get("ChainId")
            pushes.append(_Push((command,), membership_id, chain_id, balance, version, overwrite))
        return pushes

    async def _compared(
        self,
        pushes: list[_Push],
        tally: _Tally,
        outcomes: list[Delivered | Undelivered],
        *,
        just_committed: bool = False,
    ) -> list[_Push]:
        """The pushes with every change made in Mews since our last push folded in (posted to
        the ledger first); a membership whose change could not be recorded is not pushed.

        `just_committed` pushes whose transaction knew what Mews should hold (`expected`) and
        find exactly that are not compared with the ledger again (no read): that transaction
        held the membership's lock and claimed its command, so nothing of ours has moved Mews
        or the record since. Any other value is compared with the ledger as usual."""
        compared = [p for p in pushes if not p.overwrite]
        if not compared:
            return pushes
        try:
            # One fresh read for the batch (at most 1000 ids: `BATCH_SIZE`).
            memberships = await self.mews.loyalty_memberships.get_all(
                loyalty_membership_ids=[p.membership_id for p in compared]
            ).to_list()
        except MewsError as exc:  # the batch waits: pushing blind could overwrite a change
            outcomes.extend(
                self._failed(c, f"reading Points before the push: {exc}")
                for p in compared
                for c in p.commands
            )
            return [p for p in pushes if p.overwrite]
        in_mews = {m.id: m.points or 0 for m in memberships}
        if just_committed and all(_as_expected(p, in_mews) for p in compared):
            return pushes  # Mews holds what each command's transaction expected: no change
        uncertain = [p.membership_id for p in compared if p.uncertain]
        with self.store.single() as conn:  # one statement per 500 memberships
            known = known_points(conn, in_mews, uncertain=uncertain)
        changed = {
            p.membership_id: p
            for p in compared
            if p.membership_id in known
            and p.membership_id in in_mews
            and external_change(known[p.membership_id], in_mews[p.membership_id])
        }
        if not changed:
            return pushes
        try:
            carried = self._record_external(changed, in_mews, tally)
        except (LoyaltyError, PolicyError, sa.exc.SQLAlchemyError) as exc:
            _log.warning("recording a change made in Mews failed; not pushing", exc_info=True)
            outcomes.extend(
                self._failed(c, f"recording a change made in Mews: {exc}")
                for p in changed.values()
                for c in p.commands
            )
            return [p for p in pushes if p.membership_id not in changed]
        return [carried.get(p.membership_id, p) for p in pushes]

    def _record_external(
        self, changed: dict[str, _Push], in_mews: dict[str, int], tally: _Tally
    ) -> dict[str, _Push]:
        """Post each change made in Mews as an adjustment attributed to Mews, audited, in one
        transaction holding the memberships' ledger locks; the pushes then carry the new
        balances (and so does every queued copy of them)."""
        now = self.clock.now()
        carried: dict[str, _Push] = {}
        uncertain = [m for m, p in changed.items() if p.uncertain]
        with self.guard.transaction(now, *map(ledger_lock_key, changed)) as tx:
            known = known_points(tx.conn, changed, uncertain=uncertain)  # again, under the locks
            for membership_id, push in changed.items():
                seen = in_mews[membership_id]
                account = get_account(tx.conn, membership_id)
                change = external_change(known[membership_id], seen)
                if account is None or not change:
                    continue
                entry = post_entry(
                    tx.conn,
                    membership_id=membership_id,
                    kind="adjustment",
                    points=change,
                    reason=(
                        f"Points changed in Mews by {change:+d}: Mews showed {seen} where this "
                        f"ledger had left {known[membership_id].points}"
                    ),
                    actor=EXTERNAL_ACTOR,
                    source=Source("mews", membership_id),
                    idempotency_key=external_change_key(membership_id, account.version, seen),
                    program=self.programs.program(account.program_code),
                    now=now,
                    allow_negative=True,
                    queue_push=False,
                )
                tally.external += 1
                tx.audit(_external_audit(now, entry, seen, known[membership_id].points))
                after = get_account(tx.conn, membership_id)
                assert after is not None
                carried[membership_id] = replace(push, points=after.balance, version=after.version)
                rewrite_payload(
                    tx.conn,
                    points_coalesce_key(membership_id),
                    push_payload(membership_id, after.chain_id, after.balance, after.version),
                    command_ids=[c.id for c in push.commands],
                )
            warning = None if self.warned else second_ledger_warning(tx.conn, now=now)
        if warning:
            self.warned = True
            _log.warning("%s", warning)
        return carried

    async def _send(
        self,
        chain_id: str | None,
        group: list[_Push],
        tally: _Tally,
        outcomes: list[Delivered | Undelivered],
    ) -> None:
        async def update(pushes: list[_Push]) -> list[Delivered]:
            tally.requests += 1
            updates = [
                LoyaltyMembershipUpdateParameters(
                    loyalty_membership_id=p.membership_id, points=UpdateValue[int](value=p.points)
                )
                for p in pushes
            ]
            await self.mews.loyalty_memberships.update(updates, chain_id=chain_id)
            return [d for p in pushes for d in p.delivered()]

        def failed(pushes: list[_Push], exc: Exception) -> list[Undelivered]:
            return [self._failed(c, str(exc)) for push in pushes for c in push.commands]

        outcomes.extend(await send_in_halves(group, update, failed))

    def _failed(self, command: OutboxCommand, error: str) -> Undelivered:
        return Undelivered(command.id, error, self.max_attempts)


def _as_expected(push: _Push, in_mews: Mapping[str, int]) -> bool:
    """Mews shows the `Points` the push's one command expected (or does not show the
    membership: not compared either way), and no earlier attempt is unaccounted for."""
    if push.expected is None or push.uncertain or len(push.commands) != 1:
        return False
    return in_mews.get(push.membership_id, push.expected) == push.expected


def _one_per_membership(pushes: list[_Push]) -> list[_Push]:
    """One push per membership: the latest balance (highest ledger version) of its commands,
    delivered for all of them (a lapsed lease can put two in one claim)."""
    merged: dict[str, _Push] = {}
    for push in pushes:
        before = merged.get(push.membership_id)
        if before is None:
            merged[push.membership_id] = push
            continue
        latest = push if push.version >= before.version else before
        merged[push.membership_id] = replace(
            latest,
            commands=before.commands + push.commands,
            overwrite=before.overwrite or push.overwrite,
            expected=None,  # two commands: compared with what the ledger records
        )
    return list(merged.values())


def _external_audit(now: datetime, entry: LedgerEntry, seen: int, known: int) -> AuditDraft:
    return AuditDraft(
        at=now,
        principal=EXTERNAL_ACTOR,
        role="system",
        action="external_points_change",
        args={"membership_id": entry.membership_id, "mews_points": seen, "ledger_left": known},
        decision="executed",
        reason="Points changed in Mews outside this ledger; recorded before the next push",
        result={"entry_id": entry.id, "points": entry.points, "balance": entry.balance_after},
        idempotency_key=entry.idempotency_key,
    )


# ---------------------------------------------------------------------- reconcile
@dataclass(frozen=True)
class Drift:
    """One membership compared: what the ledger and Mews say."""

    membership_id: str
    customer_id: str
    program_code: str
    kind: DriftKind
    ledger: int | None
    """The ledger balance (None: no account yet)."""
    mews: int
    """Mews `Points` (absent counts as 0)."""

    @property
    def difference(self) -> int:
        """Mews minus ledger."""
        return self.mews - (self.ledger or 0)


@dataclass(frozen=True)
class ReconcileReport:
    rule: ReconcileRule
    applied: bool
    checked: int
    in_sync: int
    awaiting_push: int
    drifts: tuple[Drift, ...]
    """Memberships that need a write: `unopened`, `mews_ahead`, `ledger_ahead`."""
    outcomes: tuple[tuple[str, JSONObject], ...] = ()
    """On apply: (membership id, the guard's outcome or an error) per write."""

    @property
    def mews_ahead(self) -> tuple[Drift, ...]:
        return tuple(d for d in self.drifts if d.kind == "mews_ahead")

    @property
    def ledger_ahead(self) -> tuple[Drift, ...]:
        return tuple(d for d in self.drifts if d.kind == "ledger_ahead")

    @property
    def unopened(self) -> tuple[Drift, ...]:
        return tuple(d for d in self.drifts if d.kind == "unopened")


async def reconcile(
    loader: MewsFactsLoader,
    guard: Guard,
    principal: Principal,
    *,
    apply: bool = False,
    rule: ReconcileRule = "adjust_ledger",
) -> ReconcileReport:
    """Compare every membership's Mews `Points` with the ledger; on `apply`, resolve the drift
    through the guard (`reconcile_points`). Reads: memberships paged by 1000, programs once."""
    if rule not in ("adjust_ledger", "push_ledger"):
        raise ValueError(f"rule: must be adjust_ledger or push_ledger, got {rule!r}")
    program_codes = await loader.program_codes()
    memberships: list[LoyaltyMembership] = []
    step(0, None, "memberships read from Mews")
    async for membership in loader.mews.loyalty_memberships.get_all():
        memberships.append(membership)
        if len(memberships) % _READ_STEP == 0:
            step(len(memberships), None, "memberships read from Mews")
    ids = [m.id for m in memberships]
    ledger, versions, queued = _ledger_state(loader.store, ids)
    compared = [
        _compare(m, program_codes, ledger, queued)
        for m in counted(memberships, "memberships compared with the ledger")
    ]
    drifts = tuple(d for d in compared if d.kind not in ("in_sync", "awaiting_push"))
    outcomes: list[tuple[str, JSONObject]] = []
    if apply:
        chain_id = await loader.chain_id()
        by_id = {m.id: m for m in memberships}
        for drift in counted(drifts, "drifts resolved"):
            if drift.program_code not in loader.programs.programs:
                error = f"program {drift.program_code} is not in the program file"
                outcomes.append((drift.membership_id, {"status": "skipped", "reason": error}))
                continue
            version = versions.get(drift.membership_id)
            args = _resolution_args(drift, by_id[drift.membership_id], chain_id, rule, version)
            outcomes.append((drift.membership_id, await _submit(guard, principal, args)))
    return ReconcileReport(
        rule=rule,
        applied=apply,
        checked=len(compared),
        in_sync=sum(1 for d in compared if d.kind == "in_sync"),
        awaiting_push=sum(1 for d in compared if d.kind == "awaiting_push"),
        drifts=drifts,
        outcomes=tuple(outcomes),
    )


def _ledger_state(
    store: Store, ids: Sequence[str]
) -> tuple[dict[str, int], dict[str, int], set[str]]:
    """Ledger balances and versions by membership, and those with a push queued or in flight."""
    balances: dict[str, int] = {}
    versions: dict[str, int] = {}
    queued: set[str] = set()
    a, t = accounts_table, outbox_table
    with store.read() as conn:
        for chunk in chunks(ids, 500):
            rows = conn.execute(
                sa.select(a.c.membership_id, a.c.balance, a.c.version).where(
                    a.c.membership_id.in_(chunk)
                )
            ).all()
            balances.update({row.membership_id: int(row.balance) for row in rows})
            versions.update({row.membership_id: int(row.version) for row in rows})
            keys = [points_coalesce_key(i) for i in chunk]
            waiting = conn.execute(
                sa.select(t.c.coalesce_key).where(
                    t.c.coalesce_key.in_(keys), t.c.status.in_(["pending", "in_flight"])
                )
            ).all()
            queued.update(str(row[0]).removeprefix("points:") for row in waiting)
    return balances, versions, queued


def _compare(
    m: LoyaltyMembership,
    program_codes: dict[str, str],
    ledger: dict[str, int],
    queued: set[str],
) -> Drift:
    mews = m.points or 0
    balance = ledger.get(m.id)
    kind: DriftKind
    if m.id in queued:
        kind = "awaiting_push"
    elif balance is None:
        kind = "in_sync" if mews == 0 else "unopened"
    elif balance == mews:
        kind = "in_sync"
    else:
        kind = "mews_ahead" if mews > balance else "ledger_ahead"
    code = program_codes.get(m.loyalty_program_id, m.loyalty_program_id)
    return Drift(m.id, m.account_id, code, kind, balance, mews)


def _resolution_args(
    drift: Drift,
    membership: LoyaltyMembership,
    chain_id: str,
    rule: ReconcileRule,
    version: int | None,
) -> JSONObject:
    resolution: Resolution = "opening_balance" if drift.kind == "unopened" else rule
    return ReconcileArgs(
        membership_id=drift.membership_id,
        customer_id=drift.customer_id,
        chain_id=membership.chain_id or chain_id,
        program_id=membership.loyalty_program_id,
        program_code=drift.program_code,
        resolution=resolution,
        ledger_balance=drift.ledger,
        ledger_version=version,
        mews_points=drift.mews,
    ).model_dump()


async def _submit(guard: Guard, principal: Principal, args: JSONObject) -> JSONObject:
    key = (
        f"reconcile:{args['membership_id']}:{args['resolution']}:"
        f"v{args['ledger_version']}:{args['mews_points']}"
    )
    try:
        outcome: Outcome = await guard.submit(
            principal, RECONCILE_POINTS, args, idempotency_key=key
        )
    except (PolicyError, LoyaltyError) as exc:
        return {"status": "failed", "error": str(exc)}
    return outcome.to_dict()


class ReconcileArgs(MembershipArgs):
    """One membership's drift and how to resolve it (the numbers as reconcile saw them)."""

    resolution: Resolution
    ledger_balance: int | None
    ledger_version: int | None
    """The account's version when reconcile read it: the write is refused if it moved since."""
    mews_points: int
