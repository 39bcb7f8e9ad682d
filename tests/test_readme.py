"""Every example in README.md runs: the two first-screen lines, the curl body, the CLI commands."""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent import connect_mcp
from app.cli import app
from tools.sandbox import Sandbox

README = Path(__file__).resolve().parents[1] / "README.md"
runner = CliRunner()


def console_blocks() -> list[str]:
    return blocks("console")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def commands(block: str) -> list[list[str]]:
    """Each `loyalty ...` line of a block as argv, trailing `# comments` dropped."""
    found = []
    for line in block.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("loyalty "):
            found.append(shlex.split(line)[1:])
    return found


def test_the_first_screen_has_exactly_the_run_line_and_the_test_line() -> None:
    first = console_blocks()[0].strip().splitlines()
    assert len(first) == 2
    run, test = first
    # A virtual environment inside each line: a distribution Python refuses `pip install` (PEP 668).
    venv = "python3 -m venv .venv && . .venv/bin/activate && "
    assert run.startswith(venv + "pip install -e . && loyalty ")
    assert test == venv + 'pip install -e ".[test]" && python -m pytest'
    # The CI script runs both lines verbatim, on the distribution's Python in a clean folder.
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines()
    assert run in ci.splitlines()
    assert '[ "$(command -v python3)" = /usr/bin/python3 ]' in ci.splitlines()


def test_the_main_job_line_names_a_real_command_with_valid_options() -> None:
    argv = shlex.split(console_blocks()[0].splitlines()[0].rsplit("&&", 1)[1])[1:]
    result = runner.invoke(app, [*argv, "--help"])
    assert result.exit_code == 0, result.output


@pytest.mark.anyio
async def test_the_curl_example_is_answered_by_the_sandbox_as_documented() -> None:
    block = next(b for b in blocks("sh") if "/api/connector/v1/" in b)
    path = re.search(r"http://127\.0\.0\.1:8787(\S+)", block)
    body = re.search(r"-d '(.*)'", block, re.S)
    assert path
    assert body
    sandbox = Sandbox.seeded()
    status, _headers, payload = await sandbox.handle(
        "POST", path.group(1), {"content-type": "application/json"}, body.group(1).encode()
    )
    assert status == 200
    programs = json.loads(payload)["LoyaltyPrograms"]
    assert {p["Code"] for p in programs} >= {"PC01"}


@pytest.mark.parametrize(
    "argv",
    [argv for block in console_blocks() for argv in commands(block) if argv[0] != "sandbox"],
    ids=" ".join,
)
def test_each_cli_example_runs(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # The embedded sandbox and the web users live in the user data/config directories.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("MEWS_BASE_URL", "MEWS_CLIENT_TOKEN", "MEWS_ACCESS_TOKEN", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOYALTY_DATABASE_URL", f"sqlite:///{tmp_path / 'readme.sqlite3'}")
    monkeypatch.delenv("LOYALTY_POLICY_FILE", raising=False)
    if "my-policy.toml" in argv:
        shown = runner.invoke(app, ["policy", "show"])
        (tmp_path / "my-policy.toml").write_text(shown.stdout, encoding="utf-8")
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output


@pytest.mark.anyio
async def test_the_mcp_client_config_starts_a_server_that_lists_its_tools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = json.loads(blocks("json")[0])
    (entry,) = config["mcpServers"].values()
    assert entry["command"] == "loyalty"
    env = {
        **entry["env"],
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "LOYALTY_DATABASE_URL": f"sqlite:///{tmp_path / 'mcp.sqlite3'}",
    }
    loyalty = Path(sys.executable).with_name("loyalty")
    async with connect_mcp(command=[str(loyalty), *entry["args"]], env=env) as toolset:
        names = {tool.name for tool in toolset.tools}
    assert {"find_members", "get_member_summary", "award_points", "draft_offer"} <= names
    assert "add_loyalty_programs" not in names  # admin toolset not asked for
    assert "decide_approval" not in names  # staff cannot decide approvals
