"""Values from result rows by column name: what `storage.rows` promises its users (the ledger,
approvals, the audit chain, the outbox, the webhook inbox)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from storage.rows import by_name, field_values, from_row


@dataclass(frozen=True)
class Entry:
    id: int
    points: int
    note: str = "none"


def _row(**columns: object) -> sa.Row[tuple[object, ...]]:
    engine = sa.create_engine("sqlite://")
    select = sa.select(*(sa.literal(value).label(name) for name, value in columns.items()))
    with engine.connect() as conn:
        return conn.execute(select).one()


def test_a_row_becomes_a_value_by_column_name_passing_over_columns_no_field_names() -> None:
    # A column a later schema version added must not break a reader that does not know it.
    row = _row(points=120, id=7, added_later="x")
    assert from_row(Entry, row) == Entry(id=7, points=120)


def test_given_values_replace_the_row_s_and_a_field_the_row_lacks_keeps_its_default() -> None:
    row = _row(id=7, points=120)
    assert from_row(Entry, row, points=0) == Entry(id=7, points=0, note="none")
    assert by_name(Entry, {"id": 1, "points": 2, "note": "kept"}) == Entry(1, 2, "kept")


def test_field_values_are_the_fields_as_they_are() -> None:
    assert field_values(Entry(1, 2)) == {"id": 1, "points": 2, "note": "none"}
