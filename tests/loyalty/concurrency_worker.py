"""Runs in a spawned process: posts to one membership while other processes do the same."""

from __future__ import annotations

from storage.store import Store
from tests.loyalty.builders import MEMBERSHIP, T0
from tools.loyalty import (
    Source,
    default_program_path,
    ledger_lock_key,
    load_program_file,
    post_entry,
)
from tools.loyalty.errors import InsufficientPointsError

REDEMPTION = 30


def accrual_points(index: int) -> int:
    return 10 + index % 7


def post_mix(url: str, worker: int, rounds: int) -> int:
    """Each round: an accrual of its own, one shared with every worker, a redemption attempt.

    Returns how many redemptions went through.
    """
    program = load_program_file(default_program_path()).program("PC01")
    store = Store(url)
    redeemed = 0
    try:
        for index in range(rounds):
            for key, points in (
                (f"own-{worker}-{index}", accrual_points(index)),
                (f"shared-{index}", accrual_points(index)),  # identical in every worker
            ):
                with store.write(ledger_lock_key(MEMBERSHIP)) as conn:
                    post_entry(
                        conn,
                        membership_id=MEMBERSHIP,
                        kind="accrual",
                        points=points,
                        reason="concurrent accrual",
                        actor="worker",
                        source=Source("manual"),
                        idempotency_key=key,
                        program=program,
                        now=T0,
                    )
            try:
                with store.write(ledger_lock_key(MEMBERSHIP)) as conn:
                    post_entry(
                        conn,
                        membership_id=MEMBERSHIP,
                        kind="redemption",
                        points=-REDEMPTION,
                        reason="concurrent redemption",
                        actor=f"worker-{worker}",
                        source=Source("reward", "welcome-drink"),
                        idempotency_key=f"redeem-{worker}-{index}",
                        program=program,
                        now=T0,
                    )
                redeemed += 1
            except InsufficientPointsError:
                pass
    finally:
        store.dispose()
    return redeemed
