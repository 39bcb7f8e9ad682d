"""The progress bar of long commands: counts on a terminal, silent in pipes, logs and JSON."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.progress import Progress, TaskID

from app.commands._progress import bar_step, working
from storage.progress import counting, step


def test_nothing_is_printed_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with working("Reconciling the ledger with Mews"):
        pass
    assert capsys.readouterr() == ("", "")


def test_on_a_terminal_it_says_what_it_did_and_how_long_it_took(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Console, "is_terminal", property(lambda _self: True))
    with working("Reconciling the ledger with Mews"):
        pass
    err = capsys.readouterr().err
    assert "Reconciling the ledger with Mews: done in 0." in err


def test_json_output_keeps_stderr_quiet_even_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Console, "is_terminal", property(lambda _self: True))
    with working("Running the tier-review job", quiet=True):
        step(3, 10, "tier changes proposed")
    assert capsys.readouterr() == ("", "")


def test_the_work_s_counted_steps_move_the_bar() -> None:
    progress = Progress(console=Console(file=io.StringIO()))
    task = progress.add_task("Reconciling…", total=None)
    with counting(bar_step(progress, task, "Reconciling")):
        step(1200, 5000, "memberships compared with the ledger")
    (shown,) = progress.tasks
    assert (shown.completed, shown.total) == (1200, 5000)
    assert shown.description == "Reconciling: memberships compared with the ledger"


def test_on_a_terminal_the_bar_hears_the_work_s_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Console, "is_terminal", property(lambda _self: True))
    seen: list[tuple[float, float | None]] = []
    original = Progress.update

    def update(self: Progress, task: TaskID, **fields: object) -> None:
        seen.append((fields["completed"], fields["total"]))  # type: ignore[arg-type]
        original(self, task, **fields)  # type: ignore[arg-type]

    monkeypatch.setattr(Progress, "update", update)
    with working("Seeding"):
        step(500, 2000, "generating guests")
    assert seen == [(500, 2000)]
