"""Tier benefits as data: the program file's words, the multiplier quoted as one of them, and
what a move between tiers gains and loses."""

from __future__ import annotations

import pytest

from tools.loyalty import ProgramConfig, default_program_path
from tools.loyalty.config import parse_program_file
from tools.loyalty.errors import ProgramConfigError
from tools.loyalty.tiers import benefit_changes


def test_every_shipped_tier_has_benefits_and_the_multiplier_is_one_of_them(
    pc01: ProgramConfig,
) -> None:
    silver = pc01.tier("S1").all_benefits()
    assert list(silver) == ["points_multiplier", "member_rate", "wifi", "late_checkout"]
    assert silver["points_multiplier"] == "1.25 × points on stays"
    assert pc01.tier("P1").all_benefits()["points_multiplier"] == "2 × points on stays"
    assert "points_multiplier" not in pc01.tier("B1").all_benefits()  # ×1 is no benefit
    assert all(tier.benefits for tier in pc01.tiers_by_rank())


def test_an_upgrade_gains_the_new_levels_and_loses_the_old_ones(pc01: ProgramConfig) -> None:
    change = benefit_changes(pc01.tier("S1"), pc01.tier("G1"))
    assert change.gained == (
        "1.5 × points on stays",
        "Late checkout until 14:00, when available",
        "Room upgrade to the next category, when available at check-in",
        "Welcome drink at the bar on arrival",
    )
    assert change.lost == ("1.25 × points on stays", "Late checkout until 13:00, on request")
    assert change.kept == ("Members' rate on rooms booked direct", "Free high-speed Wi-Fi")


def test_a_downgrade_to_the_base_tier_loses_everything_above_it(pc01: ProgramConfig) -> None:
    change = benefit_changes(pc01.tier("S1"), pc01.tier("B1"))
    assert change.gained == ()
    assert change.lost == ("1.25 × points on stays", "Late checkout until 13:00, on request")


def _with_benefit(line: str) -> str:
    return (
        default_program_path()
        .read_text(encoding="utf-8")
        .replace(
            'wifi = "Free high-speed Wi-Fi"\nlate_checkout = "Late checkout until 13:00',
            f'{line}\nlate_checkout = "Late checkout until 13:00',
            1,
        )
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('points_multiplier = "double"', r"tiers\.S1\.benefits.*set `multiplier`"),
        ('"Late Checkout" = "until 13:00"', r"tiers\.S1\.benefits\.Late Checkout.*pattern"),
        ('spa = ""', r"tiers\.S1\.benefits\.spa.*at least 1 character"),
    ],
)
def test_a_bad_benefit_names_its_key_and_what_is_expected(line: str, message: str) -> None:
    with pytest.raises(ProgramConfigError, match=message):
        parse_program_file(_with_benefit(line))
