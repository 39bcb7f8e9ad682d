"""Canonical JSON: one spelling per value, so hashes of arguments and records are stable.

Arguments reach the policy layer as JSON (`JSONObject`), the wire format of MCP tools. Executor
results may be pydantic models or dataclasses; `to_jsonable` turns them into JSON first, so that
a first call and its idempotent replay return equal values.

A value that is not plain JSON raises `NotJSONError`; the policy layer reports it to the caller
as an invalid request.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

__all__ = [
    "JSONObject",
    "JSONValue",
    "NotJSONError",
    "canonical_json",
    "sha256_hex",
    "to_jsonable",
]

JSONValue = Any
"""A value that `json.dumps` accepts (the wire)."""

JSONObject = dict[str, Any]
"""A JSON object: the arguments of a guarded action."""


class NotJSONError(ValueError):
    """A value has no canonical JSON form (an object json cannot encode, NaN, infinity)."""


def canonical_json(value: JSONValue) -> str:
    """Sorted keys, no spaces, no NaN: equal values give equal text."""
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise NotJSONError(f"arguments must be plain JSON: {exc}") from None


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def to_jsonable(value: object) -> JSONValue:
    """A JSON form of an executor's result (pydantic models, dataclasses, dates, enums)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):  # a pydantic model, without importing pydantic's types here
        return to_jsonable(model_dump(mode="json", by_alias=True))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(item) for item in value]
    return str(value)
