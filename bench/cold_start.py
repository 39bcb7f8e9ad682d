"""Cold start of `loyalty serve` over stdio, as a desktop app spawns it for every session.

    python -m bench.cold_start [--runs 5] [--before PATH]

For this checkout (and, side by side, the checkout at `--before`, e.g. a worktree of the
previous commit), in one run:

1. spawn -> first `tools/list` answer over stdio (initialize, initialized, tools/list), median
   of the runs, against a minimal server built with the same `mcp` SDK (one tool, stdio): the
   ratio is the figure (target <= 1.3x);
2. the server's resident memory once it has answered and is idle (VmRSS; target <= 80 MB);
3. `loyalty --help` wall time (target <= 0.15 s).

Every run gets fresh temporary data and database locations; the sandbox state file is made by a
first, unmeasured start (as on a machine where the server has run before).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MINIMAL_SERVER = """
import anyio
import mcp_types as types
from mcp.server import Server
from mcp.server.stdio import stdio_server

async def list_tools(ctx, params):
    return types.ListToolsResult(tools=[types.Tool(name="echo", input_schema={"type": "object"})])

async def main():
    server = Server("minimal", on_list_tools=list_tools)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())

anyio.run(main)
"""
_INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "bench", "version": "1"},
    },
}
_INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
_LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}


def _send(process: subprocess.Popen[bytes], message: dict[str, object]) -> None:
    assert process.stdin is not None
    process.stdin.write(json.dumps(message).encode() + b"\n")
    process.stdin.flush()


def _answer(process: subprocess.Popen[bytes], request_id: int) -> None:
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the server closed stdout before answering")
        if json.loads(line).get("id") == request_id:
            return


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _first_list(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Seconds from spawn to the `tools/list` answer, and the idle RSS after it (MB)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
    )
    try:
        _send(process, _INIT)
        _answer(process, 1)
        _send(process, _INITIALIZED)
        _send(process, _LIST)
        _answer(process, 2)
        elapsed = time.perf_counter() - start
        time.sleep(0.5)  # idle
        return elapsed, _rss_mb(process.pid)
    finally:
        process.kill()
        process.wait()


def _env(tree: Path, tmp: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k.startswith(("PATH", "HOME", "LANG"))}
    return {
        **keep,
        "PYTHONPATH": str(tree),
        "XDG_DATA_HOME": str(tmp / "data"),
        "LOYALTY_DATABASE_URL": f"sqlite:///{tmp / 'loyalty.db'}",
    }


def _measure(tree: Path, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as raw:
        tmp = Path(raw)
        env = _env(tree, tmp)
        serve = [sys.executable, "-m", "app.cli", "serve", "--as", "carol"]
        _first_list(serve, env, tree)  # makes the sandbox state file, unmeasured
        minimal = tmp / "minimal_server.py"
        minimal.write_text(MINIMAL_SERVER)
        ours, rss, base, helps = [], [], [], []
        for _ in range(runs):
            elapsed, memory = _first_list(serve, env, tree)
            ours.append(elapsed)
            rss.append(memory)
            base.append(_first_list([sys.executable, str(minimal)], env, tree)[0])
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "app.cli", "--help"],
                env=env,
                cwd=tree,
                capture_output=True,
                check=True,
            )
            helps.append(time.perf_counter() - start)
    return {
        "ours_s": statistics.median(ours),
        "minimal_s": statistics.median(base),
        "ratio": statistics.median(ours) / statistics.median(base),
        "rss_mb": statistics.median(rss),
        "help_s": statistics.median(helps),
    }


def main(runs: int, before: Path | None) -> None:
    trees = {"this checkout": Path(__file__).resolve().parents[1]}
    if before is not None:
        trees = {"before": before.resolve(), **trees}
    print(
        f"{'':<15} {'spawn->tools/list':>18} {'minimal SDK':>12} {'ratio':>7} "
        f"{'idle RSS':>9} {'--help':>8}"
    )
    for name, tree in trees.items():
        m = _measure(tree, runs)
        print(
            f"{name:<15} {m['ours_s']:>16.2f} s {m['minimal_s']:>10.2f} s {m['ratio']:>6.2f}x "
            f"{m['rss_mb']:>6.0f} MB {m['help_s']:>6.2f} s"
        )
    print("targets: ratio <= 1.30x, idle RSS <= 80 MB, --help <= 0.15 s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path, default=None)
    options = parser.parse_args()
    main(options.runs, options.before)
