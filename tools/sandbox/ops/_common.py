"""Helpers shared by the operation modules: paging, filters and JSON fragments."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Protocol, TypeVar

from tools.sandbox.clock import format_ts
from tools.sandbox.derive import amount_parts
from tools.sandbox.errors import JSON, bad_request
from tools.sandbox.paging import CursorKey, paginate
from tools.sandbox.state import Table
from tools.sandbox.validation import Interval, Obj
from tools.sandbox.world import convert_minor

__all__ = [
    "ACTIVITY_STATES",
    "Timestamped",
    "activity_states",
    "amount_json",
    "any_filter",
    "in_filter",
    "in_interval",
    "is_visible",
    "money",
    "page",
    "table_cursor",
    "ts",
]

ACTIVITY_STATES = ("Active", "Deleted")

T = TypeVar("T")


class Timestamped(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def created(self) -> int: ...


TS = TypeVar("TS", bound=Timestamped)

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


def table_cursor(table: Table[TS]) -> Callable[[str], CursorKey | None]:
    def resolve(cursor: str) -> CursorKey | None:
        row = table.get(cursor)
        return None if row is None else (row.created, row.id)

    return resolve


def page(
    q: Obj,
    rows: list[T],
    *,
    resolve: Callable[[str], CursorKey | None],
    created: Callable[[T], int],
    ident: Callable[[T], str],
    required: bool = True,
) -> tuple[list[T], str | None]:
    return paginate(
        rows,
        created=created,
        ident=ident,
        limitation=q.limitation(required=required),
        resolve_cursor=resolve,
    )


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
