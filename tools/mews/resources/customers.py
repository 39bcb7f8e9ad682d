"""`customers/*` (CONNECTOR-API.md §5.3-5.5) and `accountNotes/add`, `accountNotes/getAll`
(§5.12)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Unpack

from tools.mews.models.customers import (
    AccountNote,
    AccountNoteFilters,
    AccountNoteParameters,
    AccountNotesResult,
    Customer,
    CustomerAddParameters,
    CustomerExtent,
    CustomerFilters,
    CustomerSearchResult,
    CustomerSearchResults,
    CustomersResult,
    CustomerUpdateParameters,
)
from tools.mews.operations import Operation, PagedOperation, RetrySafety
from tools.mews.paging import MAX_PAGE_SIZE, Query
from tools.mews.resources._base import Resource, batch, body

__all__ = ["AccountNotesResource", "CustomersResource"]

_GET_ALL = PagedOperation(
    path="customers/getAll",
    result=CustomersResult,
    filters=CustomerFilters,
    limits={"company_ids": 1},
    own_ids="CustomerIds",
)
_SEARCH = Operation(path="customers/search", result=CustomerSearchResults, safety=RetrySafety.READ)
_ADD = Operation(path="customers/add", result=Customer, safety=RetrySafety.NOT_IDEMPOTENT)
_UPDATE = Operation(path="customers/update", result=Customer, safety=RetrySafety.IDEMPOTENT)


class CustomersResource(Resource):
    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[CustomerFilters]
    ) -> Query[Customer]:
        """`customers/getAll`: customer profiles; give at least one filter.

        `extent` (required by Mews) defaults to profiles without addresses. `company_ids` takes
        one id per request, so several company ids cost one paged request each.
        """
        filters.setdefault("extent", CustomerExtent())
        return Query(self._client, _GET_ALL, filters, page_size)

    async def search(
        self,
        *,
        name: str | None = None,
        resource_id: str | None = None,
        extent: CustomerExtent | None = None,
    ) -> tuple[CustomerSearchResult, ...]:
        """`customers/search`: customers active in the enterprise right now (e.g. in-house
        guests), by name or by the room (`resource_id`) of their reservation. Not paginated."""
        wire_extent = None if extent is None else extent.to_wire()
        result = await self._client._call(
            _SEARCH, body(name=name, resource_id=resource_id, extent=wire_extent)
        )
        return result.customers

    async def add(self, customer: CustomerAddParameters) -> Customer:
        """`customers/add`: create a profile (or update the one with that email when
        `overwrite_existing`)."""
        return await self._client._call(_ADD, customer.to_wire())

    async def update(self, customer: CustomerUpdateParameters) -> Customer:
        """`customers/update`: change the given fields of a profile; others stay as they are."""
        return await self._client._call(_UPDATE, customer.to_wire())


_NOTES_ADD = Operation(
    path="accountNotes/add", result=AccountNotesResult, safety=RetrySafety.NOT_IDEMPOTENT
)
_NOTES_GET_ALL = PagedOperation(
    path="accountNotes/getAll", result=AccountNotesResult, filters=AccountNoteFilters
)


class AccountNotesResource(Resource):
    async def add(
        self, notes: Sequence[AccountNoteParameters], *, chain_id: str | None = None
    ) -> tuple[AccountNote, ...]:
        """`accountNotes/add`: add notes to customer profiles (staff see them in Mews)."""
        result = await self._client._call(
            _NOTES_ADD, body(chain_id=chain_id, account_notes=batch(AccountNoteParameters, notes))
        )
        return result.account_notes

    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[AccountNoteFilters]
    ) -> Query[AccountNote]:
        """`accountNotes/getAll`: notes on the given accounts or by id."""
        return Query(self._client, _NOTES_GET_ALL, filters, page_size)
