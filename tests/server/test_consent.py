"""Marketing consent on the member tools: the summary shows it, an offer draft respects it."""

from __future__ import annotations

import pytest

from tests.server.clients import Connect, body
from tools.loyalty.consent import ConsentConfig, marketing_consent, split_by_consent
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio

OFFER = {
    "reward_id": "spa-credit",
    "valid_from": "2026-12-01",
    "valid_until": "2026-12-31",
    "rationale": "Long-standing member who always books the spa.",
}


async def test_the_member_summary_shows_consent_per_channel(connect: Connect) -> None:
    async with connect("carol", ("member",)) as client:
        summary = body(
            await client.call_tool("get_member_summary", {"customer_id": STORY.emma_novak})
        )
        found = body(await client.call_tool("find_members", {"query": "Emma Novak"}))
    assert summary["consent"] == {
        "email": True,
        "sms": True,
        "app": True,
        "letter": True,
        "phone": False,
        "in_person": True,
    }
    assert found["candidates"][0]["marketing_channels"] == [
        "email",
        "sms",
        "app",
        "letter",
        "in_person",
    ]


async def test_an_offer_on_a_channel_without_consent_is_refused_and_nothing_is_stored(
    connect: Connect,
) -> None:
    async with connect("carol", ("member",)) as client:
        refused = await client.call_tool(
            "draft_offer", {**OFFER, "customer_id": STORY.emma_novak, "channel": "phone"}
        )
        allowed = body(
            await client.call_tool(
                "draft_offer", {**OFFER, "customer_id": STORY.emma_novak, "channel": "email"}
            )
        )
        listed = body(
            await client.call_tool("list_offer_drafts", {"customer_id": STORY.emma_novak})
        )
    assert refused.is_error
    text = str(body(refused))
    assert "phone marketing is off in the program file" in text
    assert "email, sms, app, letter, in_person" in text
    assert allowed["status"] == "posted"
    assert [o["channel"] for o in listed["offers"]] == ["email"]


def test_consent_needs_the_option_the_program_file_names_and_a_way_to_reach_the_member() -> None:
    config = ConsentConfig(sms="SendMarketingEmails")
    opted_in = marketing_consent(
        ["SendMarketingEmails"], email="a@example.com", phone=None, config=config
    )
    opted_out = marketing_consent([], email="b@example.com", phone="+44 20 0000", config=config)
    assert opted_in.allows("email")
    assert opted_in.reason("sms") == "no phone number on file"
    assert opted_out.reason("email") == (
        "no consent to marketing by e-mail (Mews option SendMarketingEmails not set)"
    )
    assert opted_out.allows("in_person")
    split = split_by_consent([opted_in, opted_out], "email", lambda c: c)
    assert split.allowed == (opted_in,)
    assert split.summary() == (
        "1 left out of email: 1 no consent to marketing by e-mail "
        "(Mews option SendMarketingEmails not set)"
    )
