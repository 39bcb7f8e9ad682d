"""A tier change drafts a message to the member: old and new tier by name, what the move gains
and loses from the program file's benefits, on a consented channel, once per change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from policies import ApprovalDesk, records
from tests.automation.support import EMMA_MEMBERSHIP, Rig, rig
from tests.automation.test_jobs import context
from tools.actions.messages import MessageDraft, list_messages
from tools.automation.jobs import run_job
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio


async def tier_id(r: Rig, code: str) -> str:
    program_id = await r.runtime.loader.program_id("PC01")
    tiers = await r.runtime.directory.tiers(program_id)
    return next(tier for tier, (tier_code, _order) in tiers.items() if tier_code == code)


async def move_emma(r: Rig, code: str, who: str = "alice", key: str | None = None) -> Any:
    guard = r.runtime.guard
    update = {"loyalty_membership_id": EMMA_MEMBERSHIP, "loyalty_tier_id": await tier_id(r, code)}
    return await guard.submit(
        guard.principal(who), "update_loyalty_memberships", {"updates": [update]}, key
    )


def tier_messages(r: Rig) -> list[MessageDraft]:
    return list_messages(r.runtime.store, purpose="tier_change")


async def test_an_upgrade_drafts_one_message_naming_both_tiers_and_what_the_member_gains(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path, customers=0) as r:  # Emma is Silver
        first = (await move_emma(r, "G1", key="emma-to-gold")).to_dict()
        again = (await move_emma(r, "G1", key="emma-to-gold")).to_dict()  # a retry: replayed
        same_tier = (await move_emma(r, "G1", key="emma-gold-twice")).to_dict()  # no change
        drafts = tier_messages(r)
        audit = [a for a in records(r.runtime.store) if a.action == "draft_tier_message"]

    assert (first["status"], again["status"], same_tier["status"]) == ("posted",) * 3
    [draft] = drafts
    assert (draft.customer_id, draft.membership_id) == (STORY.emma_novak, EMMA_MEMBERSHIP)
    assert (draft.channel, draft.drafted_by) == ("email", "automation")
    assert draft.subject == "Welcome to Gold: your Platinum Club status"
    assert "moved up from Silver to Gold" in draft.body
    assert "Dear Platinum Club member" in draft.body
    assert "Emma" not in draft.body
    gained = draft.body.split("you now have:")[1].split("\n\n")[0]
    assert "1.5 × points on stays" in gained
    assert "Late checkout until 14:00, when available" in gained
    assert "Room upgrade to the next category, when available at check-in" in gained
    lost = draft.body.split("does not:")[1].split("\n\n")[0]
    assert "Late checkout until 13:00, on request" in lost  # replaced by Gold's 14:00
    kept = draft.body.split("You keep:")[1]
    assert "Free high-speed Wi-Fi" in kept
    assert [(a.principal, a.decision) for a in audit] == [("automation", "allow")]


async def test_an_approved_downgrade_drafts_the_message_quoting_what_is_lost(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path, customers=0) as r:
        queued = (await move_emma(r, "B1", who="carol")).to_dict()  # a downgrade: a manager
        before_approval = tier_messages(r)
        guard = r.runtime.guard
        await ApprovalDesk(guard).approve(guard.principal("bob"), queued["approval_id"])
        drafts = tier_messages(r)

    assert queued["status"] == "pending_approval"
    assert before_approval == []
    [draft] = drafts
    assert draft.subject == "Your Platinum Club status is now Bronze"
    assert "moved from Silver to Bronze" in draft.body
    lost = draft.body.split("does not:")[1].split("\n\n")[0]
    assert "1.25 × points on stays" in lost
    assert "Late checkout until 13:00, on request" in lost
    assert "Silver is yours again from 10 qualifying nights" in draft.body


async def test_the_message_follows_consent_a_letter_without_e_mail(tmp_path: Path) -> None:
    async with rig(tmp_path, customers=0) as r:
        emma = r.sandbox.state.customers.get(STORY.emma_novak)
        assert emma is not None
        emma.options = ()  # withdrew her marketing e-mail consent
        await move_emma(r, "G1")
        drafts = tier_messages(r)

    assert [d.channel for d in drafts] == ["letter"]


async def test_no_message_without_any_consented_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tools.loyalty.config import PROGRAM_FILE_ENV, default_program_path

    text = default_program_path().read_text(encoding="utf-8")
    no_letters = tmp_path / "program.toml"
    no_letters.write_text(text.replace('letter = "always"', 'letter = "none"'), encoding="utf-8")
    monkeypatch.setenv(PROGRAM_FILE_ENV, str(no_letters))
    async with rig(tmp_path, customers=0) as r:
        emma = r.sandbox.state.customers.get(STORY.emma_novak)
        assert emma is not None
        emma.options = ()
        moved = (await move_emma(r, "G1")).to_dict()
        drafts = tier_messages(r)

    assert moved["status"] == "posted"  # the tier change stands
    assert drafts == []


async def test_each_tier_review_change_a_manager_approves_drafts_one_message(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path, mode="recommend", customers=20) as r:
        report = await run_job("tier-review", context(r, program_code="PC01"))
        guard = r.runtime.guard
        desk = ApprovalDesk(guard)
        proposed = [a for a in desk.approvals() if a.action == "update_loyalty_memberships"]
        before = tier_messages(r)
        for approval in proposed:
            await desk.approve(guard.principal("bob"), approval.id)
        # In recommend mode the drafts wait for a manager too, as the expiry reminders do.
        messages = [a for a in desk.approvals() if a.action == "draft_tier_message"]
        for approval in messages:
            await desk.approve(guard.principal("bob"), approval.id)
        drafts = tier_messages(r)
        await run_job("tier-review", context(r, program_code="PC01"))  # the next step down
        after_rerun = tier_messages(r)  # waits for a manager: no message yet

    changed = {a.args["updates"][0]["loyalty_membership_id"] for a in proposed}
    assert report.count("pending_approval") == len(proposed) > 0
    assert before == []
    assert len(messages) == len(proposed)
    assert sorted(d.membership_id for d in drafts) == sorted(changed)  # one each
    assert all(d.drafted_by == "automation" for d in drafts)
    assert all(" to " in d.body and "Dear Platinum Club member" in d.body for d in drafts)
    assert len(after_rerun) == len(drafts)


async def test_the_read_model_reads_a_member_again_once_we_changed_their_tier(
    tmp_path: Path,
) -> None:
    """The clock stands still, so only our own write can make the model read Emma again: the
    report's tier mix and the segments see her new tier at once, not at the next refresh."""
    async with rig(tmp_path, customers=0) as r:
        facts = r.runtime.facts
        await facts.refresh(full=True)
        before = (await facts.members([STORY.emma_novak]))[STORY.emma_novak]
        await move_emma(r, "G1", key="emma-to-gold")
        after = (await facts.members([STORY.emma_novak]))[STORY.emma_novak]

    assert [m.tier_code for m in before.memberships] == ["S1"]
    assert [m.tier_code for m in after.memberships] == ["G1"]
