"""Splitting a movement changes nothing: thresholds and caps judge the day's running totals,
deductions have a cap and a threshold of their own, and a tier jump needs a manager."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.security.support import balance, loyalty, mallory_membership
from tools.sandbox import STORY

EMMA = STORY.emma_novak_membership
EMMA_POINTS = 6240


def call(tool: str, args: dict[str, object], who: str = "carol") -> dict[str, object]:
    result = loyalty("call", tool, json.dumps(args), "--as", who)
    body: dict[str, object] = json.loads(result.stdout or result.output)
    return body


def test_five_awards_of_2000_to_one_member_are_one_posting_and_four_approval_requests(
    world: Path,
) -> None:
    statuses = [
        call("award_points", {"membership_id": EMMA, "points": 2000, "reason": f"gesture {n}"})[
            "status"
        ]
        for n in range(5)
    ]

    assert statuses == ["posted"] + ["pending_approval"] * 4
    assert balance("Emma Novak") == EMMA_POINTS + 2000


def test_a_balance_cannot_be_drained_in_small_deductions(world: Path) -> None:
    outcomes = [
        call("adjust_points", {"membership_id": EMMA, "points": -900, "reason": f"fix {n}"})
        for n in range(3)
    ]

    assert [o["status"] for o in outcomes] == ["posted", "pending_approval", "pending_approval"]
    assert outcomes[1]["rule"] == "approvals.deductions_above"
    assert balance("Emma Novak") == EMMA_POINTS - 900


def test_the_daily_cap_on_deductions_holds_even_for_a_manager(world: Path) -> None:
    for n in range(5):  # 5 x 1,000 taken, each approved by another manager
        body = call(
            "adjust_points", {"membership_id": EMMA, "points": -1000, "reason": f"fix {n}"}, "alice"
        )
        if body["status"] == "pending_approval":
            assert (
                loyalty("approvals", "approve", str(body["approval_id"]), "--as", "bob").exit_code
                == 0
            )
    sixth = call(
        "adjust_points", {"membership_id": EMMA, "points": -1, "reason": "one more"}, "alice"
    )

    assert sixth["status"] == "denied"
    assert sixth["rule"] == "caps.deductions_per_member_per_day"
    assert balance("Emma Novak") == EMMA_POINTS - 5000


@pytest.mark.parametrize("points", ["100", 100.0, True])
def test_points_must_be_a_strict_integer(world: Path, points: object) -> None:
    result = loyalty(
        "call",
        "award_points",
        json.dumps({"membership_id": mallory_membership(), "points": points, "reason": "typed"}),
    )

    assert result.exit_code != 0
    assert "points" in result.output
    assert "valid integer" in result.output
    assert balance() == 300


def test_a_retry_is_reported_as_a_replay_of_the_original_entry(world: Path) -> None:
    args = {"membership_id": EMMA, "points": 100, "reason": "retry me"}
    first = call("award_points", args)
    again = call("award_points", args)

    assert first["status"] == "posted"
    assert again == {"status": "posted", "replayed": True, "result": first["result"]}
    assert balance("Emma Novak") == EMMA_POINTS + 100


def test_lifting_a_bronze_member_to_platinum_needs_a_manager(world: Path) -> None:
    programs = call("list_loyalty_programs", {}, "dave")["loyalty_programs"]
    club = next(p["id"] for p in programs if p["code"] == "PC01")  # type: ignore[attr-defined]
    tiers = call("list_loyalty_tiers", {"loyalty_program_ids": [club]}, "dave")
    by_code = {t["code"]: t["id"] for t in tiers["loyalty_tiers"]}  # type: ignore[attr-defined]
    membership = mallory_membership()  # Bronze
    update = {"updates": [{"loyalty_membership_id": membership}]}

    silver = call("update_loyalty_memberships", _to(update, by_code["S1"]), "carol")
    platinum = call("update_loyalty_memberships", _to(update, by_code["P1"]), "carol")

    assert silver["status"] == "posted"
    assert platinum["status"] == "pending_approval"
    assert platinum["memberships"]["rule"] == "approvals.tier_jump_steps"  # type: ignore[index]


def _to(update: dict[str, list[dict[str, str]]], tier_id: str) -> dict[str, object]:
    return {"updates": [{**update["updates"][0], "loyalty_tier_id": tier_id}]}


def test_a_batch_with_two_targets_for_one_member_is_refused_not_merged(world: Path) -> None:
    membership = mallory_membership()
    updates = [
        {"loyalty_membership_id": membership, "points": 1400},
        {"loyalty_membership_id": membership, "points": 1900},
    ]
    result = loyalty(
        "call",
        "update_loyalty_memberships",
        json.dumps({"updates": updates, "reason": "two targets"}),
        "--as",
        "dave",
    )

    assert result.exit_code == 1
    assert "appears twice in updates; give one update per membership" in result.stdout
    assert balance() == 300


def test_each_batch_item_has_its_own_key_and_a_retried_batch_replays_item_by_item(
    world: Path,
) -> None:
    mallory = mallory_membership()
    batch = {
        "updates": [
            {"loyalty_membership_id": mallory, "points": 400},
            {"loyalty_membership_id": EMMA, "points": EMMA_POINTS + 100},
        ],
        "reason": "welcome back",
    }
    first = call("update_loyalty_memberships", batch)
    assert first["status"] == "posted", first
    assert [p["outcome"]["status"] for p in first["points"]] == ["posted", "posted"]
    assert (balance(), balance("Emma Novak")) == (400, EMMA_POINTS + 100)
    award = {"membership_id": mallory, "points": 50, "reason": "spa voucher"}
    assert call("award_points", award)["status"] == "posted"

    retry = call("update_loyalty_memberships", batch)  # e.g. after a timeout

    assert [p["outcome"].get("replayed") for p in retry["points"]] == [True, True]
    assert [p["outcome"]["result"]["entry_id"] for p in retry["points"]] == [
        p["outcome"]["result"]["entry_id"] for p in first["points"]
    ]
    assert (balance(), balance("Emma Novak")) == (450, EMMA_POINTS + 100)  # the award stays


def test_a_batch_key_keys_each_item_and_a_new_key_is_a_new_batch(world: Path) -> None:
    mallory = mallory_membership()
    batch = {
        "updates": [{"loyalty_membership_id": mallory, "points": 400}],
        "reason": "welcome back",
        "idempotency_key": "batch-7",
    }
    assert call("update_loyalty_memberships", batch)["points"][0]["outcome"]["status"] == "posted"
    assert (
        call("award_points", {"membership_id": mallory, "points": 50, "reason": "spa"})["status"]
        == "posted"
    )
    assert call("update_loyalty_memberships", batch)["points"][0]["outcome"]["replayed"] is True
    assert balance() == 450
    again = call("update_loyalty_memberships", {**batch, "idempotency_key": "batch-8"})
    assert again["points"][0]["outcome"]["result"]["points"] == -50  # set to 400 once more
    assert balance() == 400
