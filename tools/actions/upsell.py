"""`accept_upsell`: an upsell paid (partly) in points is a redemption (kind `points`).

`prepare` prices the item server-side (`tools.campaigns.suggestions`, as `suggest_upsell` shows
it) and submits the exact points and cash; the policy sees the points as a movement (the
approval threshold on points applies: a large mix goes to a manager). The executor posts the
ledger redemption (source: the reservation), queues the item on the stay in Mews (`orders/add`
at the cash part, zero when paid in points only; `tools.actions.fulfilment`) and a task linked
to the reservation naming the guest, and records the conversion in the recommendation log.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.engine import Connection

from policies import ExecContext, Facts
from storage.clock import naive_utc
from tools.actions.accounts import open_account
from tools.actions.directory import MembershipRef
from tools.actions.errors import InvalidActionArgumentsError
from tools.actions.fulfilment import Stay, StayProduct, queue_order
from tools.actions.models import IdempotencyKey, MewsId
from tools.actions.notices import queue_task
from tools.actions.write import GuardedWrite, InTransaction, WriteDeps
from tools.campaigns.suggestions import UpsellSuggestions, suggest_upsell
from tools.campaigns.tables import recommendation_log_table
from tools.loyalty import Source, balance, get_account, ledger_lock_key, post_entry
from tools.loyalty.display import money
from tools.loyalty.errors import RefusedRequestError

__all__ = ["ACCEPT_UPSELL", "AcceptUpsellArgs", "AcceptUpsellInput", "UpsellAccepted", "offered"]

ItemId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AcceptUpsellInput(_Args):
    reservation_id: MewsId
    item_id: ItemId
    payment: Literal["points", "mix"] = Field(description="all points, or the points-plus-cash mix")
    idempotency_key: IdempotencyKey = None


class AcceptUpsellArgs(_Args):
    membership_id: MewsId
    reservation_id: MewsId
    item_id: ItemId
    item_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    item_kind: Literal["upgrade", "experience"] | None = None  # None: requested before it was kept
    payment: Literal["points", "mix"]
    points: Annotated[int, Field(gt=0, le=10_000_000)]
    cash: Annotated[Decimal, Field(ge=0, decimal_places=2)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


_PURCHASE = {"membership_id", "reservation_id", "item_id", "item_name", "points", "currency"}
"""What an accepted upsell answers as its arguments name it (the member is the one `prepare`
read from the stay)."""


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


# ---------------------------------------------------------------------------- before the guard
async def offered(deps: WriteDeps, reservation_id: str) -> UpsellSuggestions:
    """What `suggest_upsell` offers the stay's guest now."""
    return await suggest_upsell(
        reservation_id,
        loader=deps.loader,
        mews=deps.mews,
        programs=deps.programs,
        store=deps.store,
        now=deps.clock.now(),
    )


async def price_upsell_item(deps: WriteDeps, given: AcceptUpsellInput) -> AcceptUpsellArgs:
    """The item as `suggest_upsell` offers it now, at the points (or mix) the caller chose."""
    offer = await offered(deps, given.reservation_id)
    item = next((i for i in offer.items if i.item_id == given.item_id), None)
    if item is None:
        raise RefusedRequestError(
            f"item_id: {given.item_id!r} is not offered for this stay (suggest_upsell)",
            field="item_id",
        )
    if given.payment == "mix":
        if item.mix_points is None or item.mix_cash is None:
            raise RefusedRequestError(
                f"payment: no points-plus-cash mix for {item.name} (the member has "
                f"{offer.available_points} points available)",
                field="payment",
            )
        points, cash = item.mix_points, item.mix_cash
    else:
        if not item.affordable_in_points:
            raise RefusedRequestError(
                f"payment: {item.name} costs {item.points} points; "
                f"{offer.available_points} are available (try the mix)",
                field="payment",
            )
        points, cash = item.points, Decimal("0.00")
    return AcceptUpsellArgs(
        membership_id=offer.membership_id,
        reservation_id=offer.reservation_id,
        item_id=item.item_id,
        item_name=item.name,
        item_kind=item.kind,
        payment=given.payment,
        points=points,
        cash=cash,
        currency=offer.currency,
    )


# ---------------------------------------------------------------------------- the write
async def describe_accept(deps: WriteDeps, args: AcceptUpsellArgs) -> Facts:
    ref = await deps.directory.lookup(args.membership_id)
    deps.directory.program_of(ref)  # points move only in configured programs
    stay = await deps.stays.read(args.reservation_id, customer_id=ref.customer_id)  # cached
    return Facts(
        points=-args.points,
        membership_id=ref.membership_id,
        program_id=ref.program_id,
        customer_id=ref.customer_id,
        enterprise_id=stay.enterprise_id or None,
        lock_keys=(ledger_lock_key(ref.membership_id),),
        note=(
            f"upsell {args.item_name} for {args.points} points"
            + (f" plus {money(args.cash, args.currency)}" if args.cash else "")
        ),
    )


def _refuse_a_second_purchase(conn: Connection, args: AcceptUpsellArgs) -> None:
    """One item once per reservation, whatever idempotency keys the callers send (checked
    under the member's ledger lock, so two concurrent purchases cannot both pass)."""
    log = recommendation_log_table
    converted = conn.execute(
        sa.select(log.c.id).where(
            log.c.source == "upsell",
            log.c.source_id == args.reservation_id,
            log.c.item_id == args.item_id,
            log.c.outcome == "converted",
        )
    ).first()
    if converted is not None:
        raise InvalidActionArgumentsError(
            "item_id",
            f"{args.item_name} was already bought for reservation {args.reservation_id}",
        )


def _record_conversion(
    conn: Connection, ref: MembershipRef, args: AcceptUpsellArgs, ctx: ExecContext
) -> None:
    """The accepted item in the recommendation log (a row logged when it was suggested, by
    earlier versions, is settled instead)."""
    log = recommendation_log_table
    at = naive_utc(ctx.now)
    settled = conn.execute(
        log.update()
        .where(
            log.c.source == "upsell",
            log.c.source_id == args.reservation_id,
            log.c.item_id == args.item_id,
        )
        .values(outcome="converted", outcome_at=at)
    )
    if settled.rowcount:
        return
    conn.execute(
        log.insert().values(
            source="upsell",
            source_id=args.reservation_id,
            customer_id=ref.customer_id,
            membership_id=ref.membership_id,
            item_kind=args.item_kind or "upsell",
            item_id=args.item_id,
            context="upsell",
            recommended_at=at,
            outcome="converted",
            outcome_at=at,
        )
    )


def _product(stay: Stay, args: AcceptUpsellArgs) -> StayProduct | None:
    """The Mews product the item is: the product itself, or for a room upgrade (the item is
    a room category) the hotel's upgrade product."""
    found = stay.product(id=args.item_id)
    if found is None and args.item_kind == "upgrade":
        found = next((p for p in stay.products if "upgrade" in p.name.casefold()), None)
    return found


def _fulfil(
    deps: WriteDeps, conn: Connection, args: AcceptUpsellArgs, entry_id: int, ctx: ExecContext
) -> str:
    """Queue the item on the stay (at the cash part) and the hotel's task; the task's text."""
    stay = deps.stays.remembered(args.reservation_id)
    if stay is None:  # `describe` reads it just before; only a bug can get here
        raise InvalidActionArgumentsError("reservation_id", "the stay was not read before")
    paid = f"{args.points} points, ledger entry {entry_id}"
    order = queue_order(
        conn,
        stay,
        entry_id=entry_id,
        name=args.item_name,
        cash=args.cash,
        currency=args.currency,
        product=_product(stay, args),
        notes=f"Loyalty upsell paid with {paid}",
        now=ctx.now,
    )
    cash = money(args.cash, args.currency)
    if order is not None:
        billing = f"It is on the stay's bill at {cash}" + (
            " (the cash part)." if args.cash else " (paid in points)."
        )
    else:
        billing = f"Add it to the stay and charge {cash} to the guest."
    task = f"Loyalty upsell for {stay.label()}: {args.item_name}, paid with {paid}. {billing}"
    queue_task(
        conn,
        name=f"Loyalty upsell: {args.item_name} for {stay.guest}",
        description=task,
        deadline=ctx.now + timedelta(hours=4),
        now=ctx.now,
        service_order_id=stay.reservation_id,
        enterprise_id=stay.enterprise_id,
    )
    return task


def accept(
    deps: WriteDeps, conn: Connection, args: AcceptUpsellArgs, ctx: ExecContext
) -> UpsellAccepted:
    ref = deps.directory.remembered(args.membership_id)
    program = deps.directory.program_of(ref)
    if get_account(conn, ref.membership_id) is None:
        open_account(conn, ref, program, ctx)
    _refuse_a_second_purchase(conn, args)
    available = balance(conn, ref.membership_id, now=ctx.now).available
    if available < args.points:
        raise InvalidActionArgumentsError(
            "points", f"{args.points} points are more than the {available} available"
        )
    entry = post_entry(
        conn,
        membership_id=ref.membership_id,
        kind="redemption",
        points=-args.points,
        reason=f"upsell {args.item_name} on reservation {args.reservation_id}"[:200],
        actor=ctx.actor,
        source=Source("reservation", args.reservation_id),
        idempotency_key=ctx.idempotency_key,
        program=program,
        now=ctx.now,
    )
    task = _fulfil(deps, conn, args, entry.id, ctx)
    _record_conversion(conn, ref, args, ctx)
    after = balance(conn, ref.membership_id, now=ctx.now)
    return UpsellAccepted(
        **args.model_dump(include=_PURCHASE),
        entry_id=entry.id,
        cash_due=args.cash,
        balance=after.total,
        available=after.available,
        property_task=task,
    )


ACCEPT_UPSELL = GuardedWrite(
    name="accept_upsell",
    title="Accept upsell",
    description="Redeem points (or points+cash) for a suggested upsell; the property charges "
    "the cash.",
    kind="points",
    input=AcceptUpsellInput,
    args=AcceptUpsellArgs,
    result=UpsellAccepted,
    prepare=price_upsell_item,
    describe=describe_accept,
    execute=InTransaction(accept),
    open_world=True,  # idempotent: one acceptance per reservation and item
)
