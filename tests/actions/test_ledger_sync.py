"""The ledger's own writes at their seam: what `describe` tells the policy and what the executor
posts (stay accrual, its reversal, the stay bonus, and reconcile's three resolutions)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from policies import ActionSpec, ExecContext, Transactional
from policies.decision import Action, Allow, Context, NeedsApproval, decide
from policies.errors import InvalidRequestError
from storage.outbox import outbox_table
from tools.actions.ledger_sync import ledger_sync_actions
from tools.loyalty import ledger_lock_key
from tools.loyalty.ledger_schema import accounts_table
from tools.loyalty.stays import ACCRUE_STAY, AWARD_STAY_BONUS, REVERSE_STAY_ACCRUAL
from tools.loyalty.sync import RECONCILE_POINTS
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio

OLIVIA = STORY.zero_points_membership  # no ledger account yet
STAY = "00000000-0000-0000-0000-00000000a001"


@pytest.fixture
def specs(runtime: LoyaltyRuntime) -> dict[str, ActionSpec]:
    return {spec.name: spec for spec in ledger_sync_actions(runtime.programs)}


def _member(**more: Any) -> dict[str, Any]:
    return {
        "customer_id": STORY.zero_points,
        "membership_id": OLIVIA,
        "program_id": STORY.program_pc01,
        **more,
    }


def _stay(**more: Any) -> dict[str, Any]:
    return _member(
        reservation_id=STAY,
        chain_id=STORY.chain_id,
        program_code="PC01",
        mews_points=0,
        reason="stay of 2 nights",
        **more,
    )


def _run(runtime: LoyaltyRuntime, spec: ActionSpec, args: dict[str, Any], key: str) -> Any:
    assert isinstance(spec.execute, Transactional)
    ctx = ExecContext(Action(spec.name, spec.kind), runtime.guard.principal("assistant"), key,
                      runtime.clock.now())  # fmt: skip
    with runtime.store.write() as conn:
        return spec.execute.fn(conn, args, ctx)


async def test_a_stay_accrues_once_opening_the_account_and_a_cancellation_takes_it_back(
    runtime: LoyaltyRuntime, specs: dict[str, ActionSpec]
) -> None:
    args = _stay(points=420)
    facts = await specs[ACCRUE_STAY].describe(args)
    assert (facts.points, facts.membership_id, facts.customer_id) == (
        420,
        OLIVIA,
        STORY.zero_points,
    )
    assert facts.lock_keys == (ledger_lock_key(OLIVIA),)
    one = await specs[ACCRUE_STAY].describe(_stay(points=1))
    assert one.note == f"1 Platinum Club point for a stay (reservation {STAY})"
    assert facts.note == f"420 Platinum Club points for a stay (reservation {STAY})"
    posted = _run(runtime, specs[ACCRUE_STAY], args, "k1")
    assert (posted["kind"], posted["points"], posted["balance_after"]) == ("accrual", 420, 420)

    back = _member(reservation_id=STAY, entry_id=posted["entry_id"], points=420)
    facts = await specs[REVERSE_STAY_ACCRUAL].describe(back)
    assert facts.points == -420
    reversed_ = _run(runtime, specs[REVERSE_STAY_ACCRUAL], back, "k2")
    assert (reversed_["points"], reversed_["balance_after"]) == (-420, 0)


async def test_a_stay_bonus_is_judged_against_the_tier_adjusted_stay_points(
    runtime: LoyaltyRuntime, specs: dict[str, ActionSpec]
) -> None:
    args = _stay(points=60, base_points=400, multiplier="1.15")
    facts = await specs[AWARD_STAY_BONUS].describe(args)
    assert facts.points == 60
    assert facts.variance == pytest.approx(0.15)
    assert facts.note.startswith("60 Platinum Club bonus points (x1.15 on 400 tier-adjusted")
    assert "400 tier-adjusted stay points, +15%" in facts.note
    posted = _run(runtime, specs[AWARD_STAY_BONUS], args, "k1")
    assert (posted["kind"], posted["balance_after"]) == ("accrual", 60)
    with pytest.raises(InvalidRequestError, match="multiplier"):
        await specs[AWARD_STAY_BONUS].describe({**args, "multiplier": "0.9"})


def _drift(resolution: str, ledger: int | None, version: int | None, mews: int) -> dict[str, Any]:
    return _member(
        chain_id=STORY.chain_id,
        program_code="PC01",
        resolution=resolution,
        ledger_balance=ledger,
        ledger_version=version,
        mews_points=mews,
    )


async def test_reconcile_opens_adjusts_and_pushes_as_it_was_told(
    runtime: LoyaltyRuntime, specs: dict[str, ActionSpec]
) -> None:
    spec = specs[RECONCILE_POINTS]
    opening = _drift("opening_balance", None, None, 150)
    facts = await spec.describe(opening)
    assert (facts.points, facts.note) == (0, "reconcile: opening balance of 150 points from Mews")
    assert _run(runtime, spec, opening, "k1")["balance"] == 150

    with runtime.store.read() as conn:
        version = conn.execute(sa.select(accounts_table.c.version)).scalar_one()
    adjust = _drift("adjust_ledger", 150, version, 200)
    facts = await spec.describe(adjust)
    assert facts.points == 50
    adjusted = _run(runtime, spec, adjust, "k2")
    assert (adjusted["resolution"], adjusted["balance"]) == ("adjust_ledger", 200)

    stale = _drift("push_ledger", 150, version, 0)  # the ledger moved since
    with pytest.raises(InvalidRequestError, match="changed since reconcile read it"):
        _run(runtime, spec, stale, "k3")

    with runtime.store.read() as conn:
        version = conn.execute(sa.select(accounts_table.c.version)).scalar_one()
    push = _drift("push_ledger", 200, version, 0)
    assert _run(runtime, spec, push, "k4") == {
        "membership_id": OLIVIA,
        "resolution": "push_ledger",
        "balance": 200,
    }
    with runtime.store.read() as conn:
        pushes = conn.execute(
            sa.select(outbox_table.c.payload).where(outbox_table.c.status == "pending")
        ).all()
    pushed = {
        "LoyaltyMembershipId": OLIVIA,
        "Points": 200,
        "ChainId": STORY.chain_id,
        "Version": version,
        "Overwrite": True,  # the ledger wins: nothing Mews shows is folded in
    }
    assert pushed in [json.loads(row.payload) for row in pushes]


async def test_a_gold_members_bonus_is_no_variance_for_their_tier_multiplier(
    runtime: LoyaltyRuntime, specs: dict[str, ActionSpec]
) -> None:
    """Gold earns ×1.5: 600 stay points on a 400-point base rate. A 90-point bonus is +15 % on
    the Gold rate (within the shipped ±20 %), though +72.5 % on the base rate."""
    args = _stay(points=90, base_points=600, multiplier="1.15")
    facts = await specs[AWARD_STAY_BONUS].describe(args)
    automation = runtime.guard.principal("automation")
    action = Action(AWARD_STAY_BONUS, "points", facts)
    decision = decide(action, automation, Context(mode="automate"), runtime.policy)
    assert facts.variance == pytest.approx(0.15)
    assert isinstance(decision, Allow), decision
    # judged by the points that would post, not by the multiplier the request claims
    padded = await specs[AWARD_STAY_BONUS].describe({**args, "points": 300})
    assert padded.variance == pytest.approx(0.5)
    action = Action(AWARD_STAY_BONUS, "points", padded)
    needs = decide(action, automation, Context(mode="automate"), runtime.policy)
    assert isinstance(needs, NeedsApproval)
    assert needs.rule == "approvals.variance_above"
