"""A write told as a person reads it, for a proposal that is queued nowhere yet."""

from __future__ import annotations

import pytest

from tools.actions.approval_views import describe_request
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio


async def test_a_proposed_award_reads_like_the_inbox_sentence(runtime: LoyaltyRuntime) -> None:
    args = {"membership_id": STORY.emma_novak_membership, "points": 2500, "reason": "The spa."}
    sentence = await describe_request(runtime, "award_points", args)
    assert sentence == "Award 2,500 points to Emma Novak (Silver, PC-1000001) for the spa"


async def test_an_unknown_member_or_action_still_reads_or_leaves_the_words_to_the_caller(
    runtime: LoyaltyRuntime,
) -> None:
    stranger = {"membership_id": "00000000-0000-0000-0000-000000000001", "points": 10}
    assert await describe_request(runtime, "award_points", stranger) == (
        "Award 10 points to an unknown member"
    )
    assert await describe_request(runtime, "find_members", {"query": "Emma"}) == ""
