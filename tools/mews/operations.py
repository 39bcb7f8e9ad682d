"""What the client knows about each operation: its path, answer model and retry safety.

Every operation is declared once, next to the method that calls it (`tools/mews/resources/`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any, Generic, Protocol, TypeVar, get_type_hints

from pydantic import TypeAdapter
from pydantic.alias_generators import to_pascal

from tools.mews.models.common import JsonObject, MewsResponse, PagedResult

__all__ = ["DEFAULT_ID_LIMIT", "Caller", "Operation", "PagedOperation", "RetrySafety"]

R = TypeVar("R", bound=MewsResponse)
T = TypeVar("T")
D = TypeVar("D")

DEFAULT_ID_LIMIT = 1000
"""Most Mews array filters take at most 1000 items per request."""


class RetrySafety(Enum):
    """Whether repeating a request whose outcome is unknown could apply it twice.

    See `tools.mews.retry` for which failures each kind retries.
    """

    READ = "read"
    """Changes nothing (`getAll`, `search`, `configuration/get`)."""
    IDEMPOTENT = "idempotent"
    """Changes state, but repeating it leaves the same state (updates that set absolute values,
    deletes)."""
    NOT_IDEMPOTENT = "not_idempotent"
    """Each success creates something new (`*/add`): repeating could create it twice."""


@dataclass(frozen=True, kw_only=True)
class Operation(Generic[R]):
    """One Connector API operation: `POST /api/connector/v1/{path}` answered by `result`."""

    path: str
    result: type[R]
    safety: RetrySafety


@dataclass(frozen=True, kw_only=True)
class PagedOperation(Operation[PagedResult[T]]):
    """A paginated `getAll`: its filters (a TypedDict of keyword arguments) and id limits.

    Every `Sequence[str]` filter is an id filter that takes at most `DEFAULT_ID_LIMIT` items per
    request unless `limits` (snake_case filter name → limit) says otherwise; longer lists are
    split into batches by `tools.mews.paging.Query`.
    """

    filters: type[Mapping[str, Any]]
    limits: Mapping[str, int] = field(default_factory=dict)
    safety: RetrySafety = RetrySafety.READ
    own_ids: str | None = None
    """Wire name of the filter holding the entities' own ids (`CustomerIds`): each id matches
    at most one entity, so a page holding as many entities as ids asked for is the last one and
    a scan by ids costs exactly ceil(ids / 1000) requests."""

    def __post_init__(self) -> None:
        if self.own_ids is not None:
            snake = re.sub(r"(?<!^)(?=[A-Z])", "_", self.own_ids).lower()
            if snake not in self.id_limits_by_name:
                raise TypeError(f"{self.path}: own_ids {self.own_ids} is not an id filter")
        unknown = set(self.limits) - set(self.id_limits_by_name)
        if unknown:
            raise TypeError(f"{self.path}: limits for unknown id filters {sorted(unknown)}")

    @cached_property
    def adapter(self) -> TypeAdapter[Mapping[str, Any]]:
        """Validates keyword arguments against the filters TypedDict."""
        return TypeAdapter(self.filters)

    @cached_property
    def id_limits_by_name(self) -> Mapping[str, int]:
        hints = get_type_hints(self.filters)
        return {
            name: self.limits.get(name, DEFAULT_ID_LIMIT)
            for name, hint in hints.items()
            if hint == Sequence[str]
        }

    @cached_property
    def id_limits(self) -> Mapping[str, int]:
        """Wire name (`AccountIds`) → most ids Mews takes per request."""
        return {to_pascal(name): limit for name, limit in self.id_limits_by_name.items()}


class Caller(Protocol):
    """What resource groups and queries need of `MewsClient`: sending one operation.

    They are built by the client, so naming this protocol instead of the client keeps the
    resources from importing it back.
    """

    async def _call(self, operation: Operation[R], params: JsonObject) -> R: ...

    async def _call_decoded(
        self,
        operation: Operation[Any],
        params: JsonObject,
        decode: Callable[[bytes, str | None], D],
    ) -> D: ...
