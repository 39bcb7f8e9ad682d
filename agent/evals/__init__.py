"""Scripted evaluation runs: tasks, trials in fresh worlds, grading by final state, pass^k.

    from agent.evals import EvalConfig, load_tasks, open_world, run_eval, write_report

    tasks = load_tasks("evals/tasks")
    result = await run_eval(tasks, EvalConfig(model="reference", k=2), open_world)
    write_report(result, Path("eval-report"))

Modules: `tasks` (the task file model), `trace` (reference traces with `{{ ... }}` templates),
`users` (scripted and LLM users), `world` (a trial's sandbox, store, server and policy),
`state` (projection, delta, comparison), `policy_checks` (counters from the audit log),
`grading`, `runner`, `controls` (negative controls), `metrics` (pass^k), `report`.
"""

from agent.evals.controls import ControlOutcome, run_control, run_controls
from agent.evals.grading import Check, grade, normalize_text
from agent.evals.metrics import PriceTable, Summary, TrialStats, pass_hat_k, summarize
from agent.evals.policy_checks import PolicyCounters, count_policy
from agent.evals.report import render_summary, write_report
from agent.evals.runner import REFERENCE, EvalConfig, EvalResult, TrialResult, run_eval, run_trial
from agent.evals.state import Delta, Projection, compare_delta, delta, project
from agent.evals.tasks import Task, TaskFileError, load_task, load_tasks
from agent.evals.trace import TraceError, trace_model
from agent.evals.world import EVAL_NOW, open_world

__all__ = [
    "EVAL_NOW",
    "REFERENCE",
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
