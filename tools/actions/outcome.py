"""The shape of a write's result: `WriteOutcome[R]`, the output schema of every write tool.

`{"status": "posted", "result": R}` (`"replayed": true` when the idempotency key had already
posted) or `{"status": "pending_approval", "approval_id", "rule", "reason", "expires_at"}`, or,
only for a delegated principal (the model acting for a person) in recommend mode, `{"status":
"proposed", "rule", "reason", "note"}` (the shapes of `policies.Outcome.to_dict()`); the listing
adds `proposed` to the status of a delegated principal's tools (a proposal's `note` is not
declared: the schema does not forbid other fields). A denial is not in it: it is a tool error
(text and `isError`, no structured content; see tools.server.tooling).
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

__all__ = ["WriteOutcome"]

R = TypeVar("R")


def _absent(kind: str) -> Any:
    """A field left out when it does not apply (never sent as null), as in `to_dict()`."""
    return Field(default=None, exclude_if=_is_none, json_schema_extra=_schema_of(kind))


def _is_none(value: object) -> bool:
    return value is None


def _schema_of(kind: str) -> Any:
    def replace(schema: dict[str, Any]) -> None:
        schema.clear()
        schema["type"] = kind

    return replace


class WriteOutcome(BaseModel, Generic[R]):
    """A write's result: `posted` (with `result`; `replayed` when an earlier call with the same
    idempotency key already posted it) or `pending_approval` (with the approval's fields)."""

    status: Literal["posted", "pending_approval"]
    replayed: bool | None = _absent("boolean")
    result: R = Field(default=None, exclude_if=_is_none)  # type: ignore[assignment]  # absent while pending
    approval_id: str | None = _absent("string")
    rule: str | None = _absent("string")
    reason: str | None = _absent("string")
    expires_at: str | None = _absent("string")
