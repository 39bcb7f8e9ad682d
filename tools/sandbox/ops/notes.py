"""`accountNotes/getAll|add|update|delete` and `serviceOrderNotes/getAll`.

Account notes are chain-level; `add` takes `ChainId` with a portfolio token, `update` and
`delete` act on any note in the token's chains. A company account may only get `General` notes.
Deleting an unknown or already deleted note is 400 `Invalid AccountNoteIds`.
"""

from __future__ import annotations

from tools.sandbox.context import Ctx
from tools.sandbox.errors import JSON, bad_request, invalid
from tools.sandbox.factory import INTEGRATION_PROFILE
from tools.sandbox.ids import new_id
from tools.sandbox.ops._common import (
    activity_states,
    apply_updates,
    find_active,
    in_filter,
    in_interval,
    insert,
    is_visible,
    page,
    rendered_page,
    soft_delete_named,
    ts,
)
from tools.sandbox.ops._registry import operation
from tools.sandbox.state import AccountNote
from tools.sandbox.validation import Obj

__all__ = ["NOTE_CLASSIFICATIONS"]

NOTE_CLASSIFICATIONS = (
    "General",
    "FoodAndBeverage",
    "FrontOffice",
    "Reservations",
    "Housekeeping",
    "Maintenance",
    "PreviousStay",
    "FamilyRelations",
    "Gifts",
    "Accounting",
    "Complaints",
    "Other",
)
NOTE_TYPES = ("General", "ChannelManager", "SpecialRequest")
_NOUN = "account note"


def render_note(note: AccountNote) -> JSON:
    return {
        "Id": note.id,
        "AccountId": note.account_id,
        "Content": note.content,
        "AccountType": note.account_type,
        "Classifications": list(note.classifications),
        "IsActive": note.active,
        "CreatorProfile": note.creator_profile,
        "UpdaterProfile": note.updater_profile,
    }


def _find(ctx: Ctx, chains: set[str], note_id: str, parameter: str) -> AccountNote:
    return find_active(ctx.state.account_notes, chains, note_id, parameter, _NOUN)


@operation("accountNotes/getAll", page_key="AccountNotes")
def get_all(ctx: Ctx, q: Obj) -> JSON:
    chains = ctx.chains(q)
    ids, accounts = q.guids("AccountNoteIds"), q.guids("AccountIds")
    updated = q.interval("UpdatedUtc")
    states = activity_states(q)
    rows = [
        n
        for n in ctx.state.account_notes
        if n.chain_id in chains
        and in_filter(ids, n.id)
        and in_filter(accounts, n.account_id)
        and is_visible(n.active, states)
        and in_interval(updated, n.updated)
    ]
    return rendered_page(q, rows, ctx.state.account_notes.get, "AccountNotes", render_note)


@operation("accountNotes/add", writes=True)
def add(ctx: Ctx, q: Obj) -> JSON:
    chain = ctx.write_chain(q)
    new: list[AccountNote] = []
    for item in q.objs("AccountNotes", required=True):
        account_id = item.req_guid("AccountId")
        customer = ctx.state.customers.get(account_id)
        company = ctx.state.companies.get(account_id)
        if (customer is None or not customer.active) and (company is None or not company.active):
            raise invalid(item.at("AccountId"), f"account {account_id} does not exist.")
        kind = "Customer" if customer is not None else "Company"
        classes = item.enums("Classifications", NOTE_CLASSIFICATIONS, max_items=1) or []
        if kind == "Company" and any(c != "General" for c in classes):
            raise bad_request(f"{item.at('Classifications')}: a company note can only be General.")
        profile = dict(INTEGRATION_PROFILE)
        new.append(
            AccountNote(
                id=new_id(),
                chain_id=chain,
                account_id=account_id,
                account_type=kind,
                content=item.req_str("Content", max_len=1000),
                classifications=tuple(classes),
                creator_profile=profile,
                updater_profile=dict(profile),
                created=ctx.now,
                updated=ctx.now,
            )
        )
    insert(ctx, ctx.state.account_notes, new)
    return {"AccountNotes": [render_note(n) for n in new]}


@operation("accountNotes/update", writes=True)
def update(ctx: Ctx, q: Obj) -> JSON:
    chains = ctx.chains()
    planned: list[tuple[AccountNote, dict[str, object]]] = []
    for item in q.objs("AccountNoteUpdates", required=True):
        note = _find(ctx, chains, item.req_guid("AccountNoteId"), "AccountNoteId")
        content = item.update_str("Content", nullable=False, max_len=1000)
        classes = set(note.classifications)
        flags = item.obj("Classifications")
        if flags is not None:
            for name in NOTE_CLASSIFICATIONS:
                value = flags.update_bool(name)
                if value is True:
                    classes.add(name)
                elif value is False:
                    classes.discard(name)
            unknown = set(flags.data) - set(NOTE_CLASSIFICATIONS)
            if unknown:
                raise bad_request(
                    f"{flags.path} has unknown classifications: {', '.join(sorted(unknown))}."
                )
        changes: dict[str, object] = {
            "classifications": tuple(name for name in NOTE_CLASSIFICATIONS if name in classes),
            "updater_profile": dict(INTEGRATION_PROFILE),
        }
        if isinstance(content, str):
            changes["content"] = content
        planned.append((note, changes))
    updated = apply_updates(ctx, ctx.state.account_notes, planned)
    return {"AccountNotes": [render_note(n) for n in updated]}


@operation("accountNotes/delete", writes=True)
def delete(ctx: Ctx, q: Obj) -> JSON:
    soft_delete_named(ctx, ctx.state.account_notes, ctx.chains(), q, "AccountNoteIds", _NOUN)
    return {}


@operation("serviceOrderNotes/getAll", page_key="ServiceOrderNotes")
def service_order_notes_get_all(ctx: Ctx, q: Obj) -> JSON:
    orders = set(q.req_guids("ServiceOrderIds"))
    enterprises = ctx.enterprises(q)
    ids = q.guids("ServiceOrderNoteIds")
    types = q.enums("Types", NOTE_TYPES) or ["General", "ChannelManager"]
    updated = q.interval("UpdatedUtc")
    rows = [
        n
        for n in ctx.state.order_notes
        if n.order_id in orders
        and n.enterprise_id in enterprises
        and in_filter(ids, n.id)
        and n.type in types
        and in_interval(updated, n.updated)
    ]
    items, cursor = page(q, rows, ctx.state.order_notes.get)
    return {
        "ServiceOrderNotes": [
            {
                "Id": n.id,
                "OrderId": n.order_id,
                "Text": n.text,
                "Type": n.type,
                "CreatedUtc": ts(n.created),
                "UpdatedUtc": ts(n.updated),
            }
            for n in items
        ],
        "Cursor": cursor,
    }
