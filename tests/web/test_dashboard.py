"""The manager's dashboard (program health with SVG charts), CSV exports, audit filters."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from tests.web.conftest import SignIn, csrf_of
from tests.web.holds import SANDBOX_DESK_ZONE, award_args, day_text, hold, runtime_of
from web.dashboard import csv_text


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_dashboard_shows_the_program_health_with_inline_svg_charts(
    signed_in: SignIn,
) -> None:
    client = signed_in("alice")
    token = csrf_of(client.get("/members/bc3d5f76-b17c-59b4-a745-ac2572b403f8").text)
    client.post(
        "/members/bc3d5f76-b17c-59b4-a745-ac2572b403f8/award",
        data={
            "csrf": token,
            "membership_id": "058abe17-c64a-5ec1-983e-25a10fbfde93",
            "points": "500",
            "reason": "Birthday",
        },
    )
    page = client.get("/dashboard").text
    text = _text(page)
    assert "Outstanding liability" in text
    assert "Active members 5 of 7" in text
    assert page.count("<svg") == 3  # months, tiers, rewards; drawn on the server
    assert "<script" not in page.split("<main", 1)[1]
    today = datetime.now(SANDBOX_DESK_ZONE).date()  # the report's period ends today, a year long
    start = today.replace(year=today.year - 1, day=1)
    assert f"Platinum Club, {day_text(start)} to {day_text(today)}" in text
    assert "downgrade from Gold to Silver" in text  # names, not codes; one tier down at a time
    other = client.get("/dashboard", params={"program": "GEC07"})
    assert other.status_code == 200
    assert "Gold Exclusive Club" in _text(other.text)


def test_the_dashboard_explains_a_bad_period_or_program_and_is_for_managers(
    signed_in: SignIn,
) -> None:
    client = signed_in("alice")
    bad = client.get("/dashboard", params={"from": "yesterday"})
    assert bad.status_code == 400
    assert "from: a date like 2026-01-31, not “yesterday”." in bad.text
    reversed_period = client.get("/dashboard", params={"from": "2026-05-01", "to": "2026-01-01"})
    assert reversed_period.status_code == 400
    assert "period_to" in reversed_period.text
    unknown = client.get("/dashboard", params={"program": "XX"})
    assert unknown.status_code == 400
    assert "program: no program &#39;XX&#39;" in unknown.text
    assert signed_in("carol").get("/dashboard").status_code == 403


def test_csv_exports_of_members_ledger_and_approvals(signed_in: SignIn) -> None:
    client = signed_in("alice")
    approval_id = client.portal.call(  # type: ignore[union-attr]
        hold, runtime_of(client), "carol", "award_points", award_args(3000)
    )
    members = client.get("/dashboard/export/members.csv")
    assert members.headers["content-type"].startswith("text/csv")
    assert "attachment; filename=" in members.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(members.text)))
    emma = next(r for r in rows if r["name"] == "Emma Novak")
    assert (emma["membership_number"], emma["tier"], emma["points"]) == (
        "PC-1000001",
        "Silver",
        "6240",
    )
    approvals = list(
        csv.DictReader(io.StringIO(client.get("/dashboard/export/approvals.csv").text))
    )
    assert approvals[0]["approval_id"] == approval_id
    assert approvals[0]["request"].startswith("Award 3,000 points to Emma Novak")
    ledger = client.get("/dashboard/export/ledger.csv")
    assert ledger.text.startswith("entry_id,membership_id,created_at_utc,kind,points,reason,actor")
    assert client.get("/dashboard/export/secrets.csv").status_code == 404
    assert signed_in("carol").get("/dashboard/export/members.csv").status_code == 403


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted() -> None:
    text = csv_text(("name",), [('=HYPERLINK("x")',), ("+1",), ("@SUM",), ("Emma",)])
    assert text.splitlines() == ["name", '"\'=HYPERLINK(""x"")"', "'+1", "'@SUM", "Emma"]


def test_the_audit_view_filters_by_who_action_and_decision(signed_in: SignIn) -> None:
    client = signed_in("alice")
    client.get("/members", params={"q": "Emma Novak"})  # alice reads: audited
    everything = client.get("/audit").text
    assert "find_members" in everything
    only = client.get("/audit", params={"action": "find_members", "principal": "alice"}).text
    assert re.search(r"\d+ of the last \d+ records match", _text(only))
    assert "get_member_summary" not in _text(only).split("match", 1)[1]
    none = client.get("/audit", params={"principal": "nobody"}).text
    assert "0 of the last" in _text(none)
