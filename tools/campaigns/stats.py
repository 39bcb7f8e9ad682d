"""Treated versus holdout: the difference of two proportions with a Wald confidence interval.

    comparison = compare(treated=Group(60, 400), holdout=Group(5, 100))
    comparison.lift          # 0.10: 15 % converted against 5 %, ten percentage points
    comparison.interval      # (0.0448, 0.1552) at 95 %
    comparison.conclusive    # False when a group is too small for the normal approximation

The interval is the standard one for p1 - p2: (p1 - p2) ± z * sqrt(p1(1-p1)/n1 + p2(1-p2)/n2).
It rests on the normal approximation, so it is only reported as conclusive when each group has
at least `MIN_GROUP` members and at least `MIN_EVENTS` conversions and non-conversions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

__all__ = ["MIN_EVENTS", "MIN_GROUP", "Comparison", "Group", "compare"]

MIN_GROUP = 30
MIN_EVENTS = 5


@dataclass(frozen=True, slots=True)
class Group:
    converted: int
    size: int

    def __post_init__(self) -> None:
        if self.size < 0 or not 0 <= self.converted <= max(self.size, 0):
            raise ValueError(
                f"converted must be between 0 and size ({self.size}), got {self.converted}"
            )

    @property
    def rate(self) -> float | None:
        return self.converted / self.size if self.size else None


@dataclass(frozen=True, slots=True)
class Comparison:
    treated: Group
    holdout: Group
    confidence: float
    lift: float | None
    """Treated rate minus holdout rate (absolute, in proportion points)."""
    relative_lift: float | None
    """Lift as a share of the holdout rate; None when the holdout rate is 0."""
    interval: tuple[float, float] | None
    conclusive: bool
    verdict: str


def compare(treated: Group, holdout: Group, *, confidence: float = 0.95) -> Comparison:
    """Lift of `treated` over `holdout` with its interval, and a plain-words verdict."""
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence must be in [0.5, 1), got {confidence}")
    p1, p2 = treated.rate, holdout.rate
    if p1 is None or p2 is None:
        empty = "treated" if p1 is None else "holdout"
        return Comparison(
            treated, holdout, confidence, None, None, None, False,
            f"the {empty} group is empty: nothing can be concluded",
        )  # fmt: skip
    lift = p1 - p2
    relative = lift / p2 if p2 > 0 else None
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    se = math.sqrt(p1 * (1 - p1) / treated.size + p2 * (1 - p2) / holdout.size)
    interval = (lift - z * se, lift + z * se)
    small = _too_small(treated, "treated") or _too_small(holdout, "holdout")
    level = f"{confidence:.0%}"
    if small:
        verdict = f"too small to conclude anything: {small}"
    elif interval[0] > 0:
        verdict = f"the campaign helped: the {level} interval of the lift is above zero"
    elif interval[1] < 0:
        verdict = f"the campaign did worse than no offer: the {level} interval is below zero"
    else:
        verdict = f"no clear effect: the {level} interval of the lift includes zero"
    return Comparison(treated, holdout, confidence, lift, relative, interval, not small, verdict)


def _too_small(group: Group, name: str) -> str:
    if group.size < MIN_GROUP:
        return f"the {name} group has {group.size} members (at least {MIN_GROUP} are needed)"
    failures = group.size - group.converted
    if min(group.converted, failures) < MIN_EVENTS:
        return (
            f"the {name} group has {group.converted} conversions and {failures} "
            f"non-conversions (at least {MIN_EVENTS} of each are needed)"
        )
    return ""
