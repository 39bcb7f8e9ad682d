"""The guarded write actions: one `ActionSpec` per write the MCP tools (and approvals) execute.

    specs = build_actions(store=store, programs=programs, mews=mews, directory=directory,
                          clock=clock, chain_id=loader.chain_id)
    guard = Guard(store, policy, [*specs, *LEDGER_SYNC_ACTIONS])

- `points`: award_points, adjust_points, redeem_reward, reverse_points_entry
  (`Transactional`: ledger entry, caps and audit commit together);
- `admin`: add/update/delete of loyalty programs, tiers and memberships in Mews (`External`);
- `offers`: draft_offer (stores a draft, sends nothing) and `list_drafts`;
- `campaigns`: create_campaign (a campaign over a staged segment, drafts only);
- `upsell`: accept_upsell (a points or points-plus-cash upsell: a redemption and a Mews task);
- `directory`: the membership facts a `describe` reads from Mews for the executor.

Approval requests announce themselves as Mews tasks and agent writes are noted on the guest's
profile by the policy layer, through the outbox, in the write's own transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from policies import ActionSpec
from storage.clock import Clock
from storage.store import Store
from tools.actions.admin import admin_actions
from tools.actions.campaigns import campaign_actions
from tools.actions.directory import MembershipDirectory, MembershipRef
from tools.actions.errors import (
    ActionError,
    InactiveMembershipError,
    InvalidActionArgumentsError,
    NotEligibleError,
    ProgramNotConfiguredError,
    UnknownMembershipError,
)
from tools.actions.offers import OFFERS, list_drafts, offer_actions
from tools.actions.points import points_actions
from tools.actions.upsell import upsell_actions
from tools.loyalty import ProgramFile
from tools.mews import MewsClient

__all__ = [
    "OFFERS",
    "ActionError",
    "InactiveMembershipError",
    "InvalidActionArgumentsError",
    "MembershipDirectory",
    "MembershipRef",
    "NotEligibleError",
    "ProgramNotConfiguredError",
    "UnknownMembershipError",
    "build_actions",
    "list_drafts",
]


def build_actions(
    *,
    store: Store,
    programs: ProgramFile,
    mews: MewsClient,
    directory: MembershipDirectory,
    clock: Clock,
    chain_id: Callable[[], Awaitable[str]],
) -> tuple[ActionSpec, ...]:
    """Every write action of the product, bound to one process's Mews client and store."""
    del clock  # the executors get their connection and time from the guard
    return (
        *points_actions(directory),
        *admin_actions(mews, directory, chain_id),
        *offer_actions(programs, directory),
        *campaign_actions(store, programs),
        *upsell_actions(directory),
    )
