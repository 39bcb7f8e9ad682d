"""The generated chain's size and seed defaults (import-free: the CLI reads them for its help)."""

from __future__ import annotations

__all__ = ["CUSTOMERS_DEFAULT", "CUSTOMERS_MAX", "SEED_DEFAULT"]

SEED_DEFAULT = 1
CUSTOMERS_DEFAULT = 500
CUSTOMERS_MAX = 100_000
