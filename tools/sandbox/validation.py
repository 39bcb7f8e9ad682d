"""Reading a request body field by field, with Mews-style 400 messages.

`Obj` wraps one JSON object and a path prefix (`LoyaltyMemberships[2]`), so every message names
the exact field and what was expected, e.g. `LoyaltyMemberships[2].Points must be an integer,
got string.` Unknown extra properties are ignored, as the docs are silent about them.

Update-value wrappers (`{"Value": x}`) are read with `Obj.update_*`: absent or `null` means keep
(`KEEP`), `{"Value": x}` means set, `{"Value": null}` means clear, which is rejected for
non-nullable properties.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal, TypeVar

from tools.sandbox.clock import add_months, parse_date, parse_ts, to_datetime
from tools.sandbox.errors import JSON, bad_request
from tools.sandbox.ids import is_guid

__all__ = ["KEEP", "Interval", "Keep", "Limitation", "Obj"]


class Keep(Enum):
    """The 'leave it as it is' marker of an update value."""

    KEEP = "keep"


KEEP = Keep.KEEP

C = TypeVar("C")

MAX_ITEMS = 1000


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


@dataclass(frozen=True)
class Interval:
    """A time-interval filter: equality when both ends are equal, else `[start, end)`."""

    start: int
    end: int

    def contains(self, ts: int | None) -> bool:
        if ts is None:
            return False
        if self.start == self.end:
            return ts == self.start
        return self.start <= ts < self.end

    def overlaps(self, start: int, end: int) -> bool:
        """Whether `[start, end)` shares an instant with the interval (for `CollidingUtc`)."""
        if self.start == self.end:
            return start <= self.start < end
        return start < self.end and self.start < end


@dataclass(frozen=True)
class Limitation:
    count: int
    cursor: str | None


class Obj:
    """A JSON object being read, with the path used in error messages."""

    def __init__(self, data: JSON, path: str = "") -> None:
        self.data = data
        self.path = path

    def at(self, key: str) -> str:
        """The path of `key` in error messages, e.g. `LoyaltyTiers[0].Name`."""
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def _get(self, key: str, required: bool) -> object:
        value = self.data.get(key)
        if value is None and required:
            raise bad_request(f"{self.at(key)} is required.")
        return value

    def _type_error(self, key: str, expected: str, value: object) -> Exception:
        return bad_request(f"{self.at(key)} must be {expected}, got {_json_type(value)}.")

    # ------------------------------------------------------------------ scalars
    def str_(
        self,
        key: str,
        *,
        required: bool = False,
        max_len: int | None = None,
        non_empty: bool = False,
    ) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._type_error(key, "a string", value)
        return self._check_str(self.at(key), value, max_len, non_empty)

    @staticmethod
    def _check_str(path: str, value: str, max_len: int | None, non_empty: bool) -> str:
        if max_len is not None and len(value) > max_len:
            raise bad_request(f"{path} must be at most {max_len} characters, got {len(value)}.")
        if non_empty and not value.strip():
            raise bad_request(f"{path} must not be empty.")
        return value

    def req_str(self, key: str, *, max_len: int | None = None) -> str:
        value = self.str_(key, required=True, max_len=max_len, non_empty=True)
        assert value is not None
        return value

    def bool_(self, key: str, *, required: bool = False) -> bool | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self._type_error(key, "a boolean", value)
        return value

    def int_(
        self,
        key: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._type_error(key, "an integer", value)
        return self._check_range(self.at(key), value, minimum, maximum)

    @staticmethod
    def _check_range(path: str, value: int, minimum: int | None, maximum: int | None) -> int:
        if minimum is not None and value < minimum:
            raise bad_request(f"{path} must be at least {minimum}, got {value}.")
        if maximum is not None and value > maximum:
            raise bad_request(f"{path} must be at most {maximum}, got {value}.")
        return value

    def number(self, key: str, *, required: bool = False) -> float | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._type_error(key, "a number", value)
        return float(value)

    def _text(self, key: str, required: bool, check: Callable[[str, str], C]) -> C | None:
        """A string property read through `check(path, value)`."""
        value = self.str_(key, required=required)
        if value is None:
            return None
        return check(self.at(key), value)

    def enum(self, key: str, values: Sequence[str], *, required: bool = False) -> str | None:
        return self._text(key, required, lambda path, text: self._check_enum(path, text, values))

    def req_enum(self, key: str, values: Sequence[str]) -> str:
        value = self.enum(key, values, required=True)
        assert value is not None
        return value

    @staticmethod
    def _check_enum(path: str, value: str, values: Sequence[str]) -> str:
        if value not in values:
            raise bad_request(f"{path} must be one of {', '.join(values)}; got '{value}'.")
        return value

    def guid(self, key: str, *, required: bool = False) -> str | None:
        return self._text(key, required, self._check_guid)

    def req_guid(self, key: str) -> str:
        value = self.guid(key, required=True)
        assert value is not None
        return value

    @staticmethod
    def _check_guid(path: str, value: str) -> str:
        if not is_guid(value):
            raise bad_request(
                f"{path} must be a GUID (like 3fa85f64-5717-4562-b3fc-2c963f66afa6), got '{value}'."
            )
        return value.lower()

    def utc(self, key: str, *, required: bool = False) -> int | None:
        return self._text(key, required, self._check_utc)

    @staticmethod
    def _check_utc(path: str, value: str) -> int:
        try:
            return parse_ts(value)
        except ValueError:
            raise bad_request(
                f"{path} must be an ISO 8601 UTC date-time such as 2023-03-22T12:12:00Z; "
                f"got '{value}'."
            ) from None

    def date(self, key: str, *, required: bool = False) -> str | None:
        return self._text(key, required, self._check_date)

    @staticmethod
    def _check_date(path: str, value: str) -> str:
        try:
            return parse_date(value).isoformat()
        except ValueError:
            raise bad_request(f"{path} must be a date such as 1983-12-31; got '{value}'.") from None

    # ------------------------------------------------------------------ containers
    def obj(self, key: str, *, required: bool = False) -> Obj | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._type_error(key, "an object", value)
        return Obj(value, self.at(key))

    def req_obj(self, key: str) -> Obj:
        value = self.obj(key, required=True)
        assert value is not None
        return value

    def _list(
        self, key: str, required: bool, max_items: int, min_items: int
    ) -> list[object] | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, list):
            raise self._type_error(key, "an array", value)
        if len(value) > max_items:
            raise bad_request(
                f"{self.at(key)} must have at most {max_items} items, got {len(value)}."
            )
        if len(value) < min_items:
            raise bad_request(f"{self.at(key)} must have at least {min_items} item(s).")
        return value

    def objs(
        self, key: str, *, required: bool = False, max_items: int = MAX_ITEMS, min_items: int = 1
    ) -> list[Obj]:
        values = self._list(key, required, max_items, min_items)
        result: list[Obj] = []
        for index, item in enumerate(values or []):
            path = f"{self.at(key)}[{index}]"
            if not isinstance(item, dict):
                raise bad_request(f"{path} must be an object, got {_json_type(item)}.")
            result.append(Obj(item, path))
        return result

    def _texts(
        self,
        key: str,
        required: bool,
        max_items: int,
        min_items: int,
        check: Callable[[str, str], str],
    ) -> list[str] | None:
        """An array of strings, each read through `check(path, item)`."""
        values = self._list(key, required, max_items, min_items)
        if values is None:
            return None
        result: list[str] = []
        for index, item in enumerate(values):
            path = f"{self.at(key)}[{index}]"
            if not isinstance(item, str):
                raise bad_request(f"{path} must be a string, got {_json_type(item)}.")
            result.append(check(path, item))
        return result

    def strs(
        self,
        key: str,
        *,
        required: bool = False,
        max_items: int = MAX_ITEMS,
        max_len: int | None = None,
    ) -> list[str] | None:
        def within(path: str, text: str) -> str:
            return self._check_str(path, text, max_len, False)

        return self._texts(key, required, max_items, 0, within)

    def guids(
        self, key: str, *, required: bool = False, max_items: int = MAX_ITEMS, min_items: int = 0
    ) -> list[str] | None:
        return self._texts(key, required, max_items, min_items, self._check_guid)

    def req_guids(self, key: str, *, max_items: int = MAX_ITEMS) -> list[str]:
        values = self.guids(key, required=True, max_items=max_items, min_items=1)
        assert values is not None
        return values

    def enums(
        self, key: str, values: Sequence[str], *, max_items: int = MAX_ITEMS
    ) -> list[str] | None:
        items = self.strs(key, max_items=max_items)
        if items is None:
            return None
        return [
            self._check_enum(f"{self.at(key)}[{index}]", item, values)
            for index, item in enumerate(items)
        ]

    # ------------------------------------------------------------------ Mews structures
    def interval(self, key: str, *, max_months: int = 3) -> Interval | None:
        value = self.obj(key)
        if value is None:
            return None
        start = value.utc("StartUtc", required=True)
        end = value.utc("EndUtc", required=True)
        assert start is not None
        assert end is not None
        if end < start:
            raise bad_request(f"{self.at(key)}.EndUtc must not be before {self.at(key)}.StartUtc.")
        limit = add_months(to_datetime(start), max_months)
        if to_datetime(end) > limit:
            unit = "month" if max_months == 1 else "months"
            raise bad_request(f"{self.at(key)} must not be longer than {max_months} {unit}.")
        return Interval(start, end)

    def limitation(self, *, required: bool = True) -> Limitation:
        value = self.obj("Limitation", required=required)
        if value is None:
            return Limitation(MAX_ITEMS, None)
        count = value.int_("Count", required=True, minimum=1, maximum=MAX_ITEMS)
        assert count is not None
        return Limitation(count, value.guid("Cursor"))

    # ------------------------------------------------------------------ update values
    def _wrapper(self, key: str, nullable: bool) -> tuple[bool, object, str]:
        """`(present, value, path)`: present is False when the property means 'keep'."""
        wrapper = self.obj(key)
        if wrapper is None:
            return False, None, self.at(key)
        path = self.at(key) + ".Value"
        value = wrapper.data.get("Value")
        if value is None and not nullable:
            raise bad_request(f"{path} is required: {self.at(key)} cannot be cleared.")
        return True, value, path

    def update_str(
        self, key: str, *, nullable: bool = True, max_len: int | None = None
    ) -> str | Literal[Keep.KEEP] | None:
        present, value, path = self._wrapper(key, nullable)
        if not present:
            return KEEP
        if value is None:
            return None
        if not isinstance(value, str):
            raise bad_request(f"{path} must be a string, got {_json_type(value)}.")
        return self._check_str(path, value, max_len, not nullable)

    def _update_text(
        self, key: str, nullable: bool, check: Callable[[str, str], str]
    ) -> str | Literal[Keep.KEEP] | None:
        """A String update value read through `check(path, value)` when it sets a value."""
        value = self.update_str(key, nullable=nullable)
        if value is KEEP or value is None:
            return value
        return check(self.at(key) + ".Value", value)

    def update_guid(self, key: str, *, nullable: bool = True) -> str | Literal[Keep.KEEP] | None:
        return self._update_text(key, nullable, self._check_guid)

    def update_enum(
        self, key: str, values: Sequence[str], *, nullable: bool = False
    ) -> str | Literal[Keep.KEEP] | None:
        return self._update_text(
            key, nullable, lambda path, text: self._check_enum(path, text, values)
        )

    def update_bool(
        self, key: str, *, nullable: bool = False, lenient: bool = False
    ) -> bool | Literal[Keep.KEEP] | None:
        """A Bool update value; `lenient` also takes "true"/"false" (see accounts/update)."""
        present, value, path = self._wrapper(key, nullable)
        if not present:
            return KEEP
        if value is None:
            return None
        if lenient and value in ("true", "false"):
            return value == "true"
        if not isinstance(value, bool):
            raise bad_request(f"{path} must be a boolean, got {_json_type(value)}.")
        return value

    def update_int(
        self,
        key: str,
        *,
        nullable: bool = True,
        minimum: int | None = None,
        allow_fraction: bool = False,
    ) -> int | Literal[Keep.KEEP] | None:
        """An Integer (or, with `allow_fraction`, a Number rounded down) update value."""
        present, value, path = self._wrapper(key, nullable)
        if not present:
            return KEEP
        if value is None:
            return None
        if isinstance(value, float) and (value.is_integer() or allow_fraction):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            expected = "a number" if allow_fraction else "an integer"
            raise bad_request(f"{path} must be {expected}, got {_json_type(value)}.")
        return self._check_range(path, value, minimum, None)

    def update_date(self, key: str) -> str | Literal[Keep.KEEP] | None:
        return self._update_text(key, True, self._check_date)

    def update_utc_text(self, key: str) -> str | Literal[Keep.KEEP] | None:
        """A String update value holding an ISO 8601 instant; the text is kept as sent."""

        def parses(path: str, text: str) -> str:
            self._check_utc(path, text)
            return text

        return self._update_text(key, True, parses)
