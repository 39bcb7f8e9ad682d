"""Message drafts to members, for staff to review and send; drafting sends nothing.

`draft_expiry_reminder` is a guarded write (kind `offer`: marketing to a member) whose executor
stores one row of `message_drafts` in the transaction of its decision and audit record. It is
drafted by the expiry-reminder job (`tools.automation.member_jobs`) as `automation`, once per
membership and expiry batch (the key `expiry-reminder:{membership}:{first expiry date}`). A
channel the member has not agreed to marketing on (the program file's `[consent]`, Mews
customer `Options`) is refused before the decision, as for offer drafts. The text holds no
name (it greets the member by their program), so a draft names nobody; the retention job
deletes drafts past `draft_retention_days` with the offer drafts (`tools.actions.privacy`).
`draft_tier_message` (`tools.actions.tier_messages`) stores the message about a tier change the
same way. `list_messages` reads them back, newest first (the web app's member card, `loyalty
member export`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Final, Literal, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints
from sqlalchemy.engine import Connection

from policies import ExecContext, Facts
from storage.store import Store
from tools.actions.drafts import DraftTable
from tools.actions.errors import InvalidActionArgumentsError
from tools.actions.models import MAX_POINTS, IdempotencyKey, MewsId
from tools.actions.tables import messages_table
from tools.actions.write import GuardedWrite, InTransaction, WriteDeps

__all__ = [
    "DRAFT_EXPIRY_REMINDER",
    "MESSAGE_CHANNELS",
    "ExpiryReminderArgs",
    "MessageArgs",
    "MessageChannel",
    "MessageDraft",
    "list_messages",
    "message_write",
]

MessageChannel = Literal["email", "sms", "letter", "app"]
MESSAGE_CHANNELS: Final[tuple[MessageChannel, ...]] = ("email", "letter")
"""The channels a job drafts on, in order of preference, each only with the member's consent."""


class MessageArgs(BaseModel):
    """What every drafted message holds: to whom, on which channel, and its text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    customer_id: MewsId
    membership_id: MewsId
    program_code: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    channel: MessageChannel
    subject: Annotated[str, StringConstraints(min_length=3, max_length=200)]
    body: Annotated[str, StringConstraints(min_length=10, max_length=4000)]


ArgsT = TypeVar("ArgsT", bound=MessageArgs)
InputT = TypeVar("InputT", bound=MessageArgs)


class ExpiryReminderArgs(MessageArgs):
    """A reminder of points about to expire, as the job planned it."""

    points: Annotated[StrictInt, Field(gt=0, le=MAX_POINTS, description="points expiring")]
    expires_on: date = Field(description="the first day points expire")


class ExpiryReminderInput(ExpiryReminderArgs):
    idempotency_key: IdempotencyKey = None


class MessageDraft(BaseModel):
    message_id: str
    purpose: str
    customer_id: str
    membership_id: str | None
    channel: str
    subject: str
    body: str
    drafted_by: str
    created_at: str
    status: Literal["draft"] = "draft"


_DRAFTS = DraftTable(messages_table, MessageDraft, "message_id", "msg")


def list_messages(
    store: Store,
    *,
    customer_id: str | None = None,
    purpose: str | None = None,
    limit: int = 50,
) -> list[MessageDraft]:
    t = messages_table
    criteria: list[sa.ColumnElement[bool]] = []
    if customer_id is not None:
        criteria.append(t.c.customer_id == customer_id)
    if purpose is not None:
        criteria.append(t.c.purpose == purpose)
    return _DRAFTS.listed(store, *criteria, limit=limit)


async def _check_consent(deps: WriteDeps, args: MessageArgs) -> None:
    """`InvalidActionArgumentsError` unless the member consented to the message's channel."""
    consent = await deps.directory.consent(args.customer_id)
    if consent is None:
        raise InvalidActionArgumentsError("customer_id", f"no customer {args.customer_id} in Mews")
    refusal = consent.reason(args.channel)
    if refusal is not None:
        allowed = ", ".join(consent.channels()) or "no channel"
        raise InvalidActionArgumentsError(
            "channel", f"{refusal}; this member may be written to by: {allowed}"
        )


def message_write(
    name: str,
    title: str,
    description: str,
    input: type[InputT],
    args: type[ArgsT],
    *,
    purpose: str,
    drafted: Callable[[WriteDeps, ArgsT], str],
) -> GuardedWrite[InputT, ArgsT]:
    """A message drafted for staff as a guarded write (kind `offer`: marketing to a member):
    refused before the decision on a channel the member has not consented to, noted as what
    `drafted` says (after "drafted"), stored in `message_drafts` under `purpose`."""

    async def describe(deps: WriteDeps, args: ArgsT) -> Facts:
        await _check_consent(deps, args)
        return Facts(
            customer_id=args.customer_id,
            membership_id=args.membership_id,
            note=f"drafted {drafted(deps, args)}; nothing was sent",
        )

    def draft(_deps: WriteDeps, conn: Connection, args: ArgsT, ctx: ExecContext) -> MessageDraft:
        kept = args.model_dump(
            include={"customer_id", "membership_id", "channel", "subject", "body"}
        )
        return _DRAFTS.store(conn, {"purpose": purpose, **kept}, ctx)

    return GuardedWrite(
        name=name,
        title=title,
        description=description,
        kind="offer",
        input=input,
        args=args,
        result=MessageDraft,
        describe=describe,
        execute=InTransaction(draft),
    )


def _reminder_drafted(_deps: WriteDeps, args: ExpiryReminderArgs) -> str:
    return (
        f"an expiry reminder ({args.points} {args.program_code} points expiring "
        f"{args.expires_on}, {args.channel})"
    )


DRAFT_EXPIRY_REMINDER = message_write(
    "draft_expiry_reminder",
    "Draft expiry reminder",
    "Store a reminder of points about to expire for staff to send. Sends nothing.",
    ExpiryReminderInput,
    ExpiryReminderArgs,
    purpose="expiry_reminder",
    drafted=_reminder_drafted,
)
