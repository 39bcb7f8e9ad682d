"""Cold start of `loyalty serve` over stdio, as a desktop app spawns it for every session.

    python -m bench.cold_start [--runs 5] [--before PATH]

For this checkout (and, side by side, the checkout at `--before`, e.g. a worktree of the
previous commit), in one run:

1. spawn -> first `tools/list` answer over stdio (initialize, initialized, tools/list), median
   of the runs, against a minimal server built with the same `mcp` SDK (one tool, stdio): the
   ratio is the figure (target <= 1.3x);
2. the server's resident memory once it has answered and is idle (VmRSS; target <= 80 MB);
3. `loyalty --help` (target <= 0.15 s).

Each time is printed twice: as CPU time (user + sys of the child process, which a loaded
machine does not inflate) and as wall time.

Every run gets fresh temporary data and database locations; the sandbox state file is made by a
first, unmeasured start (as on a machine where the server has run before).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
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
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "bench", "version": "1"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
LIST_TOOLS = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
"""A client's first session over stdio: initialize, initialized, and (answered as id 2) the
tool listing; the cold-start test sends the same."""


def _send(process: subprocess.Popen[bytes], message: Mapping[str, object]) -> None:
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


def _first_list(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float]:
    """Seconds from spawn to the `tools/list` answer, the idle RSS after it (MB), and the
    server's CPU time (user + sys) until it was stopped (idle adds next to nothing)."""
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
        _send(process, INITIALIZE)
        _answer(process, 1)
        _send(process, INITIALIZED)
        _send(process, LIST_TOOLS)
        _answer(process, 2)
        elapsed = time.perf_counter() - start
        time.sleep(0.5)  # idle
        memory = _rss_mb(process.pid)
    except BaseException:
        process.kill()
        process.wait()
        raise
    process.kill()
    _pid, _status, usage = os.wait4(process.pid, 0)
    process.returncode = -9  # reaped here; Popen must not wait for it again
    return elapsed, memory, usage.ru_utime + usage.ru_stime


def _cpu_of(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + sys) of a command run to completion."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, capture_output=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


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
        ours: list[tuple[float, float, float]] = []
        base: list[tuple[float, float, float]] = []
        helps: list[tuple[float, float]] = []
        for _ in range(runs):
            ours.append(_first_list(serve, env, tree))
            base.append(_first_list([sys.executable, str(minimal)], env, tree))
            helps.append(_cpu_of([sys.executable, "-m", "app.cli", "--help"], env, tree))
    median = statistics.median
    return {
        "ours_s": median(o[0] for o in ours),
        "minimal_s": median(b[0] for b in base),
        "ratio": median(o[0] for o in ours) / median(b[0] for b in base),
        "ours_cpu": median(o[2] for o in ours),
        "minimal_cpu": median(b[2] for b in base),
        "cpu_ratio": median(o[2] for o in ours) / median(b[2] for b in base),
        "rss_mb": median(o[1] for o in ours),
        "help_s": median(h[0] for h in helps),
        "help_cpu": median(h[1] for h in helps),
    }


def main(runs: int, before: Path | None) -> None:
    trees = {"this checkout": Path(__file__).resolve().parents[1]}
    if before is not None:
        trees = {"before": before.resolve(), **trees}
    print(f"medians of {runs} runs; CPU = user + sys of the child (the machine's load does not")
    print("inflate it), wall = elapsed time (it does)")
    print(
        f"{'':<14} {'':<4} {'spawn->tools/list':>18} {'minimal SDK':>12} {'ratio':>7} "
        f"{'idle RSS':>9} {'--help':>8}"
    )
    for name, tree in trees.items():
        m = _measure(tree, runs)
        print(
            f"{name:<14} CPU  {m['ours_cpu']:>16.2f} s {m['minimal_cpu']:>10.2f} s "
            f"{m['cpu_ratio']:>6.2f}x {m['rss_mb']:>6.0f} MB {m['help_cpu']:>6.2f} s"
        )
        print(
            f"{'':<14} wall {m['ours_s']:>16.2f} s {m['minimal_s']:>10.2f} s "
            f"{m['ratio']:>6.2f}x {'':>9} {m['help_s']:>6.2f} s"
        )
    print("targets: ratio <= 1.30x, idle RSS <= 80 MB, --help <= 0.15 s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path, default=None)
    options = parser.parse_args()
    main(options.runs, options.before)
