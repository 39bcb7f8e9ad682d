"""Small builders of facts and ledger calls, so tests state only what matters to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from sqlalchemy.engine import Connection

from storage.outbox import OUTBOX
from storage.store import Store
from tools.loyalty import (
    LEDGER,
    LedgerEntry,
    MemberFacts,
    MembershipFacts,
    ProgramConfig,
    Source,
    default_program_path,
    ensure_account,
    post_entry,
    reverse_entry,
)
from tools.loyalty.config import parse_program_file
from tools.loyalty.facts import Spend, StayFacts
from tools.loyalty.ledger_model import BalanceSummary, DatedPoints, PostableKind

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
AS_OF = datetime(2026, 6, 1, 12, tzinfo=UTC)
"""When the member-facts tests (insights, segments, tiers) evaluate."""
DAY = timedelta(days=1)
MEMBERSHIP = "m-1"
_ids = count(1)


def migrated_store(url: str = "sqlite://") -> Store:
    store = Store(url)
    store.migrate([OUTBOX, LEDGER])
    return store


def shipped_program(*edits: tuple[str, str]) -> ProgramConfig:
    """PC01 of the shipped program file with each (old, new) text edit made (old must be there)."""
    text = default_program_path().read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return parse_program_file(text).program("PC01")


def open_account(
    conn: Connection,
    program: ProgramConfig,
    *,
    membership_id: str = MEMBERSHIP,
    mews_points: int | None = 0,
    now: datetime = T0,
) -> None:
    ensure_account(
        conn,
        membership_id=membership_id,
        chain_id="chain-1",
        program_id=f"program-{program.code}",
        program=program,
        customer_id=f"customer-{membership_id}",
        mews_points=mews_points,
        now=now,
    )


def post(
    conn: Connection,
    program: ProgramConfig,
    points: int,
    *,
    kind: PostableKind | None = None,
    key: str | None = None,
    now: datetime = T0,
    membership_id: str = MEMBERSHIP,
    pending_until: datetime | None = None,
    allow_negative: bool = False,
) -> LedgerEntry:
    chosen: PostableKind = kind or ("accrual" if points > 0 else "redemption")
    source = Source("reward", "spa-credit") if chosen == "redemption" else Source("manual")
    return post_entry(
        conn,
        membership_id=membership_id,
        kind=chosen,
        points=points,
        reason=f"test {chosen}",
        actor="tester",
        source=source,
        idempotency_key=key or f"key-{next(_ids)}",
        program=program,
        now=now,
        pending_until=pending_until,
        allow_negative=allow_negative,
    )


def reverse(conn: Connection, entry_id: int, *, now: datetime = T0, **options: Any) -> LedgerEntry:
    """Reverse one of MEMBERSHIP's entries; `options`: `reverse_entry`'s (a key, consent to go
    negative)."""
    return reverse_entry(
        conn, membership_id=MEMBERSHIP, entry_id=entry_id, reason="c", actor="t", now=now, **options
    )


def stay(
    *,
    departure: datetime,
    nights: int = 2,
    state: str = "Processed",
    spend: Spend | None = None,
    currency: str = "GBP",
    canceled: bool = False,
    customer_id: str = "c-1",
) -> StayFacts:
    arrival = departure - timedelta(days=nights)
    return StayFacts(
        reservation_id=f"r-{next(_ids)}",
        enterprise_id="e-1",
        customer_id=customer_id,
        state=state,
        scheduled_start=arrival,
        scheduled_end=departure,
        actual_start=arrival if state in ("Started", "Processed") else None,
        actual_end=departure if state == "Processed" else None,
        nights=nights,
        spend=spend or Spend(accommodation=Decimal(200)),
        currency=currency,
        canceled=canceled,
    )


def membership(
    *,
    program_code: str = "PC01",
    tier_code: str | None = "B1",
    state: str = "Enrolled",
    balance: BalanceSummary | None = None,
    last_redemption_at: datetime | None = None,
    accruals: tuple[DatedPoints, ...] = (),
    membership_id: str | None = None,
) -> MembershipFacts:
    return MembershipFacts(
        membership_id=membership_id or f"m-{next(_ids)}",
        program_id=f"program-{program_code}",
        program_code=program_code,
        state=state,
        tier_code=tier_code,
        balance=balance,
        last_redemption_at=last_redemption_at,
        accruals=accruals,
    )


def member(
    *stays: StayFacts,
    memberships: tuple[MembershipFacts, ...] | None = None,
    name: str = "Ada Guest",
    customer_id: str | None = None,
) -> MemberFacts:
    return MemberFacts(
        customer_id=customer_id or f"c-{next(_ids)}",
        display_name=name,
        email_present=True,
        memberships=memberships if memberships is not None else (membership(),),
        stays=stays,
    )
