"""Welcome and birthday bonuses: the program file's amounts, posted by `automation` through the
guard (audited, capped, once per member, or per member and year)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from policies import ApprovalDesk, records
from tests.automation import support
from tests.automation.support import EMMA_MEMBERSHIP, Rig, rig
from tests.automation.test_jobs import context
from tools.automation.jobs import run_job
from tools.automation.member_jobs import is_birthday
from tools.loyalty.errors import ProgramConfigError
from tools.loyalty.ledger_schema import entries_table
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio


def bonus_entries(r: Rig, action: str) -> list[Any]:
    e = entries_table
    with r.runtime.store.read() as conn:
        return list(
            conn.execute(
                sa.select(e.c.membership_id, e.c.kind, e.c.points, e.c.reason).where(
                    e.c.source_id == action
                )
            )
        )


async def add_customer(r: Rig, last_name: str) -> str:
    customer_id: str = (await support.add_customer(r, last_name))["Id"]
    return customer_id


async def enrol(r: Rig, customer_id: str, key: str | None = None) -> Any:
    guard = r.runtime.guard
    program_id = await r.runtime.loader.program_id("PC01")
    args = {"memberships": [{"account_id": customer_id, "loyalty_program_id": program_id}]}
    return await guard.submit(guard.principal("carol"), "add_loyalty_memberships", args, key)


# ---------------------------------------------------------------------- welcome
async def test_enrolling_through_the_tool_posts_the_welcome_bonus_once_per_member(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path, customers=0) as r:
        customer = await add_customer(r, "Welcome")
        first = (await enrol(r, customer)).to_dict()
        [membership] = first["result"]["loyalty_memberships"]
        await r.runtime.after_write()
        mews_after_first = r.mews_points(membership["id"])
        guard = r.runtime.guard
        deleted = await guard.submit(
            guard.principal("alice"),
            "delete_loyalty_memberships",
            {"loyalty_membership_ids": [membership["id"]]},
        )
        approval_id = deleted.to_dict()["approval_id"]
        await ApprovalDesk(guard).approve(guard.principal("bob"), approval_id)
        second = (await enrol(r, customer, key="again")).to_dict()  # no second welcome
        welcome = bonus_entries(r, "award_welcome_bonus")
        audit = [a for a in records(r.runtime.store) if a.action == "award_welcome_bonus"]

    assert second["status"] == "posted"
    assert second["result"]["loyalty_memberships"][0]["id"] != membership["id"]
    assert [(w.membership_id, w.kind, w.points) for w in welcome] == [
        (membership["id"], "adjustment", 250)
    ]
    assert "welcome bonus: 250 points, for joining Platinum Club" in welcome[0].reason
    assert mews_after_first == 250  # the new balance went to Mews
    assert [(a.principal, a.decision) for a in audit] == [
        ("automation", "allow"),
        ("automation", "replayed"),
    ]


async def test_auto_enrolment_in_the_webhook_worker_posts_the_welcome_bonus(
    tmp_path: Path,
) -> None:
    from tools.automation.reactions import LoyaltyReactions

    async with rig(tmp_path, customers=0) as r:
        r.service.worker.reactions = LoyaltyReactions(
            guard=r.runtime.guard, loader=r.runtime.loader, enrol_program="PC01"
        )
        customer = await add_customer(r, "Newcomer")
        await r.deliver()
        [membership] = [m for m in r.sandbox.state.memberships if m.account_id == customer]
        welcome = bonus_entries(r, "award_welcome_bonus")

    assert [(w.membership_id, w.points) for w in welcome] == [(membership.id, 250)]


async def test_in_recommend_mode_the_welcome_bonus_waits_for_a_manager(tmp_path: Path) -> None:
    async with rig(tmp_path, customers=0, mode="recommend") as r:
        customer = await add_customer(r, "Careful")
        await enrol(r, customer)  # carol is staff: her enrolment executes
        pending = ApprovalDesk(r.runtime.guard).approvals()
        welcome = bonus_entries(r, "award_welcome_bonus")

    assert [(a.action, a.requester, a.points) for a in pending] == [
        ("award_welcome_bonus", "automation", 250)
    ]
    assert welcome == []


async def test_a_welcome_bonus_lost_to_a_crash_after_enrolment_is_given_by_the_welcome_job(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path, customers=0) as r:
        await run_job("welcome", context(r))  # yesterday's run (recent story members too)
        before = len(bonus_entries(r, "award_welcome_bonus"))
        customer = await add_customer(r, "Interrupted")
        # The process stops once Mews has created the membership, before the welcome bonus.
        hooks = list(r.runtime.writes.on_enrolled)
        r.runtime.writes.on_enrolled.clear()
        [membership] = (await enrol(r, customer)).to_dict()["result"]["loyalty_memberships"]
        r.runtime.writes.on_enrolled.extend(hooks)  # the restarted process
        lost = len(bonus_entries(r, "award_welcome_bonus")) - before
        caught_up = await run_job("welcome", context(r))
        again = await run_job("welcome", context(r))
        welcome = [
            w
            for w in bonus_entries(r, "award_welcome_bonus")
            if w.membership_id == membership["id"]
        ]
        audit = [
            a
            for a in records(r.runtime.store)
            if a.action == "award_welcome_bonus" and a.args.get("customer_id") == customer
        ]
        r.advance(31 * 86_400)  # past welcome_catch_up_days: not looked at any more
        later = await run_job("welcome", context(r))
        mews = r.mews_points(membership["id"])

    assert lost == 0
    [item] = [i for i in caught_up.items if i.status != "skipped"]  # only the interrupted one
    assert item.subject == membership["id"]
    assert item.status == "posted"
    assert item.detail == (
        f"welcome bonus of 250 points posted to {membership['id']}, missed at enrolment"
    )
    assert [(w.membership_id, w.points) for w in welcome] == [(membership["id"], 250)]
    assert "for joining Platinum Club" in welcome[0].reason
    assert again.summary == "2 skipped"  # nobody is missing one: no request, no replay
    assert "PC01 membership created in the last 30 days has had its welcome bonus" in (
        again.items[0].detail
    )
    assert [(a.principal, a.decision) for a in audit] == [("automation", "allow")]
    assert later.summary == "2 skipped"
    assert mews == 250


async def test_the_welcome_job_leaves_members_who_had_theirs_at_enrolment(tmp_path: Path) -> None:
    async with rig(tmp_path, customers=0) as r:
        customer = await add_customer(r, "Ordinary")
        [membership] = (await enrol(r, customer)).to_dict()["result"]["loyalty_memberships"]
        report = await run_job("welcome", context(r))
        welcome = [
            w
            for w in bonus_entries(r, "award_welcome_bonus")
            if w.membership_id == membership["id"]
        ]

    assert len(welcome) == 1
    assert membership["id"] not in {i.subject for i in report.items}


# ---------------------------------------------------------------------- birthday
def born_on(r: Rig, customer_id: str, day: str) -> None:
    customer = r.sandbox.state.customers.get(customer_id)
    assert customer is not None
    customer.birth_date = day


async def test_the_birthday_job_posts_the_bonus_once_a_year_on_the_day(tmp_path: Path) -> None:
    async with rig(tmp_path, customers=0) as r:  # the rig's clock: 22 Nov 2026, 12:00 UTC
        born_on(r, STORY.emma_novak, "1990-11-22")
        report = await run_job("birthday", context(r))
        again = await run_job("birthday", context(r))
        entries = bonus_entries(r, "award_birthday_bonus")
        mews = r.mews_points(EMMA_MEMBERSHIP)
        balance = r.ledger_balance(EMMA_MEMBERSHIP)
        r.advance(365 * 86_400)  # a year on: another birthday
        next_year = await run_job("birthday", context(r))
        both = bonus_entries(r, "award_birthday_bonus")

    [item] = [i for i in report.items if i.subject == STORY.emma_novak]
    assert item.status == "posted"
    assert "birthday bonus of 500 points posted" in item.detail
    assert [(e.membership_id, e.kind, e.points) for e in entries] == [
        (EMMA_MEMBERSHIP, "adjustment", 500)
    ]
    assert "(posted before)" in again.items[0].detail
    assert mews == balance  # pushed to Mews
    assert next_year.count("posted") == 1
    assert len(both) == 2


async def test_the_birthday_is_the_hotels_date_not_utc(tmp_path: Path) -> None:
    async with rig(tmp_path, customers=0) as r:
        world = r.sandbox.state.world
        uk = world.enterprises[STORY.enterprise_uk]
        # 22 Nov 12:00 UTC is already 23 Nov 02:00 on Kiritimati (UTC+14).
        world.enterprises[uk.id] = dataclasses.replace(uk, time_zone="Pacific/Kiritimati")
        born_on(r, STORY.emma_novak, "1990-11-22")
        on_utc_date = await run_job("birthday", context(r))
        born_on(r, STORY.emma_novak, "1990-11-23")
        on_hotel_date = await run_job("birthday", context(r))

    assert on_utc_date.count("posted") == 0
    assert on_hotel_date.count("posted") == 1


def test_a_leap_day_birthday_is_kept_on_28_february_in_other_years() -> None:
    from datetime import date

    born = date(2000, 2, 29)
    assert is_birthday(born, date(2027, 2, 28))
    assert not is_birthday(born, date(2028, 2, 28))
    assert is_birthday(born, date(2028, 2, 29))


# ---------------------------------------------------------------------- configuration
def test_bad_bonus_amounts_in_the_program_file_name_their_key() -> None:
    from tools.loyalty.config import default_program_path, parse_program_file

    text = default_program_path().read_text(encoding="utf-8")
    bad = text.replace("welcome_points = 250", "welcome_points = -5").replace(
        "birthday_points = 500", 'birthday_points = "lots"'
    )
    with pytest.raises(ProgramConfigError) as caught:
        parse_program_file(bad)

    message = str(caught.value)
    assert "programs.PC01.bonuses.welcome_points: Input should be greater than or equal to 0" in (
        message
    )
    assert "programs.PC01.bonuses.birthday_points: Input should be a valid integer" in message


# ---------------------------------------------------------------------- expiry reminders
async def test_the_expiry_reminder_job_drafts_one_message_per_expiry_batch_and_sends_nothing(
    tmp_path: Path,
) -> None:
    from tests.automation.support import EMMA_STAY
    from tools.actions.messages import list_messages

    async with rig(tmp_path, customers=0) as r:
        r.check_out(EMMA_STAY)
        await r.deliver()
        early = await run_job("expiry-reminder", context(r))
        r.advance((2 * 365 - 20) * 86_400)  # 24 months on, less 20 days: within 30 days
        report = await run_job("expiry-reminder", context(r))
        again = await run_job("expiry-reminder", context(r))
        drafts = list_messages(r.runtime.store, purpose="expiry_reminder")
        balance = r.ledger_balance(EMMA_MEMBERSHIP)
        sent = [e for e in r.sandbox.events if "message" in e.discriminator.lower()]

    assert early.count("posted") == 0  # nothing due two years ahead
    [item] = [i for i in report.items if i.subject == EMMA_MEMBERSHIP]
    assert item.status == "posted"
    assert again.count("posted") == report.count("posted")  # replayed: no second draft
    [draft] = [d for d in drafts if d.membership_id == EMMA_MEMBERSHIP]
    assert len(drafts) == report.count("posted")
    assert (draft.channel, draft.drafted_by) == ("email", "automation")
    assert draft.subject.startswith(f"{balance:,} Platinum Club points expire on ")
    assert "Dear Platinum Club member" in draft.body
    assert "Emma" not in draft.body  # names no one
    assert "keeps all your points for another 24 months" in draft.body
    assert sent == []


async def test_reminders_follow_consent_a_letter_without_e_mail_and_none_without_either(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.automation.support import EMMA_STAY
    from tools.actions.messages import list_messages
    from tools.loyalty.config import PROGRAM_FILE_ENV, default_program_path

    async def remind(where: Path) -> tuple[Any, list[Any]]:
        async with rig(where, customers=0) as r:
            r.check_out(EMMA_STAY)
            await r.deliver()
            emma = r.sandbox.state.customers.get(STORY.emma_novak)
            assert emma is not None
            emma.options = ()  # withdrew her marketing e-mail consent
            r.runtime.directory.forget_customer(STORY.emma_novak)
            r.advance((2 * 365 - 20) * 86_400)
            report = await run_job("expiry-reminder", context(r))
            drafts = list_messages(r.runtime.store, customer_id=STORY.emma_novak)
        [item] = [i for i in report.items if i.subject == EMMA_MEMBERSHIP]
        return item, drafts

    (tmp_path / "a").mkdir()
    by_post, letters = await remind(tmp_path / "a")
    text = default_program_path().read_text(encoding="utf-8")
    no_letters = tmp_path / "program.toml"
    no_letters.write_text(text.replace('letter = "always"', 'letter = "none"'), encoding="utf-8")
    monkeypatch.setenv(PROGRAM_FILE_ENV, str(no_letters))
    (tmp_path / "b").mkdir()
    skipped, none = await remind(tmp_path / "b")

    assert by_post.status == "posted"
    assert [d.channel for d in letters] == ["letter"]
    assert skipped.status == "skipped"
    assert skipped.detail.startswith("no reminder drafted:")
    assert none == []
