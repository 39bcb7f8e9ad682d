"""`loyaltyPrograms/*`, `loyaltyTiers/*`, `loyaltyMemberships/*` (CONNECTOR-API.md §4).

Loyalty lives at chain level. With a single-enterprise token the chain is the token's; with a
Portfolio Access Token the writes that take `chain_id` need it (Mews ignores it otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, Unpack

from tools.mews.models.common import EmptyResult, PagedResult
from tools.mews.models.loyalty import (
    LoyaltyMembership,
    LoyaltyMembershipFilters,
    LoyaltyMembershipParameters,
    LoyaltyMembershipsResult,
    LoyaltyMembershipUpdateParameters,
    LoyaltyProgram,
    LoyaltyProgramFilters,
    LoyaltyProgramParameters,
    LoyaltyProgramsResult,
    LoyaltyProgramUpdateParameters,
    LoyaltyTier,
    LoyaltyTierFilters,
    LoyaltyTierParameters,
    LoyaltyTiersResult,
    LoyaltyTierUpdateParameters,
)
from tools.mews.operations import Operation, PagedOperation, RetrySafety
from tools.mews.paging import MAX_PAGE_SIZE, Query
from tools.mews.resources._base import Resource, batch, body, id_list

__all__ = ["LoyaltyMembershipsResource", "LoyaltyProgramsResource", "LoyaltyTiersResource"]

E = TypeVar("E")


def _operations(
    resource: str, result: type[PagedResult[E]], filters: type[Mapping[str, Any]], own_ids: str
) -> tuple[
    PagedOperation[E], Operation[PagedResult[E]], Operation[PagedResult[E]], Operation[EmptyResult]
]:
    """The operations of a loyalty resource: the paged `getAll`, `add` and `update` (both
    answered with the entities they wrote) and `delete`."""
    return (
        PagedOperation(path=f"{resource}/getAll", result=result, filters=filters, own_ids=own_ids),
        Operation(path=f"{resource}/add", result=result, safety=RetrySafety.NOT_IDEMPOTENT),
        Operation(path=f"{resource}/update", result=result, safety=RetrySafety.IDEMPOTENT),
        Operation(path=f"{resource}/delete", result=EmptyResult, safety=RetrySafety.IDEMPOTENT),
    )


_PROGRAMS_GET_ALL, _PROGRAMS_ADD, _PROGRAMS_UPDATE, _PROGRAMS_DELETE = _operations(
    "loyaltyPrograms", LoyaltyProgramsResult, LoyaltyProgramFilters, "LoyaltyProgramIds"
)
_TIERS_GET_ALL, _TIERS_ADD, _TIERS_UPDATE, _TIERS_DELETE = _operations(
    "loyaltyTiers", LoyaltyTiersResult, LoyaltyTierFilters, "LoyaltyTierIds"
)
_MEMBERSHIPS_GET_ALL, _MEMBERSHIPS_ADD, _MEMBERSHIPS_UPDATE, _MEMBERSHIPS_DELETE = _operations(
    "loyaltyMemberships", LoyaltyMembershipsResult, LoyaltyMembershipFilters, "LoyaltyMembershipIds"
)


class LoyaltyProgramsResource(Resource):
    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[LoyaltyProgramFilters]
    ) -> Query[LoyaltyProgram]:
        """`loyaltyPrograms/getAll`: programs of the chains in the token's scope.

        Without `activity_states` Mews decides which programs (active ones, in practice).
        """
        return Query(self._client, _PROGRAMS_GET_ALL, filters, page_size)

    async def add(
        self, programs: Sequence[LoyaltyProgramParameters], *, chain_id: str | None = None
    ) -> tuple[LoyaltyProgram, ...]:
        """`loyaltyPrograms/add`: create programs (up to 1000); returns them with their ids."""
        result = await self._client._call(
            _PROGRAMS_ADD,
            body(chain_id=chain_id, loyalty_programs=batch(LoyaltyProgramParameters, programs)),
        )
        return tuple(result.items)

    async def update(
        self, updates: Sequence[LoyaltyProgramUpdateParameters], *, chain_id: str | None = None
    ) -> tuple[LoyaltyProgram, ...]:
        """`loyaltyPrograms/update`: change names, types or subscriptions (codes are fixed)."""
        result = await self._client._call(
            _PROGRAMS_UPDATE,
            body(
                chain_id=chain_id,
                loyalty_program_updates=batch(LoyaltyProgramUpdateParameters, updates),
            ),
        )
        return tuple(result.items)

    async def delete(self, loyalty_program_ids: Sequence[str]) -> None:
        """`loyaltyPrograms/delete`: a program that still has active memberships cannot be
        deleted (Mews refuses). Takes no `ChainId` (doc inconsistency §8.6)."""
        await self._client._call(
            _PROGRAMS_DELETE, body(loyalty_program_ids=id_list(loyalty_program_ids))
        )


class LoyaltyTiersResource(Resource):
    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[LoyaltyTierFilters]
    ) -> Query[LoyaltyTier]:
        """`loyaltyTiers/getAll`: tiers of the given programs (`loyalty_program_ids` required)."""
        return Query(self._client, _TIERS_GET_ALL, filters, page_size)

    async def add(
        self, tiers: Sequence[LoyaltyTierParameters], *, chain_id: str | None = None
    ) -> tuple[LoyaltyTier, ...]:
        """`loyaltyTiers/add`: create tiers (up to 1000) in existing programs."""
        result = await self._client._call(
            _TIERS_ADD, body(chain_id=chain_id, loyalty_tiers=batch(LoyaltyTierParameters, tiers))
        )
        return tuple(result.items)

    async def update(
        self, updates: Sequence[LoyaltyTierUpdateParameters]
    ) -> tuple[LoyaltyTier, ...]:
        """`loyaltyTiers/update`: change names, codes or ordering. Takes no `ChainId`."""
        result = await self._client._call(
            _TIERS_UPDATE,
            body(loyalty_tier_updates=batch(LoyaltyTierUpdateParameters, updates)),
        )
        return tuple(result.items)

    async def delete(self, loyalty_tier_ids: Sequence[str]) -> None:
        """`loyaltyTiers/delete`: delete tiers. Takes no `ChainId`."""
        await self._client._call(_TIERS_DELETE, body(loyalty_tier_ids=id_list(loyalty_tier_ids)))


class LoyaltyMembershipsResource(Resource):
    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[LoyaltyMembershipFilters]
    ) -> Query[LoyaltyMembership]:
        """`loyaltyMemberships/getAll`: memberships matching every given filter.

        More than 1000 ids in one filter (e.g. `account_ids` of a segment) are fetched in
        batches of 1000.
        """
        return Query(self._client, _MEMBERSHIPS_GET_ALL, filters, page_size)

    async def add(
        self, memberships: Sequence[LoyaltyMembershipParameters], *, chain_id: str | None = None
    ) -> tuple[LoyaltyMembership, ...]:
        """`loyaltyMemberships/add`: enrol accounts in programs (state defaults to Enrolled)."""
        result = await self._client._call(
            _MEMBERSHIPS_ADD,
            body(
                chain_id=chain_id,
                loyalty_memberships=batch(LoyaltyMembershipParameters, memberships),
            ),
        )
        return tuple(result.items)

    async def update(
        self, updates: Sequence[LoyaltyMembershipUpdateParameters], *, chain_id: str | None = None
    ) -> tuple[LoyaltyMembership, ...]:
        """`loyaltyMemberships/update`: set or clear membership properties, e.g. the absolute
        `Points` balance the ledger pushes."""
        result = await self._client._call(
            _MEMBERSHIPS_UPDATE,
            body(
                chain_id=chain_id,
                loyalty_membership_updates=batch(LoyaltyMembershipUpdateParameters, updates),
            ),
        )
        return tuple(result.items)

    async def delete(
        self, loyalty_membership_ids: Sequence[str], *, chain_id: str | None = None
    ) -> None:
        """`loyaltyMemberships/delete`: delete memberships."""
        await self._client._call(
            _MEMBERSHIPS_DELETE,
            body(chain_id=chain_id, loyalty_membership_ids=id_list(loyalty_membership_ids)),
        )
