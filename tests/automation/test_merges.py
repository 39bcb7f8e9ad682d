"""A profile merge in Mews (`MergeTargetId`, `CustomerUpdated`) moves the member's ledger
account and drafts to the surviving profile, audited; a membership Mews left on the merged
profile is reported, never silently orphaned."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from policies import records
from tests.actions.conftest import emma_with_history
from tests.automation.support import EMMA_MEMBERSHIP, Rig, rig
from tools.actions import AWARD_POINTS
from tools.actions.models import AwardPointsArgs
from tools.actions.offers import list_drafts
from tools.automation import inbox
from tools.loyalty.ledger_schema import accounts_table
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio

EMMA, SURVIVOR = STORY.emma_novak, STORY.zoe


def account_holder(r: Rig) -> str:
    with r.runtime.store.read() as conn:
        return str(
            conn.execute(
                sa.select(accounts_table.c.customer_id).where(
                    accounts_table.c.membership_id == EMMA_MEMBERSHIP
                )
            ).scalar_one()
        )


def merge_events(r: Rig) -> list[inbox.InboxEvent]:
    events = inbox.list_events(r.runtime.store, statuses=("done", "dead"), limit=1000)
    return [e for e in events if e.discriminator == "CustomerUpdated" and e.entity_id == EMMA]


async def test_a_merge_moves_the_ledger_account_and_drafts_to_the_surviving_profile(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        await emma_with_history(r.runtime)
        moved = r.sandbox.merge_customers(EMMA, SURVIVOR)
        await r.deliver()

        assert moved == [EMMA_MEMBERSHIP]
        assert account_holder(r) == SURVIVOR
        assert [d.customer_id for d in list_drafts(r.runtime.store, limit=10)] == [SURVIVOR]
        [event] = merge_events(r)
        assert event.status == "done"
        assert event.result is not None
        assert f"merged into {SURVIVOR}: moved 1 ledger accounts, 1 offer drafts" in event.result
        audit = [a for a in records(r.runtime.store) if a.action == "merge_customer"]
        assert [(a.principal, a.decision) for a in audit] == [("automation", "executed")]
        # the member keeps earning on the surviving profile
        again = AwardPointsArgs(membership_id=EMMA_MEMBERSHIP, points=50, reason="after merge")
        facts = await AWARD_POINTS.describe(r.runtime.writes, again)
        assert facts.customer_id == SURVIVOR


async def test_a_membership_left_on_the_merged_profile_is_reported_not_orphaned(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        await emma_with_history(r.runtime)
        r.sandbox.merge_customers(EMMA, SURVIVOR)
        membership = r.sandbox.state.memberships.get(EMMA_MEMBERSHIP)
        assert membership is not None
        membership.account_id = EMMA  # a Mews that kept it on the merged profile
        await r.deliver()

        [event] = merge_events(r)
        assert event.status == "dead"
        assert event.last_error is not None
        assert f"membership(s) {EMMA_MEMBERSHIP} are still on the merged profile" in (
            event.last_error
        )
        assert account_holder(r) == EMMA  # follows Mews, where the membership still is
        assert [d.customer_id for d in list_drafts(r.runtime.store, limit=10)] == [SURVIVOR]


async def test_a_plain_profile_edit_is_no_merge(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await emma_with_history(r.runtime)
        r.sandbox.state.events.record("CustomerUpdated", EMMA, STORY.enterprise_uk, r.sandbox.now())
        await r.deliver()

        [event] = merge_events(r)
        assert event.status == "done"
        assert account_holder(r) == EMMA
