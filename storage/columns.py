"""Columns that mean the same in every table that has them, declared once.

Each call returns a fresh column (a column belongs to one table). Times are naive UTC
(`storage.clock.naive_utc`): SQLite and PostgreSQL compare them the same way.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

__all__ = ["created_at", "row_id", "updated_at"]


def row_id() -> sa.Column[int]:
    """`id`: an integer key the database assigns, in insertion order."""
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def created_at() -> sa.Column[datetime]:
    """`created_at`: when the row was first written."""
    return sa.Column("created_at", sa.DateTime, nullable=False)


def updated_at() -> sa.Column[datetime]:
    """`updated_at`: when the row was last written."""
    return sa.Column("updated_at", sa.DateTime, nullable=False)
