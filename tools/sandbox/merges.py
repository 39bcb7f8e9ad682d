"""Customer profile merges the sandbox simulates (admin `customers/merge`).

Merging profile `SourceCustomerId` into `TargetCustomerId`, as staff do in Mews Operations: the
source becomes inactive (`IsActive` false, `ActivityState` `Deleted`) with `MergeTargetId` = the
target, and its loyalty memberships move to the target (`AccountId`), as its reservations would.
The Connector API documents neither the merge nor what it does to loyalty memberships; this is
the sandbox's reading of it. Both profiles record `CustomerUpdated` (the only webhook a merge
gives; there are no loyalty events).
"""

from __future__ import annotations

from tools.sandbox.errors import bad_request, invalid
from tools.sandbox.state import Customer, State
from tools.sandbox.world import ENTERPRISE_UK

__all__ = ["merge_customers"]


def _active(state: State, customer_id: str, parameter: str) -> Customer:
    customer = state.customers.get(customer_id)
    if customer is None:
        raise invalid(parameter, f"customer {customer_id} does not exist.")
    if not customer.active:
        raise invalid(parameter, f"customer {customer_id} is not active (deleted or merged).")
    return customer


def merge_customers(state: State, source_id: str, target_id: str, now: int) -> list[str]:
    """Merge `source_id` into `target_id`; the ids of the memberships that moved."""
    if source_id == target_id:
        raise bad_request("SourceCustomerId and TargetCustomerId must differ.")
    source = _active(state, source_id, "SourceCustomerId")
    _active(state, target_id, "TargetCustomerId")
    source.active = False
    source.deleted = now
    source.extra = {**(source.extra or {}), "MergeTargetId": target_id}
    source.updated = now
    state.touch(state.customers, source.id)
    moved: list[str] = []
    for membership in state.memberships:
        if membership.active and membership.account_id == source_id:
            membership.account_id = target_id
            membership.updated = now
            state.touch(state.memberships, membership.id)
            moved.append(membership.id)
    for customer_id in (source_id, target_id):
        state.events.record("CustomerUpdated", customer_id, ENTERPRISE_UK, now)
    return moved
