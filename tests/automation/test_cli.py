"""`loyalty webhooks` and `loyalty jobs`: what a user sees, and exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli import app
from storage.store import Store
from tools.automation import INBOX, inbox

runner = CliRunner()
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
R1 = "bfee2c44-1f84-4326-a862-5289598f6e2d"


def loyalty(*args: str) -> Result:
    return runner.invoke(app, list(args))


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("LOYALTY_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    store = Store(f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    store.migrate([INBOX])
    return store


def _webhook() -> bytes:
    return json.dumps(
        {
            "EnterpriseId": "851df8c8-90f2-4c4a-8e01-a4fc46b25178",
            "IntegrationId": "c8bee838-7fb1-4f4e-8fac-ac87008b2f90",
            "Events": [{"Discriminator": "ServiceOrderUpdated", "Value": {"Id": R1}}],
        }
    ).encode()


def test_webhooks_list_shows_dead_events_and_malformed_payloads_and_retry_requeues(
    db: Store,
) -> None:
    inbox.receive(db, _webhook(), now=NOW)
    inbox.receive(db, b"garbage", now=NOW)
    [event] = inbox.claim(db, now=NOW)
    inbox.park(db, {event.id: "denied: caps.per_principal_per_day"}, now=NOW)

    dead = loyalty("webhooks", "list", "--dead")
    malformed = loyalty("webhooks", "list", "--malformed")
    retried = loyalty("webhooks", "retry", str(event.id))
    unknown = loyalty("webhooks", "retry", "999")
    neither = loyalty("webhooks", "retry")

    assert dead.exit_code == 0
    assert "0 pending, 0 in flight, 0 done, 1 dead; 2 messages (1 malformed)" in dead.output
    assert f"ServiceOrderUpdated  {R1}" in dead.output
    assert "denied: caps.per_principal_per_day" in dead.output
    assert "the body is not JSON" in malformed.output
    assert "garbage" in malformed.output
    assert (retried.exit_code, retried.output.strip()) == (
        0,
        f"event {event.id} (ServiceOrderUpdated {R1}) is queued again",
    )
    assert unknown.exit_code == 2
    assert "no webhook event 999" in unknown.output
    assert neither.exit_code == 2
    assert inbox.stats(db).pending == 1
    db.dispose()


def test_webhooks_refuses_to_serve_without_a_secret(db: Store) -> None:
    result = loyalty("webhooks", "--port", "8088")
    assert result.exit_code == 2
    assert "set LOYALTY_WEBHOOK_SECRET" in result.output
    db.dispose()


def test_jobs_run_names_the_jobs_on_a_typo(db: Store) -> None:
    result = loyalty("jobs", "run", "expire")
    assert result.exit_code == 2
    assert "unknown job 'expire'; choose one of expiry, tier-review, win-back" in result.output
    db.dispose()


def test_jobs_run_expiry_on_the_embedded_sandbox(db: Store) -> None:
    result = loyalty("jobs", "run", "expiry", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["summary"] == "nothing to do"
    db.dispose()


def test_sandbox_refuses_a_bad_webhook_url(tmp_path: Path) -> None:
    result = loyalty("sandbox", "--state", str(tmp_path / "s.json"), "--webhook-url", "ftp://x")
    assert result.exit_code == 2
    assert "--webhook-url" in result.output
