"""The guarded writes: one `GuardedWrite` per write, its MCP tool and its guard action in one.

    deps = WriteDeps(store=store, programs=programs, mews=mews, directory=directory,
                     loader=loader, clock=clock)  # stays: StayDesk(mews) by default
    guard = Guard(store, policy, [*build_actions(deps), *LEDGER_SYNC_ACTIONS])

- `write`: `GuardedWrite` and `WriteDeps` (what every write is handed); `outcome`: the
  `WriteOutcome` every write tool answers with;
- `points`: award_points, adjust_points, redeem_reward, reverse_points_entry
  (in the guard's transaction: ledger entry, caps and audit commit together);
- `programs`, `memberships`: add/update/delete of loyalty programs, tiers and memberships in
  Mews (calling out after the decision; their models in `admin_models`);
- `offers`: draft_offer (stores a draft, sends nothing) and `list_drafts`;
- `campaigns`: create_campaign (a campaign over a staged segment, drafts only);
- `upsell`: accept_upsell (a points or points-plus-cash upsell: a redemption and a Mews task);
- `ledger_sync`: the ledger's own writes (stay accrual, its reversal, the stay bonus,
  reconcile), planned by `tools.loyalty` and registered as `LEDGER_SYNC_ACTIONS`;
- `directory`: the membership facts a `describe` reads from Mews for the executor;
- `accounts`: opening a membership's ledger account on its first write.

Approval requests announce themselves as Mews tasks and agent writes are noted on the guest's
profile by the policy layer, through the outbox, in the write's own transaction.
"""

from __future__ import annotations

from typing import Any

from policies import ActionSpec
from tools.actions.campaigns import CREATE_CAMPAIGN
from tools.actions.directory import MembershipDirectory
from tools.actions.errors import ActionError, UnknownMembershipError
from tools.actions.memberships import (
    ADD_LOYALTY_MEMBERSHIPS,
    DELETE_LOYALTY_MEMBERSHIPS,
    UPDATE_LOYALTY_MEMBERSHIPS,
)
from tools.actions.offers import DRAFT_OFFER, list_drafts
from tools.actions.points import ADJUST_POINTS, AWARD_POINTS, REDEEM_REWARD, REVERSE_POINTS_ENTRY
from tools.actions.programs import PROGRAM_WRITES
from tools.actions.upsell import ACCEPT_UPSELL
from tools.actions.write import GuardedWrite, WriteDeps

__all__ = [
    "ADD_LOYALTY_MEMBERSHIPS",
    "ADJUST_POINTS",
    "AWARD_POINTS",
    "DRAFT_OFFER",
    "REDEEM_REWARD",
    "REVERSE_POINTS_ENTRY",
    "UPDATE_LOYALTY_MEMBERSHIPS",
    "ActionError",
    "GuardedWrite",
    "MembershipDirectory",
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
    DRAFT_OFFER,
    *PROGRAM_WRITES,
    ADD_LOYALTY_MEMBERSHIPS,
    UPDATE_LOYALTY_MEMBERSHIPS,
    DELETE_LOYALTY_MEMBERSHIPS,
    CREATE_CAMPAIGN,
    ACCEPT_UPSELL,
)
"""Every guarded write behind an MCP tool (the ledger's own stay and reconcile writes aside)."""


def build_actions(deps: WriteDeps) -> tuple[ActionSpec, ...]:
    """Every write action of the product, handed one process's dependencies."""
    return tuple(write.action(deps) for write in GUARDED_WRITES)
