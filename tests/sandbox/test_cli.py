"""`loyalty sandbox`: options, one-line errors, the banner, and what it serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from app.cli import app
from app.connect import sandbox_state_path
from tools.sandbox import DEMO_TOKENS, PORTFOLIO
from tools.sandbox.app import ASGIApp

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "error: --port must be between 0 and 65535, got 70000"),
        (["--customers", "100001"], "error: --customers must be between 0 and 100000, got 100001"),
        (["--seed", "-1"], "error: --seed must not be negative, got -1"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["sandbox", "--state", str(tmp_path / "s.json"), *args])
    assert result.exit_code == 2
    assert result.output == message + "\n"


def test_an_unreadable_state_file_is_a_one_line_error_that_says_how_to_recover(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.json"
    path.write_text("{oops")
    result = runner.invoke(app, ["sandbox", "--state", str(path)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "cannot read sandbox state file" in result.output
    assert "--reset" in result.output
    directory = runner.invoke(app, ["sandbox", "--state", str(tmp_path)])
    assert directory.output == f"error: --state {tmp_path} is a directory; give a file path\n"


def test_the_command_prints_url_tokens_and_a_curl_line_then_serves_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: served.append((target, options)))
    path = tmp_path / "state.json"
    result = runner.invoke(
        app, ["sandbox", "--port", "8799", "--state", str(path), "--customers", "40"]
    )
    assert result.exit_code == 0, result.output
    assert "Mews Connector API sandbox on http://127.0.0.1:8799" in result.output
    for integration in (*DEMO_TOKENS, PORTFOLIO):
        assert integration.access_token in result.output
    assert (
        "curl -s -X POST http://127.0.0.1:8799/api/connector/v1/configuration/get" in result.output
    )
    [(target, options)] = served
    assert isinstance(target, ASGIApp)
    assert (options["host"], options["port"]) == ("127.0.0.1", 8799)
    assert path.exists()
    again = runner.invoke(app, ["sandbox", "--port", "8799", "--state", str(path), "--seed", "9"])
    assert "was seeded with --seed 1 --customers 40" in again.output


def test_the_default_state_file_is_in_the_user_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert sandbox_state_path() == tmp_path / "mews-loyalty" / "sandbox-state.json"
