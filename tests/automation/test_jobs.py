"""Scheduled jobs: expiry as audited ledger maintenance, tier reviews and win-back drafts as
guarded requests by `automation`; each safe to run twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from policies import ApprovalDesk, records
from storage.progress import counting
from tests.automation.support import EMMA_MEMBERSHIP, EMMA_STAY, Rig, rig
from tools.actions.offers import discount_floor, list_drafts
from tools.automation import AutomationConfigError
from tools.automation.jobs import JobContext, run_job

pytestmark = pytest.mark.anyio


def context(r: Rig, **more: object) -> JobContext:
    """The rig runtime's jobs, reading members from Mews (the loader), with `more` options."""
    return replace(JobContext.for_runtime(r.runtime, read_model=False), **more)  # type: ignore[arg-type]


async def test_expiry_removes_points_past_their_date_audited_and_pushed_to_mews(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        r.check_out(EMMA_STAY)
        await r.deliver()
        before = r.ledger_balance(EMMA_MEMBERSHIP)
        r.advance(timedelta(days=3 * 365).total_seconds())

        report = await run_job("expiry", context(r))
        again = await run_job("expiry", context(r))

        [item] = [i for i in report.items if i.subject == EMMA_MEMBERSHIP]
        assert item.status == "expired"
        assert r.ledger_balance(EMMA_MEMBERSHIP) < before
        assert r.mews_points(EMMA_MEMBERSHIP) == r.ledger_balance(EMMA_MEMBERSHIP)
        audit = [a for a in records(r.runtime.store) if a.action == "expire_points"]
        assert [(a.principal, a.decision) for a in audit][:1] == [("automation", "executed")]
        assert again.summary == "nothing to do"


async def test_tier_review_proposes_each_change_through_the_policy_once_a_month(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path, mode="recommend", customers=20) as r:
        report = await run_job("tier-review", context(r, program_code="PC01"))
        pending = ApprovalDesk(r.runtime.guard).approvals()
        again = await run_job("tier-review", context(r, program_code="PC01"))

        assert report.count("pending_approval") == len(pending) > 0
        assert {a.action for a in pending} == {"update_loyalty_memberships"}
        assert {a.requester for a in pending} == {"automation"}
        assert len(ApprovalDesk(r.runtime.guard).approvals()) == len(
            pending
        )  # a rerun adds nothing
        assert again.count("pending_approval") == len(pending)


async def test_win_back_drafts_offers_for_lapsing_members_and_sends_nothing(tmp_path: Path) -> None:
    async with rig(tmp_path, mode="automate", customers=20) as r:
        report = await run_job("win-back", context(r))
        drafts = list_drafts(r.runtime.store, limit=1000)
        again = await run_job("win-back", context(r))

        assert report.count("posted") == len(drafts) > 0
        assert all(d.drafted_by == "automation" for d in drafts)
        assert all(d.rationale.startswith("Win-back:") for d in drafts)
        assert len(list_drafts(r.runtime.store, limit=1000)) == len(drafts)
        assert again.count("posted") == len(drafts)
        facts = await r.runtime.loader.members([d.customer_id for d in drafts], with_stays=False)
        # A real incentive, never a reward at its usual price: a reward the member's points pay
        # for at a discount inside the band, else free points on the next stay.
        program = r.runtime.program("PC01")
        discounted = [d for d in drafts if d.reward_id is not None]
        bonuses = [d for d in drafts if d.reward_id is None]
        assert discounted
        assert bonuses
        for d in discounted:
            reward = program.reward(d.reward_id)
            assert d.price_points is not None
            assert program.dynamic_pricing.redemption_floor * reward.base_points <= d.price_points
            assert d.price_points < reward.base_points  # better than the catalogue price
            membership = facts[d.customer_id].membership("PC01")
            assert membership is not None
            assert membership.balance is not None
            assert d.price_points <= membership.balance.available  # they can pay it
            assert f"instead of its catalogue {reward.base_points:,}" in d.rationale
        assert {(d.bonus_points, d.price_points) for d in bonuses} == {(500, None)}
        assert all("a bonus of 500 points (£25.00)" in d.rationale for d in bonuses)
        for d in bonuses:  # no discounted reward was within their points
            membership = facts[d.customer_id].membership("PC01")
            held = membership.balance.available if membership and membership.balance else 0
            tier = membership.tier_code if membership else None
            assert held < min(
                discount_floor(program, reward)
                for reward in program.rewards.values()
                if not reward.eligible_tiers or tier in reward.eligible_tiers
            )
        assert all(facts[d.customer_id].consent.allows(d.channel) for d in drafts)
        by_post = [d for d in drafts if d.channel == "letter"]
        assert by_post, "members without e-mail consent get a letter (post needs no opt-in)"
        assert not any(facts[d.customer_id].consent.allows("email") for d in by_post)


async def test_the_win_back_bonus_and_validity_come_from_the_program_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tools.loyalty.config import PROGRAM_FILE_ENV, default_program_path

    text = default_program_path().read_text(encoding="utf-8")
    shipped = "bonus_points = 500\noffer_days = 30             #"
    assert shipped in text
    path = tmp_path / "program.toml"
    path.write_text(text.replace(shipped, "bonus_points = 750\noffer_days = 14 #"), "utf-8")
    monkeypatch.setenv(PROGRAM_FILE_ENV, str(path))
    async with rig(tmp_path, mode="automate", customers=20) as r:
        await run_job("win-back", context(r, program_code="PC01"))
        drafts = list_drafts(r.runtime.store, limit=1000)

    bonuses = [d for d in drafts if d.reward_id is None]
    assert bonuses
    assert {d.bonus_points for d in bonuses} == {750}
    assert all("a bonus of 750 points (£37.50)" in d.rationale for d in bonuses)
    assert {(d.valid_until - d.valid_from).days for d in drafts} == {14}


async def test_an_unknown_job_or_program_is_a_clear_error(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        with pytest.raises(AutomationConfigError, match="choose one of expiry, tier-review"):
            await run_job("cleanup", context(r))
        with pytest.raises(AutomationConfigError, match="program 'XX' is not configured"):
            await run_job("win-back", context(r, program_code="XX"))


async def test_the_scheduler_runs_each_job_once_a_day_after_its_time(tmp_path: Path) -> None:
    from datetime import time

    from tools.automation.schedule import JobScheduler, parse_at

    async with rig(tmp_path, customers=0) as r:  # the rig's clock: 12:00 UTC
        late = JobScheduler(context(r), at=time(13, 0), jobs=("expiry",))
        due = JobScheduler(context(r), at=parse_at("11:30"), jobs=("expiry",))
        other_process = JobScheduler(context(r), at=time(0, 0), jobs=("expiry",))

        assert await late.tick() == []
        assert [report.job for report in await due.tick()] == ["expiry"]
        assert await due.tick() == []
        assert await other_process.tick() == []  # claimed today already
        r.advance(86_400)
        assert [report.job for report in await other_process.tick()] == ["expiry"]
    with pytest.raises(ValueError, match="HH:MM"):
        parse_at("3am")


async def test_retention_purges_drafts_past_the_program_files_days_audited(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path, mode="automate", customers=20) as r:
        await run_job("win-back", context(r))
        drafted = len(list_drafts(r.runtime.store, limit=1000))
        fresh = await run_job("retention", context(r))
        r.advance(timedelta(days=r.runtime.programs.draft_retention_days + 1).total_seconds())
        purged = await run_job("retention", context(r))
        again = await run_job("retention", context(r))

        assert drafted > 0
        assert fresh.summary == "no drafts older than 180 days"
        [item] = purged.items
        assert (item.subject, item.status) == ("offer_drafts", "purged")
        assert item.detail == f"{drafted} offer drafts past 180 days"
        assert list_drafts(r.runtime.store, limit=1000) == []
        audit = [a for a in records(r.runtime.store) if a.action == "purge_drafts"]
        assert [(a.principal, a.decision) for a in audit] == [("automation", "executed")]
        assert again.summary == "no drafts older than 180 days"


async def test_a_job_run_by_hand_counts_the_changes_it_proposes(tmp_path: Path) -> None:
    seen: list[tuple[int, int | None, str]] = []
    async with rig(tmp_path, mode="recommend", customers=20) as r:
        with counting(lambda done, total, what: seen.append((done, total, what))):
            report = await run_job("tier-review", context(r, program_code="PC01"))
    proposed = [(d, t) for d, t, what in seen if what == "Platinum Club tier changes proposed"]
    assert len(report.items) > 1
    assert proposed[0] == (0, len(report.items))
    assert proposed[-1] == (len(report.items),) * 2
    assert "reading the members of Platinum Club" in {what for _d, _t, what in seen}
