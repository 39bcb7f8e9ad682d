"""The daily scheduler of the loyalty jobs inside a long-running process.

    scheduler = JobScheduler(ctx, at=time(3, 0))         # 03:00 UTC, every job
    await scheduler.tick()                               # run what is due now (tests)
    await scheduler.run()                                # forever: tick every `poll_seconds`

A job is due once its day's `at` (UTC) has passed and it has not run that day. The day is
claimed in the database (`automation_job_runs`, primary key job + day) before the job runs, so
several server processes sharing one database run each job once a day between them. A job that
fails is logged with its day marked done: the next day runs it again, and `loyalty jobs run` runs
it by hand meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, time

import sqlalchemy as sa

from storage.clock import naive_utc
from tools.automation.inbox import job_runs_table
from tools.automation.jobs import JOBS, JobContext, JobName, JobReport, run_job

__all__ = ["JobScheduler", "parse_at"]

_log = logging.getLogger(__name__)
_LOCK = "automation-job-runs"


def parse_at(text: str) -> time:
    """`HH:MM` (UTC) → `time`; `ValueError` with the expected form otherwise."""
    try:
        hours, minutes = (int(part) for part in text.split(":"))
        return time(hours, minutes)
    except ValueError:
        raise ValueError(
            f"expected a UTC time of day as HH:MM (e.g. 03:00), got {text!r}"
        ) from None


class JobScheduler:
    def __init__(
        self,
        ctx: JobContext,
        *,
        at: time,
        jobs: Sequence[JobName] = JOBS,
        poll_seconds: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        unknown = [job for job in jobs if job not in JOBS]
        if unknown:
            raise ValueError(f"unknown jobs {unknown}; choose from {', '.join(JOBS)}")
        self.ctx = ctx
        self.at = at
        self.jobs = tuple(jobs)
        self.poll_seconds = poll_seconds
        self._sleep = sleep

    async def tick(self) -> list[JobReport]:
        """Run every job that is due now and not yet claimed today (by any process)."""
        now = self.ctx.clock.now()
        if now.time().replace(tzinfo=None) < self.at:
            return []
        reports: list[JobReport] = []
        for job in self.jobs:
            if not self._claim(job, now):
                continue
            try:
                report = await run_job(job, self.ctx)
            except Exception as exc:  # the scheduler's edge: tomorrow is another run
                _log.exception("scheduled job %s failed", job)
                self._finish(job, now, f"failed: {type(exc).__name__}: {exc}")
                continue
            self._finish(job, now, report.summary)
            _log.info("scheduled job %s: %s", job, report.summary)
            reports.append(report)
        return reports

    async def run(self) -> None:
        while True:
            await self.tick()
            await self._sleep(self.poll_seconds)

    def _claim(self, job: str, now: datetime) -> bool:
        t = job_runs_table
        with self.ctx.store.write(_LOCK) as conn:
            exists = conn.execute(
                sa.select(t.c.job).where(t.c.job == job, t.c.day == now.date())
            ).first()
            if exists is not None:
                return False
            conn.execute(t.insert().values(job=job, day=now.date(), started_at=naive_utc(now)))
        return True

    def _finish(self, job: str, now: datetime, summary: str) -> None:
        t = job_runs_table
        with self.ctx.store.write(_LOCK) as conn:
            conn.execute(
                t.update()
                .where(t.c.job == job, t.c.day == now.date())
                .values(finished_at=naive_utc(self.ctx.clock.now()), summary=summary[:2000])
            )
