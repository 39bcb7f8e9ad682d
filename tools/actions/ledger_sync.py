"""The ledger's own guarded writes: stay accrual, its reversal, the stay bonus and reconcile.

    guard = Guard(store, policy, [*build_actions(deps), *LEDGER_SYNC_ACTIONS])

They are planned by the loyalty engine (`tools.loyalty.stays`, `tools.loyalty.sync.reconcile`:
batched Mews reads, arguments built there) and submitted under each reservation's or
membership's own idempotency key; here is what the policy is told (`describe`) and what runs in
the guard's transaction, which holds the membership's ledger lock (declared in
`Facts.lock_keys`). They need only the program file, so a guard without a Mews client (the
`loyalty ledger` commands, an automation worker) registers them as well. They are not MCP
tools: no `GuardedWrite`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from policies import ActionSpec, Describe, ExecContext, Facts, Transactional
from policies.errors import InvalidRequestError
from storage.canonical import JSONObject
from storage.clock import utc
from storage.outbox import enqueue
from tools.actions.accounts import entry_result, open_account
from tools.actions.booking_offers import attach_booking_offer_spec
from tools.actions.program_bonuses import PROGRAM_BONUSES
from tools.loyalty import display
from tools.loyalty.accrual import accrual_idempotency_key, accrual_reversal_key
from tools.loyalty.config import ProgramFile, load_program_file
from tools.loyalty.ledger import (
    MEWS_PUSH_KIND,
    ledger_lock_key,
    points_coalesce_key,
    post_entry,
    push_payload,
    reverse_entry,
)
from tools.loyalty.ledger_model import LedgerEntry, Source
from tools.loyalty.ledger_schema import accounts_table
from tools.loyalty.stays import (
    ACCRUE_STAY,
    AWARD_BOOKING_BONUS,
    AWARD_STAY_BONUS,
    REVERSE_STAY_ACCRUAL,
    AccrueStayArgs,
    AwardStayBonusArgs,
    ReverseStayArgs,
    booking_bonus_key,
    booking_bonus_reversal_key,
    stay_bonus_key,
    stay_bonus_reversal_key,
)
from tools.loyalty.sync import RECONCILE_POINTS, ReconcileArgs

__all__ = [
    "LEDGER_SYNC_ACTIONS",
    "ProgramSource",
    "execute_accrual",
    "execute_bonus",
    "execute_reconcile",
    "execute_reversal",
    "ledger_sync_actions",
]

ProgramSource = Callable[[], ProgramFile]
"""Where executors find the program file (the loaded one, or `load_program_file` on first use)."""


# ---------------------------------------------------------------------------- stays
def execute_accrual(
    conn: Connection, args: JSONObject, ctx: ExecContext, *, programs: ProgramFile
) -> JSONObject:
    """Post a stay's accrual (opening the membership's account first if needed), once."""
    a: AccrueStayArgs = AccrueStayArgs.parse(args)
    return _post_stay_points(conn, a, ctx, programs, accrual_idempotency_key(a.reservation_id))


def execute_reversal(conn: Connection, args: JSONObject, ctx: ExecContext) -> JSONObject:
    """Take back a canceled stay's accrual, its checkout bonus and its booking-offer bonus, once
    each (the balance may go negative: points owed)."""
    a: ReverseStayArgs = ReverseStayArgs.parse(args)

    def take_back(entry_id: int, what: str, key: str) -> LedgerEntry:
        return reverse_entry(
            conn,
            membership_id=a.membership_id,
            entry_id=entry_id,
            reason=f"reservation {a.reservation_id} was canceled after its {what}",
            actor=ctx.principal.name,
            now=ctx.now,
            idempotency_key=key,
            source=Source("reservation", a.reservation_id),
            allow_negative=True,
        )

    entry = take_back(a.entry_id, "points were accrued", accrual_reversal_key(a.reservation_id))
    result = entry_result(entry)
    extras = (
        ("bonus", a.bonus_entry_id, stay_bonus_reversal_key, "bonus was posted"),
        ("offer", a.offer_entry_id, booking_bonus_reversal_key, "booking bonus posted"),
    )
    for name, entry_id, key, what in extras:  # the stay's bonuses go with it
        if entry_id is None:
            continue
        taken = take_back(entry_id, what, key(a.reservation_id))
        result = {
            **result,
            "balance_after": taken.balance_after,
            f"{name}_reversal_entry_id": taken.id,
            f"{name}_points": taken.points,
        }
    return result


def execute_bonus(
    conn: Connection,
    args: JSONObject,
    ctx: ExecContext,
    *,
    programs: ProgramFile,
    key: Callable[[str], str] = stay_bonus_key,
) -> JSONObject:
    """Post a stay's dynamic bonus (or, with `key=booking_bonus_key`, the bonus its booking
    offer promised) as an accrual, once per reservation (opening the account first if needed:
    an approved bonus may be decided before the stay's accrual)."""
    a: AwardStayBonusArgs = AwardStayBonusArgs.parse(args)
    return _post_stay_points(conn, a, ctx, programs, key(a.reservation_id))


def _post_stay_points(
    conn: Connection,
    a: AccrueStayArgs | AwardStayBonusArgs,
    ctx: ExecContext,
    programs: ProgramFile,
    idempotency_key: str,
) -> JSONObject:
    """Open the account if needed, then post the stay's points as an accrual under the key."""
    program = programs.program(a.program_code)
    open_account(conn, a, program, ctx)
    entry = post_entry(
        conn,
        membership_id=a.membership_id,
        kind="accrual",
        points=a.points,
        reason=a.reason,
        actor=ctx.principal.name,
        source=Source("reservation", a.reservation_id),
        idempotency_key=idempotency_key,
        program=program,
        now=ctx.now,
        pending_until=None if a.pending_until is None else _instant(a.pending_until),
    )
    return entry_result(entry)


def _instant(text: str) -> datetime:
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError:
        raise InvalidRequestError(f"pending_until: not an ISO 8601 instant: {text!r}") from None


def _stay_facts(
    a: AccrueStayArgs | ReverseStayArgs | AwardStayBonusArgs,
    points: int,
    note: str,
    variance: float | None = None,
) -> Facts:
    """What the policy judges of a stay's points, the member's ledger locked while it runs."""
    return Facts(
        points=points,
        variance=variance,
        membership_id=a.membership_id,
        program_id=a.program_id,
        customer_id=a.customer_id,
        enterprise_id=a.enterprise_id,
        lock_keys=(ledger_lock_key(a.membership_id),),
        note=note,
    )


def _program_name(programs: ProgramSource, code: str) -> str:
    """The program's name for a note people read ("Mews Rewards"); its code only when the
    program file no longer has it (the executor then refuses the write)."""
    program = programs().programs.get(code)
    return code if program is None else program.name


def _describe_accrual(programs: ProgramSource) -> Describe:
    async def describe(args: JSONObject) -> Facts:
        a: AccrueStayArgs = AccrueStayArgs.parse(args)
        name = _program_name(programs, a.program_code)
        stay_points = display.plural(a.points, f"{name} point")
        note = f"{stay_points} for a stay (reservation {a.reservation_id})"
        return _stay_facts(a, a.points, note)

    return describe


async def _describe_reversal(args: JSONObject) -> Facts:
    a: ReverseStayArgs = ReverseStayArgs.parse(args)
    bonus = f" and its {a.bonus_points}-point bonus" if a.bonus_entry_id is not None else ""
    if a.offer_entry_id is not None:
        bonus += f" and its {a.offer_points}-point booking bonus"
    note = f"{a.points} stay points{bonus} taken back: reservation {a.reservation_id} was canceled"
    return _stay_facts(a, -(a.points + a.bonus_points + a.offer_points), note)


def _describe_bonus(programs: ProgramSource) -> Describe:
    async def describe(args: JSONObject) -> Facts:
        a: AwardStayBonusArgs = AwardStayBonusArgs.parse(args)
        try:
            multiplier = Decimal(a.multiplier)
        except ArithmeticError:
            raise InvalidRequestError(f"multiplier: not a decimal: {a.multiplier!r}") from None
        if not multiplier.is_finite() or multiplier < 1:
            raise InvalidRequestError(f"multiplier: must be at least 1, not {a.multiplier}")
        # The variance is the bonus over the stay's points at the member's own tier
        # (`base_points` are tier-adjusted): a Gold member's ×1.5 earning is their normal rate,
        # not a variance.
        variance = a.points / a.base_points
        name = _program_name(programs, a.program_code)
        what = "booking offer bonus" if a.reason.startswith("booking offer") else "bonus"
        note = (
            f"{display.points(a.points)} {name} {what} points (x{a.multiplier} on "
            f"{display.points(a.base_points)} tier-adjusted stay points, {variance:+.0%}) for a "
            f"stay (reservation {a.reservation_id})"
        )
        return _stay_facts(a, a.points, note, variance=variance)

    return describe


def lazy_programs(programs: ProgramFile | None = None) -> ProgramSource:
    """The given program file, or the configured one loaded on first use (then kept)."""
    loaded: list[ProgramFile] = [] if programs is None else [programs]

    def source() -> ProgramFile:
        if not loaded:
            loaded.append(load_program_file())
        return loaded[0]

    return source


def accrue_stay_spec(programs: ProgramSource) -> ActionSpec:
    def run(conn: Connection, args: JSONObject, ctx: ExecContext) -> JSONObject:
        return execute_accrual(conn, args, ctx, programs=programs())

    return ActionSpec(ACCRUE_STAY, "points", Transactional(run), _describe_accrual(programs))


def reverse_stay_accrual_spec() -> ActionSpec:
    return ActionSpec(
        REVERSE_STAY_ACCRUAL, "points", Transactional(execute_reversal), _describe_reversal
    )


def award_stay_bonus_spec(programs: ProgramSource) -> ActionSpec:
    def run(conn: Connection, args: JSONObject, ctx: ExecContext) -> JSONObject:
        return execute_bonus(conn, args, ctx, programs=programs())

    return ActionSpec(AWARD_STAY_BONUS, "points", Transactional(run), _describe_bonus(programs))


def award_booking_bonus_spec(programs: ProgramSource) -> ActionSpec:
    """The bonus a booking-time low-demand offer promised (`tools.loyalty.booking_offers`),
    posted at checkout: judged like the checkout bonus (its variance on the stay's
    tier-adjusted points), under its own key."""

    def run(conn: Connection, args: JSONObject, ctx: ExecContext) -> JSONObject:
        return execute_bonus(conn, args, ctx, programs=programs(), key=booking_bonus_key)

    return ActionSpec(AWARD_BOOKING_BONUS, "points", Transactional(run), _describe_bonus(programs))


# ---------------------------------------------------------------------------- reconcile
def execute_reconcile(
    conn: Connection, args: JSONObject, ctx: ExecContext, *, programs: ProgramFile
) -> JSONObject:
    """Resolve one membership's drift, if the ledger still holds what reconcile saw."""
    a: ReconcileArgs = ReconcileArgs.parse(args)
    program = programs.program(a.program_code)
    t = accounts_table
    row = conn.execute(
        sa.select(t.c.balance, t.c.version).where(t.c.membership_id == a.membership_id)
    ).first()
    balance = None if row is None else int(row.balance)
    version = None if row is None else int(row.version)
    if (balance, version) != (a.ledger_balance, a.ledger_version):
        raise InvalidRequestError(
            f"ledger_version: the ledger of {a.membership_id} changed since reconcile read it "
            f"(balance {balance}, version {version}); run reconcile again"
        )
    if a.resolution == "opening_balance":
        account = open_account(conn, a, program, ctx)
        return {"membership_id": a.membership_id, "resolution": a.resolution,
                "balance": account.balance}  # fmt: skip
    assert balance is not None  # an opened account: checked against ledger_balance above
    assert version is not None
    if a.resolution == "adjust_ledger":
        entry = post_entry(
            conn,
            membership_id=a.membership_id,
            kind="adjustment",
            points=a.mews_points - balance,
            reason=f"reconcile: Mews showed {a.mews_points} points, the ledger {balance}",
            actor=ctx.principal.name,
            source=Source("reconcile", a.membership_id),
            idempotency_key=ctx.idempotency_key,
            program=program,
            now=ctx.now,
            allow_negative=True,
        )
        return {"membership_id": a.membership_id, "resolution": a.resolution,
                "entry_id": entry.id, "balance": entry.balance_after}  # fmt: skip
    # The ledger wins: the dispatcher pushes without folding in what Mews shows.
    payload = {**push_payload(a.membership_id, a.chain_id, balance, version), "Overwrite": True}
    enqueue(
        conn,
        MEWS_PUSH_KIND,
        payload,
        now=ctx.now,
        coalesce_key=points_coalesce_key(a.membership_id),
    )
    return {"membership_id": a.membership_id, "resolution": a.resolution, "balance": balance}


async def _describe_reconcile(args: JSONObject) -> Facts:
    a: ReconcileArgs = ReconcileArgs.parse(args)
    points = 0
    note = f"opening balance of {a.mews_points} points from Mews"
    if a.resolution == "adjust_ledger":
        points = a.mews_points - (a.ledger_balance or 0)
        note = f"ledger adjusted by {points:+d} points to match Mews ({a.mews_points})"
    elif a.resolution == "push_ledger":
        note = f"Mews Points reset to the ledger balance {a.ledger_balance}"
    return Facts(
        points=points,
        membership_id=a.membership_id,
        program_id=a.program_id,
        customer_id=a.customer_id,
        lock_keys=(ledger_lock_key(a.membership_id),),
        note=f"reconcile: {note}",
    )


def reconcile_points_spec(programs: ProgramSource) -> ActionSpec:
    def run(conn: Connection, args: JSONObject, ctx: ExecContext) -> JSONObject:
        return execute_reconcile(conn, args, ctx, programs=programs())

    return ActionSpec(RECONCILE_POINTS, "points", Transactional(run), _describe_reconcile)


def ledger_sync_actions(programs: ProgramFile | None = None) -> tuple[ActionSpec, ...]:
    """`reconcile_points`, `accrue_stay`, `reverse_stay_accrual`, `award_stay_bonus`,
    `award_booking_bonus`, `attach_booking_offer` and the program's rule bonuses
    (`tools.actions.program_bonuses`) for a `Guard`; without `programs`, the configured program
    file is loaded when an executor first needs it."""
    source = lazy_programs(programs)
    return (
        reconcile_points_spec(source),
        accrue_stay_spec(source),
        reverse_stay_accrual_spec(),
        award_stay_bonus_spec(source),
        award_booking_bonus_spec(source),
        attach_booking_offer_spec(),
        *(bonus.spec(source) for bonus in PROGRAM_BONUSES),
    )


LEDGER_SYNC_ACTIONS: Final[tuple[ActionSpec, ...]] = ledger_sync_actions()
"""The ledger-sync writes, ready to register on the server's `Guard` (program file loaded
lazily from `LOYALTY_PROGRAM_FILE` or the shipped default)."""
