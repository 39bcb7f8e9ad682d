"""The member card's action forms: each one posts to the same guarded tool the assistant calls.

    arguments = ACTIONS["award"].arguments(form, customer_id)   # FormError: which field, why
    answer = await members.act(runtime, principal, ACTIONS["award"].tool, arguments)

Each form's tool is named by its guarded write (`tools.actions`), the one definition the MCP
tool comes from.

No model is involved: the form names the tool's arguments, the policy layer answers (posted,
pending with the rule that held it, denied with the reason), and the card shows that answer.
Bad input is refused here with the field and what was expected, before any tool is called.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from tools.actions import (
    ADD_LOYALTY_MEMBERSHIPS,
    ADJUST_POINTS,
    AWARD_POINTS,
    DRAFT_OFFER,
    REDEEM_REWARD,
    UPDATE_LOYALTY_MEMBERSHIPS,
)

__all__ = ["ACTIONS", "Answer", "FormAction", "FormError", "answer_of"]

MAX_POINTS = 1_000_000
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_REWARD = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class FormError(ValueError):
    """A field of the form is missing or malformed; the message names it."""


Form = Mapping[str, Any]


def _field(form: Form, name: str, label: str, *, limit: int = 500, required: bool = True) -> str:
    value = form.get(name, "")
    value = value.strip() if isinstance(value, str) else ""
    if required and not value:
        raise FormError(f"{label}: please fill it in.")
    if len(value) > limit:
        raise FormError(f"{label}: at most {limit} characters (got {len(value)}).")
    return value


def _points(form: Form, name: str, label: str, *, signed: bool = False) -> int:
    text = _field(form, name, label, limit=12).replace(",", "").replace(" ", "")
    try:
        value = int(text)
    except ValueError:
        raise FormError(f"{label}: a whole number of points, not “{text}”.") from None
    if value == 0 or (not signed and value < 0):
        wanted = "a non-zero number" if signed else "more than 0"
        raise FormError(f"{label}: {wanted}, not {value:,}.")
    if abs(value) > MAX_POINTS:
        raise FormError(f"{label}: at most {MAX_POINTS:,} points.")
    return value


def _membership(form: Form) -> str:
    value = _field(form, "membership_id", "Membership", limit=36)
    if not _GUID.fullmatch(value):
        raise FormError("Membership: choose one of the member's memberships.")
    return value


def _day(form: Form, name: str, label: str) -> str:
    text = _field(form, name, label, limit=10)
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise FormError(f"{label}: a date like 2026-12-24, not “{text}”.") from None


def _reward(form: Form) -> str:
    """A reward id from the card's list (the tool prices it today)."""
    reward = _field(form, "reward", "Reward", limit=64)
    if not _REWARD.fullmatch(reward):
        raise FormError("Reward: choose one of the rewards listed.")
    return reward


def _award(form: Form, _customer: str) -> dict[str, Any]:
    return {
        "membership_id": _membership(form),
        "points": _points(form, "points", "Points"),
        "reason": _field(form, "reason", "Reason"),
        "goodwill": form.get("goodwill") == "on",
    }


def _adjust(form: Form, _customer: str) -> dict[str, Any]:
    return {
        "membership_id": _membership(form),
        "points": _points(form, "points", "Points (+ or −)", signed=True),
        "reason": _field(form, "reason", "Reason"),
    }


def _redeem(form: Form, _customer: str) -> dict[str, Any]:
    return {
        "membership_id": _membership(form),
        "reward_id": _reward(form),
        "on": _day(form, "on", "Day of use"),
    }


def _offer(form: Form, customer: str) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "customer_id": customer,
        "membership_id": _membership(form),
        "valid_from": _day(form, "valid_from", "Valid from"),
        "valid_until": _day(form, "valid_until", "Valid until"),
        "channel": _field(form, "channel", "Channel", limit=10),
        "rationale": _field(form, "rationale", "Why this offer"),
    }
    if arguments["channel"] not in ("email", "sms", "app"):
        raise FormError("Channel: e-mail, SMS or app.")
    if arguments["valid_until"] < arguments["valid_from"]:
        raise FormError("Valid until: on or after the first valid day.")
    reward = _field(form, "reward", "Reward", limit=80, required=False)
    if reward:
        arguments["reward_id"] = _reward(form)
    else:
        arguments["bonus_points"] = _points(form, "bonus_points", "Bonus points (or a reward)")
    return arguments


def _enrol(form: Form, customer: str) -> dict[str, Any]:
    program = _field(form, "program_id", "Program", limit=36)
    if not _GUID.fullmatch(program):
        raise FormError("Program: choose one of the programs listed.")
    return {"memberships": [{"account_id": customer, "loyalty_program_id": program}]}


def _renew(form: Form, _customer: str) -> dict[str, Any]:
    until = _day(form, "until", "Renew until")
    return {"updates": [{"loyalty_membership_id": _membership(form), "expiration_date": until}]}


@dataclass(frozen=True)
class FormAction:
    key: str
    title: str
    tool: str
    arguments: Callable[[Form, str], dict[str, Any]]


ACTIONS: dict[str, FormAction] = {
    action.key: action
    for action in (
        FormAction("award", "Award points", AWARD_POINTS.name, _award),
        FormAction("adjust", "Adjust points", ADJUST_POINTS.name, _adjust),
        FormAction("redeem", "Redeem a reward", REDEEM_REWARD.name, _redeem),
        FormAction("offer", "Draft an offer", DRAFT_OFFER.name, _offer),
        FormAction("enrol", "Enrol", ADD_LOYALTY_MEMBERSHIPS.name, _enrol),
        FormAction("renew", "Renew the membership", UPDATE_LOYALTY_MEMBERSHIPS.name, _renew),
    )
}


@dataclass(frozen=True)
class Answer:
    """The policy's answer as the card shows it."""

    kind: str  # ok | pending | error
    text: str


def answer_of(title: str, status: str, body: Mapping[str, Any], message: str) -> Answer:
    """`status` and `body` of the tool's result; `message` its text for an error."""
    if status == "posted":
        result = body.get("result") if isinstance(body.get("result"), dict) else {}
        assert isinstance(result, dict)
        replayed = " (this exact request was already posted today)" if body.get("replayed") else ""
        balance = result.get("balance")
        after = f" Balance now {int(balance):,} points." if isinstance(balance, int) else ""
        return Answer("ok", f"{title}: posted{replayed}.{after}")
    if status == "pending_approval":
        return Answer(
            "pending",
            f"{title}: waits for a manager — {body.get('reason')} (rule {body.get('rule')}, "
            f"request {body.get('approval_id')}). Nothing is posted until it is approved.",
        )
    if status == "denied":
        return Answer("error", f"{title}: denied — {message}")
    return Answer("error", f"{title}: not done — {message}")
