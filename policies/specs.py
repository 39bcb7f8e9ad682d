"""How callers (the MCP tools) describe a guarded write: `ActionSpec` and its executor.

An executor is one of two kinds:

- `Transactional(fn)`: `fn(conn, args, ctx) -> result` runs inside the very transaction that
  holds the decision, the cap usage, the idempotency record and the audit record. The ledger
  works this way: a posted entry and the cap it uses commit together or not at all. `fn` must
  not commit, and must take no locks of its own (declare them in `Facts.lock_keys`).
- `External(fn)`: `await fn(args, ctx) -> result` calls out (a Mews admin write). The decision,
  audit and an `executing` mark commit first; the result or failure is recorded in a second
  transaction. A crash in between leaves the `executing` mark visible: the key refuses a
  second execution until someone looks. `landed(args)` is how one looks: it reads Mews and
  returns the result when the call's effect is visible there, None when it is not (an
  approval stuck in `executing` is resolved with it, `ApprovalDesk.resolve`).

`undone(key) -> bool`, when given, tells whether what executed under an idempotency key has
since been undone (a reversed redemption): an identical call without a key of its own is then
a new request, not a replay of the undone one (`policies.idempotency`).

`describe(args) -> Facts` runs before the transaction and may read Mews (the current tier, to
tell a downgrade). `on_queue(conn, args, ctx)`, when given, runs in the transaction that queues
the request for approval: what the approved execution will need (a staged campaign segment),
kept only when the request is not denied. Results must be JSON or convertible
(`storage.canonical.to_jsonable`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from policies.decision import WRITE_KINDS, Action, ActionKind, Facts
from policies.principals import Principal
from storage.canonical import JSONObject

__all__ = ["ActionSpec", "Describe", "ExecContext", "External", "Transactional", "no_facts"]


@dataclass(frozen=True)
class ExecContext:
    action: Action
    principal: Principal  # who asked for it (the requester, for an approved request)
    idempotency_key: str  # pass it on (the ledger's entry key): one key, one entry
    now: datetime
    approval_id: str | None = None
    approved_by: str | None = None

    @property
    def actor(self) -> str:
        """Who a ledger entry names: the requester, and the manager who approved it if any."""
        if self.approved_by:
            return f"{self.principal.name} (approved by {self.approved_by})"
        return self.principal.name


@dataclass(frozen=True)
class Transactional:
    fn: Callable[[Connection, JSONObject, ExecContext], Any]


@dataclass(frozen=True)
class External:
    fn: Callable[[JSONObject, ExecContext], Awaitable[Any]]
    landed: Callable[[JSONObject], Awaitable[Any | None]] | None = None


Describe = Callable[[JSONObject], Awaitable[Facts]]


async def no_facts(_args: JSONObject) -> Facts:
    """For actions whose rules need nothing but their kind."""
    return Facts()


@dataclass(frozen=True)
class ActionSpec:
    name: str
    kind: ActionKind
    execute: Transactional | External
    describe: Describe = no_facts
    on_queue: Callable[[Connection, JSONObject, ExecContext], None] | None = None
    undone: Callable[[str], bool] | None = None

    def __post_init__(self) -> None:
        if self.kind not in WRITE_KINDS:
            raise ValueError(
                f"action {self.name!r}: kind {self.kind!r} is not a write kind "
                f"({', '.join(sorted(WRITE_KINDS))}); reads go through Guard.read"
            )
