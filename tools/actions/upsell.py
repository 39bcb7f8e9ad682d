"""`accept_upsell`: an upsell paid (partly) in points is a redemption (kind `points`).

The tool prices the item server-side (`tools.server.campaigns.suggest_upsell`) and submits the
exact points and cash; the policy sees the points as a movement (the approval threshold on
points applies: a large mix goes to a manager). The executor posts the ledger redemption
(source: the reservation), queues a Mews task telling the property to add the item and charge
the cash part, and settles the suggestion in the recommendation log.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.engine import Connection

from policies import ActionSpec, ExecContext, Facts, Transactional
from storage.canonical import JSONObject
from storage.outbox import enqueue
from tools.actions.directory import MembershipDirectory
from tools.actions.errors import InvalidActionArgumentsError
from tools.campaigns.tables import recommendation_log_table
from tools.loyalty import Source, balance, ensure_account, get_account, ledger_lock_key, post_entry

__all__ = ["AcceptUpsellArgs", "UpsellAccepted", "upsell_actions"]

MewsId = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F-]{36}$")]


class AcceptUpsellArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    membership_id: MewsId
    reservation_id: MewsId
    item_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    item_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    payment: Literal["points", "mix"]
    points: Annotated[int, Field(gt=0, le=10_000_000)]
    cash: Annotated[Decimal, Field(ge=0, decimal_places=2)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class UpsellAccepted(BaseModel):
    membership_id: str
    reservation_id: str
    item_id: str
    item_name: str
    entry_id: int
    points: int
    cash_due: Decimal
    currency: str
    balance: int
    available: int
    property_task: str


def _refuse_a_second_purchase(conn: Connection, parsed: AcceptUpsellArgs) -> None:
    """One item once per reservation, whatever idempotency keys the callers send (checked
    under the member's ledger lock, so two concurrent purchases cannot both pass)."""
    log = recommendation_log_table
    converted = conn.execute(
        sa.select(log.c.id).where(
            log.c.source == "upsell",
            log.c.source_id == parsed.reservation_id,
            log.c.item_id == parsed.item_id,
            log.c.outcome == "converted",
        )
    ).first()
    if converted is not None:
        raise InvalidActionArgumentsError(
            "item_id",
            f"{parsed.item_name} was already bought for reservation {parsed.reservation_id}",
        )


def upsell_actions(directory: MembershipDirectory) -> tuple[ActionSpec, ...]:
    async def describe(args: JSONObject) -> Facts:
        parsed = AcceptUpsellArgs.model_validate(args)
        ref = await directory.lookup(parsed.membership_id)
        directory.program_of(ref)  # points move only in configured programs
        return Facts(
            points=-parsed.points,
            membership_id=ref.membership_id,
            program_id=ref.program_id,
            customer_id=ref.customer_id,
            lock_keys=(ledger_lock_key(ref.membership_id),),
            note=(
                f"upsell {parsed.item_name} for {parsed.points} points"
                + (f" plus {parsed.cash} {parsed.currency}" if parsed.cash else "")
            ),
        )

    def accept(conn: Connection, args: JSONObject, ctx: ExecContext) -> UpsellAccepted:
        parsed = AcceptUpsellArgs.model_validate(args)
        ref = directory.remembered(parsed.membership_id)
        program = directory.program_of(ref)
        if get_account(conn, ref.membership_id) is None:
            ensure_account(
                conn,
                membership_id=ref.membership_id,
                chain_id=ref.chain_id,
                program_id=ref.program_id,
                program=program,
                customer_id=ref.customer_id,
                mews_points=ref.mews_points,
                now=ctx.now,
                actor=ctx.principal.name,
            )
        _refuse_a_second_purchase(conn, parsed)
        available = balance(conn, ref.membership_id, now=ctx.now).available
        if available < parsed.points:
            raise InvalidActionArgumentsError(
                "points", f"{parsed.points} points are more than the {available} available"
            )
        actor = ctx.principal.name + (
            f" (approved by {ctx.approved_by})" if ctx.approved_by else ""
        )
        entry = post_entry(
            conn,
            membership_id=ref.membership_id,
            kind="redemption",
            points=-parsed.points,
            reason=f"upsell {parsed.item_name} on reservation {parsed.reservation_id}"[:200],
            actor=actor,
            source=Source("reservation", parsed.reservation_id),
            idempotency_key=ctx.idempotency_key,
            program=program,
            now=ctx.now,
        )
        task = (
            f"Loyalty upsell to add to reservation {parsed.reservation_id}: {parsed.item_name}. "
            f"Paid with {parsed.points} points (ledger entry {entry.id}); charge "
            f"{parsed.cash} {parsed.currency} to the guest."
        )
        enqueue(
            conn,
            "tasks/add",
            {
                "Name": f"Loyalty upsell: {parsed.item_name}"[:100],
                "DeadlineUtc": (ctx.now + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "Description": task,
            },
            now=ctx.now,
        )
        log = recommendation_log_table
        conn.execute(
            log.update()
            .where(
                log.c.source == "upsell",
                log.c.source_id == parsed.reservation_id,
                log.c.item_id == parsed.item_id,
            )
            .values(outcome="converted", outcome_at=ctx.now.replace(tzinfo=None))
        )
        after = balance(conn, ref.membership_id, now=ctx.now)
        return UpsellAccepted(
            membership_id=ref.membership_id,
            reservation_id=parsed.reservation_id,
            item_id=parsed.item_id,
            item_name=parsed.item_name,
            entry_id=entry.id,
            points=parsed.points,
            cash_due=parsed.cash,
            currency=parsed.currency,
            balance=after.total,
            available=after.available,
            property_task=task,
        )

    return (ActionSpec("accept_upsell", "points", Transactional(accept), describe),)
