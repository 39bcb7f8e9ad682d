"""The program health report: liability, issued / redeemed / expired per month, breakage,
active and lapsing members, tier mix and movements, top rewards, campaign lift and cost.

`program_report(runtime, ...)` reads and computes it; `build_report(ReportInputs(...))` is the
pure computation others can call on rows they already hold; `render_html` and `write_csv` turn
it into files (`loyalty report`), and the MCP tool `get_program_report` returns it as JSON.
The report's parts (`Totals`, `TierMix`, ...) are in `tools.report.model`.
"""

from __future__ import annotations

from tools.report.compute import CampaignRow, EntryRow, ReportInputs, build_report, period_bounds
from tools.report.load import default_period, gather_inputs, program_report
from tools.report.model import ProgramReport
from tools.report.render import CSV_FILES, render_html, write_csv

__all__ = [
    "CSV_FILES",
    "CampaignRow",
    "EntryRow",
    "ProgramReport",
    "ReportInputs",
    "build_report",
    "default_period",
    "gather_inputs",
    "period_bounds",
    "program_report",
    "render_html",
    "write_csv",
]
