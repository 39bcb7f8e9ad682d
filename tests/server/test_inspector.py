"""The official MCP Inspector (TypeScript SDK, CLI mode) shows a denial's reason.

TypeScript clients validate structured content against the tool's output schema, errors
included; this runs the real one on a denied award over stdio. It needs the Inspector installed
locally (no download from a test): `LOYALTY_MCP_INSPECTOR` names its `mcp-inspector` executable
(`.ci/run` installs it when the npm registry is reachable), else `mcp-inspector` on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.sandbox import STORY


def _inspector() -> str:
    found = os.environ.get("LOYALTY_MCP_INSPECTOR") or shutil.which("mcp-inspector")
    if not found or shutil.which("node") is None:
        pytest.skip("the MCP Inspector CLI is not installed (set LOYALTY_MCP_INSPECTOR)")
    return found


def test_the_inspector_shows_a_denials_reason_not_a_schema_error(tmp_path: Path) -> None:
    inspector = _inspector()
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "LOYALTY_DATABASE_URL": f"sqlite:///{tmp_path / 'loyalty.db'}",
    }
    command = [
        inspector,
        "--cli",
        sys.executable,
        "-m",
        "app.cli",
        "serve",
        "--as",
        "alice",
        "--method",
        "tools/call",
        "--tool-name",
        "award_points",
        "--tool-arg",
        f"membership_id={STORY.emma_novak_membership}",
        "--tool-arg",
        "points=6000",
        "--tool-arg",
        "reason=cap test",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert "does not match" not in done.stdout + done.stderr
    start = done.stdout.index("{")
    result, _ = json.JSONDecoder().raw_decode(done.stdout[start:])
    assert result["isError"] is True
    assert "structuredContent" not in result
    assert result["content"][0]["text"] == (
        "Denied by policy (caps.max_points_per_entry): "
        "6,000 points in one entry exceed the cap of 5,000"
    )
