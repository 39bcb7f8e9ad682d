from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from tools.campaigns import assign_holdout, holdout_size

IDS = [str(uuid.UUID(int=i * 7919 + 1)) for i in range(50)]


def test_the_same_seed_gives_the_same_holdout_in_any_order() -> None:
    first = assign_holdout(IDS, share=Decimal("0.2"), seed=42)
    again = assign_holdout(list(reversed(IDS)), share=Decimal("0.2"), seed=42)
    assert first == again
    assert len(first) == 10
    assert assign_holdout(IDS, share=Decimal("0.2"), seed=43) != first


def test_assignment_is_unbiased_over_many_seeds() -> None:
    seeds = 4000
    counts = dict.fromkeys(IDS, 0)
    for seed in range(seeds):
        for held in assign_holdout(IDS, share=Decimal("0.2"), seed=seed):
            counts[held] += 1
    # Each member is held out with probability 0.2 (sd of the frequency: 0.0063).
    frequencies = [count / seeds for count in counts.values()]
    assert all(abs(f - 0.2) < 0.035 for f in frequencies), frequencies
    # No drift by position in the sorted ids: both halves are held out equally often.
    ordered = sorted(IDS)
    low = sum(counts[i] for i in ordered[:25]) / (25 * seeds)
    high = sum(counts[i] for i in ordered[25:]) / (25 * seeds)
    assert abs(low - high) < 0.01


@pytest.mark.parametrize(
    ("members", "share", "expected"),
    [(0, "0.2", 0), (1, "0.2", 0), (2, "0.05", 1), (10, "0.25", 2), (10_000, "0.1", 1000)],
)
def test_holdout_size_rounds_and_keeps_both_groups(members: int, share: str, expected: int) -> None:
    assert holdout_size(members, Decimal(share)) == expected


def test_a_share_outside_zero_to_one_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="holdout_share"):
        holdout_size(10, Decimal("1"))
