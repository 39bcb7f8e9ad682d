"""The guarded writes: one `GuardedWrite` per write, its MCP tool and its guard action in one.

    deps = WriteDeps(store=store, programs=programs, mews=mews, directory=directory,
                     loader=loader, clock=clock)
    guard = Guard(store, policy, [*build_actions(deps), *LEDGER_SYNC_ACTIONS])

- `write`: `GuardedWrite` and `WriteDeps` (what every write is handed);
- `points`: award_points, adjust_points, redeem_reward, reverse_points_entry
  (in the guard's transaction: ledger entry, caps and audit commit together);
- `admin`: add/update/delete of loyalty programs, tiers and memberships in Mews (`External`);
- `offers`: draft_offer (stores a draft, sends nothing) and `list_drafts`;
- `campaigns`: create_campaign (a campaign over a staged segment, drafts only);
- `upsell`: accept_upsell (a points or points-plus-cash upsell: a redemption and a Mews task);
- `directory`: the membership facts a `describe` reads from Mews for the executor.

Approval requests announce themselves as Mews tasks and agent writes are noted on the guest's
profile by the policy layer, through the outbox, in the write's own transaction.
"""

from __future__ import annotations

from typing import Any

from policies import ActionSpec
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
from tools.actions.points import ADJUST_POINTS, AWARD_POINTS, REDEEM_REWARD, REVERSE_POINTS_ENTRY
from tools.actions.upsell import upsell_actions
from tools.actions.write import GuardedWrite, WriteDeps

__all__ = [
    "ADJUST_POINTS",
    "AWARD_POINTS",
    "GUARDED_WRITES",
    "OFFERS",
    "REDEEM_REWARD",
    "REVERSE_POINTS_ENTRY",
    "ActionError",
    "GuardedWrite",
    "InactiveMembershipError",
    "InvalidActionArgumentsError",
    "MembershipDirectory",
    "MembershipRef",
    "NotEligibleError",
    "ProgramNotConfiguredError",
    "UnknownMembershipError",
    "WriteDeps",
    "build_actions",
    "list_drafts",
]


GUARDED_WRITES: tuple[GuardedWrite[Any, Any], ...] = (
    AWARD_POINTS,
    ADJUST_POINTS,
    REDEEM_REWARD,
    REVERSE_POINTS_ENTRY,
)


def build_actions(deps: WriteDeps) -> tuple[ActionSpec, ...]:
    """Every write action of the product, handed one process's dependencies."""
    return (
        *(write.action(deps) for write in GUARDED_WRITES),
        *admin_actions(deps.mews, deps.directory, deps.loader.chain_id),
        *offer_actions(deps.programs, deps.directory),
        *campaign_actions(deps.store, deps.programs),
        *upsell_actions(deps.directory),
    )
