"""Offer drafts, campaigns and upsell at their own seam: what each tells the policy, what its
executor stores, and that a denied campaign leaves no segment snapshot behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from policies import Denied, Posted
from tests.actions.conftest import execute
from tools.actions import DRAFT_OFFER, WriteDeps, list_drafts
from tools.actions.campaigns import CREATE_CAMPAIGN, CreateCampaignInput
from tools.actions.errors import InvalidActionArgumentsError
from tools.actions.models import DraftOfferArgs
from tools.actions.upsell import ACCEPT_UPSELL, AcceptUpsellInput, offered
from tools.campaigns.tables import (
    campaign_segments_table,
    campaigns_table,
    recommendation_log_table,
)
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio


def _offer(
    runtime: LoyaltyRuntime,
    customer: str = STORY.emma_novak,
    membership: str | None = STORY.emma_novak_membership,
) -> DraftOfferArgs:
    today = runtime.clock.now().date()
    return DraftOfferArgs.model_validate(
        {
            "customer_id": customer,
            "membership_id": membership,
            "reward_id": "late-checkout",
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=14)).isoformat(),
            "channel": "email",
            "rationale": "spa lover, back in three weeks",
        }
    )


async def test_an_offer_draft_is_described_and_stored_for_staff(
    runtime: LoyaltyRuntime, deps: WriteDeps
) -> None:
    args = _offer(runtime)
    facts = await DRAFT_OFFER.describe(deps, args)
    assert (facts.customer_id, facts.membership_id) == (
        STORY.emma_novak,
        STORY.emma_novak_membership,
    )
    assert facts.note == "drafted an offer (late-checkout, email); nothing was sent"
    draft = await execute(runtime, DRAFT_OFFER, args)
    assert (draft.reward_id, draft.channel, draft.drafted_by) == ("late-checkout", "email", "carol")
    assert list_drafts(deps.store, customer_id=STORY.emma_novak) == [draft]


async def test_an_offer_on_a_channel_without_consent_is_refused_before_the_decision(
    runtime: LoyaltyRuntime, deps: WriteDeps
) -> None:
    with pytest.raises(InvalidActionArgumentsError, match="this member may be offered it by"):
        await DRAFT_OFFER.describe(deps, _offer(runtime, STORY.no_email, None))  # no e-mail


def _priced(runtime: LoyaltyRuntime, price: int | None) -> DraftOfferArgs:
    return DraftOfferArgs.model_validate(
        {
            **_offer(runtime).model_dump(mode="json"),
            "reward_id": "spa-credit",
            "price_points": price,
        }
    )


async def test_a_discounted_offer_is_stored_with_its_price_below_the_catalogue(
    runtime: LoyaltyRuntime, deps: WriteDeps
) -> None:
    facts = await DRAFT_OFFER.describe(deps, _priced(runtime, 540))  # 600 at the 0.9 floor
    assert facts.note == "drafted an offer (spa-credit for 540 points, email); nothing was sent"
    draft = await execute(runtime, DRAFT_OFFER, _priced(runtime, 540))
    assert (draft.reward_id, draft.price_points) == ("spa-credit", 540)
    assert list_drafts(deps.store, customer_id=STORY.emma_novak)[0].price_points == 540


@pytest.mark.parametrize("price", [600, 700, 539])
async def test_a_points_price_must_be_a_discount_inside_the_band(
    runtime: LoyaltyRuntime, deps: WriteDeps, price: int
) -> None:
    with pytest.raises(InvalidActionArgumentsError, match="below the catalogue price") as caught:
        await DRAFT_OFFER.describe(deps, _priced(runtime, price))
    assert caught.value.field == "price_points"
    assert "at least 540" in str(caught.value)


async def test_a_points_price_needs_the_reward_it_prices(runtime: LoyaltyRuntime) -> None:
    fields = {**_offer(runtime).model_dump(mode="json"), "reward_id": None, "bonus_points": 50}
    with pytest.raises(ValueError, match="price_points: a points price needs the reward_id"):
        DraftOfferArgs.model_validate({**fields, "price_points": 40})


def _campaign(**more: object) -> CreateCampaignInput:
    return CreateCampaignInput.model_validate(
        {"name": "Spring back", "goal": "win_back", "segment": "all", "bonus_points": 100, **more}
    )


def _rows(runtime: LoyaltyRuntime, table: sa.Table) -> int:
    with runtime.store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


async def test_a_campaign_is_staged_described_by_its_liability_and_created(
    runtime: LoyaltyRuntime, deps: WriteDeps
) -> None:
    assert CREATE_CAMPAIGN.prepare is not None
    args = await CREATE_CAMPAIGN.prepare(deps, _campaign())
    assert _rows(runtime, campaign_segments_table) == 0  # staged, not saved
    facts = await CREATE_CAMPAIGN.describe(deps, args)
    assert facts.liability is not None
    assert facts.liability > 0
    assert facts.liability % 100 == 0
    assert facts.note is not None
    assert "drafts only, nothing is sent" in facts.note

    summary = await execute(runtime, CREATE_CAMPAIGN, args)
    assert summary.name == "Spring back"
    assert summary.treated * 100 == facts.liability
    assert _rows(runtime, campaign_segments_table) == 1
    assert _rows(runtime, campaigns_table) == 1


async def test_a_denied_campaign_leaves_no_segment_snapshot(
    runtime: LoyaltyRuntime, deps: WriteDeps
) -> None:
    viewer = runtime.guard.principal("vera")  # may read, not write
    outcome = await CREATE_CAMPAIGN.submit(runtime.guard, deps, viewer, _campaign())
    assert isinstance(outcome, Denied)
    assert _rows(runtime, campaign_segments_table) == 0
    assert _rows(runtime, campaigns_table) == 0

    staff = runtime.guard.principal("carol")
    outcome = await CREATE_CAMPAIGN.submit(runtime.guard, deps, staff, _campaign())
    assert isinstance(outcome, Posted)
    assert _rows(runtime, campaign_segments_table) == 1


async def test_suggesting_an_upsell_writes_nothing(
    runtime: LoyaltyRuntime, deps: WriteDeps
) -> None:
    offer = await offered(deps, STORY.emma_novak_upcoming_stay)
    assert offer.membership_id == STORY.emma_novak_membership
    assert offer.items
    assert _rows(runtime, recommendation_log_table) == 0


async def test_an_accepted_upsell_is_a_redemption_recorded_as_converted(
    runtime: LoyaltyRuntime, deps: WriteDeps
) -> None:
    assert ACCEPT_UPSELL.prepare is not None
    args = await ACCEPT_UPSELL.prepare(
        deps,
        AcceptUpsellInput(
            reservation_id=STORY.emma_novak_upcoming_stay,
            item_id=(await _late_checkout(deps)),
            payment="mix",
        ),
    )
    assert (args.item_name, args.payment, args.item_kind) == ("Late checkout", "mix", "experience")
    assert args.cash > 0
    facts = await ACCEPT_UPSELL.describe(deps, args)
    assert (facts.points, facts.membership_id) == (-args.points, STORY.emma_novak_membership)
    accepted = await execute(runtime, ACCEPT_UPSELL, args)
    assert (accepted.points, accepted.cash_due, accepted.balance) == (
        args.points,
        args.cash,
        6240 - args.points,
    )
    with runtime.store.read() as conn:
        logged = conn.execute(sa.select(recommendation_log_table)).all()
    assert [(row.item_id, row.outcome, row.customer_id) for row in logged] == [
        (args.item_id, "converted", STORY.emma_novak)
    ]
    with pytest.raises(InvalidActionArgumentsError, match="was already bought"):
        await execute(runtime, ACCEPT_UPSELL, args, key="key-2")


async def _late_checkout(deps: WriteDeps) -> str:
    offer = await offered(deps, STORY.emma_novak_upcoming_stay)
    return next(i.item_id for i in offer.items if i.name == "Late checkout")
