"""Each user's chat conversation, kept in the database so a restart or another server process
resumes it: what the page shows (the exchanges) and what the model is given again (the
message history), one row per user, written after each answer.

The history is stored as the model's messages (pydantic, JSON); a row written by a newer or
older program that no longer reads is dropped with a warning and the user starts afresh,
rather than the chat failing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.engine import Connection

from agent.models.types import Message
from storage import columns
from storage.store import Component, Store

__all__ = ["WEB_CHAT", "ConversationStore", "StoredConversation"]

_log = logging.getLogger(__name__)
_metadata = sa.MetaData()
_table = sa.Table(
    "web_conversations",
    _metadata,
    columns.principal("user_name", primary_key=True),
    sa.Column("history", sa.Text, nullable=False),
    sa.Column("exchanges", sa.Text, nullable=False),
    columns.updated_at(),
)
_MESSAGES = TypeAdapter(list[Message])


def _create_v1(conn: Connection) -> None:
    _metadata.create_all(conn, tables=[_table])


WEB_CHAT = Component("web_chat", [_create_v1])

StoredConversation = tuple[list[Message], list[dict[str, Any]]]
"""The model's message history and the exchanges as the page shows them (plain dicts)."""


class ConversationStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self, user: str) -> StoredConversation | None:
        with self.store.read() as conn:
            row = conn.execute(sa.select(_table).where(_table.c.user_name == user)).first()
        if row is None:
            return None
        try:
            history = _MESSAGES.validate_json(row.history)
            exchanges = json.loads(row.exchanges)
        except (ValidationError, ValueError):
            _log.warning("the stored conversation of %s could not be read; starting afresh", user)
            return None
        return history, [e for e in exchanges if isinstance(e, dict)]

    def save(self, user: str, history: list[Message], exchanges: list[Any]) -> None:
        values = {
            "history": _MESSAGES.dump_json(history).decode("utf-8"),
            "exchanges": json.dumps([asdict(e) for e in exchanges], ensure_ascii=False),
            "updated_at": datetime.now(UTC).replace(tzinfo=None),
        }
        with self.store.write() as conn:
            changed = conn.execute(
                _table.update().where(_table.c.user_name == user).values(**values)
            ).rowcount
            if not changed:
                conn.execute(_table.insert().values(user_name=user, **values))

    def forget(self, user: str) -> None:
        with self.store.write() as conn:
            conn.execute(_table.delete().where(_table.c.user_name == user))
