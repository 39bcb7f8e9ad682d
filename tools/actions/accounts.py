"""Opening a membership's ledger account on its first write, from what Mews showed of it."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.engine import Connection

from policies import ExecContext
from storage.canonical import JSONObject
from tools.loyalty import Account, LedgerEntry, ProgramConfig, ensure_account

__all__ = ["AccountHolder", "entry_result", "open_account"]


class AccountHolder(Protocol):
    """A membership as Mews showed it (a `MembershipRef`, or a stay's or reconcile's args)."""

    @property
    def membership_id(self) -> str: ...
    @property
    def chain_id(self) -> str: ...
    @property
    def program_id(self) -> str: ...
    @property
    def customer_id(self) -> str: ...
    @property
    def mews_points(self) -> int | None: ...


def open_account(
    conn: Connection, holder: AccountHolder, program: ProgramConfig, ctx: ExecContext
) -> Account:
    """The membership's account, opened with its Mews points as the opening balance if new."""
    return ensure_account(
        conn,
        membership_id=holder.membership_id,
        chain_id=holder.chain_id,
        program_id=holder.program_id,
        program=program,
        customer_id=holder.customer_id,
        mews_points=holder.mews_points,
        now=ctx.now,
        actor=ctx.principal.name,
    )


def entry_result(entry: LedgerEntry) -> JSONObject:
    """What an automated write that posted one entry answers (its guard result)."""
    return {
        "membership_id": entry.membership_id,
        "entry_id": entry.id,
        "kind": entry.kind,
        "points": entry.points,
        "balance_after": entry.balance_after,
    }
