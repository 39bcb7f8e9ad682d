"""Offer drafts: a structured proposal for staff to review and send; drafting sends nothing.

`draft_offer` is a guarded write (kind `offer`) whose executor stores one row in the same
transaction as its decision and audit record. A channel the member has not agreed to marketing
on (Mews customer `Options`, the program file's `[consent]`) is refused before the decision.
`list_drafts` reads them back, newest first.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from policies import ActionSpec, ExecContext, Facts, Transactional
from storage.canonical import JSONObject
from storage.store import Component, Store
from tools.actions.directory import MembershipDirectory
from tools.actions.errors import InvalidActionArgumentsError
from tools.actions.models import DraftOfferArgs, OfferDraft
from tools.loyalty import ProgramFile

__all__ = ["OFFERS", "list_drafts", "offer_actions", "offers_table"]

_metadata = sa.MetaData()

offers_table = sa.Table(
    "offer_drafts",
    _metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("customer_id", sa.String(64), nullable=False, index=True),
    sa.Column("membership_id", sa.String(64), nullable=True),
    sa.Column("reward_id", sa.String(64), nullable=True),
    sa.Column("bonus_points", sa.Integer, nullable=True),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("rationale", sa.Text, nullable=False),
    sa.Column("drafted_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)


def _create_v1(conn: Connection) -> None:
    _metadata.create_all(conn, tables=[offers_table])


OFFERS = Component("offers", [_create_v1])


def _draft(row: sa.Row[tuple[object, ...]]) -> OfferDraft:
    created: datetime = row.created_at
    return OfferDraft(
        offer_id=row.id,
        customer_id=row.customer_id,
        membership_id=row.membership_id,
        reward_id=row.reward_id,
        bonus_points=row.bonus_points,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        channel=row.channel,
        rationale=row.rationale,
        drafted_by=row.drafted_by,
        created_at=created.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def list_drafts(
    store: Store, *, customer_id: str | None = None, limit: int = 50
) -> list[OfferDraft]:
    t = offers_table
    query = sa.select(t).order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
    if customer_id is not None:
        query = query.where(t.c.customer_id == customer_id)
    with store.read() as conn:
        return [_draft(row) for row in conn.execute(query)]


def offer_actions(programs: ProgramFile, directory: MembershipDirectory) -> tuple[ActionSpec, ...]:
    def known_reward(reward_id: str) -> bool:
        return any(reward_id in program.rewards for program in programs.programs.values())

    async def describe(args: JSONObject) -> Facts:
        parsed = DraftOfferArgs.model_validate(args)
        if parsed.reward_id is not None and not known_reward(parsed.reward_id):
            raise InvalidActionArgumentsError(
                "reward_id", f"{parsed.reward_id!r} is not in the rewards catalogue (list_rewards)"
            )
        if parsed.membership_id is not None:
            ref = await directory.lookup(parsed.membership_id)
            if ref.customer_id != parsed.customer_id:
                raise InvalidActionArgumentsError(
                    "membership_id", "belongs to another customer than customer_id"
                )
        consent = await directory.consent(parsed.customer_id)
        if consent is None:
            raise InvalidActionArgumentsError(
                "customer_id", f"no customer {parsed.customer_id} in Mews"
            )
        refusal = consent.reason(parsed.channel)
        if refusal is not None:
            allowed = ", ".join(consent.channels())
            raise InvalidActionArgumentsError(
                "channel", f"{refusal}; this member may be offered it by: {allowed}"
            )
        what = parsed.reward_id or f"{parsed.bonus_points} bonus points"
        return Facts(
            customer_id=parsed.customer_id,
            membership_id=parsed.membership_id,
            note=f"drafted an offer ({what}, {parsed.channel}); nothing was sent",
        )

    def draft(conn: Connection, args: JSONObject, ctx: ExecContext) -> OfferDraft:
        parsed = DraftOfferArgs.model_validate(args)
        offer_id = f"ofr_{secrets.token_hex(8)}"
        conn.execute(
            offers_table.insert().values(
                id=offer_id,
                customer_id=parsed.customer_id,
                membership_id=parsed.membership_id,
                reward_id=parsed.reward_id,
                bonus_points=parsed.bonus_points,
                valid_from=parsed.valid_from,
                valid_until=parsed.valid_until,
                channel=parsed.channel,
                rationale=parsed.rationale,
                drafted_by=ctx.principal.name,
                created_at=ctx.now.replace(tzinfo=None),
            )
        )
        row = conn.execute(sa.select(offers_table).where(offers_table.c.id == offer_id)).one()
        return _draft(row)

    return (ActionSpec("draft_offer", "offer", Transactional(draft), describe),)
