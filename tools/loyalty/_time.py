"""Calendar helpers shared by the ledger and the rules (all instants are UTC)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TypeVar

from storage.clock import utc

_D = TypeVar("_D", date, datetime)


def add_months(value: _D, months: int) -> _D:
    """The same day `months` later (or earlier), clamped to the month's end (31 Jan → 28/29 Feb)."""
    index = value.year * 12 + (value.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def from_db(at: datetime) -> datetime:
    """Read a stored naive UTC instant back as an aware one."""
    return at.replace(tzinfo=UTC)


def optional_from_db(at: datetime | None) -> datetime | None:
    return None if at is None else from_db(at)


def utc_date(at: datetime) -> date:
    """The UTC calendar date of an instant."""
    return utc(at).date()


def days_between(earlier: datetime, later: datetime) -> int:
    """Whole days from one instant to another, by UTC calendar date (negative if reversed)."""
    return (utc_date(later) - utc_date(earlier)).days


def hotel_nights(arrival: datetime, departure: datetime, zone: tzinfo) -> list[date]:
    """The nights of a stay as the hotel counts them: each local date from the arrival's up to
    (not including) the departure's, in the hotel's time zone (a New York check-in at 21:00 local
    time is 02:00 UTC the next day, but its night is the local date). A day use counts its date."""
    first, last = arrival.astimezone(zone).date(), departure.astimezone(zone).date()
    nights = [first + timedelta(days=n) for n in range((last - first).days)]
    return nights or [first]
