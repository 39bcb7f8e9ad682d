"""`loyalty serve` over stdio loads only what a stdio session needs (desktop apps spawn it for
every session): no web app, model client, template engine, rich text, JWT library or httpx
command line ever, and until a request needs them (listing the tools does not) no runtime:
no SQLAlchemy, Mews client, loyalty engine, tool definitions or simulator. Checked in a child
process's `sys.modules`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bench.cold_start import INITIALIZE, INITIALIZED, LIST_TOOLS
from tests.child_imports import loaded_modules, loyalty_command
from tests.shell_env import MODEL, POLICY_AND_MEWS

NEVER_ON_STDIO = (
    "jinja2",  # prompts render templates only when a prompt is asked for
    "openai",  # the model client: `loyalty ask`/`chat` only
    "rich",  # help and errors are plain; progress bars belong to other commands
    "markdown_it",
    "jwt",  # OAuth bearer tokens: the HTTP transport only
    "pygments",  # with rich: httpx's command line (`httpx._main` is a stand-in, see tools.mews)
    "web",  # the staff web app
    "evals",
    "agent.session",
    "tools.automation",  # webhooks and scheduled jobs
)
OPENED_ON_FIRST_USE = [
    "sqlalchemy",  # the store
    "storage.store",
    "tools.runtime",
    "tools.mews",  # the Mews client and its several hundred response models
    "tools.actions",  # the guarded writes
    "tools.loyalty",
    "tools.server.tooling",  # the tool definitions (listings come from catalog.json)
    "tools.sandbox.app",  # the simulator and its seed generator (the command line's option
    "tools.sandbox.seed",  # defaults come from the light `tools.sandbox.limits`)
]
"""What `tools.server.deferred` opens on the first request that needs the runtime."""

_SESSION = [INITIALIZE, INITIALIZED, LIST_TOOLS]


def _loaded_by_a_stdio_session(env: dict[str, str], watched: list[str]) -> list[str]:
    """Serve one session (initialize, tools/list; input ends once the tools are listed, as a
    client closes it) and list what got imported."""
    root = Path(__file__).resolve().parents[2]
    with subprocess.Popen(
        loyalty_command(["serve"], watched),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=root,
        text=True,
    ) as server:
        assert server.stdin is not None
        assert server.stdout is not None
        server.stdin.write("".join(json.dumps(message) + "\n" for message in _SESSION))
        server.stdin.flush()
        listed = None
        for line in server.stdout:  # until the listing (or the server's end)
            answer = json.loads(line) if line.startswith("{") else {}
            if answer.get("id") == 2:
                listed = answer
                break
        server.stdin.close()
        assert server.stderr is not None
        err = server.stderr.read()  # to the end: the server has exited
        server.wait(timeout=120)
    assert listed is not None, err[-2000:]
    assert listed["result"]["tools"], "the session was served"
    return loaded_modules(err)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (*POLICY_AND_MEWS, *MODEL)}
    return {
        **env,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "LOYALTY_DATABASE_URL": f"sqlite:///{tmp_path / 'loyalty.db'}",
        **extra,
    }


@pytest.mark.parametrize("mews", ["embedded sandbox", "real Mews"])
def test_a_stdio_session_that_lists_the_tools_imports_no_runtime_and_none_of_the_heavy_modules(
    tmp_path: Path, mews: str
) -> None:
    real = mews == "real Mews"
    env = _env(
        tmp_path,
        **(
            {
                # never reached: listing tools reads nothing from Mews, and the chain is given
                "MEWS_BASE_URL": "http://127.0.0.1:9",
                "MEWS_CLIENT_TOKEN": "client-token",
                "MEWS_ACCESS_TOKEN": "access-token",
                "MEWS_CLIENT_NAME": "cold-start test 1.0",
                "MEWS_CHAIN_IDS": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                # against real Mews the command line acts as a principal it can prove
                "LOYALTY_MCP_TOKENS": "cold-start-token-0123456789abcdef=carol",
                "LOYALTY_TOKEN": "cold-start-token-0123456789abcdef",
            }
            if real
            else {}
        ),
    )
    watched = [*NEVER_ON_STDIO, *OPENED_ON_FIRST_USE]

    loaded = _loaded_by_a_stdio_session(env, watched)

    assert loaded == []
