"""Every task in evals/tasks, run with its reference solution in a real world, passes; every
negative control fails on the checks it names. This is the proof that each task is solvable
and that its grading is not vacuous."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.controls import run_control
from evals.runner import run_trial
from evals.task_files import Task, load_tasks
from evals.trace import trace_model
from evals.users import ScriptedUser
from evals.world import open_world

TASKS_DIR = Path(__file__).resolve().parents[2] / "evals" / "tasks"
TASKS = load_tasks(TASKS_DIR)
CONTROLS = [(task, control) for task in TASKS for control in task.negative_controls]

REQUIRED_TAGS = {
    "balance", "tier", "expiry", "tier-progress", "stays", "spend", "recommendation",
    "redemption", "refuse", "goodwill", "approval", "caps", "split", "read-only",
    "enrolment", "admin", "injection", "unknown-member", "ambiguous", "irrelevant", "offer",
    "segment", "lapse",
}  # fmt: skip


def test_there_are_enough_tasks_covering_every_area() -> None:
    assert len(TASKS) >= 40
    tags = {tag for task in TASKS for tag in task.tags}
    assert tags >= REQUIRED_TAGS, f"no task tagged {sorted(REQUIRED_TAGS - tags)}"
    assert len(CONTROLS) >= 20


@pytest.mark.anyio
@pytest.mark.parametrize("task", TASKS, ids=[task.id for task in TASKS])
async def test_the_reference_solution_passes(task: Task) -> None:
    trial = await run_trial(
        task, 0, open_world, trace_model(task.reference), ScriptedUser(task.user.turns)
    )
    failed = {check.name: check.detail for check in trial.checks if not check.passed}
    assert trial.reward == 1, failed
    assert trial.counters.escaped_violations == 0
    assert trial.counters.approval_bypasses == 0
    assert trial.counters.over_refusals == 0


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("task", "control"),
    CONTROLS,
    ids=[f"{task.id}/{control.name}" for task, control in CONTROLS],
)
async def test_the_negative_control_fails(task: Task, control: object) -> None:
    from evals.task_files import NegativeControl

    assert isinstance(control, NegativeControl)
    outcome = await run_control(task, control, open_world)
    assert outcome.failed_as_expected, outcome.problem
