"""How numbers, money and times read in sentences people see: one format for the engine, tools
and web.

Points and money are grouped with a comma ("2,500", "€4,036.65", "−£12.50"); a known currency
shows its symbol, another its ISO code ("PLN 4,036.65"); a missing value is an en dash; a count
carries its noun in the right number ("1 night", "3 nights"). A moment is told in the
enterprise's time zone with the zone named ("3 Dec 2026, 18:42 CET"), a day as "3 Dec 2026";
machine fields stay ISO 8601 UTC, only the sentences move to the hotel's clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["CURRENCY_SYMBOLS", "DASH", "day", "money", "plural", "points", "when"]

DASH = "–"
CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "CZK": "Kč ", "CHF": "CHF "}
"""Symbols written before the amount; other currencies show their ISO code."""


def points(value: Any) -> str:
    """'2,500'; a missing value as an en dash."""
    if value is None or value == "":
        return DASH
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def money(value: Any, currency: str = "") -> str:
    """'€4,036.65'; an unknown currency as 'PLN 4,036.65'."""
    if value is None or value == "":
        return DASH
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    sign = "−" if amount < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), f"{currency.upper()} " if currency else "")
    return f"{sign}{symbol}{abs(amount):,.2f}"


def plural(count: Any, one: str, many: str | None = None) -> str:
    """'1 night', '3 nights', '2,500 points'."""
    try:
        number = int(count)
    except (TypeError, ValueError):
        return f"{count} {many or one + 's'}"
    word = one if number == 1 else (many or one + "s")
    return f"{number:,} {word}"


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


def when(value: Any, tz: tzinfo) -> str:
    """A moment in the zone `tz`, the zone named: '3 Dec 2026, 18:42 CET' (a naive moment is
    UTC, as the store keeps them); a date alone: '3 Dec 2026'; nothing: an en dash."""
    parsed = _parse(value)
    if parsed is None:
        return DASH if not value else str(value)
    if not isinstance(parsed, datetime):
        return day(parsed, tz)
    local = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(tz)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def day(value: Any, tz: tzinfo = UTC) -> str:
    """A calendar day: '3 Dec 2026' (a moment is first moved into the zone `tz`)."""
    parsed = _parse(value)
    if parsed is None:
        return DASH if not value else str(value)
    if isinstance(parsed, datetime):
        parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(tz).date()
    return f"{parsed.day} {parsed:%b %Y}"
