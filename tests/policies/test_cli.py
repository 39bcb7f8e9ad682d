"""`loyalty policy | mode | breaker | audit | approvals`: what a user sees, and exit codes."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from app.cli import app
from app.commands.policy import MODES_HELP
from policies import MODES, Guard, PendingApproval, load_policy
from policies.config import render_toml
from policies.schema import GENESIS_HASH, audit_head_table, audit_table
from storage.store import Store
from tests.policies.support import AWARD, award_args, migrated, policy_data

runner = CliRunner()


def toml_text(data: dict[str, Any]) -> str:
    return render_toml(data)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(toml_text(policy_data(mode="automate")), encoding="utf-8")
    monkeypatch.delenv("LOYALTY_AUDIT_KEY", raising=False)
    monkeypatch.setenv("LOYALTY_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    monkeypatch.setenv("LOYALTY_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("LOYALTY_POLICY_FILE", str(policy_file))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the embedded sandbox
    return {"policy_file": str(policy_file), "db": str(tmp_path / "cli.sqlite3")}


def loyalty(*args: str) -> Result:
    return runner.invoke(app, list(args))


@pytest.fixture
def pending(env: dict[str, str]) -> str:
    """A request by carol for 3000 points, waiting for a manager (system clock: not expired)."""
    store = migrated(f"sqlite:///{env['db']}")
    guard = Guard(store, load_policy(), [AWARD])  # the key file of the CLI, created here
    outcome = asyncio.run(guard.submit(guard.principal("carol"), "award_points", award_args(3000)))
    assert isinstance(outcome, PendingApproval)
    store.dispose()
    return outcome.approval_id


# ---------------------------------------------------------------------------- policy


def test_policy_show_prints_the_effective_policy_as_toml_with_its_source(
    env: dict[str, str],
) -> None:
    result = loyalty("policy", "show")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"# effective policy, from {env['policy_file']}")
    assert 'mode = "automate"' in result.stdout
    assert "[caps]\nmax_points_per_entry = 5000" in result.stdout


def test_policy_show_json_is_the_policy_as_clients_read_it(env: dict[str, str]) -> None:
    result = loyalty("policy", "show", "--json")
    data = json.loads(result.stdout)
    assert data["source"] == env["policy_file"]
    assert data["policy"]["caps"]["per_member_per_day"] == 10000


def test_policy_check_accepts_a_valid_file_and_names_the_key_of_each_problem(
    env: dict[str, str], tmp_path: Path
) -> None:
    ok = loyalty("policy", "check")
    assert ok.exit_code == 0
    assert ok.stdout.startswith(f"ok: {env['policy_file']} (mode automate")
    bad = tmp_path / "bad.toml"
    bad.write_text(toml_text(policy_data(caps={"max_points_per_entry": -5})), encoding="utf-8")
    result = loyalty("policy", "check", str(bad))
    assert result.exit_code == 2
    assert "caps.max_points_per_entry: must be a positive integer, got -5" in result.stderr
    assert "Traceback" not in result.output
    assert loyalty("policy", "check", str(tmp_path / "missing.toml")).exit_code == 2


def test_an_invalid_policy_file_stops_every_command_with_the_key_named(
    env: dict[str, str],
) -> None:
    Path(env["policy_file"]).write_text(toml_text(policy_data(mode="yolo")), encoding="utf-8")
    result = loyalty("mode")
    assert result.exit_code == 2
    assert (
        "mode: input should be 'read_only', 'recommend' or 'automate', got 'yolo'" in result.stderr
    )


# ---------------------------------------------------------------------------- mode, breaker


def test_mode_shows_the_file_mode_until_a_manager_sets_another(env: dict[str, str]) -> None:
    assert loyalty("mode").stdout == "automate (from the policy file)\n"
    result = loyalty("mode", "set", "read_only", "--as", "alice")
    assert (result.exit_code, result.stdout) == (0, "mode set to read_only\n")
    assert loyalty("mode", "show").stdout.startswith("read_only (set by alice at ")


def test_mode_set_by_someone_without_the_permission_is_denied_with_exit_code_1(
    env: dict[str, str],
) -> None:
    result = loyalty("mode", "set", "read_only", "--as", "carol")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: denied by role.permission: role 'staff' of carol")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("mode", "set", "fast", "--as", "alice"), "error: unknown mode 'fast'"),
        (("mode", "set", "automate", "--as", "zoe"), "error: unknown principal 'zoe' (--as)"),
        (("breaker", "reset", "--as", "zoe"), "error: unknown principal 'zoe' (--as)"),
        (("approvals", "show", "apr_missing"), "error: no approval request with id 'apr_missing'"),
        (("approvals", "reject", "apr_missing", "--as", "alice"), "error: no approval request"),
    ],
)
def test_bad_names_ids_and_values_get_one_line_and_exit_code_2(
    env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    result = loyalty(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unusable_database_url_is_one_line_with_exit_code_2(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOYALTY_DATABASE_URL", "mysql://nobody@nowhere/db")
    result = loyalty("mode")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot open the database: unsupported database")


def test_breaker_status_and_reset(env: dict[str, str]) -> None:
    assert loyalty("breaker").stdout == "closed: agent writes allowed\n"
    assert loyalty("breaker", "reset", "--as", "carol").exit_code == 1
    reset = loyalty("breaker", "reset", "--as", "bob")
    assert reset.stdout == "circuit breaker reset: agent writes resume\n"
    assert loyalty("breaker", "status").stdout.startswith(
        "closed: agent writes allowed (last reset by bob"
    )


# ---------------------------------------------------------------------------- audit


def test_audit_verify_passes_an_intact_chain_and_fails_a_broken_one_saying_where(
    env: dict[str, str],
) -> None:
    loyalty("mode", "set", "read_only", "--as", "alice")
    loyalty("mode", "set", "automate", "--as", "bob")
    ok = loyalty("audit", "verify")
    assert (ok.exit_code, ok.stdout) == (0, "audit chain intact: 2 records (hmac-sha256)\n")
    store = Store(f"sqlite:///{env['db']}")
    with store.write() as conn:
        conn.execute(audit_table.update().where(audit_table.c.seq == 1).values(principal="carol"))
    store.dispose()
    broken = loyalty("audit", "verify")
    assert broken.exit_code == 1
    assert broken.stderr.startswith("audit chain broken at seq 1: edited")


def test_a_chain_recomputed_without_the_key_fails_verification(env: dict[str, str]) -> None:
    loyalty("mode", "set", "read_only", "--as", "alice")
    loyalty("mode", "set", "automate", "--as", "bob")
    store = Store(f"sqlite:///{env['db']}")
    with store.write() as conn:  # carol for alice, every SHA-256 recomputed, head moved too
        conn.execute(audit_table.update().where(audit_table.c.seq == 1).values(principal="carol"))
        recompute_plain_chain(conn)
    store.dispose()

    broken = loyalty("audit", "verify")

    assert broken.exit_code == 1
    assert broken.stderr.startswith("audit chain broken at seq 1: edited")


def test_a_removed_tail_with_the_head_moved_back_fails_verification(
    env: dict[str, str],
) -> None:
    for mode in ("read_only", "automate", "recommend"):
        loyalty("mode", "set", mode, "--as", "alice")
    anchored = loyalty("audit", "anchor").stdout
    store = Store(f"sqlite:///{env['db']}")
    with store.write() as conn:  # the last record deleted, the head pointed at the one before
        last = conn.execute(sa.select(audit_table).where(audit_table.c.seq == 2)).one()
        conn.execute(audit_table.delete().where(audit_table.c.seq == 3))
        conn.execute(audit_head_table.update().values(seq=2, hash=last.hash))
    store.dispose()

    broken = loyalty("audit", "verify")

    assert anchored.startswith("seq 3 hash ")
    assert "(hmac-sha256)" in anchored
    assert broken.exit_code == 1
    assert broken.stderr.startswith("audit chain broken at seq 2: truncated")
    assert "head's signature does not match" in broken.stderr


def recompute_plain_chain(conn: Any) -> None:
    """What someone with write access but no key can do: rehash everything with SHA-256."""
    from policies.audit import _chain_hash

    prev = GENESIS_HASH
    for row in conn.execute(sa.select(audit_table).order_by(audit_table.c.seq)).all():
        digest = _chain_hash(prev, row, None)
        conn.execute(
            audit_table.update()
            .where(audit_table.c.seq == row.seq)
            .values(prev_hash=prev, hash=digest)
        )
        prev = digest
    conn.execute(audit_head_table.update().values(hash=prev, algorithm="sha256", mac=None))


def test_audit_export_writes_json_lines_to_a_file_or_stdout(
    env: dict[str, str], tmp_path: Path
) -> None:
    loyalty("mode", "set", "read_only", "--as", "alice")
    out = tmp_path / "audit.jsonl"
    result = loyalty("audit", "export", "--out", str(out))
    assert result.stdout == f"exported 1 records to {out}\n"
    (line,) = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["action"] == "set_mode"
    assert json.loads(loyalty("audit", "export").stdout)["principal"] == "alice"


# ---------------------------------------------------------------------------- approvals


def test_approvals_list_shows_pending_requests(pending: str) -> None:
    result = loyalty("approvals", "list")
    assert result.exit_code == 0, result.output
    (row,) = result.stdout.splitlines()
    # one sentence (no member: "m-1" is not a membership Mews knows)
    assert row.startswith(f"{pending}  Award 3,000 points to an unknown member")
    # when, on the clock of the policy's zone (Europe/Prague), the zone named
    assert re.search(
        r"— requested by carol, just now, \d{1,2} \w{3} \d{4}, \d\d:\d\d CES?T  "
        r"\(approvals\.points_above\)$",
        row,
    ), row


def test_approvals_show_prints_the_exact_arguments(pending: str) -> None:
    data = json.loads(loyalty("approvals", "show", pending).stdout)
    assert data["args"] == {"membership_id": "m-1", "points": 3000}
    assert data["status"] == "pending"


def test_approvals_reject_is_final_and_refuses_the_requester(pending: str) -> None:
    own = loyalty("approvals", "reject", pending, "--as", "carol")
    assert own.exit_code == 1
    mine = loyalty("approvals", "reject", pending, "--as", "alice", "--comment", "no")
    assert (mine.exit_code, mine.stdout) == (0, f"rejected {pending}\n")
    assert loyalty("approvals", "list").stdout == "no pending approval requests\n"
    assert pending in loyalty("approvals", "list", "--all").stdout
    again = loyalty("approvals", "reject", pending, "--as", "bob")
    assert again.exit_code == 1
    assert "already rejected" in again.stderr


def test_the_mode_help_names_every_mode() -> None:
    assert " | ".join(MODES) == MODES_HELP
