"""Offer copy: written from the structured draft, and checked against it before it is kept.

    draft = OfferDraft(member_name="Emma Novak", points=3000, valid_until=date(2027, 1, 31),
                       reward_name="Spa credit, 30 GBP")
    copy = offer_copy(draft, "email", BrandVoice(brand="Hotel Aurora", tone="warm"))
    assert check_offer_copy(copy, draft) == []

    # a stored draft (`draft_offer`'s result) completed from the tools: name, reward, price
    draft = await draft_from_tools(session.call_tool, stored)

The templates (`prompts/templates/offer_{email,sms,app}.j2`, `StrictUndefined`) only print
values of the draft, so their copy matches it by construction. Copy from anywhere else (a
model's own wording, a staff edit) goes through `check_offer_copy`: every number, date,
reward name and greeted name in it must be the draft's. `settle_offer_copy` applies the rule
"a mismatch is redrafted or rejected, never saved": proposed copy with problems is replaced by
the template's copy (and the problems are reported); if even that fails the check, it raises
`OfferCopyRejected` and nothing may be saved.

The MCP server stores the structured draft only (member, reward or bonus, validity, channel,
rationale); the copy is written here, on the assistant's side, from that structure. There is no
free-text copy field in `draft_offer` for a model to fill in, so nothing unchecked is saved.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from prompts import render

__all__ = [
    "CHANNELS",
    "TEMPLATES",
    "BrandVoice",
    "Channel",
    "OfferCopyRejected",
    "OfferDraft",
    "OfferFactsError",
    "Problem",
    "ProblemKind",
    "SettledCopy",
    "ToolCaller",
    "check_offer_copy",
    "draft_from_tools",
    "offer_copy",
    "settle_offer_copy",
    "template_channel",
]

Channel: TypeAlias = Literal["email", "sms", "app"]
CHANNELS: tuple[Channel, ...] = ("email", "sms", "app")
TEMPLATES: dict[Channel, str] = {
    "email": "offer_email.md.j2",
    "sms": "offer_sms.txt.j2",
    "app": "offer_app.md.j2",
}
Tone: TypeAlias = Literal["warm", "formal", "playful"]
ProblemKind: TypeAlias = Literal["number", "date", "reward", "member", "missing"]
ToolCaller: TypeAlias = Callable[[str, dict[str, Any]], Awaitable[Any]]
"""Calls an MCP tool by name and returns its `ToolOutcome` (e.g. `Session.call_tool`)."""


class OfferCopyRejected(Exception):  # noqa: N818  # reads as a sentence
    """Copy for a draft failed the guardrail and could not be redrafted; save nothing."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        listed = "; ".join(problem.message for problem in self.problems)
        super().__init__(f"offer copy rejected: {listed}")


class OfferFactsError(ValueError):
    """The facts of a stored draft could not be read from the tools."""


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


class BrandVoice(_Value):
    """How the chain speaks: the brand, the program, a tone and a sign-off."""

    brand: str = Field(default="our hotels", min_length=1)
    program: str = Field(default="Platinum Club", min_length=1)
    tone: Tone = "warm"
    sign_off: str = Field(default="The loyalty team", min_length=1)

    @field_validator("brand", "program", "sign_off")
    @classmethod
    def _no_digits(cls, value: str) -> str:
        # A number in the voice would be a number the draft does not hold.
        if re.search(r"\d", value):
            raise ValueError("must not contain digits (numbers come from the offer draft)")
        return value


@dataclass(frozen=True, slots=True)
class Problem:
    """One way the copy disagrees with the draft."""

    kind: ProblemKind
    found: str
    message: str


@dataclass(frozen=True, slots=True)
class SettledCopy:
    """Copy that passed the guardrail; `problems` are those of the proposal it replaced."""

    text: str
    channel: Channel
    redrafted: bool
    problems: tuple[Problem, ...] = ()


def template_channel(channel: str) -> Channel:
    """The template for a draft's channel: `sms` and `app` have their own; the rest (email,
    letter, phone notes, in person) use the email copy."""
    return channel if channel in ("sms", "app") else "email"  # type: ignore[return-value]


async def draft_from_tools(call: ToolCaller, offer: Mapping[str, Any]) -> OfferDraft:
    """The facts of a stored offer (a `draft_offer` result or a `list_offer_drafts` item),
    completed through the tools: the member's name (`get_member_summary`) and, for a reward,
    its name and price on the first valid day (`quote_points`). Raises `OfferFactsError`."""
    summary = await _structured(call, "get_member_summary", {"customer_id": offer["customer_id"]})
    points, reward_name = offer.get("bonus_points"), None
    if offer.get("reward_id"):
        arguments = {"kind": "redemption", "reward_id": offer["reward_id"]}
        quote = await _structured(call, "quote_points", arguments | {"on": offer["valid_from"]})
        redemption = quote.get("redemption") or {}
        points, reward_name = redemption.get("price_points"), redemption.get("reward_name")
    try:
        return OfferDraft(
            member_name=summary.get("display_name") or "",
            points=points,
            reward_name=reward_name,
            valid_from=offer["valid_from"],
            valid_until=offer["valid_until"],
            draft_id=offer.get("offer_id"),
        )
    except ValidationError as exc:
        where = ", ".join(str(error["loc"][0]) for error in exc.errors())
        raise OfferFactsError(f"offer {offer.get('offer_id')}: no valid {where}") from None


async def _structured(call: ToolCaller, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    outcome = await call(name, arguments)
    body = getattr(outcome, "structured", None)
    if getattr(outcome, "is_error", True) or not isinstance(body, dict):
        content = str(getattr(outcome, "content", outcome)).removeprefix("Error: ")
        raise OfferFactsError(f"{name} failed: {content}")
    return body


def offer_copy(draft: OfferDraft, channel: Channel, voice: BrandVoice | None = None) -> str:
    """The copy of `draft` for `channel`, from its template, in `voice`."""
    if channel not in TEMPLATES:
        raise ValueError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")
    voice = voice or BrandVoice()
    offer = {
        "member_name": draft.member_name,
        "first_name": draft.first_name,
        "points": f"{draft.points:,}",
        "reward_name": draft.reward_name,
        "valid_from": _long_date(draft.valid_from) if draft.valid_from else None,
        "valid_until": _long_date(draft.valid_until),
    }
    return render(TEMPLATES[channel], offer=offer, voice=voice.model_dump())


def settle_offer_copy(
    draft: OfferDraft,
    channel: Channel,
    voice: BrandVoice | None = None,
    *,
    proposed: str | None = None,
    known_rewards: Iterable[str] = (),
) -> SettledCopy:
    """Copy that may be saved with `draft`: `proposed` if it passes, else the template's.

    Raises `OfferCopyRejected` when the template's copy fails too (say, a reward name that
    itself looks like a date): such copy must not be saved.
    """
    rewards = tuple(known_rewards)
    found: tuple[Problem, ...] = ()
    if proposed is not None:
        found = tuple(check_offer_copy(proposed, draft, known_rewards=rewards))
        if not found:
            return SettledCopy(text=proposed, channel=channel, redrafted=False)
    text = offer_copy(draft, channel, voice)
    again = check_offer_copy(text, draft, known_rewards=rewards)
    if again:
        raise OfferCopyRejected(again)
    return SettledCopy(text=text, channel=channel, redrafted=proposed is not None, problems=found)


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
