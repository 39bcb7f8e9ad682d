"""Run tasks: k trials each, in fresh worlds, graded by the state they leave.

    result = await run_eval(tasks, EvalConfig(model="reference", k=2), open_world)

Per trial: a fresh world (sandbox, store, the real MCP server and policy; `evals.world`),
the agent loop with the model (a task's reference trace for `--model reference`), and a
simulated user. The world is projected before and after; grading compares the delta with the
task's expectation and reads the policy counters from the audit log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import anyio

from agent.loop import run_agent
from agent.mcp_tools import Toolset
from agent.models import ChatModel, Message, UserMessage
from agent.records import RunLimits, RunResult
from evals.grading import Check, grade
from evals.metrics import PriceTable, Summary, TrialStats, summarize
from evals.policy_checks import PolicyCounters, count_policy
from evals.state import Projection, delta
from evals.task_files import Task
from evals.trace import trace_model
from evals.users import LLMUser, ScriptedUser, SimulatedUser
from policies import AuditRecord, ChainReport, Policy

__all__ = [
    "REFERENCE",
    "EvalConfig",
    "EvalResult",
    "TrialResult",
    "World",
    "WorldFactory",
    "run_eval",
    "run_trial",
]

REFERENCE = "reference"


class World(Protocol):
    """One trial's environment, as the runner sees it."""

    @property
    def tools(self) -> Toolset: ...

    @property
    def policy(self) -> Policy: ...

    @property
    def principal(self) -> str: ...

    @property
    def automated(self) -> bool:
        """Whether the principal is agent-kind (recommend mode and the breaker apply)."""
        ...

    @property
    def system_prompt(self) -> str: ...

    async def settle(self) -> None:
        """Deliver what is still queued for Mews (the outbox), so the projection is final."""
        ...

    def project(self) -> Projection: ...

    def audit_records(self) -> list[AuditRecord]: ...

    def verify_audit(self) -> ChainReport: ...


WorldFactory = Callable[[Task], AbstractAsyncContextManager[World]]


@dataclass(frozen=True)
class EvalConfig:
    model: str = REFERENCE
    """`reference` replays reference traces; anything else names a model (`model_from_spec`)."""
    k: int = 1
    user: Literal["scripted", "llm"] = "scripted"
    concurrency: int = 4
    limits: RunLimits = field(default_factory=RunLimits)
    prices: PriceTable = field(default_factory=PriceTable)


@dataclass(frozen=True)
class TrialResult:
    task_id: str
    trial: int
    model: str
    reward: int
    checks: tuple[Check, ...]
    counters: PolicyCounters
    runs: tuple[RunResult, ...]
    delta: dict[str, Any]
    tags: tuple[str, ...] = ()
    control: str | None = None
    """The negative control played instead of the model, if any."""

    @property
    def failed_checks(self) -> list[str]:
        return [check.name for check in self.checks if not check.passed]

    def stats(self) -> TrialStats:
        runs = self.runs
        return TrialStats(
            task_id=self.task_id,
            tags=self.tags,
            reward=self.reward,
            turns=sum(r.turns for r in runs),
            tool_calls=sum(len(r.tool_calls) for r in runs),
            input_tokens=sum(r.usage.input_tokens for r in runs),
            output_tokens=sum(r.usage.output_tokens for r in runs),
            latency_s=sum(r.wall_time_s for r in runs),
            terminations=tuple(r.termination for r in runs),
            blocked_attempts=self.counters.blocked_attempts,
            escaped_violations=self.counters.escaped_violations,
            approval_bypasses=self.counters.approval_bypasses,
            over_refusals=self.counters.over_refusals,
        )

    def to_json(self) -> dict[str, Any]:
        stats = self.stats()
        return {
            "task_id": self.task_id,
            "trial": self.trial,
            "model": self.model,
            "control": self.control,
            "reward": self.reward,
            "tags": list(self.tags),
            "checks": [check.to_json() for check in self.checks],
            "policy": self.counters.to_json(),
            "turns": stats.turns,
            "tool_calls": [
                call.model_dump(mode="json") for run in self.runs for call in run.tool_calls
            ],
            "input_tokens": stats.input_tokens,
            "output_tokens": stats.output_tokens,
            "latency_s": round(stats.latency_s, 4),
            "terminations": list(stats.terminations),
            "answers": [run.final_text for run in self.runs],
            "delta": self.delta,
        }


@dataclass(frozen=True)
class EvalResult:
    trials: tuple[TrialResult, ...]
    summary: Summary


async def run_trial(
    task: Task,
    trial: int,
    world_factory: WorldFactory,
    model: ChatModel,
    user: SimulatedUser,
    *,
    limits: RunLimits | None = None,
    control: str | None = None,
) -> TrialResult:
    """One trial of `task`: converse until the user stops, then grade the world."""
    async with world_factory(task) as world:
        before = world.project()
        first_seq = max((r.seq for r in world.audit_records()), default=0)
        runs = await _converse(world, model, user, limits or RunLimits())
        await world.settle()
        change = delta(before, world.project())
        records = [r for r in world.audit_records() if r.seq > first_seq]
        report = world.verify_audit()
        counters = count_policy(
            records,
            world.policy,
            principal=world.principal,
            automated=world.automated,
            ledger_added=change.added.get("ledger", []),
            expected_write=task.expected_write,
        )
    checks = grade(task, runs, change, counters, audit_ok=report.ok, audit_detail=report.summary())
    return TrialResult(
        task_id=task.id,
        trial=trial,
        model=model.name,
        reward=int(all(check.passed for check in checks)),
        checks=tuple(checks),
        counters=counters,
        runs=tuple(runs),
        delta=change.to_json(),
        tags=tuple(task.tags),
        control=control,
    )


async def _converse(
    world: World, model: ChatModel, user: SimulatedUser, limits: RunLimits
) -> list[RunResult]:
    runs: list[RunResult] = []
    answers: list[str] = []
    while (said := await user.next_message(answers)) is not None:
        conversation: str | list[Message] = (
            said if not runs else [*runs[-1].messages, UserMessage(content=said)]
        )
        result = await run_agent(
            model,
            world.tools,
            conversation,
            system_prompt=world.system_prompt,
            limits=limits,
            stream=False,
        )
        runs.append(result)
        if result.termination != "final_answer":
            break
        answers.append(result.final_text or "")
    return runs


@asynccontextmanager
async def first_error() -> AsyncIterator[None]:
    """Raise the first error of a task group itself, not the group: a broken task file or
    a misconfigured model then reads as what it is."""
    try:
        yield
    except BaseExceptionGroup as group:
        leaf: BaseException = group
        while isinstance(leaf, BaseExceptionGroup) and leaf.exceptions:
            leaf = leaf.exceptions[0]
        raise leaf from group


async def run_eval(
    tasks: Sequence[Task],
    config: EvalConfig,
    world_factory: WorldFactory,
    *,
    model: ChatModel | None = None,
    user_model: ChatModel | None = None,
    on_trial: Callable[[TrialResult], None] | None = None,
) -> EvalResult:
    """`config.k` trials of every task, at most `config.concurrency` at a time.

    `model` is required unless `config.model` is `reference`; `user_model` is required for
    `config.user == "llm"`.
    """
    if config.model != REFERENCE and model is None:
        raise ValueError(f"model {config.model!r} was named but no model was given")
    if config.user == "llm" and user_model is None:
        raise ValueError("an LLM user needs a user model")
    limiter = anyio.Semaphore(max(1, config.concurrency))
    results: list[TrialResult] = []

    async def one(task: Task, trial: int) -> None:
        async with limiter:
            trial_model = model if model is not None else trace_model(task.reference)
            user: SimulatedUser = (
                LLMUser(user_model, task.user)
                if config.user == "llm" and user_model is not None
                else ScriptedUser(task.user.turns)
            )
            result = await run_trial(
                task, trial, world_factory, trial_model, user, limits=config.limits
            )
        results.append(result)
        if on_trial is not None:
            on_trial(result)

    async with first_error(), anyio.create_task_group() as group:
        for task in tasks:
            for trial in range(config.k):
                group.start_soon(one, task, trial)
    results.sort(key=lambda r: (r.task_id, r.trial))
    name = REFERENCE if model is None else model.name
    summary = summarize(name, [r.stats() for r in results], config.prices)
    return EvalResult(trials=tuple(results), summary=summary)
