"""Forgiving guest search: partial, accent- and case-insensitive, one typo tolerated.

    index = await member_index(mews, program_ids, as_of=now)   # cached for INDEX_TTL_S
    index.search("emma nowak")  -> [customer ids, best match first]

Mews' `customers/getAll` matches whole names exactly, so "Emm", "Emma Nowak" or "novák" find
nobody there. This index holds the name, e-mail and membership numbers of every program
member, and of the guests who are not members yet but stayed in the last
`GUEST_MONTHS_BACK` months or are booked for the next `GUEST_MONTHS_AHEAD` (the ones a desk
finds to enrol), read from Mews in batched pages and kept a few minutes. Each word of the
query is matched against them: the same word (best), the start of a word, or one edit away (a
typo: a letter wrong, missing, extra or two swapped; only for words of four letters or more,
so short prefixes do not match everything). E-mails match by their start; membership numbers
ignore dashes and case.
"""

from __future__ import annotations

import time
import unicodedata
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tools.loyalty._time import add_months
from tools.loyalty.mews_facts import split_interval
from tools.mews import MewsClient

__all__ = [
    "INDEX_TTL_S",
    "IndexedMember",
    "MemberIndex",
    "member_index",
    "normalize",
    "one_edit_apart",
]

INDEX_TTL_S = 300.0
"""How long a built index is used before it is read from Mews again."""
GUEST_MONTHS_BACK = 12
"""Guests who are not members are indexed when a stay of theirs touched the last 12 months
(the program's qualification window: a returning guest worth enrolling)..."""
GUEST_MONTHS_AHEAD = 6
"""...or is booked within the next 6 months (arrivals the desk prepares for). Reading them costs
one `reservations/getAll` per 3 months of that span (`CollidingUtc`), paged by 1000."""
_IDS_PER_REQUEST = 1000
EXACT, PREFIX, TYPO = 3, 2, 1
_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ı": "i", "ß": "ss", "æ": "ae",
                          "œ": "oe", "þ": "th"})  # fmt: skip
"""Letters Unicode does not decompose into a base letter and an accent (after case folding)."""


def normalize(text: str) -> str:
    """'Nováková-Smith ' -> 'novakova smith', 'Łukasiewicz' -> 'lukasiewicz': accents dropped,
    case folded, punctuation spaced."""
    folded = text.casefold().translate(_LETTERS)
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c)
    )
    kept = "".join(c if c.isalnum() or c in "@." else " " for c in plain.casefold())
    return " ".join(kept.split())


def one_edit_apart(a: str, b: str) -> bool:
    """True when one substitution, insertion, deletion or swap of neighbours turns a into b."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        i, j = [*diffs, 0, 0][:2]
        return len(diffs) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@dataclass(frozen=True, slots=True)
class IndexedMember:
    customer_id: str
    words: tuple[str, ...]
    email: str
    numbers: tuple[str, ...]
    member: bool = True
    """False: a guest who holds no membership in the programs (yet)."""


def _word_score(query: str, words: Sequence[str]) -> int:
    best = 0
    for word in words:
        if word == query:
            return EXACT
        if word.startswith(query):
            best = max(best, PREFIX)
        elif len(query) >= 4 and (
            one_edit_apart(query, word) or one_edit_apart(query, word[: len(query)])
        ):
            best = max(best, TYPO)
    return best


def _compact(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


class MemberIndex:
    def __init__(self, members: Sequence[IndexedMember], built_at: float) -> None:
        self.members = tuple(members)
        self.built_at = built_at

    def search(self, query: str, limit: int = 10) -> list[str]:
        """Customer ids matching every word of the query, best match first."""
        wanted = normalize(query).split()
        if not wanted:
            return []
        compact = _compact(query)
        scored: list[tuple[int, str]] = []
        for member in self.members:
            score = self._score(member, wanted, compact, query.strip().casefold())
            if score:
                scored.append((score, member.customer_id))
        scored.sort(key=lambda pair: -pair[0])
        return [customer_id for _score, customer_id in scored[:limit]]

    @staticmethod
    def _score(member: IndexedMember, wanted: list[str], compact: str, raw: str) -> int:
        if "@" in raw:
            return EXACT * 3 if member.email and member.email.startswith(raw) else 0
        if compact and any(n == compact for n in member.numbers):
            return EXACT * 3
        if len(compact) >= 4 and any(n.startswith(compact) for n in member.numbers):
            return PREFIX * 3
        total = 0
        for word in wanted:
            score = _word_score(word, member.words)
            if not score:
                return 0
            total += score
        return total


_CACHE: weakref.WeakKeyDictionary[MewsClient, MemberIndex] = weakref.WeakKeyDictionary()


async def member_index(
    mews: MewsClient, program_ids: Sequence[str], *, as_of: datetime, now: float | None = None
) -> MemberIndex:
    """The index of every member of these programs and of the guests staying around `as_of`
    (see the module docstring), from cache when fresh enough (`now`: monotonic seconds)."""
    moment = time.monotonic() if now is None else now
    cached = _CACHE.get(mews)
    if cached is not None and moment - cached.built_at < INDEX_TTL_S:
        return cached
    numbers = await _membership_numbers(mews, program_ids)
    guests = await _recent_guests(mews, as_of)
    index = MemberIndex(await _read_customers(mews, numbers, guests - set(numbers)), moment)
    _CACHE[mews] = index
    return index


async def _membership_numbers(mews: MewsClient, program_ids: Sequence[str]) -> dict[str, list[str]]:
    """Each member's membership numbers (compacted), by customer id."""
    numbers: dict[str, list[str]] = {}
    if not program_ids:
        return numbers
    memberships = mews.loyalty_memberships.get_all(loyalty_program_ids=list(program_ids))
    for membership in await memberships.to_list():
        found = numbers.setdefault(membership.account_id, [])
        if membership.membership_number:
            found.append(_compact(membership.membership_number))
    return numbers


async def _recent_guests(mews: MewsClient, as_of: datetime) -> set[str]:
    """Customers with a reservation colliding with the guest span around `as_of`."""
    start = add_months(as_of, -GUEST_MONTHS_BACK)
    guests: set[str] = set()
    for interval in split_interval(start, add_months(as_of, GUEST_MONTHS_AHEAD)):
        async for reservation in mews.reservations.get_all(colliding_utc=interval):
            if reservation.account_id and reservation.account_type in (None, "Customer"):
                guests.add(reservation.account_id)
    return guests


async def _read_customers(
    mews: MewsClient, numbers: dict[str, list[str]], guests: set[str]
) -> list[IndexedMember]:
    ids = sorted(numbers) + sorted(guests)
    found: list[IndexedMember] = []
    for start in range(0, len(ids), _IDS_PER_REQUEST):
        chunk = ids[start : start + _IDS_PER_REQUEST]
        for customer in await mews.customers.get_all(customer_ids=chunk).to_list():
            name = f"{customer.first_name or ''} {customer.last_name}"
            found.append(
                IndexedMember(
                    customer_id=customer.id,
                    words=tuple(normalize(name).split()),
                    email=(customer.email or "").casefold(),
                    numbers=tuple(numbers.get(customer.id, ())),
                    member=customer.id in numbers,
                )
            )
    return found
