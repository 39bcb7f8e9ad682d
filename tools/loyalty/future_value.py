"""A member's predicted value over the next 12 months: expected stays × what a stay brings.

The model is the Gamma-Poisson ("NBD") stay-rate estimate at the heart of the BG/NBD and
Pareto/NBD customer-lifetime-value models (Ehrenberg 1959; Fader, Hardie & Lee 2005): a
member's stays arrive at their own yearly rate λ, and λ across members follows a Gamma
distribution; after observing x stays in t years of history the expected rate is

    E[λ | x, t] = (r + x) / (α + t)

with r / α the program's prior rate (`prior_stays_per_year`) and α the years of evidence the
prior is worth (`prior_weight_years`). A newcomer with one stay is therefore predicted near the
prior, a member with ten stays in two years near five a year. The "dropout" half of BG/NBD is
left out on purpose: it is called right after a checkout, when the member is certainly active
(P(alive) = 1 at the last transaction). Why this model: it needs only stay dates, which every
member has (no training run, no per-hotel fitting), it is explainable in one line to a manager,
and it shrinks thin histories toward the program's norm instead of over-trusting one stay.

Expected value = expected stays × the net spend of the stay just completed (the best cheap
estimate of the member's next stay: the batch of checkouts is read without each member's whole
spend history). The score used by the bonus is that value over `value_reference`, capped at 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from tools.loyalty.config import ProgramConfig
from tools.loyalty.display import money
from tools.loyalty.facts import Inputs, MemberFacts

__all__ = ["FutureValue", "predict_future_value"]

_DAYS_PER_YEAR = Decimal("365.25")
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class FutureValue:
    stays_observed: int
    years_observed: Decimal
    expected_stays: Decimal  # in the next 12 months
    expected_spend: Decimal  # in the program currency, next 12 months
    score: Decimal  # 0..1: expected_spend / value_reference, capped
    inputs: Inputs
    reasoning: str


def predict_future_value(
    program: ProgramConfig, member: MemberFacts, *, stay_spend: Decimal, as_of: datetime
) -> FutureValue:
    """The member's predicted next-12-month stays and spend (see the module docstring).

    `member.stays` include the stay just completed; `stay_spend` is its net spend."""
    model = program.valuation
    since = as_of - timedelta(days=int(model.history_years * 365.25))
    stays = [s for s in member.completed_stays() if since < s.departure <= as_of]
    if stays:
        first = max(min(s.arrival for s in stays), since)
        years = Decimal((as_of - first).days) / _DAYS_PER_YEAR
    else:
        years = Decimal(0)
    prior_rate = model.prior_stays_per_year
    alpha = model.prior_weight_years
    rate = (prior_rate * alpha + len(stays)) / (alpha + years)
    expected_stays = rate.quantize(_CENT, rounding=ROUND_HALF_UP)
    spend = max(stay_spend, Decimal(0))
    expected_spend = (expected_stays * spend).quantize(_CENT, rounding=ROUND_HALF_UP)
    score = min(Decimal(1), expected_spend / model.value_reference).quantize(_CENT)
    years_shown = years.quantize(_CENT)
    return FutureValue(
        stays_observed=len(stays),
        years_observed=years_shown,
        expected_stays=expected_stays,
        expected_spend=expected_spend,
        score=score,
        inputs={
            "stays_observed": len(stays),
            "years_observed": years_shown,
            "prior_stays_per_year": prior_rate,
            "prior_weight_years": alpha,
            "expected_stays_12m": expected_stays,
            "stay_spend": spend,
            "expected_spend_12m": expected_spend,
            "value_reference": model.value_reference,
            "value_score": score,
        },
        reasoning=(
            f"{len(stays)} stays in {years_shown} years predict {expected_stays} stays in the "
            f"next 12 months (({prior_rate}×{alpha} + {len(stays)}) / ({alpha} + {years_shown})), "
            f"× {money(spend, program.currency)} a stay = {money(expected_spend, program.currency)}"
            f", value {score} of {money(model.value_reference, program.currency)}"
        ),
    )
