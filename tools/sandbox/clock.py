"""The sandbox clock and the wire formats of time.

Inside the sandbox every instant is an `int` of whole seconds since the Unix epoch (UTC); it is
rendered as `YYYY-MM-DDThh:mm:ssZ`, the canonical Mews form. The clock is injectable:

- `SystemClock` is real UTC plus an offset. Setting or advancing it changes only the offset, so a
  `--state` file keeps "advanced" time across restarts while time keeps flowing.
- `FrozenClock` stands still until told otherwise: tests use it, so nothing sleeps.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

__all__ = [
    "DAY",
    "Clock",
    "Duration",
    "FrozenClock",
    "SystemClock",
    "add_months",
    "format_date",
    "format_ts",
    "parse_date",
    "parse_duration",
    "parse_ts",
    "to_datetime",
    "to_ts",
]

DAY = 86_400


class Clock(Protocol):
    """What the sandbox needs from a clock: read it, set it, move it."""

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def set(self, instant: datetime) -> None:
        """Jump to `instant`."""
        ...

    def advance(self, duration: Duration) -> None:
        """Move forward (or back, for a negative duration) by `duration`."""
        ...


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, instant: datetime) -> None:
        self.set(instant)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = _aware(instant)

    def advance(self, duration: Duration) -> None:
        self._now = duration.added_to(self._now)


class SystemClock:
    """Real UTC time shifted by `offset`."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def set(self, instant: datetime) -> None:
        self.offset = _aware(instant) - datetime.now(UTC)

    def advance(self, duration: Duration) -> None:
        current = self.now()
        self.offset += duration.added_to(current) - current


class Duration:
    """An ISO 8601 duration: calendar months (years count as 12) plus an exact number of seconds."""

    def __init__(self, months: int = 0, seconds: float = 0.0) -> None:
        self.months = months
        self.seconds = seconds

    def added_to(self, instant: datetime) -> datetime:
        return add_months(instant, self.months) + timedelta(seconds=self.seconds)

    def __repr__(self) -> str:
        return f"Duration(months={self.months}, seconds={self.seconds})"


_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> Duration:
    """Parse `P1D`, `PT2H`, `P0Y0M1DT0H0M0S`, `P1M`, `-P1D`…; raise `ValueError` otherwise."""
    match = _DURATION.match(text)
    if match is None or text.rstrip("-") in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"not an ISO 8601 duration: {text!r} (expected e.g. 'P1D' or 'PT2H')")
    parts = {
        key: float(value) for key, value in match.groupdict().items() if value and key != "sign"
    }
    if not parts:
        raise ValueError(f"not an ISO 8601 duration: {text!r} (expected e.g. 'P1D' or 'PT2H')")
    sign = -1 if match.group("sign") else 1
    months = int(parts.get("y", 0) * 12 + parts.get("mo", 0))
    seconds = (
        parts.get("w", 0) * 7 * DAY
        + parts.get("d", 0) * DAY
        + parts.get("h", 0) * 3600
        + parts.get("mi", 0) * 60
        + parts.get("s", 0)
    )
    return Duration(sign * months, sign * seconds)


def add_months(instant: datetime, months: int) -> datetime:
    """Calendar month arithmetic; the day is clamped to the length of the target month."""
    if months == 0:
        return instant
    index = instant.year * 12 + instant.month - 1 + months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return instant.replace(year=year, month=month + 1, day=min(instant.day, last_day))


def _aware(instant: datetime) -> datetime:
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def to_ts(instant: datetime) -> int:
    """Whole seconds since the epoch (fractions are dropped)."""
    return int(_aware(instant).timestamp())


def to_datetime(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def format_ts(ts: int | None) -> str | None:
    """`2023-03-22T12:12:00Z`, or `None`."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(text: str) -> int:
    """Parse an ISO 8601 instant (`Z`, an offset, or none meaning UTC); raise `ValueError`."""
    if not text or len(text) < 10 or not text[:4].isdigit():
        raise ValueError(f"not an ISO 8601 date-time: {text!r}")
    return to_ts(datetime.fromisoformat(text))


def parse_date(text: str) -> date:
    """Parse a pure date `YYYY-MM-DD`; raise `ValueError`."""
    if len(text) != 10:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}")
    return date.fromisoformat(text)


def format_date(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")
