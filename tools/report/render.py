"""The program health report as files: CSV tables, and one self-contained HTML page whose charts
are inline SVG (no script, no CDN, no web font: it opens offline and prints as it shows).

Every text that comes from data (program, reward and campaign names) is HTML-escaped.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel

from tools.loyalty.display import money
from tools.report.model import CampaignFigures, MonthFigures, ProgramReport, RewardUse, TierMix

__all__ = ["CSV_FILES", "render_html", "write_csv"]

CSV_FILES = ("summary.csv", "months.csv", "tiers.csv", "rewards.csv", "campaigns.csv")

_COLORS = {"issued": "#2f6f4f", "redeemed": "#2b5c8a", "expired": "#b5542d"}
_TIER_COLORS = ("#8c6d46", "#9aa3ad", "#c9a227", "#4b5563", "#6b7f99", "#a3a3a3")


# ---------------------------------------------------------------------- CSV
_Table = tuple[Sequence[str], Sequence[Sequence[object]]]


def _summary_rows(report: ProgramReport) -> list[tuple[str, object]]:
    """The headline figures, one a row: the program and period, then the liability, the
    period's totals and the member counts, each under the name of its field."""
    members = report.members.model_dump(exclude={"activity_window_months"})
    return [
        ("program", report.program_code),
        ("period_from", report.period_from),
        ("period_to", report.period_to),
        ("currency", report.currency),
        ("point_value", report.point_value),
        *report.liability.model_dump().items(),
        *report.totals.model_dump().items(),
        *members.items(),
    ]


def _table(model: type[BaseModel], parts: Sequence[BaseModel]) -> _Table:
    """Parts of the report as a table: a column per field of `model`, named and ordered as its
    fields, and a row per part."""
    columns = tuple(model.model_fields)
    return columns, [tuple(getattr(part, name) for name in columns) for part in parts]


def _cell(value: object) -> object:
    """A value as the CSV shows it: nothing for None, ISO 8601 for days and moments."""
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else value


def _write(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([_cell(value) for value in row] for row in rows)


def write_csv(report: ProgramReport, directory: Path) -> list[Path]:
    """One CSV per table of the report into `directory` (created if missing); the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    tables: dict[str, _Table] = {
        "summary.csv": (("figure", "value"), _summary_rows(report)),
        "months.csv": _table(MonthFigures, report.months),
        "tiers.csv": _table(TierMix, report.tiers),
        "rewards.csv": _table(RewardUse, report.top_rewards),
        "campaigns.csv": _table(CampaignFigures, report.campaigns),
    }
    written: list[Path] = []
    for name, (header, rows) in tables.items():
        path = directory / name
        _write(path, header, rows)
        written.append(path)
    return written


# ---------------------------------------------------------------------- SVG charts
def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _nice_max(value: int) -> int:
    """A round axis maximum at or above `value` (1, 2 or 5 × a power of ten)."""
    if value <= 0:
        return 1
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def _points(value: int) -> str:
    return f"{value:,}"


def monthly_chart(report: ProgramReport) -> str:
    """Grouped bars per month: issued, redeemed, expired."""
    series = ("issued", "redeemed", "expired")
    months = report.months
    width, height, left, bottom, top = 760, 280, 70, 40, 20
    plot_w, plot_h = width - left - 10, height - top - bottom
    top_value = _nice_max(max([getattr(m, s) for m in months for s in series] + [0]))
    slot = plot_w / max(len(months), 1)
    bar = max(min(slot / 4, 18), 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="months-title"><title id="months-title">Points issued, redeemed and '
        f"expired per month</title>"
    ]
    for i in range(6):  # fifths of a 1-2-5 maximum are round numbers too
        value = top_value * i // 5
        y = top + plot_h - plot_h * i / 5
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{_points(value)}</text>"
        )
    for index, month in enumerate(months):
        x0 = left + slot * index + (slot - bar * 3) / 2
        for offset, name in enumerate(series):
            value = getattr(month, name)
            h = plot_h * max(value, 0) / top_value
            x = x0 + offset * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar - 1:.1f}" '
                f'height="{h:.1f}" fill="{_COLORS[name]}"><title>{_e(month.month)} {name}: '
                f"{_points(value)}</title></rect>"
            )
        parts.append(
            f'<text x="{left + slot * index + slot / 2:.1f}" y="{height - bottom + 16}" '
            f'text-anchor="middle" font-size="11">{_e(month.month[2:])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_list(title: str, items: Sequence[tuple[str, int, str]], unit: str) -> str:
    """Horizontal bars: (label, value, colour) each, with the value written after the bar."""
    row_h, width = 26, 760
    # Wide enough for the longest label at 12 px (about 6.8 px a character), 120..380 px:
    # "Room upgrade to the next category (5×)" is not cut at the chart's left edge.
    longest = max((len(label) for label, _v, _c in items), default=0)
    label_w = max(120, min(380, round(longest * 6.8) + 16))
    height = row_h * max(len(items), 1) + 10
    top_value = max([value for _label, value, _c in items] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img">'
        f"<title>{_e(title)}</title>"
    ]
    if not items:
        parts.append('<text x="0" y="18" font-size="13" fill="#666">Nothing in this period.</text>')
    for index, (label, value, colour) in enumerate(items):
        y = 5 + index * row_h
        w = (width - label_w - 110) * value / top_value
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" font-size="12">{_e(label)}'
            f'</text><rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="{colour}"/><text x="{label_w + w + 6:.1f}" y="{y + 16}" font-size="12">'
            f"{_points(value)} {_e(unit)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------------- HTML
def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _money(value: Decimal, currency: str) -> str:
    return money(value, currency)


def _card(label: str, value: str, note: str = "") -> str:
    small = f"<small>{_e(note)}</small>" if note else ""
    return f'<div class="card"><span>{_e(label)}</span><strong>{_e(value)}</strong>{small}</div>'


def _cards(report: ProgramReport) -> str:
    liab, t, m, cur = report.liability, report.totals, report.members, report.currency
    return "".join(
        [
            _card(
                "Outstanding liability",
                _money(liab.outstanding_value, cur),
                f"{_points(liab.outstanding_points)} points held by "
                f"{liab.members_with_points:,} members",
            ),
            _card("Issued", _points(t.issued), _money(t.issued_value, cur)),
            _card("Redeemed", _points(t.redeemed), _money(t.redeemed_value, cur)),
            _card("Expired", _points(t.expired), f"breakage {_pct(t.breakage_rate)}"),
            _card("Redemption rate", _pct(t.redemption_rate), "redeemed ÷ issued"),
            _card(
                "Active members",
                f"{m.active:,} of {m.members:,}",
                f"{m.lapsing:,} lapsing, {m.inactive:,} inactive",
            ),
        ]
    )


def _movements(report: ProgramReport) -> str:
    if not report.tier_movements_due:
        return "<p>No tier changes due at the period end.</p>"
    names = {mix.tier_code: mix.tier_name for mix in report.tiers if mix.tier_code}

    def name(code: str | None) -> str:
        return names.get(code, code) if code else "—"

    rows = "".join(
        f"<tr><td>{_e(mv.direction)}</td><td>{_e(name(mv.from_tier))}</td>"
        f"<td>{_e(name(mv.to_tier))}</td><td class=n>{mv.members:,}</td></tr>"
        for mv in report.tier_movements_due
    )
    return (
        "<table><thead><tr><th>Change due</th><th>From</th><th>To</th><th class=n>Members</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _campaigns(report: ProgramReport) -> str:
    if not report.campaigns:
        return "<p>No campaigns created in this period.</p>"
    cur = report.currency
    rows = "".join(
        f"<tr><td>{_e(c.name)}</td><td>{_e(c.goal)}</td><td class=n>{c.treated:,} / "
        f"{c.held_out:,}</td><td class=n>{_points(c.liability_points)}</td>"
        f"<td class=n>{_e(_money(c.cost_value, cur))}</td><td class=n>{_pct(c.treated_rate)}</td>"
        f"<td class=n>{_pct(c.holdout_rate)}</td><td class=n>"
        f"{'not measured yet' if not c.measured else _pct(c.lift)}</td></tr>"
        for c in report.campaigns
    )
    return (
        "<table><thead><tr><th>Campaign</th><th>Goal</th><th class=n>Treated / holdout</th>"
        "<th class=n>Liability (points)</th><th class=n>Cost at most</th><th class=n>Treated"
        "</th><th class=n>Holdout</th><th class=n>Lift</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;
max-width:820px;color:#1f2933;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.sub{color:#52606d;margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(3,1fr);gap:10px}
.card{border:1px solid #d9e2ec;border-radius:6px;padding:10px 12px}
.card span{display:block;color:#52606d;font-size:12px}
.card strong{display:block;font-size:20px}.card small{color:#52606d}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e4e7eb;padding:4px 6px;text-align:left}.n{text-align:right}
dl{font-size:12px;color:#52606d}dt{font-weight:600;float:left;clear:left;width:150px}
dd{margin-left:160px}svg{width:100%;height:auto}
"""


def render_html(report: ProgramReport) -> str:
    """The whole report as one HTML page with inline SVG charts (works offline)."""
    legend = "".join(
        f'<span><i style="background:{colour}"></i>{name}</span>'
        for name, colour in _COLORS.items()
    )
    tiers = bar_list(
        "Members by tier",
        [
            (t.tier_name, t.members, _TIER_COLORS[i % len(_TIER_COLORS)])
            for i, t in enumerate(report.tiers)
        ],
        "members",
    )
    rewards = bar_list(
        "Top rewards by points redeemed",
        [(f"{r.name} ({r.redemptions}×)", r.points, "#2b5c8a") for r in report.top_rewards],
        "points",
    )
    definitions = "".join(
        f"<dt>{_e(key)}</dt><dd>{_e(text)}</dd>" for key, text in report.definitions.items()
    )
    title = f"{report.program_name} ({report.program_code}) — program health"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1><p class=sub>{report.period_from} to {report.period_to} · "
        f"1 point = {_e(report.point_value)} {_e(report.currency)} · as of "
        f"{report.as_of:%Y-%m-%d %H:%M} UTC</p>"
        f'<div class="cards">{_cards(report)}</div>'
        f'<h2>Points per month</h2><div class="legend">{legend}</div>{monthly_chart(report)}'
        f"<h2>Tier mix</h2>{tiers}<h2>Tier movements</h2>{_movements(report)}"
        f"<h2>Top rewards</h2>{rewards}<h2>Campaigns</h2>{_campaigns(report)}"
        f"<h2>Definitions</h2><dl>{definitions}</dl></body></html>"
    )
