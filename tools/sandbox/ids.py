"""Identifiers: GUID shape checks, fixed ids, fresh ids and derived ids.

Seeded order items, bills, payments and product service orders are not stored: they are derived
from their reservation when asked for (a 100,000-customer chain has millions of them). Their ids
are *derived ids*: a keyed, invertible permutation of `(kind, n)` laid out as a version-4 GUID, so
`parse_derived` turns an id back into `(kind, n)` without any lookup table, and ids differ between
seeds while looking as random as server-made GUIDs.
"""

from __future__ import annotations

import functools
import re
import uuid

__all__ = [
    "GUID_RE",
    "Kind",
    "derived_id",
    "fixed_id",
    "is_guid",
    "new_id",
    "parse_derived",
]

GUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)

_NAMESPACE = uuid.UUID("0b5b7a52-6d1e-4d0c-9a57-5a3dc0ffee01")
_MASK30 = (1 << 30) - 1
_MASK64 = (1 << 64) - 1
_N_BITS = 52


class Kind:
    """Kinds of derived entities (the high 8 bits of the permuted value)."""

    ORDER_ITEM = 1
    BILL = 2
    PAYMENT = 3
    PRODUCT_SERVICE_ORDER = 4


def is_guid(text: str) -> bool:
    return bool(GUID_RE.match(text))


def fixed_id(name: str) -> str:
    """A stable id for a named fixture (same for every seed and every run)."""
    return str(uuid.uuid5(_NAMESPACE, name))


def new_id() -> str:
    """A fresh lowercase GUID for something created through the API."""
    return str(uuid.uuid4())


def _mix64(value: int) -> int:
    """splitmix64's finaliser: a fast, well-spread 64-bit hash."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


@functools.lru_cache(maxsize=64)
def _round_keys(key: int) -> tuple[int, int, int, int]:
    a = _mix64(key)
    b = _mix64(a)
    c = _mix64(b)
    return (a, b, c, _mix64(c))


def _feistel(value: int, key: int, *, inverse: bool = False) -> int:
    left, right = value >> 30, value & _MASK30
    keys = _round_keys(key)
    if not inverse:
        for round_key in keys:
            left, right = right, left ^ (_mix64(right ^ round_key) & _MASK30)
        return (left << 30) | right
    for round_key in reversed(keys):
        left, right = right ^ (_mix64(left ^ round_key) & _MASK30), left
    return (left << 30) | right


def derived_id(key: int, kind: int, n: int) -> str:
    """The GUID of derived entity `n` of `kind` for the seed whose key is `key`."""
    permuted = _feistel((kind << _N_BITS) | n, key)
    tail = _mix64(permuted ^ key)
    time_low = permuted >> 28
    time_mid = (permuted >> 12) & 0xFFFF
    time_hi = permuted & 0xFFF
    clock = 0x8000 | ((tail >> 48) & 0x3FFF)
    node = tail & 0xFFFFFFFFFFFF
    return f"{time_low:08x}-{time_mid:04x}-4{time_hi:03x}-{clock:04x}-{node:012x}"


def parse_derived(key: int, text: str) -> tuple[int, int] | None:
    """`(kind, n)` if `text` is a derived id of this seed, else `None`."""
    if len(text) != 36 or not GUID_RE.match(text) or text[14] != "4":
        return None
    text = text.lower()
    permuted = (int(text[0:8], 16) << 28) | (int(text[9:13], 16) << 12) | int(text[15:18], 16)
    value = _feistel(permuted, key, inverse=True)
    kind, n = value >> _N_BITS, value & ((1 << _N_BITS) - 1)
    if derived_id(key, kind, n) != text:
        return None
    return kind, n
