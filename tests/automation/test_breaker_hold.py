"""A stay accrual the circuit breaker holds back is retried, never dead-lettered, and a breaker
reset makes it due at once: the points arrive without `loyalty webhooks retry`."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies import Controls
from policies.state import BreakerState, set_breaker
from tests.automation.support import EMMA_MEMBERSHIP, EMMA_STAY, Rig, rig
from tools.automation import inbox

pytestmark = pytest.mark.anyio


def _trip(r: Rig) -> None:
    """A points spike tripped the breaker: every automated write is held."""
    now = r.clock.now()
    tripped = BreakerState(
        tripped=True,
        rule="breaker.points_spike",
        reason="issued far above the trailing average",
        tripped_at=now.isoformat(),
    )
    with r.runtime.store.write() as conn:
        set_breaker(conn, tripped, by="system", now=now)


def _stay_events(r: Rig) -> list[inbox.InboxEvent]:
    events = inbox.list_events(r.runtime.store, statuses=("pending", "in_flight", "dead", "done"))
    return [e for e in events if e.entity_id == EMMA_STAY]


async def test_a_held_accrual_waits_without_spending_attempts_and_a_reset_requeues_it(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        before = r.mews_points(EMMA_MEMBERSHIP) or 0
        _trip(r)
        r.check_out(EMMA_STAY)
        await r.deliver()
        for _ in range(12):  # half a day: far beyond the worker's 8 attempts with backoff
            r.advance(3600)
            report = await r.service.worker.drain()
            assert report.dead == 0

        held = _stay_events(r)
        assert held
        assert {e.status for e in held} == {"pending"}
        assert {e.attempts for e in held} == {0}
        assert all((e.last_error or "").startswith("held: ") for e in held)
        assert r.mews_points(EMMA_MEMBERSHIP) == before

        await Controls(r.runtime.guard).reset_breaker(r.runtime.guard.principal("alice"))
        assert inbox.release_held(r.runtime.store, now=r.clock.now()) == len(held)
        await r.service.worker.drain()  # no clock moved: due at once

        assert {e.status for e in _stay_events(r)} == {"done"}
        assert r.mews_points(EMMA_MEMBERSHIP) == before + 592
