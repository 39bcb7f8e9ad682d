"""How numbers and money read in sentences people see: one format for the engine, tools and web.

Points and money are grouped with a comma ("2,500", "€4,036.65", "−£12.50"); a known currency
shows its symbol, another its ISO code ("PLN 4,036.65"); a missing value is an en dash; a count
carries its noun in the right number ("1 night", "3 nights").
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["CURRENCY_SYMBOLS", "DASH", "money", "plural", "points"]

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
