"""Values built from SQL result rows (or from other values) by field name, not field by field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["by_name", "field_values", "from_row"]

_D = TypeVar("_D", bound="DataclassInstance")


@cache
def _names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names, read once per class (rows are built on hot paths)."""
    return tuple(f.name for f in fields(cls))


def by_name(cls: type[_D], source: Mapping[str, Any], /, **given: Any) -> _D:
    """A `cls` (a dataclass) whose fields take the values of the same name in `source` (a
    row's columns, another value's fields); `given` sets the fields whose value is not there
    as it stands (converted, or missing). Names no field has are left out; a field `source`
    does not name keeps its default."""
    values = {name: source[name] for name in _names(cls) if name in source and name not in given}
    return cls(**values, **given)


def from_row(cls: type[_D], row: Any, /, **given: Any) -> _D:
    """`by_name` from a result row's columns."""
    return by_name(cls, row._mapping, **given)


def field_values(value: DataclassInstance) -> dict[str, Any]:
    """A dataclass's fields by name, as they are (`dataclasses.asdict` copies them deeply)."""
    return {name: getattr(value, name) for name in _names(type(value))}
