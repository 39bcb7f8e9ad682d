"""Errors the sandbox answers with, and the JSON alias used at its wire.

    ApiError(status, message)      any non-2xx answer: body {"Message", "RequestId"}
     ├── status 400                malformed input, "Invalid <Parameter>"
     ├── status 401                unknown or mismatched tokens
     ├── status 403                business rule (shown to the property)
     ├── status 404                wrong path, case, slash or method
     └── 408 / 409 / 413 / 429 / 5xx   injected faults and the rate limit

Handlers raise `ApiError`; `Sandbox.handle` turns it into the response. Nothing else is caught
there, so a bug in the simulator shows up as a 500 with its message, never as a silent success.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["JSON", "ApiError", "bad_request", "fields_json", "forbidden", "invalid"]

JSON = dict[str, Any]
"""A JSON object as it crosses the wire; the only place `Any` is used."""


def fields_json(record: DataclassInstance) -> JSON:
    """A dataclass as a JSON object: every field, in order, under its PascalCase name."""
    return {
        "".join(part.capitalize() for part in f.name.split("_")): getattr(record, f.name)
        for f in fields(record)
    }


class ApiError(Exception):
    """A non-2xx answer with a human-readable `message` (Mews `Message`)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def invalid(parameter: str, detail: str) -> ApiError:
    """The documented `Invalid <Parameter>` pattern: a referenced thing is unknown or unusable."""
    return ApiError(400, f"Invalid {parameter}: {detail}")


def forbidden(message: str) -> ApiError:
    """A business-rule violation (403): the message is meant for the property's staff."""
    return ApiError(403, message)
