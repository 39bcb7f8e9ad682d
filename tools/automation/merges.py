"""Customer profile merges in Mews: the loyalty data follows the surviving profile.

When staff merge two guest profiles in Mews, the merged one becomes inactive with
`MergeTargetId` naming the survivor, and Mews says so only with `CustomerUpdated` (there are no
loyalty events). The worker reads the customers of those events (deleted ones included) and
hands the merged ones here.

For each merged profile: the ledger accounts of its memberships follow the membership's
`AccountId` in Mews (the membership moved with the merge: the account now names the survivor),
and the offer drafts, campaign memberships and recommendations the product holds for it move to
the survivor; all in one transaction under the memberships' ledger locks, audited as
`merge_customer` by `automation`. A membership still on the merged (inactive) profile in Mews
would be orphaned there: the event is given up with a reason naming it, visible in
`loyalty webhooks list`, for staff to move it in Mews (the Connector API cannot change a
membership's `AccountId`); the rest moves all the same. Running again changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from policies import Guard, Principal
from tools.actions.tables import offers_table
from tools.automation.audit import executed
from tools.automation.worker import GiveUp, Reacted, ReactionResult
from tools.campaigns.tables import campaign_members_table, recommendation_log_table
from tools.loyalty.ledger import ledger_lock_key
from tools.loyalty.ledger_schema import accounts_table
from tools.mews import MewsClient
from tools.mews.models import Customer

__all__ = ["follow_merges"]


def _move_rows(conn: Connection, source: str, target: str) -> dict[str, int]:
    """Drafts, campaign memberships and recommendations of `source` now belong to `target`."""
    moved = {
        "offer_drafts": conn.execute(
            offers_table.update()
            .where(offers_table.c.customer_id == source)
            .values(customer_id=target)
        ).rowcount,
        "recommendations": conn.execute(
            recommendation_log_table.update()
            .where(recommendation_log_table.c.customer_id == source)
            .values(customer_id=target)
        ).rowcount,
    }
    members = campaign_members_table
    # One row per campaign and customer: where the survivor is in the campaign already, the
    # merged profile's row stays as history (its outcome was measured for that profile).
    taken = sa.select(members.c.campaign_id).where(members.c.customer_id == target)
    moved["campaign_memberships"] = conn.execute(
        members.update()
        .where(members.c.customer_id == source, members.c.campaign_id.not_in(taken))
        .values(customer_id=target)
    ).rowcount
    return moved


async def _follow_one(
    guard: Guard, mews: MewsClient, principal: Principal, customer: Customer
) -> ReactionResult:
    source, target = customer.id, str(customer.merge_target_id)
    with guard.store.read() as conn:
        accounts = list(
            conn.execute(
                sa.select(accounts_table.c.membership_id).where(
                    accounts_table.c.customer_id == source
                )
            ).scalars()
        )
    holders: dict[str, str] = {}
    if accounts:
        async for membership in mews.loyalty_memberships.get_all(loyalty_membership_ids=accounts):
            holders[membership.id] = membership.account_id
    followed = [m for m in accounts if holders.get(m) == target]
    stuck = [m for m in accounts if holders.get(m) != target]
    now = guard.clock.now()
    with guard.transaction(now, *(ledger_lock_key(m) for m in accounts)) as tx:
        moved_accounts = 0
        if followed:
            moved_accounts = tx.conn.execute(
                accounts_table.update()
                .where(
                    accounts_table.c.membership_id.in_(followed),
                    accounts_table.c.customer_id == source,
                )
                .values(customer_id=target)
            ).rowcount
        moved = {"ledger_accounts": moved_accounts, **_move_rows(tx.conn, source, target)}
        if any(moved.values()) or stuck:
            tx.audit(
                executed(
                    principal,
                    now,
                    "merge_customer",
                    {"customer_id": source, "merge_target_id": target},
                    reason="Mews merged the customer profile",
                    result={**moved, "memberships_left_on_merged_profile": stuck},
                )
            )
    summary = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in moved.items() if n)
    if stuck:
        return GiveUp(
            f"customer {source} was merged into {target}, but membership(s) "
            f"{', '.join(stuck)} are still on the merged profile in Mews: move them to the "
            f"surviving profile in Mews (moved here: {summary or 'nothing'})"
        )
    return Reacted(f"merged into {target}: moved {summary or 'nothing (nothing held)'}")


async def follow_merges(
    guard: Guard, mews: MewsClient, principal: Principal, customers: Sequence[Customer]
) -> dict[str, ReactionResult]:
    """What became of each merged customer's loyalty data, by the merged customer's id."""
    answers: dict[str, ReactionResult] = {}
    for customer in customers:
        if customer.merge_target_id is None or customer.merge_target_id == customer.id:
            answers[customer.id] = Reacted("no merge: no reaction to CustomerUpdated")
            continue
        answers[customer.id] = await _follow_one(guard, mews, principal, customer)
    return answers
