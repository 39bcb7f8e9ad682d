"""Randomised holdout assignment, reproducible from a seed.

    holdout = assign_holdout(customer_ids, share=Decimal("0.2"), seed=7)

Exactly `round(n * share)` members are held out (at least one when `share > 0` and there are
two or more members, so that a comparison exists), drawn uniformly without replacement by
`random.Random(seed)` from the ids in sorted order: the same ids, share and seed always give the
same holdout, whatever order the segment listed them in, on any machine.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal

__all__ = ["assign_holdout", "holdout_size"]


def holdout_size(members: int, share: Decimal) -> int:
    if not Decimal(0) <= share < Decimal(1):
        raise ValueError(f"holdout_share must be at least 0 and below 1, got {share}")
    size = int((members * share).to_integral_value(rounding=ROUND_HALF_EVEN))
    if share > 0 and members >= 2:
        size = max(size, 1)
    return min(size, max(members - 1, 0))


def assign_holdout(customer_ids: Iterable[str], *, share: Decimal, seed: int) -> frozenset[str]:
    """The held-out ids (the rest are treated)."""
    ordered = sorted(set(customer_ids))
    size = holdout_size(len(ordered), share)
    return frozenset(random.Random(seed).sample(ordered, size))
