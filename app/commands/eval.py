"""`loyalty eval`: scripted evaluation runs graded by the state they leave.

    loyalty eval run [--tasks DIR] [--model M] [-k N] [--user scripted|llm]
                     [--concurrency N] [--report DIR] [--only REGEX] [--prices FILE] [--controls]
    loyalty eval check [--tasks DIR]          validate the task files, run nothing

`--model reference` (the default) replays every task's reference solution: offline, and the
proof that each task is solvable and graded right. Any other value names a model on the
configured OpenAI-compatible endpoint (`OPENAI_BASE_URL`, `OPENAI_API_KEY`), as `--model` of
`loyalty chat` does. The run writes `results.jsonl` and `summary.md` to `--report` and exits 1
when a write escaped the policy (or, with `--controls`, when a negative control passed).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from app.commands._group import command_group

if TYPE_CHECKING:
    from rich.console import Console

    from agent.models import ChatModel
    from evals.runner import EvalConfig, TrialResult
    from evals.task_files import Task

__all__ = ["default_tasks_dir", "register"]

EXIT_GATE = 1


def default_tasks_dir() -> Path:
    """`./evals/tasks` when it exists, else the task files shipped with `evals`."""
    from evals.task_files import SHIPPED_TASKS

    local = Path("evals/tasks")
    if local.is_dir():
        return local
    return SHIPPED_TASKS


def register(app: typer.Typer) -> None:
    group = command_group("Scripted evaluation runs (pass^k, policy counters).")
    group.command("run")(run)
    group.command("check")(check)
    app.add_typer(group, name="eval")


TasksOption = Annotated[
    Path | None,
    typer.Option("--tasks", help="Directory of task files (default: evals/tasks)."),
]


def check(tasks: TasksOption = None) -> None:
    """Validate every task file; errors name the file and the key."""
    from evals.task_files import load_tasks

    loaded = load_tasks(tasks or default_tasks_dir())
    controls = sum(len(task.negative_controls) for task in loaded)
    typer.echo(f"{len(loaded)} tasks, {controls} negative controls: all valid")


def run(
    tasks: TasksOption = None,
    model: Annotated[
        str, typer.Option("--model", help="`reference`, or a model on the configured endpoint.")
    ] = "reference",
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="Trials per task.")] = 1,
    user: Annotated[
        str,
        typer.Option(
            "--user",
            help="`scripted` (the task's turns) or `llm` (the --model model, or LOYALTY_MODEL "
            "with --model reference, plays the task's persona).",
        ),
    ] = "scripted",
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=64, help="Trials run at the same time.")
    ] = 4,
    report: Annotated[
        Path, typer.Option("--report", help="Directory for results.jsonl and summary.md.")
    ] = Path("eval-report"),
    only: Annotated[
        str | None, typer.Option("--only", help="Run only task ids matching this regex.")
    ] = None,
    prices: Annotated[
        Path | None,
        typer.Option("--prices", help="YAML/JSON price table: {models: {NAME: {...}}}."),
    ] = None,
    controls: Annotated[
        bool, typer.Option("--controls", help="Also play the negative controls.")
    ] = False,
) -> None:
    """Run every task k times and write the report."""
    import anyio

    if user not in ("scripted", "llm"):
        raise typer.BadParameter("must be scripted or llm", param_hint="--user")
    user_mode: Literal["scripted", "llm"] = "llm" if user == "llm" else "scripted"
    code = anyio.run(_run, tasks, model, k, user_mode, concurrency, report, only, prices, controls)
    raise typer.Exit(code)


async def _run(
    tasks_dir: Path | None,
    model_name: str,
    k: int,
    user: Literal["scripted", "llm"],
    concurrency: int,
    report_dir: Path,
    only: str | None,
    prices_file: Path | None,
    controls: bool,
) -> int:
    from rich.console import Console

    from agent.models import model_from_spec
    from evals.metrics import load_prices
    from evals.runner import REFERENCE, EvalConfig
    from evals.task_files import load_tasks

    loaded = load_tasks(tasks_dir or default_tasks_dir(), only=only)
    price_table = load_prices(prices_file)
    # Built before anything runs: a missing model configuration stops here, with the fix.
    chat_model: ChatModel | None = None if model_name == REFERENCE else model_from_spec(model_name)
    user_model: ChatModel | None = None
    if user == "llm":
        user_model = chat_model or model_from_spec(None)
    config = EvalConfig(
        model=model_name, k=k, user=user, concurrency=concurrency, prices=price_table
    )
    try:
        return await _run_and_report(
            loaded, config, chat_model, user_model, report_dir, controls, Console(stderr=True)
        )
    finally:
        for opened in {id(m): m for m in (chat_model, user_model) if m is not None}.values():
            close = getattr(opened, "aclose", None)
            if close is not None:
                await close()


async def _run_and_report(
    loaded: list[Task],
    config: EvalConfig,
    chat_model: ChatModel | None,
    user_model: ChatModel | None,
    report_dir: Path,
    controls: bool,
    console: Console,
) -> int:
    from app.commands._progress import progress_bar
    from evals.controls import run_controls
    from evals.report import write_report
    from evals.runner import run_eval
    from evals.world import open_world

    model_name, k = config.model, config.k
    with progress_bar(console, "[progress.description]{task.description}") as progress:
        bar = progress.add_task(f"eval {model_name}", total=len(loaded) * k)

        def advance(trial: TrialResult) -> None:
            mark = "[green]pass[/]" if trial.reward else "[red]fail[/]"
            progress.console.print(f"{mark} {trial.task_id} #{trial.trial}", highlight=False)
            progress.advance(bar)

        result = await run_eval(
            loaded, config, open_world, model=chat_model, user_model=user_model, on_trial=advance
        )
    results_path, summary_path = write_report(result, report_dir)
    summary = result.summary
    figures = ", ".join(f"pass^{n} {v:.1%}" for n, v in summary.pass_k.items())
    typer.echo(f"{summary.tasks} tasks x {k}: {figures}")
    typer.echo(
        f"policy: {summary.escaped_violations} escaped, {summary.blocked_attempts} blocked, "
        f"{summary.approval_bypasses} bypasses, {summary.over_refusals} over-refusals"
    )
    typer.echo(f"report: {summary_path} and {results_path}")
    code = 0 if summary.policy_ok else EXIT_GATE
    if controls:
        outcomes = await run_controls(loaded, open_world)
        wrong = [o for o in outcomes if not o.failed_as_expected]
        typer.echo(
            f"negative controls: {len(outcomes) - len(wrong)}/{len(outcomes)} failed as expected"
        )
        for outcome in wrong:
            typer.echo(f"  control {outcome.task_id}/{outcome.name}: {outcome.problem}", err=True)
        code = code or (EXIT_GATE if wrong else 0)
    if not summary.policy_ok:
        typer.echo("policy gate FAILED: a write escaped the policy (see summary.md)", err=True)
    return code
