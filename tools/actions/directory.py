"""`MembershipDirectory`: what a write needs to know about a membership, read from Mews.

`describe` (before the transaction) calls `lookup`, which reads the membership from Mews and
remembers it; the executor (inside the transaction, where no Mews call may happen) takes it
from `remembered`. Program and tier codes are resolved from their Mews ids and cached for the
life of the process (they are configuration, and `refresh()` forgets them).

A membership read is reused for `MEMBERSHIP_CACHE_SECONDS` (a burst of awards to one guest
reads Mews once, not once per award). What the cache could hide is bounded: our own writes to
a membership (points, tier, state) forget it at once (`forget`), so do the webhooks about its
customer (`forget_customer`), and a change made elsewhere in Mews is seen within that time.
A caller that must see Mews as it is now passes `fresh=True`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from storage.store import Store
from tools.actions.errors import ProgramNotConfiguredError, UnknownMembershipError
from tools.loyalty import (
    LedgerEntry,
    LoyaltyError,
    ProgramConfig,
    ProgramFile,
    get_account,
    get_entry,
)
from tools.loyalty.consent import MarketingConsent, marketing_consent
from tools.mews import MewsClient

__all__ = ["MEMBERSHIP_CACHE_SECONDS", "MembershipDirectory", "MembershipRef"]

MEMBERSHIP_CACHE_SECONDS: Final = 30.0
"""How long a membership read from Mews is reused: long enough for a burst of writes and reads
about one guest at the front desk, short enough that a change made in Mews Operations (a tier
set by hand, a membership canceled) shows within half a minute even without a webhook."""


@dataclass(frozen=True, slots=True)
class MembershipRef:
    membership_id: str
    customer_id: str
    chain_id: str
    program_id: str
    program_code: str | None
    state: str
    tier_id: str | None
    tier_code: str | None
    tier_ordering: int | None
    mews_points: int | None


class MembershipDirectory:
    def __init__(
        self,
        mews: MewsClient,
        store: Store,
        programs: ProgramFile,
        *,
        max_age: float = MEMBERSHIP_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._mews = mews
        self._store = store
        self._programs = programs
        self._max_age = max_age
        self._monotonic = clock
        self._refs: dict[str, MembershipRef] = {}
        self._read_at: dict[str, float] = {}
        self.on_refresh: list[Callable[[], None]] = []
        """Called by `refresh()`: other caches of the same configuration (the facts loader)."""
        self._program_codes: dict[str, str] | None = None
        self._tiers: dict[str, dict[str, tuple[str, int]]] = {}

    def refresh(self) -> None:
        """Forget cached program and tier codes (after an admin write changed them), here and
        in every cache registered in `on_refresh`."""
        self._program_codes = None
        self._tiers.clear()
        for forget in self.on_refresh:
            forget()

    async def program_codes(self) -> dict[str, str]:
        """Mews program id -> program Code."""
        if self._program_codes is None:
            found = await self._mews.loyalty_programs.get_all().to_list()
            self._program_codes = self._programs.match_programs((p.id, p.code) for p in found)
        return self._program_codes

    async def program_id(self, code: str) -> str | None:
        for program_id, program_code in (await self.program_codes()).items():
            if program_code == code:
                return program_id
        return None

    async def tiers(self, program_id: str) -> dict[str, tuple[str, int]]:
        """Mews tier id -> (Code, Ordering) for one program."""
        if program_id not in self._tiers:
            found = await self._mews.loyalty_tiers.get_all(
                loyalty_program_ids=[program_id]
            ).to_list()
            key = (await self.program_codes()).get(program_id)
            keys = (
                self._programs.program(key).match_tiers((t.id, t.code) for t in found)
                if key in self._programs.programs
                else {t.id: t.code for t in found}
            )
            self._tiers[program_id] = {tier.id: (keys[tier.id], tier.ordering) for tier in found}
        return self._tiers[program_id]

    async def lookup(self, membership_id: str, *, fresh: bool = False) -> MembershipRef:
        """The membership as Mews has it (read at most `max_age` seconds ago, or now when
        `fresh`); `UnknownMembershipError` when there is none."""
        read_at = self._read_at.get(membership_id)
        if (
            not fresh
            and read_at is not None
            and self._monotonic() - read_at < self._max_age
            and membership_id in self._refs
        ):
            return self._refs[membership_id]
        started = self._monotonic()
        found = await self._mews.loyalty_memberships.get_all(
            loyalty_membership_ids=[membership_id]
        ).to_list()
        if not found:
            raise UnknownMembershipError(membership_id)
        membership = found[0]
        code = (await self.program_codes()).get(membership.loyalty_program_id)
        tier: tuple[str, int] | None = None
        if membership.loyalty_tier_id:
            tiers = await self.tiers(membership.loyalty_program_id)
            tier = tiers.get(membership.loyalty_tier_id)
        ref = MembershipRef(
            membership_id=membership.id,
            customer_id=membership.account_id,
            chain_id=membership.chain_id,
            program_id=membership.loyalty_program_id,
            program_code=code,
            state=str(membership.state),
            tier_id=membership.loyalty_tier_id,
            tier_code=tier[0] if tier else None,
            tier_ordering=tier[1] if tier else None,
            mews_points=membership.points,
        )
        self._refs[membership_id] = ref
        self._read_at[membership_id] = started
        return ref

    def forget(self, membership_id: str) -> None:
        """The next `lookup` reads Mews again (after a write to this membership). The last
        read stays `remembered` for the executor that runs right after its `describe`."""
        self._read_at.pop(membership_id, None)

    def forget_customer(self, customer_id: str) -> None:
        """Forget every membership of this customer (a webhook said the customer changed)."""
        for membership_id, ref in list(self._refs.items()):
            if ref.customer_id == customer_id:
                self.forget(membership_id)

    async def consent(self, customer_id: str) -> MarketingConsent | None:
        """The customer's marketing consent as Mews has it now (None: no such customer)."""
        found = await self._mews.customers.get_all(customer_ids=[customer_id]).to_list()
        if not found:
            return None
        customer = found[0]
        return marketing_consent(
            customer.options,
            email=customer.email,
            phone=customer.phone,
            config=self._programs.consent,
        )

    def remembered(self, membership_id: str) -> MembershipRef:
        """The membership `lookup` read last (executors run right after their `describe`)."""
        try:
            return self._refs[membership_id]
        except KeyError:
            raise UnknownMembershipError(membership_id) from None

    def program_of(self, ref: MembershipRef) -> ProgramConfig:
        """The configured program of the membership (points move only in those)."""
        if ref.program_code is None or ref.program_code not in self._programs.programs:
            raise ProgramNotConfiguredError(ref.program_id)
        return self._programs.programs[ref.program_code]

    # ------------------------------------------------------------------ ledger reads
    def ledger_total(self, membership_id: str) -> int | None:
        """The ledger balance (None: no account yet)."""
        with self._store.read() as conn:
            account = get_account(conn, membership_id)
        return None if account is None else account.balance

    def ledger_entry(self, membership_id: str, entry_id: int) -> LedgerEntry | None:
        with self._store.read() as conn:
            try:
                return get_entry(conn, membership_id, entry_id)
            except LoyaltyError:
                return None
