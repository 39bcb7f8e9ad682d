"""Negative controls: deliberately wrong traces that the grading must fail.

A control names the checks it must fail (`fails`); it "failed as expected" when its reward is
0 and each named check failed. A control that passes means the task's checks are too weak.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import anyio

from evals.runner import TrialResult, WorldFactory, first_error, run_trial
from evals.task_files import NegativeControl, Task
from evals.trace import trace_model
from evals.users import ScriptedUser

__all__ = ["ControlOutcome", "run_control", "run_controls"]


@dataclass(frozen=True)
class ControlOutcome:
    task_id: str
    name: str
    expected_failures: tuple[str, ...]
    trial: TrialResult

    @property
    def failed_as_expected(self) -> bool:
        failed = set(self.trial.failed_checks)
        return self.trial.reward == 0 and set(self.expected_failures) <= failed

    @property
    def problem(self) -> str:
        if self.trial.reward:
            return "passed every check (the task's checks are too weak)"
        missing = sorted(set(self.expected_failures) - set(self.trial.failed_checks))
        return f"expected {missing} to fail; failed: {self.trial.failed_checks}"


async def run_control(task: Task, control: NegativeControl, world: WorldFactory) -> ControlOutcome:
    """Play one control's trace in a fresh world and grade it like any trial."""
    user = ScriptedUser(control.turns or task.user.turns)
    model = trace_model(control.trace, name=f"control:{control.name}")
    trial = await run_trial(task, 0, world, model, user, control=control.name)
    return ControlOutcome(task.id, control.name, tuple(control.fails), trial)


async def run_controls(
    tasks: Sequence[Task], world: WorldFactory, *, concurrency: int = 4
) -> list[ControlOutcome]:
    """Every negative control of `tasks`, in task order."""
    pairs = [(task, control) for task in tasks for control in task.negative_controls]
    outcomes: list[ControlOutcome | None] = [None] * len(pairs)
    limiter = anyio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with limiter:
            task, control = pairs[index]
            outcomes[index] = await run_control(task, control, world)

    async with first_error(), anyio.create_task_group() as group:
        for index in range(len(pairs)):
            group.start_soon(one, index)
    return [outcome for outcome in outcomes if outcome is not None]
