"""What every resource group shares: the client handle and request-body helpers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from pydantic import JsonValue
from pydantic.alias_generators import to_pascal

from tools.mews.models.common import JsonObject, MewsRequest
from tools.mews.operations import Caller

M = TypeVar("M", bound=MewsRequest)

MAX_BATCH = 1000
"""Most Mews write operations take at most 1000 items per request."""


class Resource:
    """A group of operations on one Mews resource (`loyaltyMemberships/*`, ...)."""

    def __init__(self, client: Caller) -> None:
        self._client = client


def body(**properties: JsonValue) -> JsonObject:
    """A request body from snake_case keyword arguments; None values are left out."""
    return {to_pascal(name): value for name, value in properties.items() if value is not None}


def batch(model: type[M], items: Sequence[M], *, limit: int = MAX_BATCH) -> list[JsonValue]:
    """Validate the items of a batch write (1..`limit` of them) and put them in wire form.

    Items may also be plain mappings with the model's fields; they are validated the same way.
    """
    if not 1 <= len(items) <= limit:
        raise ValueError(f"a batch takes 1 to {limit} {model.__name__} items per request")
    return [model.model_validate(item).to_wire() for item in items]


def id_list(ids: Sequence[str], *, limit: int = MAX_BATCH) -> list[JsonValue]:
    """Validate the ids of a batch delete: 1..`limit` non-empty strings (repeats dropped)."""
    if isinstance(ids, str):
        raise ValueError("expected a list of ids, got a single string")
    unique = list(dict.fromkeys(ids))
    if not 1 <= len(unique) <= limit:
        raise ValueError(f"a batch takes 1 to {limit} ids per request, got {len(unique)}")
    if not all(isinstance(item, str) and item for item in unique):
        raise ValueError("ids must be non-empty strings")
    return list(unique)
