"""Drafts kept for staff (`offer_drafts`, `message_drafts`): one row each, stored in the guard's
transaction and read back as the write's result, listed newest first.

A table's columns are the result model's fields (its `id` under the model's own name, e.g.
`offer_id`), so a row becomes the model by column name.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import Connection

from policies import ExecContext
from storage.clock import naive_utc
from storage.store import Store

__all__ = ["DraftTable"]

DraftT = TypeVar("DraftT", bound=BaseModel)


@dataclass(frozen=True)
class DraftTable(Generic[DraftT]):
    """A table of drafts and the model a row of it is read as."""

    table: sa.Table
    model: type[DraftT]
    id_field: str
    """The model's name of the row's `id`."""
    id_prefix: str
    """New ids are `{id_prefix}_{16 hex digits}`."""

    def _select(self) -> sa.Select[Any]:
        t = self.table
        return sa.select(t.c.id.label(self.id_field), *(c for c in t.c if c.name != "id"))

    def _draft(self, row: sa.Row[Any]) -> DraftT:
        created: datetime = row.created_at
        stored = {**row._mapping, "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ")}
        return self.model.model_validate(stored)

    def listed(self, store: Store, *criteria: sa.ColumnElement[bool], limit: int) -> list[DraftT]:
        """The drafts meeting `criteria`, newest first."""
        t = self.table
        query = self._select().where(*criteria)
        query = query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        with store.read() as conn:
            return [self._draft(row) for row in conn.execute(query)]

    def store(self, conn: Connection, values: Mapping[str, Any], ctx: ExecContext) -> DraftT:
        """One new row of `values`, drafted by the write's principal now, as the model."""
        draft_id = f"{self.id_prefix}_{secrets.token_hex(8)}"
        conn.execute(
            self.table.insert().values(
                id=draft_id,
                **values,
                drafted_by=ctx.principal.name,
                created_at=naive_utc(ctx.now),
            )
        )
        return self._draft(conn.execute(self._select().where(self.table.c.id == draft_id)).one())
