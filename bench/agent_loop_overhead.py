"""Agent loop overhead per turn, excluding the model.

A scripted model (whose own time is measured and subtracted) drives `run_agent` against an
in-process MCP server with one trivial tool; each run has TURNS tool-calling turns and a final
answer. What remains is the loop itself: building requests, streaming events, checking and
running the tool call through the MCP client and server, and bookkeeping. Target: < 5 ms.

    python -m bench.agent_loop_overhead [--runs 50] [--turns 10] [--check]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import AsyncIterator

import anyio
from mcp.server.mcpserver import MCPServer

from agent import RunLimits, ScriptedChatModel, connect_mcp, run_agent, tool_turn
from agent.models import ChatEvent, ChatRequest, ChatResponse

TARGET_MS = 5.0


class _TimedModel:
    """Wraps a model and adds up the time spent inside it."""

    def __init__(self, inner: ScriptedChatModel) -> None:
        self.inner = inner
        self.seconds = 0.0

    @property
    def name(self) -> str:
        return self.inner.name

    async def complete(self, request: ChatRequest) -> ChatResponse:
        started = time.perf_counter()
        try:
            return await self.inner.complete(request)
        finally:
            self.seconds += time.perf_counter() - started

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatEvent]:
        stream = self.inner.stream(request)
        while True:
            started = time.perf_counter()
            try:
                event = await anext(stream)
            except StopAsyncIteration:
                return
            finally:
                self.seconds += time.perf_counter() - started
            yield event


def _server() -> MCPServer:
    server = MCPServer("bench")

    @server.tool()
    def ping(n: int) -> int:
        """Echo n."""
        return n

    return server


async def _measure(runs: int, turns: int) -> list[float]:
    per_turn_ms: list[float] = []
    limits = RunLimits(max_turns=turns + 1, max_tool_calls=turns)
    async with connect_mcp(_server()) as tools:
        for run in range(runs + 1):
            script = [tool_turn(("ping", {"n": i})) for i in range(turns)] + ["done"]
            model = _TimedModel(ScriptedChatModel(script))
            started = time.perf_counter()
            result = await run_agent(model, tools, "go", limits=limits)
            elapsed = time.perf_counter() - started
            assert result.termination == "final_answer", result.termination
            assert all(call.status == "ok" for call in result.tool_calls)
            if run:  # the first run warms caches (schema validators, imports)
                per_turn_ms.append((elapsed - model.seconds) / result.turns * 1000)
    return per_turn_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--check", action="store_true", help="exit 1 when over the target")
    options = parser.parse_args()
    samples = anyio.run(_measure, options.runs, options.turns)
    median = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[-1]
    verdict = "ok" if median < TARGET_MS else "OVER TARGET"
    print(
        f"agent loop overhead per turn (model excluded): median {median:.3f} ms, "
        f"p95 {p95:.3f} ms over {options.runs} runs x {options.turns + 1} turns "
        f"[target < {TARGET_MS} ms: {verdict}]"
    )
    return 1 if options.check and median >= TARGET_MS else 0


if __name__ == "__main__":
    sys.exit(main())
