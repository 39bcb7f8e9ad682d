"""Offer drafts: a structured proposal for staff to review and send; drafting sends nothing.

`draft_offer` is a guarded write (kind `offer`) whose executor stores one row in the same
transaction as its decision and audit record. A channel the member has not agreed to marketing
on (Mews customer `Options`, the program file's `[consent]`) is refused before the decision.
`list_drafts` reads them back, newest first.
"""

from __future__ import annotations

import math

from sqlalchemy.engine import Connection

from policies import ExecContext, Facts
from storage.store import Store
from tools.actions.drafts import DraftTable
from tools.actions.errors import InvalidActionArgumentsError
from tools.actions.models import DraftInput, DraftOfferArgs, OfferDraft
from tools.actions.tables import offers_table
from tools.actions.write import GuardedWrite, InTransaction, WriteDeps
from tools.loyalty import ProgramFile
from tools.loyalty.config import ProgramConfig, RewardConfig

__all__ = ["DRAFT_OFFER", "discount_floor", "list_drafts"]

_DRAFTS = DraftTable(offers_table, OfferDraft, "offer_id", "ofr")


def list_drafts(
    store: Store, *, customer_id: str | None = None, limit: int = 50
) -> list[OfferDraft]:
    criteria = [] if customer_id is None else [offers_table.c.customer_id == customer_id]
    return _DRAFTS.listed(store, *criteria, limit=limit)


def _known_reward(programs: ProgramFile, reward_id: str) -> bool:
    return any(reward_id in program.rewards for program in programs.programs.values())


def discount_floor(program: ProgramConfig, reward: RewardConfig) -> int:
    """The lowest points price an offer may give a reward: its catalogue price at the band's
    `redemption_floor`, rounded up (a redemption at it passes `redeem_reward`'s band check)."""
    return math.ceil(reward.base_points * program.dynamic_pricing.redemption_floor)


def _check_discount(program: ProgramConfig, args: DraftOfferArgs) -> None:
    """A points price in an offer is a discount: below the reward's catalogue price, and no
    lower than the program's redemption floor (the dynamic band), so the redemption it
    promises is one the member can make."""
    assert args.reward_id is not None
    assert args.price_points is not None
    reward = program.reward(args.reward_id)
    floor = discount_floor(program, reward)
    if not floor <= args.price_points < reward.base_points:
        raise InvalidActionArgumentsError(
            "price_points",
            f"must be below the catalogue price of {reward.name} ({reward.base_points} points) "
            f"and at least {floor} (redemption_floor {program.dynamic_pricing.redemption_floor})",
        )


async def describe_draft(deps: WriteDeps, args: DraftOfferArgs) -> Facts:
    if args.reward_id is not None and not _known_reward(deps.programs, args.reward_id):
        raise InvalidActionArgumentsError(
            "reward_id", f"{args.reward_id!r} is not in the rewards catalogue (list_rewards)"
        )
    if args.price_points is not None and args.membership_id is None:
        raise InvalidActionArgumentsError(
            "membership_id", "a discounted price is for one membership: name it"
        )
    if args.membership_id is not None:
        ref = await deps.directory.lookup(args.membership_id)
        if ref.customer_id != args.customer_id:
            raise InvalidActionArgumentsError(
                "membership_id", "belongs to another customer than customer_id"
            )
        if args.price_points is not None:
            program = deps.directory.program_of(ref)
            if args.reward_id not in program.rewards:
                raise InvalidActionArgumentsError(
                    "reward_id", f"{args.reward_id!r} is not a reward of {program.name}"
                )
            _check_discount(program, args)
    consent = await deps.directory.consent(args.customer_id)
    if consent is None:
        raise InvalidActionArgumentsError("customer_id", f"no customer {args.customer_id} in Mews")
    refusal = consent.reason(args.channel)
    if refusal is not None:
        allowed = ", ".join(consent.channels())
        raise InvalidActionArgumentsError(
            "channel", f"{refusal}; this member may be offered it by: {allowed}"
        )
    what = args.reward_id or f"{args.bonus_points} bonus points"
    if args.price_points is not None:
        what += f" for {args.price_points} points"
    return Facts(
        customer_id=args.customer_id,
        membership_id=args.membership_id,
        note=f"drafted an offer ({what}, {args.channel}); nothing was sent",
    )


def draft(_deps: WriteDeps, conn: Connection, args: DraftOfferArgs, ctx: ExecContext) -> OfferDraft:
    return _DRAFTS.store(conn, args.model_dump(), ctx)  # the arguments are the table's columns


DRAFT_OFFER = GuardedWrite(
    name="draft_offer",
    title="Draft offer",
    description="Store an offer draft for staff to review. Sends nothing.",
    kind="offer",
    input=DraftInput,
    args=DraftOfferArgs,
    result=OfferDraft,
    describe=describe_draft,
    execute=InTransaction(draft),
)
