"""Values built from SQL result rows by column name, not field by field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["field_values", "from_columns", "from_row"]

_D = TypeVar("_D", bound="DataclassInstance")


def from_columns(cls: type[_D], columns: Mapping[str, Any], **values: Any) -> _D:
    """A `cls` (a dataclass) whose fields take the columns of the same name; `values` gives
    the fields whose value is not the column as it stands (converted, or not a column).
    Columns no field names are left out."""
    named = {f.name: columns[f.name] for f in fields(cls) if f.name not in values}
    return cls(**named, **values)


def from_row(cls: type[_D], row: Any, **values: Any) -> _D:
    """`from_columns` of a result row."""
    return from_columns(cls, row._mapping, **values)


def field_values(value: DataclassInstance) -> dict[str, Any]:
    """A dataclass's fields by name, as they are (`dataclasses.asdict` copies them deeply)."""
    return {f.name: getattr(value, f.name) for f in fields(value)}
