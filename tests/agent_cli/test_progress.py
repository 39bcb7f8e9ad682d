"""The progress line of long commands: shown on a terminal, silent in pipes and logs."""

from __future__ import annotations

import pytest
from rich.console import Console

from app.commands._progress import working


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
