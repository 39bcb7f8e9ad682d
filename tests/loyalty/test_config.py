from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tools.loyalty import ProgramConfigError, ProgramFile, default_program_path, load_program_file
from tools.loyalty.config import PROGRAM_FILE_ENV, parse_program_file
from tools.loyalty.errors import (
    MewsIdError,
    UnknownProgramError,
    UnknownRewardError,
    UnknownTierError,
)

MINIMAL = """
[programs.PC01]
name = "Platinum Club"
currency = "GBP"
[programs.PC01.earning.per_currency_unit]
accommodation = 1
"""

TIERS = """
[programs.PC01.tiers.B1]
name = "Bronze"
rank = 1
multiplier = 1.0
threshold = 0
[programs.PC01.tiers.S1]
name = "Silver"
rank = 2
multiplier = 1.25
threshold = 10
"""

SPA = """
[programs.PC01.rewards.spa]
name = "Spa"
category = "spa_credit"
base_points = 100
"""
"""A reward with only its required fields; tests add the one field they are about."""


def problems_of(text: str) -> list[str]:
    with pytest.raises(ProgramConfigError) as caught:
        parse_program_file(text, source="program.toml")
    return [str(problem) for problem in caught.value.problems]


def test_the_shipped_file_matches_the_sandbox_programs_and_tiers(programs: ProgramFile) -> None:
    platinum = programs.program("PC01")
    assert platinum.name == "Platinum Club"
    assert [tier.code for tier in platinum.tiers_by_rank()] == ["B1", "S1", "G1", "P1"]
    assert [tier.name for tier in platinum.tiers_by_rank()] == [
        "Bronze",
        "Silver",
        "Gold",
        "Platinum",
    ]
    gold_club = programs.program("GEC07")
    assert gold_club.name == "Gold Exclusive Club"
    assert gold_club.tiers == {}
    assert gold_club.expiry_months is None


def test_a_minimal_program_gets_sensible_defaults() -> None:
    program = parse_program_file(MINIMAL).program("PC01")
    assert program.expiry_months == 24
    assert program.pending_days == 0
    assert program.dynamic_pricing.redemption_floor == Decimal("0.9")
    assert program.dynamic_pricing.bonus_max == Decimal("2.0")
    assert program.multiplier(None) == Decimal(1)


def test_fractions_are_read_as_exact_decimals(programs: ProgramFile) -> None:
    assert programs.program("PC01").earning.per_currency_unit.other == Decimal("0.5")
    assert programs.program("PC01").tier("S1").multiplier == Decimal("1.25")


def test_accounting_classifications_map_to_revenue_categories(programs: ProgramFile) -> None:
    assert programs.revenue_category("Accommodation") == "accommodation"
    assert programs.revenue_category("FoodAndBeverage") == "food_and_beverage"
    assert programs.revenue_category("Wellness") == "spa"
    assert programs.revenue_category("Taxes") is None
    assert programs.revenue_category("Payments") is None
    assert programs.revenue_category("Sport") == "other"
    assert programs.revenue_category(None) == "other"


def test_a_file_can_remap_one_classification_and_keep_the_other_defaults() -> None:
    programs = parse_program_file('[revenue_categories]\nSport = "spa"\n' + MINIMAL)
    assert programs.revenue_category("Sport") == "spa"
    assert programs.revenue_category("Wellness") == "spa"
    assert programs.revenue_category("Taxes") is None


def test_an_unknown_key_is_named_with_its_full_path() -> None:
    assert problems_of(MINIMAL + "colour = 'blue'\n") == [
        "programs.PC01.earning.per_currency_unit.colour: unknown key "
        "(check its spelling; see default_program.toml)"
    ]


def test_a_missing_required_key_is_named() -> None:
    text = MINIMAL.replace('currency = "GBP"\n', "")
    assert problems_of(text) == ["programs.PC01.currency: required key is missing"]


def test_every_problem_is_reported_at_once() -> None:
    text = MINIMAL.replace('"GBP"', '"pounds"') + "spa = -1\n"
    assert problems_of(text) == [
        "programs.PC01.currency: must be a three-letter ISO 4217 code in capitals, such as GBP",
        "programs.PC01.earning.per_currency_unit.spa: Input should be greater than or equal to 0",
    ]


def test_expiry_is_a_number_of_months_or_never() -> None:
    never = MINIMAL.replace('currency = "GBP"', 'currency = "GBP"\nexpiry_months = "never"')
    assert parse_program_file(never).program("PC01").expiry_months is None
    for bad in ('"sometimes"', "0", "121", "true"):
        text = MINIMAL.replace('currency = "GBP"', f'currency = "GBP"\nexpiry_months = {bad}')
        assert problems_of(text) == [
            "programs.PC01.expiry_months: must be a whole number of months from 1 to 120, "
            'or "never"'
        ]


def test_a_higher_tier_needs_a_higher_threshold() -> None:
    text = MINIMAL + TIERS.replace("threshold = 10", "threshold = 0")
    assert problems_of(text) == [
        "programs.PC01.tiers.S1.threshold: must be higher than B1's (0) because S1 ranks higher"
    ]


def test_two_tiers_cannot_share_a_rank() -> None:
    text = MINIMAL + TIERS.replace("rank = 2", "rank = 1")
    assert problems_of(text) == ["programs.PC01.tiers.S1.rank: 1 is also the rank of B1"]


def test_a_table_key_and_an_explicit_code_must_agree() -> None:
    text = MINIMAL + TIERS.replace('name = "Silver"', 'name = "Silver"\ncode = "X9"')
    assert problems_of(text) == ["programs.PC01.tiers.S1.code: must equal the table key 'S1'"]


def test_a_reward_may_only_name_tiers_the_program_has() -> None:
    reward = SPA + 'eligible_tiers = ["G1"]\n'
    assert problems_of(MINIMAL + TIERS + reward) == [
        "programs.PC01.rewards.spa.eligible_tiers: unknown tier 'G1' (tiers: B1, S1)"
    ]


def test_a_reward_links_a_mews_product_by_exactly_one_of_id_or_name() -> None:
    reward = SPA + "mews_product = {}\n"
    assert problems_of(MINIMAL + reward) == [
        "programs.PC01.rewards.spa.mews_product: give exactly one of `id` or `name`"
    ]


def test_bonus_bounds_must_be_ordered() -> None:
    text = MINIMAL + "[programs.PC01.dynamic_pricing]\nbonus_min = 2.5\n"
    assert problems_of(text) == [
        "programs.PC01.dynamic_pricing.bonus_min: must not exceed bonus_max (2.0)"
    ]


def test_rfm_bands_must_increase() -> None:
    text = MINIMAL + "[programs.PC01.rfm]\nrecency_days = [30, 20, 180, 365]\n"
    assert problems_of(text) == ["programs.PC01.rfm.recency_days: must be strictly increasing"]


def test_invalid_toml_is_reported_with_its_position() -> None:
    (problem,) = problems_of("[programs.PC01\n")
    assert problem.startswith("not valid TOML: ")
    assert "line 1" in problem


def test_the_error_message_names_the_file_and_each_problem() -> None:
    with pytest.raises(ProgramConfigError) as caught:
        parse_program_file(MINIMAL + "colour = 1\n", source="chain.toml")
    assert str(caught.value).startswith("invalid loyalty program file chain.toml:\n  - programs.")


def test_the_program_file_comes_from_the_environment_when_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "chain.toml"
    path.write_text(MINIMAL.replace("Platinum Club", "Chain Club"), encoding="utf-8")
    monkeypatch.setenv(PROGRAM_FILE_ENV, str(path))
    assert load_program_file().program("PC01").name == "Chain Club"
    monkeypatch.delenv(PROGRAM_FILE_ENV)
    assert load_program_file().program("PC01").name == "Platinum Club"
    assert load_program_file(default_program_path()).program("GEC07").tiers == {}


def test_an_unreadable_file_is_a_config_error_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(ProgramConfigError) as caught:
        load_program_file(tmp_path / "missing.toml")
    assert "cannot read the file" in str(caught.value)


def test_lookups_of_unknown_codes_raise_errors_naming_them(programs: ProgramFile) -> None:
    with pytest.raises(UnknownProgramError, match=r"'XX'.*PC01, GEC07"):
        programs.program("XX")
    with pytest.raises(UnknownTierError, match="'Z1'"):
        programs.program("PC01").tier("Z1")
    with pytest.raises(UnknownRewardError, match="'nope'"):
        programs.program("PC01").reward("nope")


def test_next_tier_follows_rank_not_file_order(programs: ProgramFile) -> None:
    platinum = programs.program("PC01")
    assert platinum.next_tier(None).code == "B1"  # type: ignore[union-attr]
    assert platinum.next_tier("S1").code == "G1"  # type: ignore[union-attr]
    assert platinum.next_tier("P1") is None


def test_a_reward_priced_by_its_cash_value_costs_that_value_at_the_point_value() -> None:
    text = MINIMAL.replace('currency = "GBP"', 'currency = "GBP"\npoint_value = 0.04')
    reward = '[programs.PC01.rewards.spa]\nname = "Spa"\ncategory = "spa_credit"\nvalue = 30.01\n'
    spa = parse_program_file(text + reward).program("PC01").reward("spa")
    assert (spa.value, spa.base_points) == (Decimal("30.01"), 751)  # rounded up, never under


def test_a_reward_gives_its_value_or_its_points_not_both_and_a_point_is_worth_something() -> None:
    both = '[programs.PC01.rewards.spa]\nname = "S"\ncategory = "spa_credit"\nvalue = 30\n'
    assert problems_of(MINIMAL + both + "base_points = 600\n") == [
        "programs.PC01.rewards.spa.base_points: give value (priced at point_value) or "
        "base_points, not both"
    ]
    free = MINIMAL.replace('currency = "GBP"', 'currency = "GBP"\npoint_value = 0')
    assert problems_of(free)[0].startswith("programs.PC01.point_value:")


def with_ids(programs: ProgramFile, program_id: str | None, gold_id: str | None) -> ProgramFile:
    """The file with PC01's Mews id (and its Gold tier's) configured."""
    pc01 = programs.program("PC01")
    gold = pc01.tiers["G1"].model_copy(update={"id": gold_id})
    pc01 = pc01.model_copy(update={"id": program_id, "tiers": {**pc01.tiers, "G1": gold}})
    return programs.model_copy(update={"programs": {**programs.programs, "PC01": pc01}})


def test_a_configured_id_finds_the_program_whatever_its_code(programs: ProgramFile) -> None:
    # Another integrator reused the docs' example code PC01 on the shared demo environment.
    found = [("ours", "CLUB"), ("theirs", "PC01"), ("gold-club", "GEC07")]

    matched = with_ids(programs, "ours", None).match_programs(found)

    assert matched == {"ours": "PC01", "theirs": "theirs", "gold-club": "GEC07"}


def test_without_ids_programs_are_found_by_code_which_must_then_be_unique(
    programs: ProgramFile,
) -> None:
    assert programs.match_programs([("a", "PC01"), ("b", "SPA1")]) == {"a": "PC01", "b": "SPA1"}
    with pytest.raises(MewsIdError, match=r"programs\.PC01\.id: 2 loyalty programs in Mews"):
        programs.match_programs([("a", "PC01"), ("b", "PC01")])


def test_a_configured_id_mews_does_not_have_is_named(programs: ProgramFile) -> None:
    with pytest.raises(MewsIdError) as caught:
        with_ids(programs, "gone", None).match_programs([("a", "PC01")])
    assert str(caught.value) == (
        "loyalty program file, programs.PC01.id: no loyalty program with id gone in Mews (PC01 (a))"
    )


def test_tier_ids_come_first_too(programs: ProgramFile) -> None:
    pc01 = with_ids(programs, None, "gold-id").program("PC01")
    found = [("gold-id", "GOLD"), ("s", "S1"), ("other", "G1")]

    assert pc01.match_tiers(found) == {"gold-id": "G1", "s": "S1", "other": "other"}
    with pytest.raises(MewsIdError, match=r"programs\.PC01\.tiers\.G1\.id: no tier with id"):
        pc01.match_tiers([("s", "S1")])
