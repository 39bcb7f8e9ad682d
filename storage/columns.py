"""Columns that mean the same in every table that has them, and the kinds of value that columns
of several tables hold, each declared once.

Each call returns a fresh column (a column belongs to one table). Times are naive UTC
(`storage.clock.naive_utc`): SQLite and PostgreSQL compare them the same way.

A kind (`mews_id`, `principal`, ...) is called as `sa.Column` is, less the type: the column's
name, then its constraints and options, which each table states (`nullable`, `primary_key`,
`index`, ...): `columns.mews_id("customer_id", nullable=False, index=True)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

__all__ = [
    "Kind",
    "created_at",
    "idempotency_key",
    "mews_id",
    "principal",
    "program_code",
    "record_id",
    "row_id",
    "sha256_hex",
    "unix_time",
    "updated_at",
    "utc_datetime",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Kind(Generic[T]):
    """A kind of value: the SQL type of every column that holds one."""

    type_: Callable[[], sa.types.TypeEngine[T]]

    def __call__(self, name: str, *args: sa.schema.SchemaItem, **kwargs: Any) -> sa.Column[T]:
        """A column `name` of this kind; `args` and `kwargs` as for `sa.Column`."""
        return sa.Column(name, self.type_(), *args, **kwargs)


mews_id = Kind(lambda: sa.String(64))
"""The id Mews gives a customer, membership, program, chain, reservation, hotel (enterprise) ..."""

record_id = Kind(lambda: sa.String(32))
"""The id this program gives a record of its own: a prefix and 16 hex digits (`apr_...`)."""

principal = Kind(lambda: sa.String(64))
"""A principal's name (`policies.principals`): who acted, requested, decided or drafted."""

program_code = Kind(lambda: sa.String(50))
"""A loyalty program's code, as the program file names it."""

idempotency_key = Kind(lambda: sa.String(200))
"""The key a caller gives a write, so that a repeat of it is not a second write."""

sha256_hex = Kind(lambda: sa.String(64))
"""A SHA-256 digest or HMAC in hex (`storage.canonical.sha256_hex`)."""

unix_time = Kind(lambda: sa.Float())
"""A moment as seconds since the epoch (UTC), read without parsing text."""

utc_datetime = Kind(lambda: sa.DateTime())
"""A moment in naive UTC (`storage.clock.naive_utc`), as every `DateTime` column holds."""


def row_id() -> sa.Column[int]:
    """`id`: an integer key the database assigns, in insertion order."""
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def created_at() -> sa.Column[datetime]:
    """`created_at`: when the row was first written."""
    return utc_datetime("created_at", nullable=False)


def updated_at() -> sa.Column[datetime]:
    """`updated_at`: when the row was last written."""
    return utc_datetime("updated_at", nullable=False)
