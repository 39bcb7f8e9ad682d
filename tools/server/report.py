"""`get_program_report`: the program health report as JSON (toolset `campaigns`, read only).

Liability (outstanding points and their value), issued / redeemed / expired per month,
breakage, active and lapsing members, tier mix and the tier changes due, top rewards, and the
cost and lift of the period's campaigns (`tools.report`). The same figures `loyalty report`
prints and renders as HTML.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from tools.report import ProgramReport, program_report
from tools.server.tooling import ToolDef, ToolEnv, ToolRefusal

__all__ = ["REPORT_TOOLS", "ProgramReportArgs", "get_program_report"]

MAX_PERIOD_DAYS = 3 * 366


class ProgramReportArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    program_code: Annotated[
        str | None,
        StringConstraints(min_length=1, max_length=50),
        Field(description="the Mews program Code; default: the first program"),
    ] = None
    period_from: date | None = Field(default=None, description="first day; default 12 months ago")
    period_to: date | None = Field(default=None, description="last day, included; default today")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.period_from and self.period_to:
            if self.period_to < self.period_from:
                raise ValueError(f"period_to: {self.period_to} is before period_from")
            if (self.period_to - self.period_from).days > MAX_PERIOD_DAYS:
                raise ValueError(f"period_to: a period spans at most {MAX_PERIOD_DAYS} days")
        return self


async def get_program_report(env: ToolEnv, args: ProgramReportArgs) -> Any:
    runtime = env.runtime
    if args.program_code is not None and args.program_code not in runtime.programs.programs:
        known = ", ".join(runtime.programs.programs)
        raise ToolRefusal(
            f"program_code: no program {args.program_code!r} (programs: {known})",
            field="program_code",
        )

    async def run() -> ProgramReport:
        return await program_report(
            runtime, args.program_code, period_from=args.period_from, period_to=args.period_to
        )

    return await runtime.guard.read(
        env.principal, "get_program_report", args.model_dump(mode="json"), run
    )


REPORT_TOOLS: tuple[ToolDef, ...] = (
    ToolDef(
        "get_program_report",
        "Program health report",
        "Liability, issued/redeemed/expired per month, breakage, active and lapsing members, "
        "tier mix and changes due, top rewards, campaign cost and lift.",
        ProgramReportArgs,
        ProgramReport,
        toolset="campaigns",
        needs=("read",),
        handler=get_program_report,
        open_world=True,
    ),
)
