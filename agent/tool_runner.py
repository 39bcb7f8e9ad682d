"""Run the tool calls of one model turn: checks first, then the calls, concurrently.

Checks that need no server (an unknown tool, arguments that are not a JSON object, a retry of
a call the policy already denied) produce error outcomes without calling anything; the model
reads them like any other tool error. Results come back in the order of the calls, whatever
order they finish in.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

import anyio

from agent.events import OnEvent, ToolCallFinished, ToolCallStarted, emit
from agent.mcp_tools import ToolOutcome, Toolset
from agent.models.types import ArgumentsError, JsonObject, ToolCall
from agent.records import ToolCallRecord


@dataclass(frozen=True, slots=True)
class Executed:
    """One call with its outcome and the record that reports it."""

    call: ToolCall
    outcome: ToolOutcome
    record: ToolCallRecord


class ToolRunner:
    """Runs tool calls against one toolset for the length of one run."""

    def __init__(self, toolset: Toolset, on_event: OnEvent | None = None) -> None:
        self._toolset = toolset
        self._names = frozenset(spec.name for spec in toolset.specs)
        self._on_event = on_event
        self._denied: set[str] = set()

    async def run(self, calls: Sequence[ToolCall]) -> list[Executed]:
        """Run `calls` concurrently; the result is in call order."""
        results: list[Executed | None] = [None] * len(calls)

        async def run_one(index: int, call: ToolCall) -> None:
            results[index] = await self._run_one(call)

        async with anyio.create_task_group() as group:
            for index, call in enumerate(calls):
                group.start_soon(run_one, index, call)
        return [result for result in results if result is not None]

    async def _run_one(self, call: ToolCall) -> Executed:
        await emit(self._on_event, ToolCallStarted(call=call))
        started = time.perf_counter()
        arguments, outcome = await self._outcome(call)
        record = ToolCallRecord(
            id=call.id,
            name=call.name,
            arguments=arguments,
            status=outcome.status,
            duration_ms=(time.perf_counter() - started) * 1000,
            error_kind=outcome.error_kind,
            error=outcome.content if outcome.status == "error" else None,
        )
        await emit(self._on_event, ToolCallFinished(record=record))
        return Executed(call=call, outcome=outcome, record=record)

    async def _outcome(self, call: ToolCall) -> tuple[JsonObject | str, ToolOutcome]:
        if call.name not in self._names:
            known = ", ".join(sorted(self._names)) or "none"
            message = f"there is no tool named {call.name!r}. Available tools: {known}."
            return call.arguments, ToolOutcome.failure("unknown_tool", message)
        try:
            arguments = call.parsed_arguments()
        except ArgumentsError as exc:
            message = (
                f"{call.name} was not called: its {exc}. Call it again with a JSON object "
                "that matches its parameters."
            )
            return call.arguments, ToolOutcome.failure("invalid_arguments", message)
        key = _call_key(call.name, arguments)
        if key in self._denied:
            message = (
                f"{call.name} was not called: the policy already denied this exact call. "
                "Do not retry it; explain the denial to the user."
            )
            return arguments, ToolOutcome.failure("repeated_denial", message)
        outcome = await self._toolset.call(call.name, arguments)
        if outcome.status == "denied":
            self._denied.add(key)
        return arguments, outcome


def _call_key(name: str, arguments: JsonObject) -> str:
    return json.dumps([name, arguments], sort_keys=True, default=str)
