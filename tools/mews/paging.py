"""Cursor pagination and id batching for `getAll` operations (CONNECTOR-API.md §2, §3.4).

`client.<group>.get_all(...)` returns a `Query`:

    async for membership in client.loyalty_memberships.get_all(account_ids=ids):
        ...                                             # every page, every batch, streamed
    query = client.loyalty_tiers.get_all(loyalty_program_ids=[program_id])
    page = await query.page(count=50)                   # manual paging
    if not page.is_last:
        more = await query.page(cursor=page.cursor, count=50)

Paging: pages are requested newest first with `Limitation {Count, Cursor}`; the answer's
`Cursor` is passed back until a page is empty, the `Cursor` is null, or fewer than `Count`
items came back. Only one page is held at a time.

Batching: an id filter longer than what Mews takes per request (1000 for most, 100 or 1 for a
few; see each operation) is de-duplicated and split into batches; each batch is paged fully
and the results follow one another, so no id is requested twice. Only one filter may exceed
its limit: two would need every pairing of their batches (⌈a/l⌉ × ⌈b/l⌉ calls), so that is
rejected with `ValueError` before any request; narrow one of them. Manual `page()` calls cannot
span batches, so they too reject an oversized filter.

Slim decoding: a scan that reads a few fields of many entities can decode each page into a
slim page type of the same operation (see `tools.mews.slim`), straight from the response bytes:

    query = client.order_items.get_all(service_order_ids=ids).decoded_as(OrderItemRows)

The full typed models stay the client's public API; a slim page (same entity array name, same
field names, only those the consumer reads) costs a fraction of the CPU and memory per item.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import Field, TypeAdapter

from tools.mews.errors import MewsResponseError
from tools.mews.models.common import JsonObject
from tools.mews.operations import Caller, PagedOperation
from tools.mews.slim import SlimPage, slim_decoder

__all__ = ["MAX_PAGE_SIZE", "Page", "Query", "validate_page_size"]

T = TypeVar("T")
U = TypeVar("U")

MAX_PAGE_SIZE = 1000
_PAGE_SIZE: TypeAdapter[int] = TypeAdapter(
    Annotated[int, Field(strict=True, ge=1, le=MAX_PAGE_SIZE)]
)


def validate_page_size(count: int) -> int:
    """`Limitation.Count` must be an integer from 1 to 1000 (raises `ValidationError`)."""
    return _PAGE_SIZE.validate_python(count)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a `getAll`: its entities and the `cursor` to ask for the next (older) one."""

    items: tuple[T, ...]
    cursor: str | None
    is_last: bool
    """True when Mews has nothing after this page (empty, null cursor, or short page)."""


class Query(Generic[T]):
    """The entities matching one `getAll` call; iterate it, or fetch pages by hand.

    Arguments are validated when the query is made (before any request): unknown filters,
    unknown enum values, a bad page size or two oversized id filters raise `ValueError`.
    """

    def __init__(
        self,
        client: Caller,
        operation: PagedOperation[T],
        filters: Mapping[str, object],
        page_size: int,
    ) -> None:
        self._client = client
        self._operation = operation
        self._page_size = validate_page_size(page_size)
        validated = operation.adapter.validate_python(dict(filters))
        wire: JsonObject = operation.adapter.dump_python(
            validated, mode="json", by_alias=True, exclude_none=True
        )
        for name in operation.id_limits.keys() & wire.keys():
            ids = wire[name]
            assert isinstance(ids, list)  # validated as Sequence[str] just above
            wire[name] = list(dict.fromkeys(ids))  # de-duplicate, keep order
        self._filters = wire
        self._oversized = self._find_oversized()
        self._decode: Callable[[bytes, str | None], SlimPage[T]] | None = None

    def _find_oversized(self) -> str | None:
        limits = self._operation.id_limits
        oversized = [
            name
            for name, limit in limits.items()
            if isinstance(ids := self._filters.get(name), list) and len(ids) > limit
        ]
        if len(oversized) > 1:
            raise ValueError(
                f"{self._operation.path}: {' and '.join(oversized)} both exceed their per-request "
                f"limits ({', '.join(str(limits[name]) for name in oversized)}); only one id "
                "filter can be split into batches, so narrow the others"
            )
        return oversized[0] if oversized else None

    def decoded_as(self, page_type: type[SlimPage[U]]) -> Query[U]:
        """The same query (filters, batches, paging), each page decoded into `page_type`, a
        slim `msgspec` page naming the same entity array (`tools.mews.slim`)."""
        slim: Query[U] = Query.__new__(Query)
        operation: PagedOperation[Any] = self._operation
        slim._client = self._client
        slim._operation = operation
        slim._page_size = self._page_size
        slim._filters = self._filters
        slim._oversized = self._oversized
        slim._decode = slim_decoder(operation.path, page_type)
        return slim

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def _items(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Every page of every batch, in order, one at a time."""
        for filters in self._batches():
            cursor: str | None = None
            while True:
                page = await self._fetch(filters, cursor, self._page_size)
                yield page
                if page.is_last:
                    break
                cursor = page.cursor

    async def page(self, cursor: str | None = None, count: int | None = None) -> Page[T]:
        """One page: the newest `count` items, or those after `cursor` (a previous page's)."""
        size = self._page_size if count is None else validate_page_size(count)
        if self._oversized is not None:
            raise ValueError(
                f"{self._operation.path}: {self._oversized} holds more ids than one request "
                f"takes ({self._operation.id_limits[self._oversized]}); iterate the query "
                "(it splits them into batches) or pass fewer ids"
            )
        return await self._fetch(self._filters, cursor, size)

    async def to_list(self) -> list[T]:
        """All entities in one list (for small results; iterate to stream large ones)."""
        return [item async for item in self]

    def _batches(self) -> Iterator[JsonObject]:
        if self._oversized is None:
            yield self._filters
            return
        ids = self._filters[self._oversized]
        assert isinstance(ids, list)
        limit = self._operation.id_limits[self._oversized]
        for start in range(0, len(ids), limit):
            yield {**self._filters, self._oversized: ids[start : start + limit]}

    async def _fetch(self, filters: JsonObject, cursor: str | None, count: int) -> Page[T]:
        limitation: JsonObject = {"Count": count}
        if cursor is not None:
            limitation["Cursor"] = cursor
        params = {**filters, "Limitation": limitation}
        result: SlimPage[T] = (
            await self._client._call(self._operation, params)
            if self._decode is None
            else await self._client._call_decoded(self._operation, params, self._decode)
        )
        items = tuple(result.items)
        is_last = not items or result.cursor is None or len(items) < count
        own_ids = filters.get(self._operation.own_ids or "")
        if cursor is None and isinstance(own_ids, list) and len(items) >= len(own_ids):
            is_last = True  # every requested id is answered; asking again would return nothing
        if not is_last and result.cursor == cursor:
            # A cursor that does not move would page forever.
            raise MewsResponseError(
                self._operation.path, "Cursor", "the cursor did not advance", None
            )
        return Page(items=items, cursor=result.cursor, is_last=is_last)
