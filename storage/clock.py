"""Injectable time for the policy layer and the loyalty engine (tests never sleep or wait)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock", "naive_utc", "utc"]


def utc(at: datetime) -> datetime:
    """The same instant as an aware UTC datetime (naive values are taken to be UTC already)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def naive_utc(at: datetime) -> datetime:
    """The instant as naive UTC, the form it is stored in: SQLite and PostgreSQL then compare
    stored times the same way."""
    return utc(at).replace(tzinfo=None)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, at: datetime) -> None:
        self._at = utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = utc(at)

    def advance(self, delta: timedelta) -> datetime:
        self._at += delta
        return self._at
