"""Forgiving member search: partial, accent- and case-insensitive, one typo tolerated.

    index = await member_index(mews, program_ids)        # cached for INDEX_TTL_S
    index.search("emma nowak")  -> [customer ids, best match first]

Mews' `customers/getAll` matches whole names exactly, so "Emm", "Emma Nowak" or "novák" find
nobody there. This index holds every program member's name, e-mail and membership numbers
(read from Mews in batched pages, kept a few minutes) and matches each word of the query
against them: the same word (best), the start of a word, or one edit away (a typo: a letter
wrong, missing, extra or two swapped; only for words of four letters or more, so short
prefixes do not match everything). E-mails match by their start; membership numbers ignore
dashes and case.
"""

from __future__ import annotations

import time
import unicodedata
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

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
_IDS_PER_REQUEST = 1000
EXACT, PREFIX, TYPO = 3, 2, 1


def normalize(text: str) -> str:
    """'Nováková-Smith ' -> 'novakova smith': accents dropped, case folded, punctuation spaced."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
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
    mews: MewsClient, program_ids: Sequence[str], *, now: float | None = None
) -> MemberIndex:
    """The index of every member of these programs, from cache when fresh enough."""
    moment = time.monotonic() if now is None else now
    cached = _CACHE.get(mews)
    if cached is not None and moment - cached.built_at < INDEX_TTL_S:
        return cached
    index = MemberIndex(await _read_members(mews, program_ids), moment)
    _CACHE[mews] = index
    return index


async def _read_members(mews: MewsClient, program_ids: Sequence[str]) -> list[IndexedMember]:
    if not program_ids:
        return []
    numbers: dict[str, list[str]] = {}
    memberships = mews.loyalty_memberships.get_all(loyalty_program_ids=list(program_ids))
    for membership in await memberships.to_list():
        found = numbers.setdefault(membership.account_id, [])
        if membership.membership_number:
            found.append(_compact(membership.membership_number))
    ids = sorted(numbers)
    members: list[IndexedMember] = []
    for start in range(0, len(ids), _IDS_PER_REQUEST):
        chunk = ids[start : start + _IDS_PER_REQUEST]
        for customer in await mews.customers.get_all(customer_ids=chunk).to_list():
            name = f"{customer.first_name or ''} {customer.last_name}"
            members.append(
                IndexedMember(
                    customer_id=customer.id,
                    words=tuple(normalize(name).split()),
                    email=(customer.email or "").casefold(),
                    numbers=tuple(numbers.get(customer.id, ())),
                )
            )
    return members
