"""Checkout → stay accrual → dynamic bonus judged by the policy (`award_stay_bonus`)."""

from __future__ import annotations

from pathlib import Path

import pytest

import policies
from policies.approvals import list_approvals
from tests.automation.support import (
    EMMA_MEMBERSHIP,
    EMMA_STAY,
    EMMA_STAY_BONUS,
    EMMA_STAY_POINTS,
    WEBHOOK_URL,
    Rig,
    rig,
)
from tools.automation import inbox
from tools.loyalty import _ledger_sql as ledger_sql
from tools.loyalty.stays import AWARD_STAY_BONUS, stay_bonus_key
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio

ACCRUAL, BONUS = EMMA_STAY_POINTS, EMMA_STAY_BONUS


def _strict_policy(folder: Path) -> Path:
    """The shipped policy with the variance threshold at 10 % (a x1.14 bonus is beyond it)."""
    text = (Path(policies.__file__).parent / "default_policy.toml").read_text(encoding="utf-8")
    assert "variance_above = 0.20" in text
    path = folder / "strict-policy.toml"
    path.write_text(text.replace("variance_above = 0.20", "variance_above = 0.10"), "utf-8")
    return path


def _results(r: Rig) -> list[str]:
    events = inbox.list_events(r.runtime.store, statuses=("done",))
    return [e.result or "" for e in events if e.entity_id == EMMA_STAY]


def _bonus_approvals(r: Rig) -> list[str]:
    return [a.id for a in list_approvals(r.runtime.store) if a.action == AWARD_STAY_BONUS]


def _bonus_entry_points(r: Rig) -> int | None:
    with r.runtime.store.read() as conn:
        entry = ledger_sql.entry_by_key(conn, stay_bonus_key(EMMA_STAY))
    return None if entry is None else entry.points


async def test_automate_mode_sends_a_bonus_beyond_the_variance_threshold_to_approval(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path, policy_file=_strict_policy(tmp_path)) as r:
        before = r.mews_points(EMMA_MEMBERSHIP) or 0
        r.check_out(EMMA_STAY)
        await r.deliver()

        assert r.ledger_balance(EMMA_MEMBERSHIP) == before + ACCRUAL  # the accrual only
        assert r.mews_points(EMMA_MEMBERSHIP) == before + ACCRUAL
        assert _bonus_entry_points(r) is None
        assert len(_bonus_approvals(r)) == 1
        results = _results(r)
        assert results
        assert all(f"posted: {ACCRUAL} points" in x for x in results)
        assert all("bonus awaiting approval" in x and "+14%" in x for x in results)
        (request,) = [a for a in list_approvals(r.runtime.store) if a.action == AWARD_STAY_BONUS]
        reason = str(request.args["reason"])  # what the manager reads: the inputs and the why
        assert "predicted value: 9 stays in" in reason
        assert "demand on the nights stayed (22 Nov" in reason
        assert "Europe/London" in reason
        assert "on the Silver rate (×1.25)" in reason


async def test_automate_mode_posts_a_bonus_within_the_thresholds(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        before = r.mews_points(EMMA_MEMBERSHIP) or 0
        r.check_out(EMMA_STAY)
        await r.deliver()

        assert _bonus_entry_points(r) == BONUS
        assert _bonus_approvals(r) == []
        assert r.ledger_balance(EMMA_MEMBERSHIP) == before + ACCRUAL + BONUS
        assert r.mews_points(EMMA_MEMBERSHIP) == before + ACCRUAL + BONUS
        results = _results(r)
        assert all(f"bonus posted: {BONUS} bonus points (x1.14)" in x for x in results)
        assert all("predicted value" in x and "mean " in x for x in results)


async def test_the_same_webhook_twice_gives_one_bonus(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        before = r.mews_points(EMMA_MEMBERSHIP) or 0
        r.check_out(EMMA_STAY)
        body = r.stay_updated(EMMA_STAY).encode()
        await r.post_json(WEBHOOK_URL, body)
        await r.service.worker.drain()
        await r.post_json(WEBHOOK_URL, body)  # processed again after the first was done
        await r.service.worker.drain()

        assert _bonus_entry_points(r) == BONUS
        assert r.ledger_balance(EMMA_MEMBERSHIP) == before + ACCRUAL + BONUS
        assert r.mews_points(EMMA_MEMBERSHIP) == before + ACCRUAL + BONUS


async def test_recommend_mode_makes_the_bonus_an_approval_request(tmp_path: Path) -> None:
    async with rig(tmp_path, mode="recommend") as r:
        before = r.mews_points(EMMA_MEMBERSHIP) or 0
        r.check_out(EMMA_STAY)
        await r.deliver()

        assert _bonus_entry_points(r) is None
        assert len(_bonus_approvals(r)) == 1
        assert r.mews_points(EMMA_MEMBERSHIP) == before  # nothing posted
        assert all("bonus awaiting approval" in x for x in _results(r))
        # each request records the hotel of its stay, whose task list announces it
        requests = list_approvals(r.runtime.store)
        assert {a.enterprise_id for a in requests} == {STORY.enterprise_uk}
        await r.runtime.notices.drain()
        announced = [t for t in r.sandbox.state.tasks if t.name.startswith("Loyalty approval")]
        assert announced
        assert {t.enterprise_id for t in announced} == {STORY.enterprise_uk}
