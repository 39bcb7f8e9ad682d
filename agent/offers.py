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
from typing import Any, Literal, TypeAlias, get_args

from pydantic import Field, ValidationError, field_validator

from agent.models.types import FrozenModel
from prompts import render
from tools.loyalty.offer_copy import (
    OfferDraft,
    Problem,
    ProblemKind,
    check_offer_copy,
)
from tools.loyalty.offer_copy import long_date as _long_date

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
CHANNELS: tuple[Channel, ...] = get_args(Channel)
TEMPLATES: dict[Channel, str] = {
    "email": "offer_email.md.j2",
    "sms": "offer_sms.txt.j2",
    "app": "offer_app.md.j2",
}
Tone: TypeAlias = Literal["warm", "formal", "playful"]
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


class BrandVoice(FrozenModel):
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
