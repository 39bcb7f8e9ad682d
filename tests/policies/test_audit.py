"""The audit chain: every guarded call leaves a record; any edit, removal, reordering or truncation
is found, with the first broken seq."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from inline_snapshot import snapshot

from policies import Guard, export, records, verify
from policies.audit import AuditDraft, append, audit_key
from policies.errors import AuditKeyError
from policies.schema import audit_head_table, audit_table
from storage.clock import FixedClock
from storage.store import Store
from tests.policies.support import AWARD, T0, award_args, make_policy, migrated

pytestmark = pytest.mark.anyio


async def six_records(guard: Guard) -> None:
    carol = guard.principal("carol")
    for points in (10, 20, 30, 40, 50, 60):
        await guard.submit(carol, "award_points", award_args(points))


def execute(store: Store, *statements: sa.Executable) -> None:
    with store.write() as conn:
        for statement in statements:
            conn.execute(statement)


def move(seq: int, to: int) -> sa.Executable:
    return audit_table.update().where(audit_table.c.seq == seq).values(seq=to)


async def test_every_guarded_call_leaves_one_record_and_the_chain_verifies(
    guard: Guard, store: Store
) -> None:
    carol = guard.principal("carol")

    async def nothing() -> None:
        return None

    await guard.submit(carol, "award_points", award_args(10), "k")
    await guard.submit(carol, "award_points", award_args(10), "k")
    await guard.submit(carol, "award_points", award_args(9999))
    await guard.read(carol, "get_member_summary", {"membership_id": "m-1"}, nothing)
    chain = records(store)
    assert [(r.seq, r.decision) for r in chain] == [
        (1, "allow"),
        (2, "replayed"),
        (3, "deny"),
        (4, "allow"),
    ]
    assert chain[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))
    report = verify(store, None)
    assert report.ok
    assert report.summary() == "audit chain intact: 4 records (sha256)"


async def test_an_edited_record_is_found_by_its_seq(guard: Guard, store: Store) -> None:
    await six_records(guard)
    execute(store, audit_table.update().where(audit_table.c.seq == 2).values(args='{"points":2}'))
    report = verify(store, None)
    assert (report.ok, report.broken_seq, report.problem) == (False, 2, "edited")


async def test_a_removed_record_is_found_by_its_seq(guard: Guard, store: Store) -> None:
    await six_records(guard)
    execute(store, audit_table.delete().where(audit_table.c.seq == 3))
    report = verify(store, None)
    assert (report.broken_seq, report.problem) == (3, "removed")
    assert report.summary() == (
        "audit chain broken at seq 3: removed: seq 3 is missing (next record is seq 4)"
    )


async def test_a_removed_record_is_found_even_when_the_rest_is_renumbered(
    guard: Guard, store: Store
) -> None:
    await six_records(guard)
    execute(
        store,
        audit_table.delete().where(audit_table.c.seq == 3),
        move(4, 3),
        move(5, 4),
        move(6, 5),
    )
    execute(store, audit_head_table.update().values(seq=5))
    report = verify(store, None)
    assert (report.broken_seq, report.problem) == (3, "removed")


async def test_reordered_records_are_found(guard: Guard, store: Store) -> None:
    await six_records(guard)
    execute(store, move(2, 100), move(3, 2), move(100, 3))
    report = verify(store, None)
    assert (report.broken_seq, report.problem) == (2, "reordered")
    assert report.detail == "it follows seq 3, which comes after it"


async def test_a_truncated_tail_is_found_through_the_head(guard: Guard, store: Store) -> None:
    await six_records(guard)
    execute(store, audit_table.delete().where(audit_table.c.seq >= 5))
    report = verify(store, None)
    assert (report.broken_seq, report.problem, report.records) == (5, "truncated", 4)


async def test_a_record_appended_around_the_head_is_found(guard: Guard, store: Store) -> None:
    await six_records(guard)
    head = records(store)[-1]
    forged = AuditDraft(head.at, "mallory", "staff", "award_points", {"points": 9}, "allow")
    with store.write() as conn:  # a well-formed record, but the head is put back as it was
        append(conn, store, [forged], None)
        conn.execute(audit_head_table.update().values(seq=head.seq, hash=head.hash))
    report = verify(store, None)
    assert (report.broken_seq, report.problem) == (7, "appended")


async def test_a_keyed_chain_verifies_only_with_its_key(store: Store, clock: FixedClock) -> None:
    guard = Guard(store, make_policy(mode="automate"), [AWARD], clock=clock, audit_key=b"s3cret")
    await six_records(guard)
    assert verify(store, b"s3cret").summary() == "audit chain intact: 6 records (hmac-sha256)"
    without = verify(store, None)
    assert (without.broken_seq, without.problem) == (1, "edited")
    assert "written with hmac-sha256" in without.detail
    assert not verify(store, b"guess").ok


def test_the_audit_key_comes_from_the_variable_the_policy_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    policy = make_policy(audit={"key_env": "MY_AUDIT_KEY", "require_key": True})
    monkeypatch.delenv("MY_AUDIT_KEY", raising=False)
    monkeypatch.setenv("LOYALTY_AUDIT_KEY_FILE", str(tmp_path / "no-such.key"))
    with pytest.raises(AuditKeyError, match="MY_AUDIT_KEY"):
        audit_key(policy)
    monkeypatch.setenv("MY_AUDIT_KEY", "abc")
    assert audit_key(policy) == b"abc"
    assert audit_key(make_policy(audit={"key_env": "UNSET_AUDIT_KEY_VAR"})) is None


async def test_records_keep_ids_and_drop_personal_data_and_secrets(
    guard: Guard, store: Store
) -> None:
    args = {
        "membership_id": "m-1",
        "points": 10,
        "reason": "Jana Nováková complained about noise",
        "customer": {"FirstName": "Jana", "Email": "jana@example.com", "BirthDate": "1990-01-01"},
        "access_token": "tok-123",
        "channel": "call +420 601 123 456 or mail jana@example.com",
    }
    await guard.submit(guard.principal("carol"), "award_points", args)
    (record,) = records(store)
    assert record.args == snapshot(
        {
            "access_token": "[removed]",
            "channel": "call [phone] or mail [email]",
            "customer": {
                "BirthDate": "[redacted]",
                "Email": "[redacted]",
                "FirstName": "[redacted]",
            },
            "membership_id": "m-1",
            "points": 10,
            "reason": "[redacted]",
        }
    )
    with store.read() as conn:
        raw = conn.execute(sa.select(audit_table.c.args)).scalar_one()
    assert "tok-123" not in raw
    assert "jana" not in raw.lower()


async def test_export_writes_one_json_line_per_record_in_chain_order(
    guard: Guard, store: Store
) -> None:
    await six_records(guard)
    out = io.StringIO()
    assert export(store, out) == 6
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3, 4, 5, 6]
    assert lines[0] == snapshot(
        {
            "action": "award_points",
            "approval_id": None,
            "args": {"membership_id": "m-1", "points": 10},
            "at": "2025-03-10T09:00:00+00:00",
            "decision": "allow",
            "hash": lines[0]["hash"],
            "idempotency_key": lines[0]["idempotency_key"],
            "prev_hash": "0000000000000000000000000000000000000000000000000000000000000000",
            "principal": "carol",
            "reason": None,
            "result": {"award_id": 1, "points": 10},
            "role": "staff",
            "rule": None,
            "seq": 1,
        }
    )
    assert lines[1]["prev_hash"] == lines[0]["hash"]


def test_appends_from_two_handles_of_one_database_keep_one_chain(tmp_path: Path) -> None:
    """Each handle guesses the head its last append left (one statement instead of reading it
    first); a guess another process's append made stale is found, and the head is read."""
    url = f"sqlite:///{tmp_path / 'chain.db'}"
    first, second = migrated(url), Store(url)
    at = T0

    def add(store: Store, n: int) -> int:
        with store.write() as conn:
            draft = AuditDraft(at, "carol", "agent", "award_points", {"n": n}, "allow")
            return append(conn, store, [draft], None)

    assert [add(first, 1), add(second, 2), add(first, 3), add(first, 4), add(second, 5)] == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert verify(first, None).ok
    assert [r.args for r in records(first)] == [{"n": n} for n in range(1, 6)]


def test_a_guess_left_by_a_rolled_back_append_is_not_trusted(tmp_path: Path) -> None:
    store = migrated(f"sqlite:///{tmp_path / 'chain.db'}")
    draft = AuditDraft(T0, "carol", "agent", "award_points", {}, "allow")
    with store.write() as conn:
        append(conn, store, [draft], None)

    def rolled_back() -> None:
        with store.write() as conn:
            append(conn, store, [draft], None)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        rolled_back()
    with store.write() as conn:
        assert append(conn, store, [draft], None) == 2
    assert verify(store, None).ok
