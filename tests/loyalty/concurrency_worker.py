"""Runs in a spawned process: posts to one membership while other processes do the same."""

from __future__ import annotations

from storage.store import Store
from tests.loyalty.builders import MEMBERSHIP, post
from tools.loyalty import default_program_path, ledger_lock_key, load_program_file
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
                    post(conn, program, points, key=key)
            try:
                with store.write(ledger_lock_key(MEMBERSHIP)) as conn:
                    post(conn, program, -REDEMPTION, key=f"redeem-{worker}-{index}")
                redeemed += 1
            except InsufficientPointsError:
                pass
    finally:
        store.dispose()
    return redeemed
