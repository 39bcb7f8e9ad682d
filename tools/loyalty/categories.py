"""The vocabularies the rules share: revenue categories, reward categories, and how they relate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, get_args

__all__ = [
    "DEFAULT_CLASSIFICATION_MAP",
    "DEFAULT_REWARD_AFFINITY",
    "REVENUE_CATEGORIES",
    "REWARD_CATEGORIES",
    "RevenueCategory",
    "RevenueMapping",
    "RewardCategory",
]

RevenueCategory = Literal["accommodation", "food_and_beverage", "spa", "other"]
REVENUE_CATEGORIES: Final[tuple[RevenueCategory, ...]] = get_args(RevenueCategory)

RevenueMapping = RevenueCategory | Literal["excluded"]
"""Where a Mews accounting `Classification` counts; `excluded` never earns (taxes, payments)."""

DEFAULT_CLASSIFICATION_MAP: Final[Mapping[str, RevenueMapping]] = {
    "Accommodation": "accommodation",
    "FoodAndBeverage": "food_and_beverage",
    "Wellness": "spa",
    "Taxes": "excluded",
    "Payments": "excluded",
}
"""Classifications not listed here count as `other` (Mews says the enum may grow)."""

RewardCategory = Literal[
    "late_checkout",
    "early_checkin",
    "upgrade",
    "spa_credit",
    "drink",
    "breakfast",
    "dining_credit",
    "parking",
    "experience",
    "other",
]
REWARD_CATEGORIES: Final[tuple[RewardCategory, ...]] = get_args(RewardCategory)

DEFAULT_REWARD_AFFINITY: Final[Mapping[RewardCategory, RevenueCategory]] = {
    "late_checkout": "accommodation",
    "early_checkin": "accommodation",
    "upgrade": "accommodation",
    "spa_credit": "spa",
    "drink": "food_and_beverage",
    "breakfast": "food_and_beverage",
    "dining_credit": "food_and_beverage",
    "parking": "other",
    "experience": "other",
    "other": "other",
}
"""Which spend a reward speaks to, so recommendations can follow the member's history."""
