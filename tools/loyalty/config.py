"""The loyalty program file: earning, tiers, expiry, rewards and the bounds of dynamic pricing.

One validated TOML file per chain (`LOYALTY_PROGRAM_FILE`, else the shipped
`default_program.toml` for the sandbox chain). Programs are keyed by their Mews program `Code`,
tiers by their Mews tier `Code`, rewards by their id, so an error names the exact key:
`programs.PC01.tiers.G1.threshold: must be higher than ...`. Tier order comes from our explicit
`rank` (higher = better), never from Mews `Ordering`, whose direction Mews does not define.
"""

from __future__ import annotations

import itertools
import os
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime, tzinfo
from decimal import ROUND_CEILING, Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, ClassVar, Final, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tools.loyalty._time import add_months
from tools.loyalty.categories import (
    DEFAULT_CLASSIFICATION_MAP,
    DEFAULT_REWARD_AFFINITY,
    RevenueCategory,
    RevenueMapping,
    RewardCategory,
)
from tools.loyalty.consent import ConsentConfig
from tools.loyalty.errors import (
    ConfigProblem,
    MewsIdError,
    ProgramConfigError,
    UnknownProgramError,
    UnknownRewardError,
    UnknownTierError,
)

__all__ = [
    "MULTIPLIER_BENEFIT",
    "PROGRAM_FILE_ENV",
    "BonusesConfig",
    "DynamicPricingConfig",
    "EarningConfig",
    "LapseConfig",
    "LowDemandOfferConfig",
    "MewsProductLink",
    "ProgramConfig",
    "ProgramFile",
    "QualificationConfig",
    "RewardConfig",
    "RfmConfig",
    "SegmentConfig",
    "TierConfig",
    "ValuationConfig",
    "default_program_path",
    "load_program_file",
    "parse_program_file",
]

PROGRAM_FILE_ENV = "LOYALTY_PROGRAM_FILE"

Rate = Annotated[Decimal, Field(ge=0, le=1000)]
Weight = Annotated[Decimal, Field(ge=0, le=10)]


class _KeyedValueError(ValueError):
    """A cross-field problem that belongs to a key below the model that found it."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerCategoryRates(_Model):
    """Points per unit of currency spent, by revenue category."""

    accommodation: Rate = Decimal(0)
    food_and_beverage: Rate = Decimal(0)
    spa: Rate = Decimal(0)
    other: Rate = Decimal(0)

    def of(self, category: RevenueCategory) -> Decimal:
        rate: Decimal = getattr(self, category)
        return rate


class EarningConfig(_Model):
    per_currency_unit: PerCategoryRates
    points_per_night: Rate = Decimal(0)


_MEWS_ID = Field(
    default=None,
    min_length=1,
    max_length=64,
    description="the Mews Id; without it the Mews record is found by its Code",
)


BenefitKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,49}$")]
BenefitText = Annotated[str, Field(min_length=1, max_length=200)]
MULTIPLIER_BENEFIT: Final = "points_multiplier"
"""The key of the benefit every tier's `multiplier` above 1 gives (not written in the file)."""


class TierConfig(_Model):
    id: str | None = _MEWS_ID
    code: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=50)
    rank: int = Field(ge=1, description="higher rank = better tier")
    multiplier: Decimal = Field(gt=0, le=10)
    threshold: int = Field(ge=0, description="qualifying nights or points in the window")
    benefits: dict[BenefitKey, BenefitText] = Field(
        default_factory=dict,
        description="what the tier gives, by key (late_checkout, upgrade, ...): the text staff "
        "and the assistant quote; a key in two tiers is the same benefit at another level",
    )

    @field_validator("benefits")
    @classmethod
    def _multiplier_key_reserved(cls, value: dict[str, str]) -> dict[str, str]:
        if MULTIPLIER_BENEFIT in value:
            raise ValueError(
                f"{MULTIPLIER_BENEFIT} is the tier's multiplier: set `multiplier`, not a benefit"
            )
        return value

    def all_benefits(self) -> dict[str, str]:
        """The tier's benefits as staff quote them: its earning multiplier (above 1) first,
        then the file's, by key."""
        earned: dict[str, str] = {}
        if self.multiplier > 1:
            earned[MULTIPLIER_BENEFIT] = f"{self.multiplier.normalize():f} × points on stays"
        return earned | dict(self.benefits)


class QualificationConfig(_Model):
    basis: Literal["nights", "points"] = "nights"
    period: Literal["rolling", "calendar_year"] = Field(
        default="rolling",
        description="rolling: the last window_months; calendar_year: the calendar year so far, "
        "status kept through the next calendar year",
    )
    window_months: int = Field(default=12, ge=1, le=36)
    time_zone: str | None = Field(
        default=None,
        description="IANA zone whose midnights start a calendar year (calendar_year only); "
        "unset: the hotel's time zone in Mews",
    )
    downgrade_grace_days: int = Field(default=90, ge=0, le=730)
    downgrade: Literal["one_down", "to_qualified"] = Field(
        default="one_down",
        description="one_down: a due downgrade drops one tier per evaluation (soft landing); "
        "to_qualified: straight to the highest tier the member qualifies for",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"{value!r} is not a time zone this machine knows: use an IANA name such "
                    "as Europe/London"
                ) from None
        return value

    def summary(self) -> str:
        """The rule in words: "nights in a rolling 12 months", or the calendar year's."""
        if self.period == "calendar_year":
            return f"{self.basis} in the calendar year, a tier kept through the next year"
        return f"{self.basis} in a rolling {self.window_months} months"

    def zone(self) -> tzinfo | None:
        """The configured zone of the calendar year (None: the hotel's, from Mews)."""
        return None if self.time_zone is None else ZoneInfo(self.time_zone)

    def lookback_months(self) -> int:
        """How far back qualifying activity can still count: the rolling window, or for a
        calendar year the whole previous year (status runs through the year after)."""
        return self.window_months if self.period == "rolling" else 24


class MewsProductLink(_Model):
    """The Mews product that fulfils a reward, by id or by name (exactly one)."""

    id: str | None = Field(default=None, min_length=1)
    name: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.id is None) == (self.name is None):
            raise ValueError("give exactly one of `id` or `name`")
        return self


class RewardConfig(_Model):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=100)
    category: RewardCategory
    base_points: int = Field(gt=0, le=10_000_000)
    value: Decimal | None = Field(
        default=None,
        gt=0,
        le=1_000_000,
        description="cash value in the program currency; base_points = ⌈value ÷ point_value⌉",
    )
    eligible_tiers: tuple[str, ...] = Field(default=(), description="empty: every member")
    daily_inventory: int | None = Field(default=None, ge=0, description="absent: unlimited")
    blackout_dates: tuple[date, ...] = ()
    mews_product: MewsProductLink | None = None
    affinity: RevenueCategory | None = Field(
        default=None, description="the spend this reward speaks to; default from its category"
    )

    @property
    def spend_affinity(self) -> RevenueCategory:
        return self.affinity or DEFAULT_REWARD_AFFINITY[self.category]


class DynamicPricingConfig(_Model):
    """Bounds of dynamic prices, as fractions of the base: prices never leave them."""

    redemption_floor: Decimal = Field(default=Decimal("0.9"), gt=0, le=1)
    redemption_ceiling: Decimal = Field(default=Decimal("1.5"), ge=1, le=5)
    normal_occupancy: Decimal = Field(
        default=Decimal("0.6"), gt=0, lt=1, description="occupancy at which the base applies"
    )
    bonus_min: Decimal = Field(default=Decimal("1.0"), ge=1, le=10, decimal_places=2)
    bonus_max: Decimal = Field(default=Decimal("2.0"), ge=1, le=10, decimal_places=2)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.bonus_min > self.bonus_max:
            raise _KeyedValueError("bonus_min", f"must not exceed bonus_max ({self.bonus_max})")
        return self


class ValuationConfig(_Model):
    """Weights of the signals behind a bonus multiplier (each adds up to its weight), and the
    member's predicted-value model (`tools.loyalty.future_value`)."""

    member_value_weight: Weight = Decimal("0.1")
    low_demand_weight: Weight = Decimal("0.1")
    lapse_risk_weight: Weight = Decimal("0.2")
    prior_stays_per_year: Decimal = Field(
        default=Decimal("1"), gt=0, le=365, description="the program's typical stays a year"
    )
    prior_weight_years: Decimal = Field(
        default=Decimal("1"), gt=0, le=10, description="years of history the prior is worth"
    )
    history_years: int = Field(default=3, ge=1, le=10, description="stays observed")
    value_reference: Decimal = Field(
        default=Decimal("3000"),
        gt=0,
        description="predicted 12-month spend (program currency) that earns the full weight",
    )


class BonusesConfig(_Model):
    """Points the program gives by rule outside stays, each through the policy as an automated
    write (`tools.actions.program_bonuses`); 0 turns one off."""

    welcome_points: int = Field(
        default=0, ge=0, le=100_000, description="posted once per member when they enrol"
    )
    birthday_points: int = Field(
        default=0,
        ge=0,
        le=100_000,
        description="posted once a year on the member's birthday (Mews BirthDate, hotel date)",
    )
    welcome_catch_up_days: int = Field(
        default=30,
        ge=1,
        le=90,
        description="the welcome job gives the welcome bonus to memberships Mews created this "
        "many days back that have none (at most 90: one CreatedUtc filter of Mews)",
    )


class LowDemandOfferConfig(_Model):
    """A bonus offer attached at booking time to a stay on quiet dates: "stay between ... and
    ... and earn xN", from the forecast occupancy of the booked nights; posted at checkout."""

    occupancy_below: Decimal = Field(
        gt=0,
        lt=1,
        description="forecast mean occupancy of the booked nights below which the "
        "stay gets the offer",
    )
    multiplier: Decimal = Field(
        gt=1, le=5, decimal_places=2, description="the stay earns its tier-adjusted points xN"
    )
    horizon_days: int = Field(
        default=365, ge=1, le=730, description="only stays arriving within this many days"
    )
    room_type_occupancy_below: Decimal | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="forecast mean occupancy of the booked room type on the booked nights "
        "below which the stay gets the offer even when the hotel is not quiet (unset: off)",
    )


class WinBackConfig(_Model):
    """What the win-back job offers a lapsing member (`tools.automation.jobs`)."""

    bonus_points: int = Field(
        default=500,
        ge=1,
        le=100_000,
        description="bonus points on the next stay, for a member whose points buy no reward "
        "at its discounted price",
    )
    offer_days: int = Field(default=30, ge=1, le=365, description="days a win-back offer is valid")


class LapseConfig(_Model):
    member_gap_multiplier: Decimal = Field(default=Decimal("1.5"), ge=1, le=10)
    program_gap_percentile: int = Field(default=80, ge=1, le=99)
    default_program_gap_days: int = Field(
        default=365, ge=1, le=3650, description="used while the program has no gaps to measure"
    )


def _strictly_increasing(values: tuple[Any, ...]) -> tuple[Any, ...]:
    if any(later <= earlier for earlier, later in itertools.pairwise(values)):
        raise ValueError("must be strictly increasing")
    return values


class RfmConfig(_Model):
    """Score bands: each threshold met adds one to a 1..5 score (see `insights.rfm_scores`)."""

    window_months: int = Field(default=12, ge=1, le=60)
    recency_days: tuple[int, int, int, int] = (30, 90, 180, 365)
    frequency_stays: tuple[int, int, int, int] = (1, 2, 4, 6)
    monetary: tuple[Decimal, Decimal, Decimal, Decimal] = (
        Decimal(250),
        Decimal(750),
        Decimal(1500),
        Decimal(3000),
    )

    @field_validator("recency_days", "frequency_stays", "monetary")
    @classmethod
    def _increasing(cls, values: tuple[Any, ...]) -> tuple[Any, ...]:
        return _strictly_increasing(values)


class SegmentConfig(_Model):
    near_tier_within_percent: Decimal = Field(default=Decimal(10), gt=0, le=100)
    high_spender_min_spend: Decimal = Field(default=Decimal(2000), ge=0)
    high_spender_window_months: int = Field(default=12, ge=1, le=60)
    no_redemption_months: int = Field(default=6, ge=1, le=120)


def _with_keys(tables: Any, field: str) -> Any:
    """Copy each table's key into it (`[tiers.G1]` → code "G1") so errors and models agree."""
    if not isinstance(tables, dict):
        return tables
    return {
        key: ({field: key, **value} if isinstance(value, dict) else value)
        for key, value in tables.items()
    }


def _priced(rewards: dict[str, Any], point_value: Any) -> dict[str, Any]:
    """Rewards given a cash `value` get their base price from the program's one point value,
    so the catalogue, upsell and liability all count a point as the same money."""
    rate = point_value if isinstance(point_value, Decimal) else ProgramConfig.DEFAULT_POINT_VALUE
    if rate <= 0:
        return rewards  # the point_value field reports the problem
    priced: dict[str, Any] = {}
    for key, reward in rewards.items():
        value = reward.get("value") if isinstance(reward, dict) else None
        if isinstance(value, Decimal | int) and not isinstance(value, bool) and value > 0:
            if "base_points" in reward:
                raise _KeyedValueError(
                    f"rewards.{key}.base_points",
                    "give value (priced at point_value) or base_points, not both",
                )
            points = (Decimal(value) / rate).to_integral_value(rounding=ROUND_CEILING)
            reward = {**reward, "base_points": int(points)}
        priced[key] = reward
    return priced


class ProgramConfig(_Model):
    DEFAULT_POINT_VALUE: ClassVar[Decimal] = Decimal("0.05")

    id: str | None = _MEWS_ID
    code: str = Field(min_length=1, max_length=50, description="the Mews program Code")
    name: str = Field(min_length=1, max_length=100)
    currency: str
    earning: EarningConfig
    expiry_months: int | None = Field(
        default=24, description='months a lot stays valid after it becomes available; "never"'
    )
    pending_days: int = Field(default=0, ge=0, le=365)
    expiry_extends_on_activity: bool = Field(
        default=False,
        strict=True,
        description="any earning or redemption moves the expiry of all the member's points to "
        "expiry_months from that day",
    )
    expiry_reminder_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="the expiry-reminder job drafts a message for points expiring this soon",
    )
    point_value: Decimal = Field(
        default=DEFAULT_POINT_VALUE,
        gt=0,
        le=1000,
        description="what one point is worth in the program currency: the one rate that "
        "prices rewards, upsells and liability",
    )
    tiers: dict[str, TierConfig] = Field(default_factory=dict)
    qualification: QualificationConfig = QualificationConfig()
    rewards: dict[str, RewardConfig] = Field(default_factory=dict)
    dynamic_pricing: DynamicPricingConfig = DynamicPricingConfig()
    valuation: ValuationConfig = ValuationConfig()
    bonuses: BonusesConfig = BonusesConfig()
    low_demand_offer: LowDemandOfferConfig | None = Field(
        default=None, description="absent: no booking-time offers"
    )
    lapse: LapseConfig = LapseConfig()
    win_back: WinBackConfig = WinBackConfig()
    rfm: RfmConfig = RfmConfig()
    segments: SegmentConfig = SegmentConfig()

    @model_validator(mode="before")
    @classmethod
    def _inject_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for field, key_name in (("tiers", "code"), ("rewards", "id")):
                if field in data:
                    data[field] = _with_keys(data[field], key_name)
            if isinstance(data.get("rewards"), dict):
                data["rewards"] = _priced(data["rewards"], data.get("point_value"))
        return data

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        if len(value) != 3 or not value.isascii() or not value.isupper() or not value.isalpha():
            raise ValueError("must be a three-letter ISO 4217 code in capitals, such as GBP")
        return value

    @field_validator("expiry_months", mode="before")
    @classmethod
    def _never_or_months(cls, value: Any) -> Any:
        if value == "never":
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 120:
            raise ValueError('must be a whole number of months from 1 to 120, or "never"')
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        self._check_table_keys()
        self._check_tier_order()
        self._check_reward_tiers()
        return self

    def _check_table_keys(self) -> None:
        for key, tier in self.tiers.items():
            if tier.code != key:
                raise _KeyedValueError(f"tiers.{key}.code", f"must equal the table key {key!r}")
        for key, reward in self.rewards.items():
            if reward.id != key:
                raise _KeyedValueError(f"rewards.{key}.id", f"must equal the table key {key!r}")

    def _check_tier_order(self) -> None:
        seen: dict[int, str] = {}
        for tier in self.tiers.values():
            if tier.rank in seen:
                raise _KeyedValueError(
                    f"tiers.{tier.code}.rank", f"{tier.rank} is also the rank of {seen[tier.rank]}"
                )
            seen[tier.rank] = tier.code
        ranked = self.tiers_by_rank()
        for lower, higher in itertools.pairwise(ranked):
            if higher.threshold <= lower.threshold:
                raise _KeyedValueError(
                    f"tiers.{higher.code}.threshold",
                    f"must be higher than {lower.code}'s ({lower.threshold}) because "
                    f"{higher.code} ranks higher",
                )

    def _check_reward_tiers(self) -> None:
        for reward in self.rewards.values():
            unknown = [code for code in reward.eligible_tiers if code not in self.tiers]
            if unknown:
                raise _KeyedValueError(
                    f"rewards.{reward.id}.eligible_tiers",
                    f"unknown tier {unknown[0]!r} (tiers: {', '.join(self.tiers) or 'none'})",
                )

    # ------------------------------------------------------------------ lookups
    def tiers_by_rank(self) -> tuple[TierConfig, ...]:
        """Tiers from the lowest rank to the highest."""
        return tuple(sorted(self.tiers.values(), key=lambda tier: tier.rank))

    def tier_name(self, code: str | None) -> str:
        """The tier's name for a sentence ("Gold"); a code the program does not know as it is."""
        if not code:
            return "no tier"
        tier = self.tiers.get(code)
        return tier.name if tier else code

    def tier(self, code: str) -> TierConfig:
        try:
            return self.tiers[code]
        except KeyError:
            raise UnknownTierError(self.code, code) from None

    def next_tier(self, code: str | None) -> TierConfig | None:
        """The tier ranked just above `code` (the lowest tier when the member has none)."""
        ranked = self.tiers_by_rank()
        if code is None:
            return ranked[0] if ranked else None
        current = self.tier(code)
        higher = [tier for tier in ranked if tier.rank > current.rank]
        return higher[0] if higher else None

    def multiplier(self, tier_code: str | None) -> Decimal:
        """The earning multiplier of a tier; 1 for a member without a tier."""
        return Decimal(1) if tier_code is None else self.tier(tier_code).multiplier

    def reward(self, reward_id: str) -> RewardConfig:
        try:
            return self.rewards[reward_id]
        except KeyError:
            raise UnknownRewardError(self.code, reward_id) from None

    def match_tiers(self, found: Iterable[tuple[str, str]]) -> dict[str, str]:
        """This program's Mews tiers as (Id, Code) → {Id: the tier's key in this file} (see
        `match_ids`; keys `programs.CODE.tiers.KEY.id`)."""
        configured = {key: tier.id for key, tier in self.tiers.items()}
        return match_ids(found, configured, f"programs.{self.code}.tiers", "tier")

    def points_expire_at(self, available_at: datetime) -> datetime | None:
        """When a lot that becomes available at `available_at` expires (None: never)."""
        return None if self.expiry_months is None else add_months(available_at, self.expiry_months)


def match_ids(
    found: Iterable[tuple[str, str]], configured: Mapping[str, str | None], where: str, what: str
) -> dict[str, str]:
    """Mews records as (Id, Code) → {Id: the key this file knows it by}.

    A key configured with an `id` is that record whatever its Code (integrators reuse the
    docs' example codes on the shared demo environment); a key without one is found by its
    Code, which must then be unique. A record the file does not configure keeps its Code,
    unless that Code is a key of the file (then its Id: it is not ours). `MewsIdError` names
    the key of a configured id Mews does not have, or of a code several records share."""
    found = list(found)
    ids = {record_id for record_id, _ in found}
    by_id = {record_id: key for key, record_id in configured.items() if record_id}
    for record_id, key in by_id.items():
        if record_id not in ids:
            known = ", ".join(f"{code} ({rid})" for rid, code in found) or "none"
            raise MewsIdError(
                f"{where}.{key}.id", f"no {what} with id {record_id} in Mews ({known})"
            )
    codes = Counter(code for record_id, code in found if record_id not in by_id)
    matched: dict[str, str] = {}
    for record_id, code in found:
        if record_id in by_id:
            matched[record_id] = by_id[record_id]
        elif code in configured and configured[code] is None:
            if codes[code] > 1:
                raise MewsIdError(
                    f"{where}.{code}.id",
                    f"{codes[code]} {what}s in Mews have the code {code}: set the id of ours",
                )
            matched[record_id] = code
        else:
            matched[record_id] = record_id if code in configured else code
    return matched


class ProgramFile(_Model):
    """Everything one chain's program file says."""

    chain_id: str | None = Field(default=None, description="the Mews ChainId this file is for")
    go_live: date | None = Field(
        default=None,
        description="stays that ended before this day are not accrued (the previous system "
        "counted them into the Points the ledger opens with)",
    )
    revenue_categories: dict[str, RevenueMapping] = Field(
        default_factory=dict,
        description="Mews accounting Classification → revenue category (over the defaults)",
    )
    consent: ConsentConfig = Field(
        default_factory=ConsentConfig,
        description="per channel, the Mews customer option that counts as marketing consent",
    )
    draft_retention_days: int = Field(
        default=180,
        ge=1,
        le=3650,
        description="days offer drafts and campaign copy (they hold names) are kept after they "
        "were written; the retention job purges older ones",
    )
    programs: dict[str, ProgramConfig] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _inject_codes(cls, data: Any) -> Any:
        if isinstance(data, dict) and "programs" in data:
            data = {**data, "programs": _with_keys(data["programs"], "code")}
        return data

    @model_validator(mode="after")
    def _codes_match_keys(self) -> Self:
        for key, program in self.programs.items():
            if program.code != key:
                raise _KeyedValueError(f"programs.{key}.code", f"must equal the table key {key!r}")
        return self

    def match_programs(self, found: Iterable[tuple[str, str]]) -> dict[str, str]:
        """Mews programs as (Id, Code) → {Id: the program's key in this file}: configured ids
        first, codes as the fallback (`match_ids`; keys `programs.KEY.id`)."""
        configured = {key: program.id for key, program in self.programs.items()}
        return match_ids(found, configured, "programs", "loyalty program")

    def program(self, code: str) -> ProgramConfig:
        """The program with this Mews program `Code`."""
        try:
            return self.programs[code]
        except KeyError:
            raise UnknownProgramError(code, list(self.programs)) from None

    def classification_map(self) -> Mapping[str, RevenueMapping]:
        return {**DEFAULT_CLASSIFICATION_MAP, **self.revenue_categories}

    def revenue_category(self, classification: str | None) -> RevenueCategory | None:
        """Where spend of a Mews accounting `Classification` counts; None when it never earns."""
        mapped = self.classification_map().get(classification or "", "other")
        return None if mapped == "excluded" else mapped


# ---------------------------------------------------------------------- loading
def default_program_path() -> Path:
    return Path(str(resources.files("tools.loyalty").joinpath("default_program.toml")))


def load_program_file(path: str | os.PathLike[str] | None = None) -> ProgramFile:
    """Load and validate a program file: `path`, else `LOYALTY_PROGRAM_FILE`, else the default."""
    chosen = Path(path or os.environ.get(PROGRAM_FILE_ENV, "").strip() or default_program_path())
    try:
        text = chosen.read_text(encoding="utf-8")
    except OSError as exc:
        problem = ConfigProblem("", f"cannot read the file: {exc.strerror or exc}")
        raise ProgramConfigError(str(chosen), [problem]) from None
    return parse_program_file(text, source=str(chosen))


def parse_program_file(text: str, *, source: str = "<text>") -> ProgramFile:
    """Validate program-file TOML; every problem is reported with its dotted key path."""
    try:
        # Decimal, not float: rates and bounds are money-like and must compare exactly.
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ProgramConfigError(source, [ConfigProblem("", f"not valid TOML: {exc}")]) from None
    try:
        return ProgramFile.model_validate(data)
    except ValidationError as exc:
        raise ProgramConfigError(source, _problems(exc)) from None


_MESSAGES = {
    "extra_forbidden": "unknown key (check its spelling; see default_program.toml)",
    "missing": "required key is missing",
}


def _problems(error: ValidationError) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for item in error.errors():
        parts = [str(part) for part in item["loc"]]
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, _KeyedValueError):
            parts.append(cause.key)
            message = cause.message
        else:
            message = _MESSAGES.get(item["type"], item["msg"].removeprefix("Value error, "))
        problem = ConfigProblem(".".join(parts), message)
        if problem not in problems:
            problems.append(problem)
    return problems
