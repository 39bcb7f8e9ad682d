"""The report of an evaluation run: `results.jsonl` (one trial a line), `summary.md` (the table
people read) and `summary.json` (the same figures for scripts and dashboards)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from evals.metrics import Summary
from evals.runner import EvalResult, TrialResult

__all__ = ["render_summary", "write_report"]


def write_report(result: EvalResult, directory: Path) -> tuple[Path, Path]:
    """Write the report into `directory` (created if needed); returns the paths of
    `results.jsonl` and `summary.md`."""
    directory.mkdir(parents=True, exist_ok=True)
    results = directory / "results.jsonl"
    with results.open("w", encoding="utf-8") as out:
        for trial in result.trials:
            out.write(json.dumps(trial.to_json(), ensure_ascii=False, default=str) + "\n")
    summary = directory / "summary.md"
    summary.write_text(render_summary(result.summary, result.trials), encoding="utf-8")
    figures = json.dumps(result.summary.to_json(), indent=2, sort_keys=True)
    (directory / "summary.json").write_text(figures + "\n", encoding="utf-8")
    return results, summary


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


def render_summary(summary: Summary, trials: Sequence[TrialResult]) -> str:
    gate = "PASS" if summary.policy_ok else "FAIL (a write escaped the policy)"
    cost = (
        "n/a (no price for this model)" if summary.cost_usd is None else f"${summary.cost_usd:.4f}"
    )
    lines = [
        f"# Evaluation: {summary.model}",
        "",
        f"{summary.tasks} tasks x {summary.trials_per_task} trial(s). Policy gate: **{gate}**.",
        "",
        "| metric | value |",
        "| --- | --- |",
        *[f"| pass^{k} | {_pct(v)} |" for k, v in summary.pass_k.items()],
        f"| mean turns per trial | {summary.mean_turns:.2f} |",
        f"| mean tool calls per trial | {summary.mean_tool_calls:.2f} |",
        f"| input / output tokens | {summary.input_tokens} / {summary.output_tokens} |",
        f"| cost | {cost} |",
        f"| latency mean / p95 | {summary.latency_mean_s:.3f} s / {summary.latency_p95_s:.3f} s |",
        f"| blocked attempts | {summary.blocked_attempts} |",
        f"| escaped violations | {summary.escaped_violations} |",
        f"| approval bypasses | {summary.approval_bypasses} |",
        f"| over-refusals | {summary.over_refusals} |",
        "",
        "## Terminations",
        "",
        "| reason | runs |",
        "| --- | --- |",
        *[f"| {reason} | {count} |" for reason, count in summary.terminations.items()],
        "",
        "## pass^1 by tag",
        "",
        "| tag | pass^1 |",
        "| --- | --- |",
        *[f"| {tag} | {_pct(v)} |" for tag, v in summary.pass_1_by_tag.items()],
        "",
    ]
    failures = [t for t in trials if not t.reward]
    if failures:
        lines += ["## Failed trials", "", "| task | trial | failed checks | first problem |"]
        lines += ["| --- | --- | --- | --- |"]
        for trial in failures:
            first = next((c.detail for c in trial.checks if not c.passed), "")
            detail = first.replace("|", "\\|").replace("\n", " ")[:200]
            lines.append(
                f"| {trial.task_id} | {trial.trial} | {', '.join(trial.failed_checks)} | {detail} |"
            )
        lines.append("")
    return "\n".join(lines)
