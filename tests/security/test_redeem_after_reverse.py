"""A redemption after a reversal is a new redemption: the identical call is not answered with
the reversed one (as "posted", even in read-only mode), while a plain retry still replays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.security.support import balance, loyalty
from tools.sandbox import STORY

EMMA = STORY.emma_novak_membership
EMMA_POINTS = 6240
LATE_CHECKOUT = {"membership_id": EMMA, "reward_id": "late-checkout"}


def call(tool: str, args: dict[str, object], who: str = "carol") -> dict[str, Any]:
    result = loyalty("call", tool, json.dumps(args), "--as", who)
    body: dict[str, Any] = json.loads(result.stdout or result.output)
    return body


def _redeem_and_reverse() -> tuple[dict[str, Any], int]:
    first = call("redeem_reward", LATE_CHECKOUT)
    assert first["status"] == "posted", first
    price = -int(first["result"]["points"])
    retry = call("redeem_reward", LATE_CHECKOUT)  # the same call again: a retry, replayed
    assert retry.get("replayed") is True
    assert retry["result"]["entry_id"] == first["result"]["entry_id"]
    reversed_ = call(
        "reverse_points_entry",
        {"membership_id": EMMA, "entry_id": first["result"]["entry_id"], "reason": "plans changed"},
    )
    assert reversed_["status"] == "posted", reversed_
    assert balance("Emma Novak") == EMMA_POINTS
    return first, price


def test_redeeming_again_after_a_reversal_redeems_again(world: Path) -> None:
    first, price = _redeem_and_reverse()

    again = call("redeem_reward", LATE_CHECKOUT)

    assert again["status"] == "posted"
    assert "replayed" not in again
    assert again["result"]["entry_id"] != first["result"]["entry_id"]
    assert balance("Emma Novak") == EMMA_POINTS - price
    retry = call("redeem_reward", LATE_CHECKOUT)  # and that one replays in its turn
    assert (retry.get("replayed"), retry["result"]["entry_id"]) == (
        True,
        again["result"]["entry_id"],
    )
    assert balance("Emma Novak") == EMMA_POINTS - price


def test_in_read_only_mode_the_reversed_redemption_is_not_reported_as_posted(
    world: Path,
) -> None:
    _redeem_and_reverse()
    assert loyalty("mode", "set", "read_only", "--as", "alice").exit_code == 0

    again = call("redeem_reward", LATE_CHECKOUT)

    assert again["status"] == "denied"
    assert again["rule"] == "mode.read_only"
    assert balance("Emma Novak") == EMMA_POINTS
