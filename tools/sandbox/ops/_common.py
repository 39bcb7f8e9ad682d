"""Helpers shared by the operation modules: paging, filters, soft-deleted records and JSON
fragments."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Protocol, TypeVar

from tools.sandbox.clock import format_ts
from tools.sandbox.context import Ctx
from tools.sandbox.derive import amount_parts
from tools.sandbox.errors import JSON, bad_request, invalid
from tools.sandbox.paging import CursorKey, paginate
from tools.sandbox.state import ChainRecord, Table
from tools.sandbox.validation import KEEP, Interval, Obj
from tools.sandbox.world import WorldRecord, convert_minor

__all__ = [
    "ACTIVITY_STATES",
    "Timestamped",
    "activity_states",
    "amount_json",
    "any_filter",
    "apply_update",
    "apply_updates",
    "find_active",
    "find_all_active",
    "given",
    "in_filter",
    "in_interval",
    "insert",
    "is_visible",
    "money",
    "page",
    "rendered_page",
    "soft_delete",
    "soft_delete_named",
    "ts",
    "world_rows",
]

ACTIVITY_STATES = ("Active", "Deleted")

T = TypeVar("T")


class Timestamped(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def created(self) -> int: ...


TS = TypeVar("TS", bound=Timestamped)


CR = TypeVar("CR", bound=ChainRecord)


WR = TypeVar("WR", bound=WorldRecord)

ts = format_ts


def activity_states(q: Obj) -> set[str]:
    """`ActivityStates`, defaulting to `["Active"]` when absent or empty."""
    states = q.enums("ActivityStates", ACTIVITY_STATES)
    return set(states) if states else {"Active"}


def is_visible(active: bool, states: set[str]) -> bool:
    return ("Active" if active else "Deleted") in states


def in_filter(values: Collection[str] | None, value: str | None) -> bool:
    """True when no filter was given, or `value` is one of the filter's values."""
    return values is None or (value is not None and value in values)


def in_interval(interval: Interval | None, value: int | None) -> bool:
    return interval is None or interval.contains(value)


def any_filter(q: Obj, keys: Iterable[str], operation: str) -> None:
    """400 unless at least one of `keys` is given (the docs' "required if no other filter")."""
    keys = tuple(keys)
    if not any(q.has(key) for key in keys):
        raise bad_request(f"{operation} needs at least one of these filters: {', '.join(keys)}.")


def world_rows(
    ctx: Ctx, q: Obj, records: Mapping[str, WR], ids_key: str, *, states: bool = False
) -> list[WR]:
    """The static `records` of the token's enterprises, filtered by `ids_key` and `UpdatedUtc`
    (and, with `states`, by `ActivityStates`: static records are always active)."""
    enterprises = ctx.enterprises(q)
    ids = q.guids(ids_key)
    updated = q.interval("UpdatedUtc")
    if states and not is_visible(True, activity_states(q)):
        return []
    return [
        r
        for r in records.values()
        if r.enterprise_id in enterprises
        and in_filter(ids, r.id)
        and in_interval(updated, r.updated)
    ]


def _row_id(row: Timestamped) -> str:
    return row.id


def page(
    q: Obj,
    rows: list[TS],
    find: Callable[[str], TS | None],
    *,
    ident: Callable[[TS], str] = _row_id,
    required: bool = True,
) -> tuple[list[TS], str | None]:
    """One page of `rows`, oldest first; `find` turns a cursor back into its row."""

    def resolve(cursor: str) -> CursorKey | None:
        found = find(cursor)
        return None if found is None else (found.created, ident(found))

    return paginate(
        rows,
        created=lambda row: row.created,
        ident=ident,
        limitation=q.limitation(required=required),
        resolve_cursor=resolve,
    )


def rendered_page(
    q: Obj,
    rows: list[TS],
    find: Callable[[str], TS | None],
    key: str,
    render: Callable[[TS], JSON],
    *,
    required: bool = True,
) -> JSON:
    """One page of `rows` (see `page`) as Mews answers a getAll: `{key: [...], "Cursor": ...}`."""
    items, cursor = page(q, rows, find, required=required)
    return {key: [render(row) for row in items], "Cursor": cursor}


def find_active(table: Table[CR], chains: set[str], row_id: str, parameter: str, noun: str) -> CR:
    """The active record `row_id` of one of `chains`, else 400 `Invalid <parameter>`."""
    row = table.get(row_id)
    if row is None or row.chain_id not in chains:
        raise invalid(parameter, f"{noun} {row_id} does not exist.")
    if not row.active:
        raise invalid(parameter, f"{noun} {row_id} has been deleted.")
    return row


def find_all_active(
    table: Table[CR], chains: set[str], q: Obj, parameter: str, noun: str
) -> dict[str, CR]:
    """The active records named by the required id array `parameter` (a delete's targets)."""
    return {
        row_id: find_active(table, chains, row_id, parameter, noun)
        for row_id in q.req_guids(parameter)
    }


def given(**values: object) -> dict[str, object]:
    """The update values that change something: neither kept nor empty."""
    return {name: value for name, value in values.items() if value not in (KEEP, None)}


def insert(ctx: Ctx, table: Table[CR], rows: Iterable[CR]) -> None:
    for row in rows:
        table.add(row.id, row)
        ctx.state.touch(table, row.id)


def apply_update(ctx: Ctx, table: Table[CR], row: CR, changes: Mapping[str, object]) -> None:
    for attribute, value in changes.items():
        setattr(row, attribute, value)
    row.updated = ctx.now
    ctx.state.touch(table, row.id)


def apply_updates(
    ctx: Ctx, table: Table[CR], planned: Iterable[tuple[CR, Mapping[str, object]]]
) -> list[CR]:
    """Applies each planned `(row, changes)` (all validated first) and returns the rows."""
    rows = []
    for row, changes in planned:
        apply_update(ctx, table, row, changes)
        rows.append(row)
    return rows


def soft_delete(ctx: Ctx, table: Table[CR], rows: Iterable[CR]) -> None:
    for row in rows:
        row.active, row.deleted, row.updated = False, ctx.now, ctx.now
        ctx.state.touch(table, row.id)


def soft_delete_named(
    ctx: Ctx, table: Table[CR], chains: set[str], q: Obj, parameter: str, noun: str
) -> None:
    """A plain delete: the active records named by `parameter`, all found first, then deleted."""
    soft_delete(ctx, table, find_all_active(table, chains, q, parameter, noun).values())


def money(minor: int) -> float | int:
    value = minor / 100
    return int(value) if value == int(value) else round(value, 2)


def amount_json(
    unit_price: int,
    count: int,
    gross: bool,
    tax_code: str | None,
    currency: str,
    target: str | None,
) -> JSON:
    """A Mews Amount for `count` × `unit_price`, optionally converted to `target` currency."""
    net, tax, total = amount_parts(unit_price, count, gross, tax_code or "")
    out = target or currency
    net, tax, total = (convert_minor(v, currency, out) for v in (net, tax, total))
    code = tax_code if tax_code else None
    return {
        "Currency": out,
        "NetValue": money(net),
        "GrossValue": money(total),
        "TaxValues": [{"Code": code, "Value": money(tax)}] if code else [],
        "Breakdown": {
            "Items": [{"TaxRateCode": code, "NetValue": money(net), "TaxValue": money(tax)}]
        },
    }
