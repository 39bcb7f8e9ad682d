"""Offer copy: every template renders in every voice, and the guardrail holds copy to the draft."""

from __future__ import annotations

from datetime import date
from itertools import product

import pytest

from agent.offers import (
    CHANNELS,
    BrandVoice,
    OfferCopyRejected,
    OfferDraft,
    check_offer_copy,
    offer_copy,
    settle_offer_copy,
)

REWARDS = ("Spa credit, 30 GBP", "Breakfast for two", "Late checkout until 14:00")
SPA = OfferDraft(
    member_name="Emma Novak",
    points=3000,
    valid_until=date(2027, 1, 31),
    reward_name="Spa credit, 30 GBP",
    draft_id="off_1",
)
BONUS = OfferDraft(
    member_name="Henrik Larsen",
    points=1500,
    valid_from=date(2026, 12, 1),
    valid_until=date(2027, 2, 28),
)
GOOD = (
    "Dear Emma, treat yourself: Spa credit, 30 GBP for 3,000 points, valid until 31 January 2027."
)


@pytest.mark.parametrize(
    ("draft", "channel", "tone"),
    list(product((SPA, BONUS), CHANNELS, ("warm", "formal", "playful"))),
)
def test_every_offer_template_renders_copy_that_passes_the_guardrail(
    draft: OfferDraft, channel: str, tone: str
) -> None:
    voice = BrandVoice(brand="Hotel Aurora", program="Platinum Club", tone=tone)  # type: ignore[arg-type]

    copy = offer_copy(draft, channel, voice)  # type: ignore[arg-type]

    assert "{{" not in copy
    assert "{%" not in copy
    assert f"{draft.points:,}" in copy
    assert check_offer_copy(copy, draft, known_rewards=REWARDS) == []


def test_the_sms_stays_short() -> None:
    assert len(offer_copy(SPA, "sms", BrandVoice(brand="Hotel Aurora"))) <= 160


def test_the_email_speaks_in_the_brand_voice() -> None:
    formal = offer_copy(SPA, "email", BrandVoice(brand="Hotel Aurora", tone="formal"))
    playful = offer_copy(SPA, "email", BrandVoice(brand="Hotel Aurora", tone="playful"))

    assert "Dear Emma Novak," in formal
    assert "Yours sincerely" in formal
    assert "Hi Emma!" in playful


def test_copy_matching_the_draft_passes() -> None:
    assert check_offer_copy(GOOD, SPA, known_rewards=REWARDS) == []


def test_a_wrong_number_is_caught() -> None:
    problems = check_offer_copy(GOOD.replace("3,000", "2,500"), SPA, known_rewards=REWARDS)

    assert [(p.kind, p.found) for p in problems] == [("number", "2,500"), ("missing", "3,000")]


def test_a_number_written_without_grouping_still_matches() -> None:
    assert check_offer_copy(GOOD.replace("3,000", "3000"), SPA) == []


def test_a_wrong_date_is_caught_in_any_common_format() -> None:
    for wrong in ("31 March 2027", "2027-01-30", "March 31, 2027", "30/01/2027"):
        problems = check_offer_copy(GOOD.replace("31 January 2027", wrong), SPA)

        assert ("date", wrong) in [(p.kind, p.found) for p in problems], wrong


def test_a_date_without_a_year_matches_on_day_and_month() -> None:
    assert check_offer_copy(GOOD.replace("31 January 2027", "31 January"), SPA) == []


def test_another_reward_named_in_the_copy_is_caught() -> None:
    copy = GOOD + " Breakfast for two is included."

    problems = check_offer_copy(copy, SPA, known_rewards=REWARDS)

    assert [(p.kind, p.found) for p in problems] == [("reward", "Breakfast for two")]


def test_a_missing_reward_name_is_caught() -> None:
    copy = GOOD.replace("Spa credit, 30 GBP", "a spa treat")

    problems = check_offer_copy(copy, SPA, known_rewards=REWARDS)

    assert [(p.kind, p.found) for p in problems] == [("missing", "Spa credit, 30 GBP")]


def test_greeting_someone_else_is_caught() -> None:
    problems = check_offer_copy(GOOD.replace("Dear Emma", "Dear Olivia"), SPA)

    assert [(p.kind, p.found) for p in problems] == [("member", "Olivia")]


def test_numbers_inside_the_reward_name_are_not_mistaken_for_points() -> None:
    draft = SPA.model_copy(update={"reward_name": "Late checkout until 14:00", "points": 1500})
    copy = "Hi Emma, Late checkout until 14:00 for 1,500 points until 31 January 2027."

    assert check_offer_copy(copy, draft, known_rewards=REWARDS) == []


def test_a_draft_can_be_read_from_a_tool_result() -> None:
    result = {
        "id": "off_9",
        "customer_name": "Emma Novak",
        "reward": {"name": "Spa credit, 30 GBP"},
        "points": 3000,
        "valid_until": "2027-01-31",
        "channel": "email",
    }

    assert check_offer_copy(GOOD, result) == []
    with pytest.raises(ValueError, match="missing or invalid: member_name"):
        OfferDraft.from_mapping({"points": 1, "valid_until": "2027-01-31"})


def test_settling_keeps_proposed_copy_that_matches() -> None:
    settled = settle_offer_copy(SPA, "email", proposed=GOOD, known_rewards=REWARDS)

    assert (settled.text, settled.redrafted, settled.problems) == (GOOD, False, ())


def test_settling_redrafts_proposed_copy_that_does_not_match() -> None:
    wrong = GOOD.replace("3,000", "300")

    settled = settle_offer_copy(SPA, "sms", BrandVoice(brand="Hotel Aurora"), proposed=wrong)

    assert settled.redrafted
    assert settled.text == offer_copy(SPA, "sms", BrandVoice(brand="Hotel Aurora"))
    assert [p.kind for p in settled.problems] == ["number", "missing"]


def test_copy_that_cannot_be_made_to_match_is_rejected() -> None:
    draft = SPA.model_copy(update={"reward_name": "New Year brunch on 1 January 2027"})

    with pytest.raises(OfferCopyRejected, match="the date '1 January 2027' is not in the draft"):
        settle_offer_copy(draft, "app")


def test_a_brand_voice_with_numbers_or_an_unknown_tone_is_refused() -> None:
    with pytest.raises(ValueError, match="must not contain digits"):
        BrandVoice(brand="Hotel 21")
    with pytest.raises(ValueError, match="tone"):
        BrandVoice(tone="shouty")  # type: ignore[arg-type]


def test_an_unknown_channel_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown channel 'fax'"):
        offer_copy(SPA, "fax")  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_a_stored_draft_is_completed_through_the_tools() -> None:
    from agent.mcp_tools import ToolOutcome
    from agent.offers import draft_from_tools

    answers = {
        "get_member_summary": {"display_name": "Emma Novak"},
        "quote_points": {"redemption": {"reward_name": "Spa credit, 30 GBP", "price_points": 2738}},
    }
    asked: list[tuple[str, dict[str, object]]] = []

    async def call(name: str, arguments: dict[str, object]) -> ToolOutcome:
        asked.append((name, arguments))
        return ToolOutcome(content="{}", status="ok", structured=answers[name])

    stored = {
        "offer_id": "ofr_1",
        "customer_id": "c-1",
        "reward_id": "spa-credit",
        "bonus_points": None,
        "valid_from": "2027-01-01",
        "valid_until": "2027-01-31",
        "channel": "letter",
    }

    draft = await draft_from_tools(call, stored)

    assert draft == OfferDraft(
        member_name="Emma Novak",
        points=2738,
        reward_name="Spa credit, 30 GBP",
        valid_from=date(2027, 1, 1),
        valid_until=date(2027, 1, 31),
        draft_id="ofr_1",
    )
    assert asked[1] == (
        "quote_points",
        {"kind": "redemption", "reward_id": "spa-credit", "on": "2027-01-01"},
    )


@pytest.mark.anyio
async def test_a_tool_failure_while_completing_a_draft_is_named() -> None:
    from agent.mcp_tools import ToolOutcome
    from agent.offers import OfferFactsError, draft_from_tools

    async def call(name: str, arguments: dict[str, object]) -> ToolOutcome:
        return ToolOutcome.failure("tool_error", "no customer 'c-9' in Mews")

    with pytest.raises(OfferFactsError, match="get_member_summary failed: no customer 'c-9'"):
        await draft_from_tools(call, {"customer_id": "c-9", "valid_from": "2027-01-01"})


@pytest.mark.parametrize(
    ("channel", "template"),
    [("email", "email"), ("sms", "sms"), ("app", "app"), ("letter", "email"), ("phone", "email")],
)
def test_each_draft_channel_has_a_template(channel: str, template: str) -> None:
    from agent.offers import template_channel

    assert template_channel(channel) == template
