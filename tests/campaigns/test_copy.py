from __future__ import annotations

from datetime import date

from tools.campaigns.copy import draft_copy
from tools.loyalty.offer_copy import OfferDraft, check_offer_copy

WINDOW = {"valid_from": date(2026, 3, 16), "valid_until": date(2026, 4, 14)}


def test_every_channel_drafts_copy_that_passes_the_offer_guardrail() -> None:
    for channel in ("email", "sms", "app"):
        drafted = draft_copy(
            member_name="Emma Novak",
            points=3000,
            reward_name="Spa credit, 30 GBP",
            channel=channel,
            brand="Platinum Club",
            **WINDOW,
        )
        assert drafted.problems is None
        assert drafted.text is not None
        assert "3,000" in drafted.text
        assert "14 April 2026" in drafted.text
        draft = OfferDraft(
            member_name="Emma Novak", points=3000, reward_name="Spa credit, 30 GBP", **WINDOW
        )
        assert check_offer_copy(drafted.text, draft) == []


def test_copy_that_would_disagree_with_its_data_is_rejected_not_kept() -> None:
    # A brand with a number in it prints a number the offer does not hold.
    drafted = draft_copy(
        member_name="Emma Novak",
        points=500,
        reward_name=None,
        channel="sms",
        brand="Hotel 1898",
        **WINDOW,
    )
    assert drafted.text is None
    assert drafted.problems is not None
    assert "1898" in drafted.problems


def test_the_agent_module_re_exports_the_same_guardrail() -> None:
    from agent import offers

    assert offers.check_offer_copy is check_offer_copy
    assert offers.OfferDraft is OfferDraft
