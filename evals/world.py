"""A trial's world: a fresh sandbox and store, the real MCP server and policy, in memory.

    async with open_world(task) as world:
        result = await run_agent(model, world.tools, "...", system_prompt=world.system_prompt)
        after = world.project()

Every world is built the same way: the sandbox seeded with the task's seed at a fixed instant
(`EVAL_NOW`, so expiry dates and tier windows never drift), the task's patch applied to it
(membership points, states and tiers; customer fields), the shipped policy with the task's
overrides written to a file, a SQLite store in a temporary directory, `LoyaltyRuntime` and
`create_server` acting as the task's principal, and the MCP SDK's in-memory client.
`decide_approval` is never offered to the model, as in `loyalty chat`.
"""

from __future__ import annotations

import tempfile
import tomllib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.mcp_connect import connect_mcp
from agent.session import ModelTools, system_prompt
from evals.state import Projection, project
from evals.task_files import InitialState, JsonValue, LedgerSeed, Task, TaskFileError
from evals.trace import story_ids
from policies import (
    ApprovalDesk,
    AuditRecord,
    ChainReport,
    PendingApproval,
    Policy,
    PolicyFileError,
    Posted,
    Principal,
    UnknownPrincipalError,
    parse_policy,
    resolve_principal,
)
from policies import audit as audit_log
from policies.config import DEFAULT_POLICY_PATH, render_toml
from storage.clock import FixedClock
from tools.sandbox import Sandbox
from tools.sandbox.state import State

__all__ = ["EVAL_NOW", "WorldSetupError", "apply_patch", "open_world", "policy_for"]

EVAL_NOW = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)
"""The instant every trial runs at (a Monday morning, outside any blackout date)."""

_SEEDER = "carol"  # staff: posts the task's seeded ledger entries
_SEED_APPROVER = "alice"  # a manager: approves seeded entries above the thresholds


class WorldSetupError(RuntimeError):
    """A task's initial state cannot be built (an unknown member, tier or principal)."""


@dataclass
class SandboxWorld:
    """What the runner needs of one trial (`evals.runner.World`)."""

    sandbox: Sandbox
    runtime: Any  # tools.runtime.LoyaltyRuntime, imported lazily with the server
    tools: ModelTools
    policy: Policy
    principal: str
    automated: bool
    system_prompt: str
    aliases: Mapping[str, str]

    async def settle(self) -> None:
        await self.runtime.after_write()

    def project(self) -> Projection:
        return project(self.sandbox.state, self.runtime.store.engine, self.aliases)

    def audit_records(self) -> list[AuditRecord]:
        return audit_log.records(self.runtime.store)

    def verify_audit(self) -> ChainReport:
        return audit_log.verify(self.runtime.store, self.runtime.guard.audit_key)


def policy_for(initial: InitialState, *, source: str = "<task>") -> tuple[Policy, str]:
    """The shipped policy with the task's overrides (and mode) merged in: validated, and as
    the TOML text of a policy file."""
    data = tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    merged = _merge(data, initial.policy)
    if initial.mode is not None:
        merged["mode"] = initial.mode
    text = render_toml(merged)
    try:
        return parse_policy(text, source=f"{source} initial.policy"), text
    except PolicyFileError as exc:
        raise TaskFileError(source, "initial.policy", str(exc)) from None


def _merge(base: dict[str, Any], patch: Mapping[str, JsonValue]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def apply_patch(state: State, initial: InitialState) -> None:
    """Apply the task's membership and customer patch to a freshly seeded sandbox."""
    ids = story_ids()
    programs = {p.code: p.id for p in state.programs}
    for alias, fields in initial.memberships.items():
        account = _story_id(ids, alias, "initial.memberships")
        values = dict(fields)
        program = programs.get(str(values.pop("program", "PC01")))
        found = [
            m for m in state.memberships if m.account_id == account and m.program_id == program
        ]
        if not found:
            raise WorldSetupError(f"initial.memberships.{alias}: no membership in that program")
        membership = found[0]
        for key, value in values.items():
            if key == "tier":
                tiers = {t.code: t.id for t in state.tiers if t.program_id == program}
                if value not in tiers:
                    raise WorldSetupError(f"initial.memberships.{alias}.tier: unknown {value!r}")
                membership.tier_id = tiers[str(value)]
            elif key in ("points", "state", "expiration_date", "is_primary"):
                setattr(membership, key, value)
            else:
                raise WorldSetupError(f"initial.memberships.{alias}.{key}: not a patchable field")
    for alias, fields in initial.customer_updates.items():
        customer = state.customers.get(_story_id(ids, alias, "initial.customer_updates"))
        if customer is None:
            raise WorldSetupError(f"initial.customer_updates.{alias}: no such customer")
        for key, value in fields.items():
            if key not in ("notes", "email", "first_name", "last_name", "phone"):
                raise WorldSetupError(
                    f"initial.customer_updates.{alias}.{key}: not a patchable field"
                )
            setattr(customer, key, value)
        state.rebuild_indexes()


def _story_id(ids: Mapping[str, str], alias: str, where: str) -> str:
    if alias not in ids:
        raise WorldSetupError(f"{where}.{alias}: not a story name ({', '.join(sorted(ids))})")
    return ids[alias]


def _aliases(state: State) -> dict[str, str]:
    names = {value: name for name, value in story_ids().items()}
    names.update({p.id: p.code for p in state.programs})
    return names


@asynccontextmanager
async def open_world(task: Task, *, now: datetime = EVAL_NOW) -> AsyncIterator[SandboxWorld]:
    """A fresh world for one trial of `task`, closed (and its files removed) on exit."""
    from tools.runtime import LoyaltyRuntime
    from tools.server import create_server

    initial = task.initial
    policy, policy_text = policy_for(initial, source=task.id)
    try:
        principal = resolve_principal(policy, initial.principal)
    except UnknownPrincipalError:
        raise WorldSetupError(
            f"initial.principal: unknown principal {initial.principal!r}"
        ) from None
    sandbox = Sandbox.seeded(seed=initial.seed, customers=initial.customers, now=now)
    try:
        apply_patch(sandbox.state, initial)
    except WorldSetupError as exc:
        raise WorldSetupError(f"task {task.id}: {exc}") from None
    with tempfile.TemporaryDirectory(prefix="loyalty-eval-") as tmp:
        policy_file = Path(tmp) / "policy.toml"
        policy_file.write_text(policy_text, encoding="utf-8")
        clock = FixedClock(now)
        async with await LoyaltyRuntime.open(
            database_url=f"sqlite:///{tmp}/store.sqlite3",
            policy_file=policy_file,
            sandbox=sandbox,
            clock=clock,
        ) as runtime:
            try:
                await _seed_ledger(runtime, initial.ledger, clock, now)
            except WorldSetupError as exc:
                raise WorldSetupError(f"task {task.id}: {exc}") from None
            server = create_server(runtime, principal=principal, toolsets=initial.toolsets)
            async with connect_mcp(server) as tools:
                yield SandboxWorld(
                    sandbox=sandbox,
                    runtime=runtime,
                    tools=ModelTools(tools),
                    policy=policy,
                    principal=principal.name,
                    automated=principal.automated,
                    system_prompt=system_prompt(
                        policy, principal, today=now.date(), mode=policy.mode
                    ),
                    aliases=_aliases(sandbox.state),
                )


async def _seed_ledger(
    runtime: Any, seeds: list[LedgerSeed], clock: FixedClock, now: datetime
) -> None:
    """Post the task's seeded entries as staff (a manager approves what needs it)."""
    if not seeds:
        return
    ids = story_ids()
    guard = runtime.guard
    seeder: Principal = guard.principal(_SEEDER)
    approver: Principal = guard.principal(_SEED_APPROVER)
    for index, seed in enumerate(sorted(seeds, key=lambda s: -s.days_ago)):
        membership = ids.get(f"{seed.member}_membership")
        if membership is None:
            raise WorldSetupError(f"initial.ledger.{index}.member: no story membership")
        clock.set(now - timedelta(days=seed.days_ago))
        action = "award_points" if seed.kind == "accrual" else "adjust_points"
        args = {"membership_id": membership, "points": seed.points, "reason": seed.reason}
        outcome = await guard.submit(seeder, action, args)
        if isinstance(outcome, PendingApproval):
            outcome = await ApprovalDesk(guard).approve(approver, outcome.approval_id)
        if not isinstance(outcome, Posted):
            raise WorldSetupError(f"initial.ledger.{index}: the policy refused it: {outcome}")
        await runtime.after_write()
    clock.set(now)
