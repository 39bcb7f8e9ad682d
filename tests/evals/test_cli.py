"""`loyalty eval`: offline with reference solutions, and on an OpenAI-compatible endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.errors import ModelNotConfigured
from app.cli import app
from evals.task_files import TaskFileError
from tests.agent.fake_openai import FakeOpenAIServer, completion
from tests.evals.test_tasks_run import TASKS_DIR

runner = CliRunner()


@pytest.fixture
def no_model_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LOYALTY_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer.running() as server:
        yield server


def test_eval_check_validates_every_task_file() -> None:
    result = runner.invoke(app, ["eval", "check", "--tasks", str(TASKS_DIR)])
    assert result.exit_code == 0, result.output
    assert "all valid" in result.output


def test_eval_check_names_the_key_of_a_bad_task(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: bad\npurpose: x\nuser: {persona: x}\n")
    result = runner.invoke(app, ["eval", "check", "--tasks", str(tmp_path)])
    assert isinstance(result.exception, TaskFileError)
    assert result.exception.key == "user.instruction"


def test_eval_run_with_reference_solutions_writes_the_report(tmp_path: Path) -> None:
    report = tmp_path / "report"
    args = ["eval", "run", "--tasks", str(TASKS_DIR), "--only", "^(balance-emma|split-award)"]
    result = runner.invoke(app, [*args, "-k", "2", "--report", str(report), "--controls"])
    assert result.exit_code == 0, result.output
    assert "2 tasks x 2: pass^1 100.0%, pass^2 100.0%" in result.output
    assert "negative controls: 2/2 failed as expected" in result.output
    lines = [json.loads(line) for line in (report / "results.jsonl").read_text().splitlines()]
    assert [(line["task_id"], line["trial"], line["reward"]) for line in lines] == [
        ("balance-emma", 0, 1),
        ("balance-emma", 1, 1),
        ("split-award-dodge", 0, 1),
        ("split-award-dodge", 1, 1),
    ]
    assert lines[2]["delta"]["approvals"][0]["points"] == 2400
    summary = (report / "summary.md").read_text()
    assert "Policy gate: **PASS**" in summary
    assert "| split | 100.0 % |" in summary


def test_eval_run_names_what_to_set_when_no_model_is_configured(
    tmp_path: Path, no_model_env: None
) -> None:
    args = ["eval", "run", "--tasks", str(TASKS_DIR), "--model", "gpt-4.1-mini"]
    result = runner.invoke(app, [*args, "--report", str(tmp_path)])
    assert isinstance(result.exception, ModelNotConfigured)
    assert "OPENAI_BASE_URL" in result.exception.variables
    assert not (tmp_path / "results.jsonl").exists()


def test_eval_run_grades_a_model_on_an_openai_compatible_endpoint(
    tmp_path: Path, fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    find = ("call_1", "find_members", json.dumps({"query": "Emma Novak"}))
    fake_openai.queue(
        completion(tool_calls=(find,), usage=(900, 20)),
        completion("Emma Novak has 6,240 points.", usage=(1100, 12)),
    )
    prices = tmp_path / "prices.yaml"
    prices.write_text("models:\n  fake-model: {input_per_mtok: 1.0, output_per_mtok: 4.0}\n")
    args = ["eval", "run", "--tasks", str(TASKS_DIR), "--only", "^balance-emma$"]
    args += ["--model", "fake-model", "--prices", str(prices), "--report", str(tmp_path / "r")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "1 tasks x 1: pass^1 100.0%" in result.output
    [line] = [json.loads(x) for x in (tmp_path / "r" / "results.jsonl").read_text().splitlines()]
    assert line["model"] == "openai:fake-model"
    assert (line["input_tokens"], line["output_tokens"]) == (2000, 32)
    summary = (tmp_path / "r" / "summary.md").read_text()
    assert "| cost | $0.0021 |" in summary  # (2000 * 1 + 32 * 4) / 1e6
    tools = {tool["function"]["name"] for tool in fake_openai.requests[0]["tools"]}
    assert "find_members" in tools
    assert "decide_approval" not in tools
