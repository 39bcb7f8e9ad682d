"""A member's data in the product: export it all as JSON, or erase what names them.

`find_member` takes a membership id or a customer id (what a data-subject request names) and
finds every membership and customer id the product holds for that person: the ledger's
accounts, offer drafts, campaign memberships, the recommendation log.

`export_member` (a read, manager only, audited) gathers everything held about them: ledger
accounts and entries, offer drafts, campaign memberships and drafts, recommendations, the
approvals and audit records naming their ids, the Mews commands queued about them, and the
read model's copy of their Mews profile, memberships and stays.

`ERASE_MEMBER` (a guarded `delete`, manager only, audited) pseudonymises what names them and
keeps what the books need: drafts (offer rationales, campaign copy), free-text reasons and
notes become `[erased]`, the names stored for campaigns become a pseudonym
(`erased-<hash of the customer id>`); ledger amounts, balances, dates and ids stay, so the
liability and the Mews balance are unchanged. Not touched: the audit chain (hash-chained and
append-only; personal keys are redacted when a record is written) and Mews itself (the guest's
profile is Mews's to erase; the read model's copy of it follows Mews at its next refresh).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from policies import ActionSpec, ExecContext, Facts, Transactional
from policies.schema import approvals_table, audit_table
from storage.canonical import JSONObject
from storage.clock import naive_utc
from storage.outbox import outbox_table
from storage.store import Store
from tools.actions.errors import ActionError, InvalidActionArgumentsError
from tools.actions.tables import messages_table, offers_table
from tools.campaigns.tables import (
    campaign_drafts_table,
    campaign_members_table,
    campaign_segments_table,
    campaigns_table,
    recommendation_log_table,
)
from tools.loyalty import ledger_lock_key
from tools.loyalty.ledger_schema import accounts_table, entries_table
from tools.loyalty.member_store_schema import customers_table as facts_customers
from tools.loyalty.member_store_schema import memberships_table as facts_memberships
from tools.loyalty.member_store_schema import stays_table as facts_stays

__all__ = [
    "ERASED",
    "ERASE_MEMBER",
    "MemberKeys",
    "UnknownMemberError",
    "erase_member",
    "erase_member_action",
    "export_member",
    "find_member",
    "purge_drafts",
]

ERASED = "[erased]"
_GUID = re.compile(r"^[0-9a-fA-F-]{36}$")


class UnknownMemberError(ActionError):
    def __init__(self, member_id: str) -> None:
        super().__init__(
            f"no member {member_id!r}: the product holds nothing about this membership or "
            "customer id (ledger, drafts, campaigns); check the id with find_members"
        )
        self.member_id = member_id


@dataclass(frozen=True)
class MemberKeys:
    """Every id the product holds for one person."""

    given: str
    customer_ids: tuple[str, ...]
    membership_ids: tuple[str, ...]

    @property
    def all_ids(self) -> tuple[str, ...]:
        return (*self.customer_ids, *self.membership_ids)


def pseudonym(customer_id: str) -> str:
    """A stable stand-in for an erased name: the same person, the same pseudonym."""
    return "erased-" + hashlib.sha256(customer_id.encode()).hexdigest()[:10]


def find_member(conn: Connection, member_id: str) -> MemberKeys:
    """The person a membership or customer id names (`UnknownMemberError` if nothing is held)."""
    member_id = member_id.strip()
    if not _GUID.match(member_id):
        raise InvalidActionArgumentsError(
            "member_id", f"{member_id!r} is not a Mews id (a membership or customer GUID)"
        )
    customers: set[str] = set()
    memberships: set[str] = set()
    accounts = accounts_table
    for row in conn.execute(
        sa.select(accounts.c.membership_id, accounts.c.customer_id).where(
            sa.or_(accounts.c.membership_id == member_id, accounts.c.customer_id == member_id)
        )
    ):
        customers.add(row.customer_id)
    for table in (offers_table, campaign_members_table, recommendation_log_table):
        for row in conn.execute(
            sa.select(table.c.customer_id, table.c.membership_id).where(
                sa.or_(table.c.customer_id == member_id, table.c.membership_id == member_id)
            )
        ):
            customers.add(row.customer_id)
    if not customers:
        raise UnknownMemberError(member_id)
    # Every membership of the person, whichever id was given.
    memberships.update(
        conn.execute(
            sa.select(accounts.c.membership_id).where(accounts.c.customer_id.in_(customers))
        ).scalars()
    )
    for table in (offers_table, campaign_members_table, recommendation_log_table):
        memberships.update(
            m
            for m in conn.execute(
                sa.select(table.c.membership_id).where(table.c.customer_id.in_(customers))
            ).scalars()
            if m
        )
    return MemberKeys(member_id, tuple(sorted(customers)), tuple(sorted(memberships)))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(conn: Connection, statement: sa.Select[Any]) -> list[dict[str, Any]]:
    return [
        {key: _jsonable(value) for key, value in row._mapping.items()}
        for row in conn.execute(statement)
    ]


def _naming(column: sa.ColumnElement[str], keys: MemberKeys) -> sa.ColumnElement[bool]:
    """Rows whose text column names one of the person's ids."""
    return sa.or_(*(column.contains(i, autoescape=True) for i in keys.all_ids))


def _decoded(rows: list[dict[str, Any]], *columns: str) -> list[dict[str, Any]]:
    for row in rows:
        for column in columns:
            if isinstance(row.get(column), str):
                with contextlib.suppress(ValueError):  # not JSON: kept as text
                    row[column] = json.loads(row[column])
    return rows


def export_member(store: Store, member_id: str) -> dict[str, Any]:
    """Everything the product holds about the person `member_id` names, as JSON-ready data."""
    with store.read() as conn:
        keys = find_member(conn, member_id)
        customers, memberships = keys.customer_ids, keys.membership_ids

        def held(
            table: sa.Table, *order_by: sa.ColumnElement[Any], by: str = "customer_id"
        ) -> list[dict[str, Any]]:
            """The table's rows of the person's customers (`by` a membership: memberships)."""
            ids = memberships if by == "membership_id" else customers
            return _rows(conn, sa.select(table).where(table.c[by].in_(ids)).order_by(*order_by))

        def naming(
            table: sa.Table, order_by: sa.ColumnElement[Any], searched: tuple[str, ...], *more: str
        ) -> list[dict[str, Any]]:
            """The table's rows whose JSON text in `searched` names one of the person's ids,
            those columns and `more` read as JSON."""
            where = sa.or_(*(_naming(table.c[column], keys) for column in searched))
            rows = _rows(conn, sa.select(table).where(where).order_by(order_by))
            return _decoded(rows, *searched, *more)

        entries = entries_table
        campaigns = {
            row.campaign_id
            for row in conn.execute(
                sa.select(campaign_members_table.c.campaign_id).where(
                    campaign_members_table.c.customer_id.in_(customers)
                )
            )
        }
        return {
            "member_id": keys.given,
            "customer_ids": list(customers),
            "membership_ids": list(memberships),
            "ledger": {
                "accounts": held(accounts_table, by="membership_id"),
                "entries": held(
                    entries, entries.c.membership_id, entries.c.sequence, by="membership_id"
                ),
            },
            "offer_drafts": held(offers_table, offers_table.c.created_at),
            "message_drafts": held(messages_table, messages_table.c.created_at),
            "campaigns": _rows(
                conn,
                sa.select(
                    campaign_members_table,
                    campaigns_table.c.name.label("campaign_name"),
                    campaigns_table.c.goal.label("campaign_goal"),
                )
                .join(campaigns_table, campaigns_table.c.id == campaign_members_table.c.campaign_id)
                .where(campaign_members_table.c.customer_id.in_(customers)),
            ),
            "campaign_drafts": _rows(
                conn,
                sa.select(campaign_drafts_table).where(
                    campaign_drafts_table.c.customer_id.in_(customers),
                    campaign_drafts_table.c.campaign_id.in_(campaigns),
                ),
            ),
            "recommendations": held(recommendation_log_table),
            "approvals": naming(approvals_table, approvals_table.c.created_at, ("args",), "result"),
            "audit": naming(audit_table, audit_table.c.seq, ("args", "result")),
            # The read model's copy of the Mews profile (refreshed from Mews; erased there).
            "mews_copy": {
                "customers": held(facts_customers),
                "memberships": held(facts_memberships),
                "stays": held(facts_stays),
            },
            "mews_commands": naming(outbox_table, outbox_table.c.id, ("payload",)),
        }


# ---------------------------------------------------------------------------- retention
def purge_drafts(conn: Connection, *, written_before: datetime) -> dict[str, int]:
    """Drafts past their retention: offer drafts, message drafts and campaign copy written
    before the cutoff are deleted; the names a campaign keeps for its measurement become
    pseudonyms (holdout and outcomes stay, so its report still measures lift). What went, by
    kind."""
    cutoff = naive_utc(written_before)  # stored naive UTC
    old_campaigns = sa.select(campaigns_table.c.id).where(campaigns_table.c.created_at < cutoff)
    counts = {
        "offer_drafts": conn.execute(
            offers_table.delete().where(offers_table.c.created_at < cutoff)
        ).rowcount,
        "message_drafts": conn.execute(
            messages_table.delete().where(messages_table.c.created_at < cutoff)
        ).rowcount,
        "campaign_drafts": conn.execute(
            campaign_drafts_table.delete().where(
                campaign_drafts_table.c.campaign_id.in_(old_campaigns)
            )
        ).rowcount,
    }
    named = 0
    members = campaign_members_table
    rows = conn.execute(
        sa.select(members.c.campaign_id, members.c.customer_id).where(
            members.c.campaign_id.in_(old_campaigns),
            sa.not_(members.c.display_name.startswith("erased-")),
        )
    ).all()
    for row in rows:
        named += conn.execute(
            members.update()
            .where(
                members.c.campaign_id == row.campaign_id, members.c.customer_id == row.customer_id
            )
            .values(display_name=pseudonym(row.customer_id))
        ).rowcount
    counts["campaign_names"] = named
    segments = campaign_segments_table
    renamed = 0
    for row in conn.execute(
        sa.select(segments.c.id, segments.c.members).where(segments.c.created_at < cutoff)
    ):
        updated = [[m[0], m[1], pseudonym(m[0])] if m else m for m in row.members]
        if updated != row.members:
            conn.execute(segments.update().where(segments.c.id == row.id).values(members=updated))
            renamed += 1
    counts["segments"] = renamed
    return counts


# ---------------------------------------------------------------------------- erase
def _erase_segment_names(conn: Connection, keys: MemberKeys) -> int:
    """Segments store `[customer_id, membership_id, name]` triples: replace the name."""
    changed = 0
    table = campaign_segments_table
    for row in conn.execute(sa.select(table.c.id, table.c.members)):
        members = row.members
        updated = [
            [m[0], m[1], pseudonym(m[0])] if m and m[0] in keys.customer_ids else m for m in members
        ]
        if updated != members:
            conn.execute(table.update().where(table.c.id == row.id).values(members=updated))
            changed += 1
    return changed


def _erase_outbox_text(conn: Connection, keys: MemberKeys) -> int:
    """Delivered or dead commands about the person: their free text (task descriptions, note
    contents) goes; pending ones still carry what Mews must receive."""
    changed = 0
    table = outbox_table
    rows = conn.execute(
        sa.select(table.c.id, table.c.payload).where(
            _naming(table.c.payload, keys), table.c.status != "pending"
        )
    ).all()
    for row in rows:
        payload = json.loads(row.payload)
        for key in ("Description", "Notes", "Content"):
            if key in payload:
                payload[key] = ERASED
        for note in payload.get("AccountNotes", ()):
            if note.get("AccountId") in keys.customer_ids:
                note["Content"] = ERASED
        conn.execute(table.update().where(table.c.id == row.id).values(payload=json.dumps(payload)))
        changed += 1
    return changed


def _erased_unless_empty(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return sa.case((column.is_(None), None), else_=ERASED)


def erase_member(conn: Connection, keys: MemberKeys) -> dict[str, int]:
    """Pseudonymise what names the person; what changed, by kind."""
    customers, memberships = keys.customer_ids, keys.membership_ids

    def erase(table: sa.Table, *where: sa.ColumnElement[bool], **values: Any) -> int:
        """The rows of `table` meeting `where` get `values`; how many."""
        return conn.execute(table.update().where(*where).values(**values)).rowcount

    offers, drafts, members = offers_table, campaign_drafts_table, campaign_members_table
    entries, approvals = entries_table, approvals_table
    counts: dict[str, int] = {}
    counts["offer_drafts"] = erase(offers, offers.c.customer_id.in_(customers), rationale=ERASED)
    counts["campaign_drafts"] = erase(
        drafts, drafts.c.customer_id.in_(customers), copy=_erased_unless_empty(drafts.c.copy)
    )
    counts["campaign_names"] = sum(
        erase(members, members.c.customer_id == customer, display_name=pseudonym(customer))
        for customer in customers
    )
    counts["campaign_segments"] = _erase_segment_names(conn, keys)
    # Reasons are free text (a note can name the guest); amounts, kinds and dates stay.
    counts["ledger_reasons"] = erase(
        entries, entries.c.membership_id.in_(memberships), reason=ERASED
    )
    counts["approval_notes"] = erase(
        approvals,
        _naming(approvals.c.args, keys),
        approvals.c.action != ERASE_MEMBER,
        note=ERASED,
        comment=_erased_unless_empty(approvals.c.comment),
    )
    counts["mews_commands"] = _erase_outbox_text(conn, keys)
    return counts


async def _describe_erase(store: Store, args: JSONObject) -> Facts:
    with store.read() as conn:
        keys = find_member(conn, str(args.get("member_id", "")))
    return Facts(
        requires=("approve",),  # a manager's decision, like an approval
        lock_keys=tuple(ledger_lock_key(m) for m in keys.membership_ids),
        note="erase a member's personal data held by the loyalty product",
    )


def _execute_erase(conn: Connection, args: JSONObject, _ctx: ExecContext) -> dict[str, Any]:
    keys = find_member(conn, str(args["member_id"]))
    return {
        "member_id": keys.given,
        "customer_ids": list(keys.customer_ids),
        "membership_ids": list(keys.membership_ids),
        "erased": erase_member(conn, keys),
    }


def erase_member_action(store: Store) -> ActionSpec:
    """The guarded erase, for a `Guard` over `store`."""

    async def describe(args: JSONObject) -> Facts:
        return await _describe_erase(store, args)

    return ActionSpec(ERASE_MEMBER, "delete", Transactional(_execute_erase), describe)


ERASE_MEMBER = "erase_member"
