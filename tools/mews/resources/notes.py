"""`accountNotes/add`, `accountNotes/getAll` (CONNECTOR-API.md §5.12)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Unpack

from tools.mews.models.customers import (
    AccountNote,
    AccountNoteFilters,
    AccountNoteParameters,
    AccountNotesResult,
)
from tools.mews.operations import Operation, PagedOperation, RetrySafety
from tools.mews.paging import MAX_PAGE_SIZE, Query
from tools.mews.resources._base import Resource, batch, body

__all__ = ["AccountNotesResource"]

_ADD = Operation(
    path="accountNotes/add", result=AccountNotesResult, safety=RetrySafety.NOT_IDEMPOTENT
)
_GET_ALL = PagedOperation(
    path="accountNotes/getAll", result=AccountNotesResult, filters=AccountNoteFilters
)


class AccountNotesResource(Resource):
    async def add(
        self, notes: Sequence[AccountNoteParameters], *, chain_id: str | None = None
    ) -> tuple[AccountNote, ...]:
        """`accountNotes/add`: add notes to customer profiles (staff see them in Mews)."""
        result = await self._client._call(
            _ADD, body(chain_id=chain_id, account_notes=batch(AccountNoteParameters, notes))
        )
        return result.account_notes

    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[AccountNoteFilters]
    ) -> Query[AccountNote]:
        """`accountNotes/getAll`: notes on the given accounts or by id."""
        return Query(self._client, _GET_ALL, filters, page_size)
