"""Without a configured model, `ask` and `chat` say what to set and point to the demo."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from tests.child_imports import loaded_modules, loyalty_command
from tests.shell_env import MODEL

runner = CliRunner()


@pytest.mark.parametrize("argv", [["ask", "How many points has Emma Novak?"], ["chat"]])
def test_with_no_model_configured_the_variables_and_the_demo_are_named(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # chat opens the sandbox
    monkeypatch.setenv("LOYALTY_DATABASE_URL", f"sqlite:///{tmp_path / 'chat.sqlite3'}")
    result = runner.invoke(app, argv, input="/quit\n")

    # `ask` cannot do anything without a model; `chat` still runs its slash commands
    assert result.exit_code == (2 if argv[0] == "ask" else 0)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LOYALTY_MODEL", "loyalty demo"):
        assert name in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_a_base_url_without_a_model_name_asks_for_loyalty_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")

    result = runner.invoke(app, ["ask", "hi"])

    assert result.exit_code == 2
    assert "set LOYALTY_MODEL" in result.stderr
    assert "loyalty demo" in result.stderr


def test_an_unreadable_model_script_is_a_one_line_error(tmp_path: object) -> None:
    result = runner.invoke(app, ["ask", "hi", "--model", "scripted:/nonexistent/turns.yaml"])

    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error: model script /nonexistent/turns.yaml")
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_empty_question_is_refused() -> None:
    result = runner.invoke(app, ["ask", "  "])

    assert result.exit_code == 2
    assert result.stderr.strip() == "error: the question is empty"


SESSION_STACK = (
    "app.session",
    "agent.session",
    "openai",
    "mcp",
    "tools.server",
    "tools.runtime",
    "sqlalchemy",
)


@pytest.mark.parametrize(
    ("argv", "settings", "said"),
    [
        (["ask", "hi"], {}, "OPENAI_API_KEY"),
        (["ask", "hi"], {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}, "set LOYALTY_MODEL"),
        (["ask", "hi", "--model", "scripted:/nonexistent.yaml"], {}, "model script"),
    ],
)
def test_ask_checks_its_model_before_importing_the_session_stack(
    argv: list[str], settings: dict[str, str], said: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in MODEL}
    env |= {"XDG_DATA_HOME": str(tmp_path / "data"), **settings}
    done = subprocess.run(
        loyalty_command(argv, SESSION_STACK),
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert said in done.stderr
    assert "Traceback" not in done.stderr
    assert loaded_modules(done.stderr) == []
