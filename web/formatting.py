"""How the web app writes numbers, money and times: one format everywhere a person reads.

Times are in the enterprise's time zone (the policy's `timezone`) with the zone shown
("3 Dec 2026, 18:42 CET"); points and money follow `tools.loyalty.display`, the format the
engine's sentences use too ("2,500", "€4,036.65"); a missing value is an en dash.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from tools.loyalty import display

__all__ = ["Formats"]


class Formats:
    """The formatting filters of one enterprise (its time zone)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def when(self, value: Any) -> str:
        """A moment in the enterprise's zone: '3 Dec 2026, 18:42 CET'; a date: '3 Dec 2026'."""
        return display.when(value, self.tz)

    def day(self, value: Any) -> str:
        """A calendar day: '3 Dec 2026' (a moment first moves to the enterprise's zone)."""
        return display.day(value, self.tz)

    points = staticmethod(display.points)
    money = staticmethod(display.money)

    def zone(self) -> str:
        """The zone's name as a person reads it: 'Europe/Prague'."""
        return str(self.tz.key)
