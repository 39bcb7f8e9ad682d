"""`loyalty ask`: one question through the real in-memory server, scripted or on a fake server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from app.cli import app
from tests.agent.fake_openai import FakeOpenAIServer, completion
from tools.sandbox import STORY

runner = CliRunner()

AWARD = {
    "membership_id": STORY.emma_novak_membership,
    "points": 2500,
    "reason": "Spa closed during her stay",
}


def write_script(folder: Path, turns: list[object]) -> str:
    path = folder / "turns.yaml"
    path.write_text(yaml.safe_dump({"turns": turns}), encoding="utf-8")
    return f"scripted:{path}"


def test_ask_json_reports_answer_tool_calls_proposals_and_usage(cli_env: Path) -> None:
    model = write_script(
        cli_env,
        [
            {"tool_calls": [{"name": "find_members", "arguments": {"query": "Emma Novak"}}]},
            {"tool_calls": [{"name": "award_points", "arguments": AWARD}]},
            {
                "text": "I proposed the award; confirm it in the chat.",
                "usage": {"input_tokens": 900, "output_tokens": 12},
            },
        ],
    )

    result = runner.invoke(app, ["ask", "Award Emma 2500", "--json", "--model", model])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["answer"] == "I proposed the award; confirm it in the chat."
    assert data["termination"] == "final_answer"
    assert data["principal"] == {"name": "carol", "role": "staff"}
    assert data["model_acts_as"] == {"name": "assistant for carol", "role": "agent for staff"}
    assert [(c["name"], c["status"]) for c in data["tool_calls"]] == [
        ("find_members", "ok"),
        ("award_points", "proposed"),
    ]
    [proposal] = data["proposals"]
    assert proposal["id"] == "prop_1"
    assert proposal["tool"] == "award_points"
    assert proposal["arguments"] == AWARD
    assert "2500" in proposal["note"]
    assert data["approvals"] == []
    assert data["denials"] == []
    assert data["usage"] == {"input_tokens": 900, "output_tokens": 12}
    assert data["error_count"] == 0
    assert "messages" not in data


def test_ask_json_reports_a_denial(cli_env: Path) -> None:
    model = write_script(
        cli_env,
        [
            {"tool_calls": [{"name": "award_points", "arguments": {**AWARD, "points": 50000}}]},
            "That is above the cap, so it was denied.",
        ],
    )

    result = runner.invoke(app, ["ask", "Award Emma 50000", "--json", "--model", model])

    assert result.exit_code == 0, result.output
    [denial] = json.loads(result.stdout)["denials"]
    assert denial["tool"] == "award_points"
    assert denial["rule"].startswith("caps.")


def test_ask_streams_the_answer_to_stdout_and_lists_tool_calls_on_stderr(cli_env: Path) -> None:
    model = write_script(
        cli_env,
        [
            {"tool_calls": [{"name": "find_members", "arguments": {"query": "Emma Novak"}}]},
            "Emma Novak is a Silver member.",
        ],
    )

    result = runner.invoke(app, ["ask", "Who is Emma?", "--model", model])

    assert result.exit_code == 0, result.output
    assert result.stdout == "Emma Novak is a Silver member.\n"
    assert 'find_members(query="Emma Novak") → ok' in result.stderr


def test_a_run_that_ends_early_exits_1_and_says_why(cli_env: Path) -> None:
    model = write_script(
        cli_env, [{"tool_calls": [{"name": "find_members", "arguments": {"query": "Emma"}}]}]
    )

    result = runner.invoke(app, ["ask", "Who is Emma?", "--model", model])

    assert result.exit_code == 1
    assert "(the run ended early: model_error:" in result.stdout


def test_ask_works_against_an_openai_compatible_server(
    cli_env: Path, fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("LOYALTY_MODEL", "fake-model")
    fake_openai.queue(
        completion(
            tool_calls=(("call_1", "find_members", '{"query": "Emma Novak"}'),), usage=(300, 20)
        ),
        completion("Emma Novak is a member of Platinum Club.", usage=(420, 15)),
    )

    result = runner.invoke(app, ["ask", "Is Emma Novak a member?", "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["answer"] == "Emma Novak is a member of Platinum Club."
    assert data["model"] == "openai:fake-model"
    assert data["usage"] == {"input_tokens": 720, "output_tokens": 35}
    assert [(c["name"], c["status"]) for c in data["tool_calls"]] == [("find_members", "ok")]
    first, second = fake_openai.requests
    assert first["model"] == "fake-model"
    assert first["messages"][0]["role"] == "system"
    assert "You act for carol (role: staff)." in first["messages"][0]["content"]
    offered = {tool["function"]["name"] for tool in first["tools"]}
    assert {"find_members", "award_points", "draft_offer"} <= offered
    assert "decide_approval" not in offered
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool"
    assert '"display_name": "Emma Novak"' in tool_message["content"]


def test_ask_can_use_a_server_started_over_stdio(cli_env: Path) -> None:
    import sys

    model = write_script(
        cli_env,
        [
            {"tool_calls": [{"name": "find_members", "arguments": {"query": "Emma"}}]},
            "Found Emma.",
        ],
    )
    command = f"{sys.executable} -m tests.agent_cli.stdio_desk"

    result = runner.invoke(
        app, ["ask", "Who is Emma?", "--json", "--model", model, "--mcp-command", command]
    )

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["answer"] == "Found Emma."
    assert [(c["name"], c["status"]) for c in data["tool_calls"]] == [("find_members", "ok")]


def test_an_unreachable_mcp_server_is_a_one_line_error(cli_env: Path) -> None:
    model = write_script(cli_env, ["unused"])

    result = runner.invoke(
        app, ["ask", "hi", "--model", model, "--mcp-command", "/nonexistent/mcp-server"]
    )

    assert result.exit_code == 2
    assert result.stderr.startswith("error: could not connect to the MCP server (command ")
    assert len(result.stderr.strip().splitlines()) == 1
