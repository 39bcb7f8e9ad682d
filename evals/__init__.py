"""Scripted evaluation runs: tasks, trials in fresh worlds, grading by final state, pass^k.

    from evals import SHIPPED_TASKS, EvalConfig, load_tasks, open_world, run_eval, write_report

    tasks = load_tasks(SHIPPED_TASKS)
    result = await run_eval(tasks, EvalConfig(model="reference", k=2), open_world)
    write_report(result, Path("eval-report"))

Modules: `task_files` (the task file model; the files are in `tasks/`), `trace` (reference
traces with `{{ ... }}` templates), `users` (scripted and LLM users), `world` (a trial's
sandbox, store, server and policy), `state` (projection, delta, comparison), `policy_checks`
(counters from the audit log), `grading`, `runner`, `controls` (negative controls), `metrics`
(pass^k), `report`.
"""

from evals.controls import ControlOutcome, run_control, run_controls
from evals.grading import Check, grade, normalize_text
from evals.metrics import PriceTable, Summary, TrialStats, pass_hat_k, summarize
from evals.policy_checks import PolicyCounters, count_policy
from evals.report import render_summary, write_report
from evals.runner import REFERENCE, EvalConfig, EvalResult, TrialResult, run_eval, run_trial
from evals.state import Delta, Projection, compare_delta, delta, project
from evals.task_files import SHIPPED_TASKS, Task, TaskFileError, load_task, load_tasks
from evals.trace import TraceError, trace_model
from evals.world import EVAL_NOW, open_world

__all__ = [
    "EVAL_NOW",
    "REFERENCE",
    "SHIPPED_TASKS",
    "Check",
    "ControlOutcome",
    "Delta",
    "EvalConfig",
    "EvalResult",
    "PolicyCounters",
    "PriceTable",
    "Projection",
    "Summary",
    "Task",
    "TaskFileError",
    "TraceError",
    "TrialResult",
    "TrialStats",
    "compare_delta",
    "count_policy",
    "delta",
    "grade",
    "load_task",
    "load_tasks",
    "normalize_text",
    "open_world",
    "pass_hat_k",
    "project",
    "render_summary",
    "run_control",
    "run_controls",
    "run_eval",
    "run_trial",
    "summarize",
    "trace_model",
    "write_report",
]
