"""The program health report: figures computed from a real ledger and hand-built members."""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from storage.outbox import OUTBOX
from storage.store import Store
from tests.loyalty.builders import member, membership, open_account, post, stay
from tools.campaigns.tables import CAMPAIGNS
from tools.loyalty import (
    LEDGER,
    ProgramConfig,
    default_program_path,
    ledger_lock_key,
    load_program_file,
    reverse_entry,
)
from tools.loyalty.ledger import expire_due
from tools.report import (
    CSV_FILES,
    CampaignRow,
    ProgramReport,
    ReportInputs,
    build_report,
    gather_inputs,
    render_html,
    write_csv,
)
from tools.report.compute import month_keys

JAN = datetime(2026, 1, 10, 12, tzinfo=UTC)
FEB = datetime(2026, 2, 10, 12, tzinfo=UTC)
MAR = datetime(2026, 3, 10, 12, tzinfo=UTC)
AS_OF = datetime(2026, 3, 31, 12, tzinfo=UTC)


@pytest.fixture(scope="session")
def pc01() -> ProgramConfig:
    return load_program_file(default_program_path()).program("PC01")


@pytest.fixture
def store() -> Store:
    opened = Store("sqlite://")
    opened.migrate([OUTBOX, LEDGER, CAMPAIGNS])
    return opened


def ledger_of_two_members(store: Store, program: ProgramConfig) -> None:
    """m-1 earns 1,000 in January, spends 300 on the spa credit in February (and a 200
    redemption that is reversed), is granted 50 goodwill in March; m-2 earns 400 in January
    and has 100 of it taken back by a correction in March."""
    with store.write(ledger_lock_key("m-1")) as conn:
        open_account(conn, program, membership_id="m-1", now=JAN)
        post(conn, program, 1000, membership_id="m-1", now=JAN)
        post(conn, program, -300, membership_id="m-1", now=FEB)
        undone = post(conn, program, -200, membership_id="m-1", now=FEB)
        reverse_entry(conn, membership_id="m-1", entry_id=undone.id, reason="t", actor="t", now=MAR)
        post(conn, program, 50, kind="adjustment", membership_id="m-1", now=MAR)
    with store.write(ledger_lock_key("m-2")) as conn:
        open_account(conn, program, membership_id="m-2", now=JAN)
        post(conn, program, 400, membership_id="m-2", now=JAN)
        post(conn, program, -100, kind="adjustment", membership_id="m-2", now=MAR)


def report_from(
    store: Store, program: ProgramConfig, members: list, period_to: date = date(2026, 3, 31)
) -> ProgramReport:
    with store.read() as conn:
        inputs = gather_inputs(
            conn,
            program,
            members,
            period_from=date(2026, 1, 1),
            period_to=period_to,
            as_of=AS_OF,
        )
    return build_report(inputs)


def test_issued_redeemed_and_adjusted_points_are_counted_per_month_with_reversals_netted(
    store: Store, pc01: ProgramConfig
) -> None:
    ledger_of_two_members(store, pc01)
    report = report_from(store, pc01, [])
    by_month = {m.month: (m.issued, m.redeemed, m.expired, m.adjusted_down) for m in report.months}
    assert by_month == {
        "2026-01": (1400, 0, 0, 0),
        "2026-02": (0, 500, 0, 0),
        "2026-03": (50, -200, 0, 100),
    }
    assert (report.totals.issued, report.totals.redeemed) == (1450, 300)
    assert report.totals.redemption_rate == round(300 / 1450, 4)


def test_the_liability_is_the_points_held_at_the_period_end_valued_at_the_point_value(
    store: Store, pc01: ProgramConfig
) -> None:
    ledger_of_two_members(store, pc01)
    end_of_feb = report_from(store, pc01, [], period_to=date(2026, 2, 28))
    end_of_mar = report_from(store, pc01, [])
    assert end_of_feb.liability.outstanding_points == 1000 - 500 + 400
    assert end_of_mar.liability.outstanding_points == 750 + 300
    assert end_of_mar.liability.outstanding_value == (1050 * pc01.point_value).quantize(
        Decimal("0.01")
    )
    assert end_of_mar.liability.members_with_points == 2


def test_expired_points_count_as_breakage_against_what_was_spent(
    store: Store, pc01: ProgramConfig
) -> None:
    lot_day = datetime(2024, 2, 5, tzinfo=UTC)
    assert pc01.expiry_months == 24
    # Each lot its own 24 months: the redemption in January does not keep the rest alive.
    pc01 = pc01.model_copy(update={"expiry_extends_on_activity": False})
    with store.write(ledger_lock_key("m-1")) as conn:
        open_account(conn, pc01, membership_id="m-1", now=lot_day)
        post(conn, pc01, 900, membership_id="m-1", now=lot_day)
        post(conn, pc01, -300, membership_id="m-1", now=JAN)
        expire_due(conn, membership_id="m-1", now=FEB)
    report = report_from(store, pc01, [])
    assert report.totals.expired == 600
    assert report.totals.breakage_rate == round(600 / (300 + 600), 4)
    assert report.liability.outstanding_points == 0


def test_top_rewards_rank_by_points_redeemed_and_drop_reversed_redemptions(
    store: Store, pc01: ProgramConfig
) -> None:
    ledger_of_two_members(store, pc01)
    (spa,) = report_from(store, pc01, []).top_rewards
    assert (spa.reward_id, spa.name, spa.redemptions, spa.points) == (
        "spa-credit",
        pc01.reward("spa-credit").name,
        1,
        300,
    )


def test_members_are_split_into_active_lapsing_and_by_tier(pc01: ProgramConfig) -> None:
    recent = stay(departure=AS_OF - timedelta(days=20))
    old = stay(departure=AS_OF - timedelta(days=700))
    members = [
        member(recent, memberships=(membership(tier_code="G1"),)),
        member(recent, memberships=(membership(tier_code="B1"),)),
        member(old, stay(departure=AS_OF - timedelta(days=900)), memberships=(membership(),)),
        member(memberships=(membership(tier_code=None),)),
        member(recent, memberships=(membership(state="Canceled"),)),
    ]
    report = build_report(
        ReportInputs(
            program=pc01,
            period_from=date(2026, 1, 1),
            period_to=date(2026, 3, 31),
            as_of=AS_OF,
            entries=(),
            balances=(),
            members=members,
        )
    )
    assert (report.members.members, report.members.active, report.members.inactive) == (4, 2, 2)
    assert report.members.lapsing == 1
    mix = {t.tier_code: t.members for t in report.tiers}
    assert mix == {"B1": 2, "S1": 0, "G1": 1, "P1": 0, None: 1}
    assert sum(t.share or 0 for t in report.tiers) == pytest.approx(1)


def test_a_measured_campaign_reports_its_lift_and_an_open_one_only_its_cost(
    pc01: ProgramConfig,
) -> None:
    spring = {"campaign_id": "cmp_a", "name": "Spring", "goal": "win_back", "created_at": JAN}
    summer = {"campaign_id": "cmp_b", "name": "Summer", "goal": "redemption", "created_at": FEB}
    rows = [
        CampaignRow(
            **spring,
            treated=100,
            held_out=100,
            liability_points=50_000,
            measured=True,
            treated_converted=30,
            holdout_converted=10,
        ),
        CampaignRow(**summer, treated=40, held_out=10, liability_points=20_000, measured=False),
    ]
    report = build_report(
        ReportInputs(pc01, date(2026, 1, 1), date(2026, 3, 31), AS_OF, (), (), (), rows)
    )
    spring, summer = report.campaigns
    assert (spring.treated_rate, spring.holdout_rate, spring.lift) == (0.3, 0.1, 0.2)
    assert spring.cost_value == (50_000 * pc01.point_value).quantize(Decimal("0.01"))
    assert (summer.measured, summer.lift, summer.treated_rate) == (False, None, None)


def test_a_period_that_ends_before_it_starts_is_refused(pc01: ProgramConfig) -> None:
    with pytest.raises(ValueError, match="before from"):
        build_report(ReportInputs(pc01, date(2026, 3, 1), date(2026, 2, 1), AS_OF, (), ()))


def test_every_month_the_period_touches_has_a_row_even_without_movements() -> None:
    assert month_keys(date(2025, 11, 15), date(2026, 2, 1)) == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]


def test_the_html_report_draws_inline_svg_charts_loads_nothing_and_escapes_names(
    store: Store, pc01: ProgramConfig
) -> None:
    ledger_of_two_members(store, pc01)
    hostile = pc01.model_copy(update={"name": '<script>alert("x")</script>'})
    page = render_html(report_from(store, hostile, [member(memberships=(membership(),))]))
    assert page.count("<svg") >= 3
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    for remote in ("http://", "https://", "src=", "@import", "url("):
        assert remote not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_a_long_bar_label_gets_the_room_it_needs_instead_of_being_cut() -> None:
    from tools.report.render import bar_list

    label = "Room upgrade to the next category (5×)"
    short = bar_list("Top rewards", [("Parking (2×)", 900, "#000")], "points")
    long = bar_list("Top rewards", [(label, 4086, "#000"), ("Parking (2×)", 900, "#000")], "points")

    def label_right_edge(svg: str) -> int:
        found = re.search(r'<text x="(\d+)" y="\d+" text-anchor="end"', svg)
        assert found, svg
        return int(found.group(1))

    assert label_right_edge(long) >= len(label) * 6.5  # the text, right-aligned, starts at x >= 0
    assert label_right_edge(short) < label_right_edge(long)


def test_the_csv_export_writes_one_file_per_table_with_a_header(
    store: Store, pc01: ProgramConfig, tmp_path: Path
) -> None:
    ledger_of_two_members(store, pc01)
    written = write_csv(report_from(store, pc01, []), tmp_path / "out")
    assert [p.name for p in written] == list(CSV_FILES)
    with (tmp_path / "out" / "months.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["month"], r["issued"]) for r in rows] == [
        ("2026-01", "1400"),
        ("2026-02", "0"),
        ("2026-03", "50"),
    ]


def test_the_html_report_names_tiers_and_writes_money_with_the_symbol(
    store: Store, pc01: ProgramConfig
) -> None:
    ledger_of_two_members(store, pc01)
    recent = stay(departure=AS_OF - timedelta(days=20))
    report = report_from(store, pc01, [member(recent, memberships=(membership(tier_code=None),))])
    assert [(m.direction, m.to_tier) for m in report.tier_movements_due] == [("assign", "B1")]
    page = render_html(report)
    assert "<td>assign</td><td>—</td><td>Bronze</td>" in page  # names, not codes
    assert "<small>£15.00</small>" in page  # 300 points redeemed at 0.05 GBP a point
