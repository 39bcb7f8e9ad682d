"""The member card's action forms: the same guarded tools as the assistant, no model needed."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from policies.approvals import list_approvals
from tests.web.conftest import SignIn, csrf_of
from tests.web.holds import runtime_of, sandbox_day
from tools.sandbox import STORY

EMMA = STORY.emma_novak
MEMBERSHIP = STORY.emma_novak_membership


def _act(client: TestClient, action: str, **fields: str) -> str:
    """Post one form of Emma's card; the card as shown afterwards, as text."""
    token = csrf_of(client.get(f"/members/{EMMA}").text)
    response = client.post(
        f"/members/{EMMA}/{action}",
        data={"csrf": token, "membership_id": MEMBERSHIP, **fields},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/members/{EMMA}#actions"
    page = client.get(f"/members/{EMMA}").text
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_a_small_award_from_the_card_is_posted_and_the_balance_moves(signed_in: SignIn) -> None:
    text = _act(signed_in("carol"), "award", points="500", reason="Birthday")
    assert "Award points: posted. Balance now 6,740 points." in text
    assert "6,740 points" in text


def test_a_large_award_from_the_card_waits_for_a_manager_naming_the_rule(
    signed_in: SignIn,
) -> None:
    client = signed_in("carol")
    text = _act(client, "award", points="3,000", reason="The spa closure")
    assert "Award points: waits for a manager — 3,000 points are above the approval" in text
    assert "(rule approvals.points_above, request apr_" in text
    assert "Nothing is posted until it is approved." in text
    (pending,) = list_approvals(runtime_of(client).store)
    assert pending.requester == "carol"
    assert pending.args == {
        "membership_id": MEMBERSHIP,
        "points": 3000,
        "reason": "The spa closure",
        "goodwill": False,
    }


def test_an_award_beyond_the_cap_is_denied_with_the_reason(signed_in: SignIn) -> None:
    text = _act(signed_in("carol"), "adjust", points="-9000000", reason="Mistake")
    assert "Adjust points: not sent — Points (+ or −): at most 1,000,000 points." in text
    text = _act(signed_in("carol"), "award", points="9000", reason="Mistake")
    assert re.search(r"Award points: denied — .*\(rule caps\.", text), text


def test_bad_input_names_the_field_and_what_was_expected(signed_in: SignIn) -> None:
    client = signed_in("carol")
    assert "Award points: not sent — Points: a whole number of points, not “lots”." in _act(
        client, "award", points="lots", reason="x"
    )
    assert "Award points: not sent — Reason: please fill it in." in _act(
        client, "award", points="10", reason=" "
    )
    assert "Redeem a reward: not sent — Reward: choose one of the rewards listed." in _act(
        client, "redeem", reward="<script>", on="2026-12-24"
    )
    assert "Draft an offer: not sent — Valid from: a date like 2026-12-24, not “soon”." in _act(
        client,
        "offer",
        valid_from="soon",
        valid_until="2026-12-24",
        channel="email",
        rationale="x",
        bonus_points="100",
    )
    assert list_approvals(runtime_of(client).store) == []


def test_redeeming_a_listed_reward_posts_it(signed_in: SignIn) -> None:
    client = signed_in("carol")
    page = client.get(f"/members/{EMMA}").text
    option = re.search(r'<option value="([^"]+)">Welcome drink at the bar · 166 points', page)
    assert option, "the redeem form lists the recommended rewards with today's price"
    text = _act(client, "redeem", reward=option.group(1), on="2026-12-28")
    assert "Redeem a reward: posted." in text


def test_drafting_an_offer_from_the_card_lists_it_on_the_card(signed_in: SignIn) -> None:
    text = _act(
        signed_in("carol"),
        "offer",
        bonus_points="500",
        valid_from="2026-12-04",
        valid_until="2027-01-03",
        channel="email",
        rationale="Thanks for eight stays this year",
    )
    assert "Draft an offer: posted." in text
    assert "500 bonus points by email, valid 4 Dec 2026 to 3 Jan 2027" in text


def test_an_unknown_action_is_not_found_and_a_viewer_is_refused(signed_in: SignIn) -> None:
    client = signed_in("vera")
    token = csrf_of(client.get(f"/members/{EMMA}").text)
    assert client.post(f"/members/{EMMA}/fly", data={"csrf": token}).status_code == 404
    text = _act(client, "award", points="10", reason="x")
    assert "Award points: denied — " in text or "Award points: not done — " in text


def test_enrolling_from_the_card_adds_the_membership_and_the_form_goes(signed_in: SignIn) -> None:
    client = signed_in("carol")
    page = client.get(f"/members/{EMMA}").text
    option = re.search(r'name="program_id"><option value="([^"]+)">Gold Exclusive Club<', page)
    assert option, "the card offers the programs she is not in"
    text = _act(client, "enrol", program_id=option.group(1))
    assert "Enrol: posted." in text
    assert "Gold Exclusive Club · #–" in text
    assert 'name="program_id"' not in client.get(f"/members/{EMMA}").text


def test_renewing_offers_a_year_after_the_expiry_and_checks_the_date(signed_in: SignIn) -> None:
    client = signed_in("carol")
    page = client.get(f"/members/{EMMA}").text
    expiry = sandbox_day(21)  # Emma's membership expires in 21 days; renewing offers a year on
    a_year_on = expiry.replace(year=expiry.year + 1).isoformat()
    assert re.search(rf'id="renew-until" name="until" type="date" value="{a_year_on}"', page)
    text = _act(client, "renew", until="next year")
    assert "Renew the membership: not sent — Renew until: a date like 2026-12-24" in text


def test_a_tier_change_shows_its_drafted_message_on_the_member_card(signed_in: SignIn) -> None:
    client = signed_in("alice")
    runtime = runtime_of(client)

    async def to_gold() -> None:
        from policies import Controls

        await Controls(runtime.guard).set_mode(runtime.guard.principal("alice"), "automate")
        program_id = await runtime.loader.program_id("PC01")
        tiers = await runtime.directory.tiers(program_id)
        gold = next(tier for tier, (code, _order) in tiers.items() if code == "G1")
        update = {"loyalty_membership_id": STORY.emma_novak_membership, "loyalty_tier_id": gold}
        outcome = await runtime.guard.submit(
            runtime.guard.principal("alice"), "update_loyalty_memberships", {"updates": [update]}
        )
        assert outcome.to_dict()["status"] == "posted"

    client.portal.call(to_gold)  # type: ignore[union-attr]
    page = client.get(f"/members/{STORY.emma_novak}").text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))

    assert "Welcome to Gold: your Platinum Club status by email" in text
    assert "(tier change, drafted by automation; not sent)" in text
    assert "moved up from Silver to Gold" in text
