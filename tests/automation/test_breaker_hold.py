"""A stay accrual the circuit breaker holds back is retried, never dead-lettered, and a breaker
reset makes it due at once: the points arrive without `loyalty webhooks retry`."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies import Controls
from policies.state import BreakerState, set_breaker
from tests.automation.support import EMMA_EARNS, EMMA_MEMBERSHIP, EMMA_STAY, Rig, rig
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
        assert r.mews_points(EMMA_MEMBERSHIP) == before + EMMA_EARNS  # stay points and bonus


def test_loyalty_breaker_reset_requeues_what_the_breaker_held_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from typer.testing import CliRunner

    from app.cli import app
    from policies import open_store
    from tests.shell_env import POLICY_AND_MEWS, unset
    from tools.automation import INBOX

    unset(monkeypatch, *POLICY_AND_MEWS, "LOYALTY_TOKEN")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LOYALTY_DATABASE_URL", f"sqlite:///{tmp_path / 'loyalty.db'}")
    store = open_store()
    store.migrate([INBOX])
    now = datetime.now(UTC)
    body = (
        '{"EnterpriseId": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "IntegrationId": '
        '"c8bee838-7fb1-4f4e-8fac-ac87008b2f90", "Events": [{"Discriminator": '
        f'"ServiceOrderUpdated", "Value": {{"Id": "{EMMA_STAY}"}}}}]}}'
    )
    assert inbox.receive(store, body.encode(), now=now).events_new == 1
    claimed = inbox.claim(store, now=now)
    inbox.hold(store, {e.id: "breaker" for e in claimed}, now=now, delay=timedelta(minutes=5))
    assert inbox.claim(store, now=now) == []  # held: not due for five minutes

    reset = CliRunner().invoke(app, ["breaker", "reset", "--as", "alice"])

    assert reset.exit_code == 0, reset.output
    assert "re-queued 1 webhook event(s) the breaker held back" in reset.stdout
    assert [e.id for e in inbox.claim(store, now=datetime.now(UTC))] == [claimed[0].id]
    store.dispose()
