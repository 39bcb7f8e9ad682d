"""Several processes posting to one membership lose nothing, on SQLite and on PostgreSQL."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.loyalty.builders import MEMBERSHIP, T0, migrated_store, open_account
from tests.loyalty.concurrency_worker import REDEMPTION, accrual_points, post_mix
from tools.loyalty import ProgramConfig, balance, ledger_lock_key
from tools.loyalty.ledger_reads import verify_account
from tools.loyalty.ledger_schema import entries_table

WORKERS = 4
ROUNDS = 15


def run_workers(url: str, pc01: ProgramConfig) -> None:
    store = migrated_store(url)
    try:
        with store.write(ledger_lock_key(MEMBERSHIP)) as conn:
            open_account(conn, pc01)
        context = multiprocessing.get_context("spawn")
        with context.Pool(WORKERS) as pool:
            redeemed = sum(
                pool.starmap(post_mix, [(url, worker, ROUNDS) for worker in range(WORKERS)])
            )
        accrued = sum(accrual_points(i) for i in range(ROUNDS)) * (WORKERS + 1)
        with store.read() as conn:
            summary = balance(conn, MEMBERSHIP, now=T0)
            keys = conn.execute(sa.select(entries_table.c.idempotency_key)).scalars().all()
            assert verify_account(conn, MEMBERSHIP) == ()
        assert summary.total == accrued - REDEMPTION * redeemed
        assert summary.total >= 0
        assert len(keys) == len(set(keys)) == ROUNDS * (WORKERS + 1) + redeemed
        assert redeemed > 0
    finally:
        store.dispose()


def test_processes_posting_to_one_membership_on_sqlite_lose_nothing(
    tmp_path: Path, pc01: ProgramConfig
) -> None:
    run_workers(f"sqlite:///{tmp_path / 'ledger.sqlite3'}", pc01)


@pytest.mark.postgres
def test_processes_posting_to_one_membership_on_postgresql_lose_nothing(
    postgres_url: str, pc01: ProgramConfig
) -> None:
    run_workers(postgres_url, pc01)
