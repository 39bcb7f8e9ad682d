"""Values built from SQL result rows (or from other values) by field name, not field by field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["by_name", "field_values", "from_row"]

_D = TypeVar("_D", bound="DataclassInstance")


def by_name(cls: type[_D], source: Mapping[str, Any], /, **given: Any) -> _D:
    """A `cls` (a dataclass) whose fields take the values of the same name in `source` (a
    row's columns, another value's fields); `given` sets the fields whose value is not there
    as it stands (converted, or missing). Names no field has are left out; a field `source`
    does not name keeps its default."""
    wanted = (f.name for f in fields(cls) if f.name not in given)
    return cls(**{name: source[name] for name in wanted if name in source}, **given)


def from_row(cls: type[_D], row: Any, /, **given: Any) -> _D:
    """`by_name` from a result row's columns."""
    return by_name(cls, row._mapping, **given)


def field_values(value: DataclassInstance) -> dict[str, Any]:
    """A dataclass's fields by name, as they are (`dataclasses.asdict` copies them deeply)."""
    return {f.name: getattr(value, f.name) for f in fields(value)}
