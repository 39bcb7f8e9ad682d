"""The copy-versus-data guardrail of offers: copy may say only what its structured draft says.

    draft = OfferDraft(member_name="Emma Novak", points=3000, valid_until=date(2027, 1, 31),
                       reward_name="Spa credit, 30 GBP")
    assert check_offer_copy(copy, draft) == []

Pure (no templates, no I/O), so the engine (campaign drafts in `tools.campaigns`) and the
assistant (`agent.offers`, which re-exports it) check copy by the same rule: every number, date,
reward name and greeted name in the copy must be the draft's, and the draft's points, reward and
last valid day must all appear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["OfferDraft", "Problem", "ProblemKind", "check_offer_copy", "long_date"]

ProblemKind: TypeAlias = Literal["number", "date", "reward", "member", "missing"]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OfferDraft(_Value):
    """What an offer says, as structured data: the only source of its facts."""

    member_name: str = Field(min_length=1)
    points: int = Field(ge=0)
    valid_until: date
    valid_from: date | None = None
    reward_name: str | None = None
    """`None` for a points-bonus offer."""
    draft_id: str | None = None

    @property
    def first_name(self) -> str:
        return self.member_name.split()[0]

    @property
    def dates(self) -> tuple[date, ...]:
        return tuple(d for d in (self.valid_from, self.valid_until) if d is not None)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> OfferDraft:
        """A draft from a `draft_offer` / `list_offer_drafts` result (extra keys ignored).

        Accepts `member_name` or `customer_name`, `reward_name` or a nested `reward.name`,
        and `draft_id` or `id`. Raises `ValueError` naming what is missing.
        """
        reward = data.get("reward")
        values = {
            "member_name": data.get("member_name") or data.get("customer_name"),
            "points": data.get("points"),
            "valid_until": data.get("valid_until"),
            "valid_from": data.get("valid_from"),
            "reward_name": data.get("reward_name")
            or (reward.get("name") if isinstance(reward, Mapping) else None),
            "draft_id": data.get("draft_id") or data.get("id"),
        }
        try:
            return cls.model_validate({k: v for k, v in values.items() if v is not None})
        except ValidationError as exc:
            where = ", ".join(str(error["loc"][0]) for error in exc.errors())
            raise ValueError(f"not an offer draft (missing or invalid: {where})") from None


@dataclass(frozen=True, slots=True)
class Problem:
    """One way the copy disagrees with the draft."""

    kind: ProblemKind
    found: str
    message: str


# ---------------------------------------------------------------------- the guardrail

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>\d{4}))?"
_DATE_PATTERNS = (
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b"),
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_MONTH}\s+{_DAY}{_YEAR}\b", re.IGNORECASE),
    re.compile(r"\b(?P<day>\d{1,2})[./](?P<month>\d{1,2})[./](?P<year>\d{4})\b"),
)
_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:[,\u00a0\u202f]\d{3})+(?!\d)|\d+(?:\.\d+)?")
_GREETING = re.compile(
    r"\b(?:Dear|Hi|Hello|Hey|Welcome back|Good (?:morning|afternoon|evening))"
    r"(?:\s+(?:Mr|Mrs|Ms|Miss|Dr)\.?)?,?\s+(?P<name>[^\W\d_][\w'’-]*)",
)


@dataclass(frozen=True, slots=True)
class _FoundDate:
    text: str
    start: int
    end: int
    day: int
    month: int
    year: int | None


def check_offer_copy(
    copy: str, draft: OfferDraft | Mapping[str, Any], *, known_rewards: Iterable[str] = ()
) -> list[Problem]:
    """Every way `copy` disagrees with `draft`; an empty list means it may be saved.

    - each number must be the draft's points (any grouping: 3000, 3,000), or part of the
      reward's or member's name ("Spa credit, 30 GBP");
    - each date must be one of the draft's validity dates (a date without a year matches on
      day and month);
    - each reward of `known_rewards` named in the copy must be the draft's reward;
    - a greeting ("Dear ...", "Hi ...") must greet the draft's member;
    - the draft's points, its reward and its last valid day must all appear.
    """
    if not isinstance(draft, OfferDraft):
        draft = OfferDraft.from_mapping(draft)
    problems: list[Problem] = []
    dates = _dates_in(copy)
    problems += _date_problems(dates, draft)
    rest = _blank(copy, [(d.start, d.end) for d in dates])
    rest = _blank_names(
        rest, [draft.member_name, *([draft.reward_name] if draft.reward_name else [])]
    )
    numbers = [(match.group(), _as_number(match.group())) for match in _NUMBER.finditer(rest)]
    problems += [
        Problem("number", text, f"the number {text} is not in the draft (points: {draft.points:,})")
        for text, value in numbers
        if value != draft.points
    ]
    problems += _reward_problems(copy, draft, known_rewards)
    problems += _greeting_problems(copy, draft)
    problems += _missing(copy, draft, numbers, dates)
    return problems


def _dates_in(text: str) -> list[_FoundDate]:
    found: list[_FoundDate] = []
    taken: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            span = match.span()
            if any(start < span[1] and span[0] < end for start, end in taken):
                continue
            month_text = match.group("month")
            month = int(month_text) if month_text.isdigit() else _MONTHS[month_text.lower()]
            year = match.group("year")
            taken.append(span)
            found.append(
                _FoundDate(
                    text=match.group(),
                    start=span[0],
                    end=span[1],
                    day=int(match.group("day")),
                    month=month,
                    year=int(year) if year else None,
                )
            )
    return found


def _date_problems(dates: list[_FoundDate], draft: OfferDraft) -> list[Problem]:
    expected = ", ".join(d.isoformat() for d in draft.dates)
    return [
        Problem("date", found.text, f"the date {found.text!r} is not in the draft ({expected})")
        for found in dates
        if not any(_same_date(found, d) for d in draft.dates)
    ]


def _same_date(found: _FoundDate, wanted: date) -> bool:
    if found.year is not None and found.year != wanted.year:
        return False
    if (found.day, found.month) == (wanted.day, wanted.month):
        return True
    # 03/01/2027 may be read either way round; accept the reading that matches.
    return found.text[:1].isdigit() and (found.month, found.day) == (wanted.day, wanted.month)


def _reward_problems(copy: str, draft: OfferDraft, known: Iterable[str]) -> list[Problem]:
    lowered = copy.casefold()
    own = (draft.reward_name or "").casefold()
    return [
        Problem("reward", name, f"the reward {name!r} is not the draft's ({draft.reward_name})")
        for name in known
        if name.casefold() in lowered and name.casefold() != own and name.casefold() not in own
    ]


def _greeting_problems(copy: str, draft: OfferDraft) -> list[Problem]:
    allowed = {part.casefold() for part in draft.member_name.split()}
    return [
        Problem(
            "member",
            match.group("name"),
            f"the copy greets {match.group('name')!r}, but the offer is for {draft.member_name}",
        )
        for match in _GREETING.finditer(copy)
        if match.group("name").casefold() not in allowed
    ]


def _missing(
    copy: str, draft: OfferDraft, numbers: list[tuple[str, float]], dates: list[_FoundDate]
) -> list[Problem]:
    problems: list[Problem] = []
    if all(value != draft.points for _, value in numbers):
        problems.append(
            Problem("missing", f"{draft.points:,}", f"the points ({draft.points:,}) are missing")
        )
    if draft.reward_name and draft.reward_name.casefold() not in copy.casefold():
        problems.append(
            Problem(
                "missing", draft.reward_name, f"the reward name {draft.reward_name!r} is missing"
            )
        )
    if not any(_same_date(found, draft.valid_until) for found in dates):
        until = draft.valid_until.isoformat()
        problems.append(Problem("missing", until, f"the last valid day ({until}) is missing"))
    return problems


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _blank_names(text: str, names: list[str]) -> str:
    for name in names:
        pattern = re.compile(re.escape(name), re.IGNORECASE)
        text = pattern.sub(lambda match: " " * len(match.group()), text)
    return text


def _as_number(text: str) -> float:
    return float(re.sub(r"[,\u00a0\u202f]", "", text))


def _long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def long_date(value: date) -> str:
    """A date as offer copy prints it: 31 January 2027."""
    return _long_date(value)
