"""Cursor pagination, newest first.

Order: creation time descending, ties broken by id descending (ids compared as lowercase
strings). A response's `Cursor` is the id of the last (oldest) item of the page, `None` for an
empty page. `Limitation.Cursor` names an item; the next page holds the items strictly after it in
that order. The cursor item is looked up among *all* items of the kind (any scope, filter or
activity state), so a page boundary stays put when the cursor item is later deleted or edited, and
items created later (newer) never shift older pages. A cursor that names no item → 400.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import TypeVar

from tools.sandbox.errors import invalid
from tools.sandbox.validation import Limitation

__all__ = ["CursorKey", "paginate"]

T = TypeVar("T")

CursorKey = tuple[int, str]
"""`(created, id)` of the item a cursor names."""


def paginate(
    rows: list[T],
    *,
    created: Callable[[T], int],
    ident: Callable[[T], str],
    limitation: Limitation,
    resolve_cursor: Callable[[str], CursorKey | None],
) -> tuple[list[T], str | None]:
    """Sort `rows` (already filtered) newest first and cut out the requested page."""
    rows = sorted(rows, key=created, reverse=True)
    stamps = [created(row) for row in rows]
    _order_ties(rows, stamps, ident)
    start = 0
    if limitation.cursor is not None:
        key = resolve_cursor(limitation.cursor)
        if key is None:
            raise invalid("Cursor", f"'{limitation.cursor}' does not name an item of this kind.")
        start = _start_after(rows, stamps, key, ident)
    page = rows[start : start + limitation.count]
    return page, (ident(page[-1]) if page else None)


def _order_ties(rows: list[T], stamps: list[int], ident: Callable[[T], str]) -> None:
    """Within runs of equal creation time, order by id descending (ids computed only there)."""
    index = 0
    while index < len(rows):
        end = index + 1
        while end < len(rows) and stamps[end] == stamps[index]:
            end += 1
        if end - index > 1:
            rows[index:end] = sorted(rows[index:end], key=ident, reverse=True)
        index = end


def _start_after(
    rows: list[T], stamps: list[int], key: CursorKey, ident: Callable[[T], str]
) -> int:
    negated = [-stamp for stamp in stamps]  # ascending, for bisect
    first = bisect_left(negated, -key[0])
    last = bisect_right(negated, -key[0])
    for index in range(first, last):
        if ident(rows[index]) < key[1]:
            return index
    return last
