"""The path table: one handler per Connector API operation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tools.sandbox.context import Ctx
from tools.sandbox.errors import JSON
from tools.sandbox.validation import Obj

__all__ = ["PREFIX", "Handler", "Operation", "operation", "registered"]

PREFIX = "/api/connector/v1/"

Handler = Callable[[Ctx, Obj], JSON]


@dataclass(frozen=True)
class Operation:
    path: str
    handler: Handler
    writes: bool
    page_key: str | None
    """The entity array of a paginated operation (its `Cursor` is always in the answer)."""


_OPERATIONS: dict[str, Operation] = {}


def operation(
    name: str, *, writes: bool = False, page_key: str | None = None
) -> Callable[[Handler], Handler]:
    """Register the decorated handler for `POST /api/connector/v1/{name}`."""

    def register(handler: Handler) -> Handler:
        path = PREFIX + name
        if path in _OPERATIONS:
            raise RuntimeError(f"operation {path} registered twice")
        _OPERATIONS[path] = Operation(path, handler, writes, page_key)
        return handler

    return register


def registered() -> dict[str, Operation]:
    return dict(_OPERATIONS)
