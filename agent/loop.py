"""The agent loop: ask the model, run the tools it asks for, repeat until it answers.

    async with connect_mcp(server) as tools:
        result = await run_agent(model, tools, "Is Emma Novak close to Gold?",
                                 system_prompt=render("system.md.j2", ...))
    print(result.final_text, result.termination, result.approvals)

Each turn resolves to a step (`agent.steps`): `FinalAnswer` ends the run; `RunTools` and
`AwaitApproval` go round again. The run is bounded by `RunLimits` and always returns a
`RunResult`; only misconfiguration raises.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from mcp import Client

from agent.errors import ModelError
from agent.events import OnEvent, emit
from agent.mcp_tools import McpToolset, Toolset
from agent.models.base import ChatModel, collect
from agent.models.types import (
    AssistantMessage,
    ChatEvent,
    ChatRequest,
    ChatResponse,
    Message,
    SystemMessage,
    TextDelta,
    ToolCall,
    ToolMessage,
    Usage,
    UserMessage,
)
from agent.records import (
    ApprovalRecord,
    DenialRecord,
    RunLimits,
    RunResult,
    Termination,
    ToolCallRecord,
)
from agent.steps import (
    AwaitApproval,
    FinalAnswer,
    RunTools,
    step_after_tools,
    step_for_response,
)
from agent.tool_runner import Executed, ToolRunner

DENIAL_NOTE = (
    "A tool call was just denied by the loyalty policy. Do not retry it and do not try to reach "
    "the same result another way, for example by splitting an award into smaller ones: caps "
    "are counted over a time window, so the split is denied too. Tell the user what was "
    "denied and which rule applied; a manager can decide what happens next."
)
"""Appended once per conversation, after the first denial, as a system message."""


async def run_agent(
    model: ChatModel,
    tools: Toolset | Client,
    conversation: str | Sequence[Message],
    *,
    system_prompt: str | None = None,
    limits: RunLimits | None = None,
    on_event: OnEvent | None = None,
    stream: bool = True,
) -> RunResult:
    """Run the agent until the model gives a final answer or a limit is reached.

    `tools` is a `Toolset` (e.g. from `connect_mcp`, listed once and reusable across runs)
    or a connected `mcp.Client` (its tools are listed now). `conversation` is the user's
    message, or the messages so far for a multi-turn chat (`result.messages` of the last
    run plus a new `UserMessage`). `system_prompt`, when given, becomes the first message,
    replacing a leading system message already in the conversation. With `stream`, the model
    is streamed and `on_event` receives text deltas as they arrive.
    """
    toolset = await McpToolset.load(tools) if isinstance(tools, Client) else tools
    run = _Run(
        model=model,
        toolset=toolset,
        messages=_initial_messages(conversation, system_prompt),
        limits=limits or RunLimits(),
        on_event=on_event,
        stream=stream,
    )
    return await run.execute()


def _initial_messages(
    conversation: str | Sequence[Message], system_prompt: str | None
) -> list[Message]:
    messages: list[Message] = (
        [UserMessage(content=conversation)] if isinstance(conversation, str) else list(conversation)
    )
    if system_prompt is None:
        return messages
    if messages and isinstance(messages[0], SystemMessage):
        messages = messages[1:]
    return [SystemMessage(content=system_prompt), *messages]


@dataclass(eq=False, kw_only=True)
class _Run:
    """The state of one run; each method is one named step of the loop."""

    model: ChatModel
    toolset: Toolset
    messages: list[Message]
    limits: RunLimits
    on_event: OnEvent | None
    stream: bool
    records: list[ToolCallRecord] = field(default_factory=list)
    approvals: list[ApprovalRecord] = field(default_factory=list)
    denials: list[DenialRecord] = field(default_factory=list)
    turns: int = 0
    usage: Usage = field(default_factory=Usage)
    error_streak: int = 0
    started: float = field(default_factory=time.perf_counter)
    runner: ToolRunner = field(init=False)

    def __post_init__(self) -> None:
        self.runner = ToolRunner(self.toolset, self.on_event)

    async def execute(self) -> RunResult:
        while True:
            if self.turns >= self.limits.max_turns:
                return self.finish("max_turns")
            try:
                response = await self.ask_model()
            except ModelError as exc:
                return self.finish("model_error", model_error=str(exc))
            step = step_for_response(response)
            if isinstance(step, FinalAnswer):
                await emit(self.on_event, step)
                return self.finish("final_answer", final_text=step.text)
            if len(self.records) + len(step.calls) > self.limits.max_tool_calls:
                self.decline(step.calls)
                return self.finish("max_tool_calls")
            await emit(self.on_event, await self.run_tools(step))
            if self.error_streak >= self.limits.max_consecutive_errors:
                return self.finish("too_many_errors")

    async def ask_model(self) -> ChatResponse:
        request = ChatRequest(messages=tuple(self.messages), tools=self.toolset.specs)
        self.turns += 1
        if self.stream:
            response = await collect(self._forward_text(request))
        else:
            response = await self.model.complete(request)
        self.usage += response.usage
        self.messages.append(
            AssistantMessage(content=response.text, tool_calls=response.tool_calls)
        )
        return response

    async def _forward_text(self, request: ChatRequest) -> AsyncIterator[ChatEvent]:
        async for event in self.model.stream(request):
            if isinstance(event, TextDelta):
                await emit(self.on_event, event)
            yield event

    async def run_tools(self, step: RunTools) -> RunTools | AwaitApproval:
        executed = await self.runner.run(step.calls)
        approvals = [approval for item in executed if (approval := self.record(item))]
        if self.denials and SystemMessage(content=DENIAL_NOTE) not in self.messages:
            self.messages.append(SystemMessage(content=DENIAL_NOTE))
        return step_after_tools([item.record for item in executed], approvals, step.calls)

    def record(self, item: Executed) -> ApprovalRecord | None:
        """Book one executed call; returns the approval it created, if any."""
        call, outcome = item.call, item.outcome
        self.records.append(item.record)
        self.messages.append(_tool_message(call, outcome.content, is_error=outcome.is_error))
        body = outcome.structured or {}
        if outcome.status == "denied":
            self.denials.append(
                DenialRecord(
                    rule=str(body.get("rule", "")),
                    reason=str(body.get("reason", "")),
                    tool=call.name,
                    call_id=call.id,
                )
            )
            return None
        self.error_streak = self.error_streak + 1 if outcome.status == "error" else 0
        if outcome.status != "pending_approval":
            return None
        approval = ApprovalRecord(
            approval_id=str(body.get("approval_id", "")),
            reason=str(body.get("reason", "")),
            tool=call.name,
            call_id=call.id,
        )
        self.approvals.append(approval)
        return approval

    def decline(self, calls: Sequence[ToolCall]) -> None:
        """Answer calls that will not run, so the conversation stays valid to continue."""
        limit = self.limits.max_tool_calls
        note = f"Error: not run; this request reached its limit of {limit} tool calls."
        self.messages.extend(_tool_message(call, note, is_error=True) for call in calls)

    def finish(
        self,
        termination: Termination,
        *,
        final_text: str | None = None,
        model_error: str | None = None,
    ) -> RunResult:
        return RunResult(
            termination=termination,
            final_text=final_text,
            model=self.model.name,
            messages=tuple(self.messages),
            tool_calls=tuple(self.records),
            approvals=tuple(self.approvals),
            denials=tuple(self.denials),
            turns=self.turns,
            usage=self.usage,
            wall_time_s=time.perf_counter() - self.started,
            model_error=model_error,
        )


def _tool_message(call: ToolCall, content: str, *, is_error: bool) -> ToolMessage:
    return ToolMessage(tool_call_id=call.id, name=call.name, content=content, is_error=is_error)
