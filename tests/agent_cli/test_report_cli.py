"""`loyalty report`: the program health report as text, CSV and one offline HTML page."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from app.cli import app
from tools.report import CSV_FILES

runner = CliRunner()


def test_the_report_writes_csv_and_an_html_page_with_inline_charts(cli_env: Path) -> None:
    out = cli_env / "out"
    result = runner.invoke(
        app,
        [
            "report",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--csv",
            str(out),
            "--html",
            str(cli_env / "report.html"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [m["month"] for m in report["months"]] == ["2026-01", "2026-02", "2026-03"]
    assert sorted(p.name for p in out.iterdir()) == sorted(CSV_FILES)
    page = (cli_env / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 3
    assert "Platinum Club" in page


def test_a_bad_date_or_a_reversed_period_is_one_line_naming_the_option(cli_env: Path) -> None:
    bad = runner.invoke(app, ["report", "--from", "yesterday"])
    reversed_ = runner.invoke(app, ["report", "--from", "2026-03-01", "--to", "2026-02-01"])
    unknown = runner.invoke(app, ["report", "--program", "NOPE"])
    assert bad.exit_code != 0
    assert "--from: expected a date as YYYY-MM-DD" in bad.output
    assert reversed_.exit_code != 0
    assert "is before --from" in reversed_.output
    assert unknown.exit_code != 0
    assert "--program" in unknown.output
    assert "Traceback" not in bad.output + reversed_.output + unknown.output
