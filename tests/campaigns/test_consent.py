"""A campaign drafts only for members whose Mews customer options allow the channel, and says
how many it left out and why."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.campaigns.conftest import create_welcome_drink
from tests.server.clients import Connect
from tools.runtime import LoyaltyRuntime

pytestmark = pytest.mark.anyio


async def test_a_campaign_over_all_drafts_nothing_without_consent_and_counts_who_was_left_out(
    connect: Connect, runtime: LoyaltyRuntime
) -> None:
    async with connect("carol") as client:
        created = await create_welcome_drink(client, "Welcome drink, consent check")
    assert created["status"] == "posted", created
    campaign = created["result"]
    with runtime.store.read() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT customer_id, channel, status FROM campaign_drafts WHERE campaign_id = :c"
            ),
            {"c": campaign["campaign_id"]},
        ).all()
    drafted = {
        channel: {r.customer_id for r in rows if r.channel == channel and r.status != "withheld"}
        for channel in ("email", "sms")
    }
    facts = await runtime.loader.members(sorted({r.customer_id for r in rows}), with_stays=False)
    for channel in ("email", "sms"):
        assert drafted[channel] == {c for c, m in facts.items() if m.consent.allows(channel)}
    assert 0 < len(drafted["email"]) < campaign["treated"]
    left = {(x["channel"], x["reason"]): x["members"] for x in campaign["left_out"]}
    email_reasons = {reason: n for (channel, reason), n in left.items() if channel == "email"}
    assert sum(email_reasons.values()) == campaign["treated"] - len(drafted["email"])
    assert "no consent to marketing by e-mail (Mews option SendMarketingEmails not set)" in (
        email_reasons
    )
    assert all(d["status"] != "withheld" for d in campaign["drafts"])


async def test_no_sms_is_drafted_once_the_program_file_turns_sms_off(
    connect: Connect, runtime: LoyaltyRuntime
) -> None:
    runtime.programs = runtime.programs.model_copy(
        update={"consent": runtime.programs.consent.model_copy(update={"sms": "none"})}
    )
    runtime.loader.programs = runtime.programs
    async with connect("carol") as client:
        created = await create_welcome_drink(client, "Welcome drink by text", channels=("sms",))
    campaign = created["result"]
    assert campaign["drafts"] == []
    assert campaign["left_out"] == [
        {
            "channel": "sms",
            "reason": "SMS marketing is off in the program file ([consent] sms)",
            "members": campaign["treated"],
        }
    ]
