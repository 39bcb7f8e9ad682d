"""The message to a member whose tier changed: `draft_tier_message`, drafted, never sent.

    deps.on_tier_changed.append(tier_change_messages(guard, deps))   # the runtime does this

Every tier change runs through `update_loyalty_memberships` (the tier-review job's proposals,
executed at once or when a manager approves them, a manager's own change by the tool, `loyalty
call` or the web app), whose executor hands the tier changes Mews made to
`WriteDeps.on_tier_changed`. For each, in a configured program, one message is drafted as
`automation` through the guard (kind `offer`, like the expiry reminder: audited, and in
`recommend` mode waiting for a manager) into `message_drafts` (purpose `tier_change`). It is on
the first channel the member consented to (e-mail, else a letter); a member with neither gets
none. It names the old and the new tier and quotes what the move gains and loses from the
program file's tier benefits (`tools.loyalty.tiers.benefit_changes`), and greets the member by
their program, naming no one. Once per change: the key is made of the membership, the two tiers
and the tier write's own idempotency key, so a retried or replayed change drafts nothing more.
A draft that fails or is refused is a note, never undoes the tier change.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Literal

from pydantic import StringConstraints

from policies import Guard
from policies.errors import PolicyError
from storage.canonical import JSONObject
from tools.actions.errors import ActionError
from tools.actions.messages import MESSAGE_CHANNELS, MessageArgs, message_write
from tools.actions.models import IdempotencyKey
from tools.actions.write import AUTOMATION, TierMove, WriteDeps
from tools.loyalty.config import ProgramConfig
from tools.loyalty.errors import LoyaltyError
from tools.loyalty.tiers import benefit_changes
from tools.mews import MewsError

__all__ = [
    "DRAFT_TIER_MESSAGE",
    "TierMessageArgs",
    "tier_change_messages",
    "tier_message_text",
]

_log = logging.getLogger(__name__)

TierCode = Annotated[str, StringConstraints(min_length=1, max_length=50)]


class TierMessageArgs(MessageArgs):
    """A message about one tier change, as the change's executor planned it."""

    from_tier: TierCode | None
    to_tier: TierCode
    direction: Literal["upgrade", "downgrade", "assign"]


class TierMessageInput(TierMessageArgs):
    idempotency_key: IdempotencyKey = None


def _drafted(deps: WriteDeps, args: TierMessageArgs) -> str:
    program = deps.program(args.program_code)
    names = f"{program.tier_name(args.from_tier)} to {program.tier_name(args.to_tier)}"
    return f"a tier-change message ({args.direction}, {names}, {args.channel})"


DRAFT_TIER_MESSAGE = message_write(
    "draft_tier_message",
    "Draft tier-change message",
    "Store a message about a member's new tier for staff to send. Sends nothing.",
    TierMessageInput,
    TierMessageArgs,
    purpose="tier_change",
    drafted=_drafted,
)


def _direction(program: ProgramConfig, move: TierMove) -> Literal["upgrade", "downgrade", "assign"]:
    old = program.tiers.get(move.from_tier or "")
    new = program.tiers.get(move.to_tier)
    if old is None or new is None:
        return "assign"
    return "upgrade" if new.rank > old.rank else "downgrade"


def _listed(items: Sequence[str]) -> str:
    return "".join(f"\n- {item}" for item in items)


def tier_message_text(program: ProgramConfig, move: TierMove) -> dict[str, str]:
    """Subject and body: the old and new tier by name, what the move gains, loses and keeps
    (the program file's benefits). No name: "Dear Platinum Club member"."""
    old = program.tiers.get(move.from_tier or "")
    new = program.tiers.get(move.to_tier)
    changes = benefit_changes(old, new)
    old_name, new_name = program.tier_name(move.from_tier), program.tier_name(move.to_tier)
    direction = _direction(program, move)
    if direction == "upgrade":
        subject = f"Welcome to {new_name}: your {program.name} status"
        opening = (
            f"Congratulations: your {program.name} membership has moved up from {old_name} "
            f"to {new_name}."
        )
    elif direction == "downgrade":
        subject = f"Your {program.name} status is now {new_name}"
        opening = f"Your {program.name} membership has moved from {old_name} to {new_name}."
    else:
        subject = f"Your {program.name} status: {new_name}"
        opening = f"Your {program.name} membership is now {new_name}."
    parts = [f"Dear {program.name} member,", opening]
    if changes.gained:
        parts.append(f"As a {new_name} member you now have:{_listed(changes.gained)}")
    if changes.lost:
        parts.append(f"What {old_name} gave you and {new_name} does not:{_listed(changes.lost)}")
    if changes.kept:
        parts.append(f"You keep:{_listed(changes.kept)}")
    if direction == "downgrade" and old is not None:
        unit = "nights" if program.qualification.basis == "nights" else "points"
        parts.append(
            f"{old_name} is yours again from {old.threshold:,} qualifying {unit}: every stay "
            "counts towards it."
        )
    parts.append(f"The {program.name} team")
    return {"subject": subject[:200], "body": "\n\n".join(parts)[:4000]}


def _key(move: TierMove, write_key: str) -> str:
    """Once per change: the membership, both tiers and the tier write's own key (hashed: a
    derived key is long)."""
    digest = hashlib.sha256(write_key.encode()).hexdigest()[:16]
    return f"tier-message:{move.membership_id}:{move.from_tier or '-'}:{move.to_tier}:{digest}"


def tier_change_messages(
    guard: Guard, deps: WriteDeps, *, principal: str = AUTOMATION
) -> Callable[[Sequence[TierMove], str], Awaitable[list[str]]]:
    """What `update_loyalty_memberships` calls with the tier changes it made: a drafted message
    for each in a configured program, through the guard as `principal`."""

    async def changed(moves: Sequence[TierMove], write_key: str) -> list[str]:
        notes: list[str] = []
        for move in moves:
            if move.program_code not in deps.programs.programs:
                continue
            program = deps.programs.program(move.program_code)
            notes.append(await _draft_one(guard, deps, program, move, write_key, principal))
        return notes

    return changed


async def _draft_one(
    guard: Guard,
    deps: WriteDeps,
    program: ProgramConfig,
    move: TierMove,
    write_key: str,
    principal: str,
) -> str:
    what = f"tier-change message to {move.membership_id}"
    try:
        consent = await deps.directory.consent(move.customer_id)
        if consent is None:
            return f"no {what}: the customer is not in Mews"
        channel = consent.first_allowed(MESSAGE_CHANNELS)
        if channel is None:
            return f"no {what}: {consent.reason(MESSAGE_CHANNELS[0])}"
        args: JSONObject = {
            "customer_id": move.customer_id,
            "membership_id": move.membership_id,
            "program_code": program.code,
            "channel": channel,
            "from_tier": move.from_tier,
            "to_tier": move.to_tier,
            "direction": _direction(program, move),
            **tier_message_text(program, move),
        }
        outcome = await guard.submit(
            guard.principal(principal), DRAFT_TIER_MESSAGE.name, args, _key(move, write_key)
        )
    except (PolicyError, LoyaltyError, MewsError, ActionError, ValueError) as exc:
        _log.warning("%s not drafted: %s", what, exc)
        return f"{what} failed: {exc}"
    data = outcome.to_dict()
    status = str(data["status"])
    if status == "posted":
        return f"{what} drafted ({channel})"
    if status == "pending_approval":
        return f"{what} awaiting approval {data['approval_id']}"
    return f"{what} {status} ({data.get('rule')}: {data.get('reason')})"
