"""How the web app writes numbers, money and times: one format everywhere a person reads.

Times are in the enterprise's time zone (the policy's `timezone`) with the zone shown
("3 Dec 2026, 18:42 CET"); points and money follow `tools.loyalty.display`, the format the
engine's sentences use too ("2,500", "€4,036.65"); a missing value is an en dash.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tools.loyalty import display
from tools.loyalty.display import DASH

__all__ = ["Formats"]


def _parse(value: Any) -> datetime | date | None:
    if isinstance(value, datetime | date):
        return value
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None


class Formats:
    """The formatting filters of one enterprise (its time zone)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def when(self, value: Any) -> str:
        """A moment in the enterprise's zone: '3 Dec 2026, 18:42 CET'; a date: '3 Dec 2026'."""
        parsed = _parse(value)
        if parsed is None:
            return DASH if not value else str(value)
        if not isinstance(parsed, datetime):
            return self.day(parsed)
        if parsed.tzinfo is None:  # the store keeps naive UTC
            parsed = parsed.replace(tzinfo=ZoneInfo("UTC"))
        local = parsed.astimezone(self.tz)
        return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"

    def day(self, value: Any) -> str:
        """A calendar day: '3 Dec 2026' (a moment first moves to the enterprise's zone)."""
        parsed = _parse(value)
        if parsed is None:
            return DASH if not value else str(value)
        if isinstance(parsed, datetime):
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=ZoneInfo("UTC"))
            parsed = parsed.astimezone(self.tz).date()
        return f"{parsed.day} {parsed:%b %Y}"

    points = staticmethod(display.points)
    money = staticmethod(display.money)

    def zone(self) -> str:
        """The zone's name as a person reads it: 'Europe/Prague'."""
        return str(self.tz.key)
