from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.loyalty.builders import shipped_program
from tools.loyalty import (
    BonusProposal,
    ProgramConfig,
    default_program_path,
    load_program_file,
    propose_bonus,
    redemption_price,
)
from tools.loyalty.errors import UnknownRewardError

PC01 = load_program_file(default_program_path()).program("PC01")
DAY = date(2026, 5, 1)


def bonus(**changes: object) -> BonusProposal:
    arguments: dict[str, object] = {
        "base_points": 1000,
        "member_value": Decimal(0),
        "occupancy": Decimal("0.6"),
        "lapsing": False,
        **changes,
    }
    return propose_bonus(PC01, **arguments)  # type: ignore[arg-type]


def test_no_signal_means_no_bonus(pc01: ProgramConfig) -> None:
    proposal = propose_bonus(
        pc01, base_points=1000, member_value=Decimal(0), occupancy=0.9, lapsing=False
    )
    assert (proposal.multiplier, proposal.proposed_points, proposal.bonus_points) == (
        Decimal("1.00"),
        1000,
        0,
    )
    assert proposal.variance == 0
    assert not proposal.clamped


@pytest.mark.parametrize(
    ("changes", "multiplier"),
    [
        ({"member_value": Decimal(1)}, Decimal("1.10")),
        ({"occupancy": Decimal(0)}, Decimal("1.10")),
        ({"occupancy": Decimal("0.3")}, Decimal("1.05")),
        ({"occupancy": Decimal("0.6")}, Decimal("1.00")),
        ({"lapsing": True}, Decimal("1.20")),
    ],
)
def test_each_signal_adds_up_to_its_weight(changes: dict[str, object], multiplier: Decimal) -> None:
    assert bonus(**changes).multiplier == multiplier


def test_the_multiplier_is_clamped_to_the_configured_maximum() -> None:
    program = shipped_program(("bonus_max = 2.0 ", "bonus_max = 1.3 "))
    proposal = propose_bonus(
        program, base_points=1000, member_value=Decimal(1), occupancy=0, lapsing=True
    )
    assert proposal.unclamped_multiplier == Decimal("1.40")
    assert proposal.multiplier == Decimal("1.3")
    assert proposal.clamped
    assert proposal.proposed_points == 1300
    assert "clamped to 1.3" in proposal.reasoning


def test_the_multiplier_is_raised_to_the_configured_minimum() -> None:
    program = shipped_program(("bonus_min = 1.0 ", "bonus_min = 1.1 "))
    proposal = propose_bonus(
        program, base_points=100, member_value=Decimal(0), occupancy=1, lapsing=False
    )
    assert (proposal.multiplier, proposal.proposed_points, proposal.clamped) == (
        Decimal("1.1"),
        110,
        True,
    )


def test_the_variance_against_base_is_what_the_twenty_percent_rule_reads() -> None:
    at_twenty = bonus(lapsing=True)  # the win-back weight, +0.20
    assert at_twenty.variance == Decimal("0.2000")
    assert "+20% on the tier-adjusted stay points" in at_twenty.reasoning
    assert bonus(base_points=0).variance == 0


def test_occupancy_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="occupancy"):
        bonus(occupancy=1.2)
    with pytest.raises(ValueError, match="member_value"):
        bonus(member_value=Decimal(-1))


def test_the_base_price_applies_at_normal_occupancy(pc01: ProgramConfig) -> None:
    quote = redemption_price(pc01, "spa-credit", on=DAY, occupancy=0.6)
    # 30 GBP of value at 0.05 GBP a point
    assert (quote.base_points, quote.price_points, quote.variance) == (600, 600, Decimal(0))


@pytest.mark.parametrize(
    ("occupancy", "price"),
    [(0, 540), (0.3, 570), (0.8, 750), (1, 900)],
)
def test_the_price_follows_demand_between_floor_and_ceiling(
    pc01: ProgramConfig, occupancy: float, price: int
) -> None:
    assert redemption_price(pc01, "spa-credit", on=DAY, occupancy=occupancy).price_points == price


def test_the_quote_shows_base_bounds_and_variance(pc01: ProgramConfig) -> None:
    quote = redemption_price(pc01, "spa-credit", on=DAY, occupancy=1)
    assert (quote.floor_points, quote.ceiling_points) == (540, 900)
    assert quote.variance == Decimal("0.5000")
    assert "+50%" in quote.reasoning


def test_an_unknown_reward_cannot_be_priced(pc01: ProgramConfig) -> None:
    with pytest.raises(UnknownRewardError):
        redemption_price(pc01, "yacht", on=DAY, occupancy=0.5)


@given(
    base=st.integers(1, 100_000),
    occupancy=st.decimals(min_value=0, max_value=1, places=4),
)
def test_a_dynamic_price_never_leaves_the_floor_and_ceiling(base: int, occupancy: Decimal) -> None:
    program = shipped_program(
        ('value = 30                  # Mews product "Spa', f"base_points = {base} #")
    )
    assert program.reward("spa-credit").base_points == base
    quote = redemption_price(program, "spa-credit", on=DAY, occupancy=occupancy)
    assert base * Decimal("0.9") <= quote.price_points <= base * Decimal("1.5")
