"""Conversations with the assistant, one per user, kept in memory by this process.

A question runs as a task of the app (not of the request), so that a closed browser tab does
not cut a run in half: the answer still joins the conversation. While it runs, its events go to
whoever listens (the streaming response): `text` deltas, one `tool` card per tool call (tool,
status, a one-line result summary, the approval id when one was created), then `done`.

Each run opens an in-memory MCP session on the shared runtime for the model, which acts as the
delegated principal "assistant for NAME" (the same server, delegation and system prompt as
`loyalty chat`: the app that builds the web app passes `app.session.runtime_server`), with the
history so far. In `recommend` mode the model's
writes are proposals: their cards carry the proposal id, and the user confirms one (`settle`:
the same tool and arguments, called as the user, under the user's own policy) or discards it.
A restart forgets every conversation; the audit log and approvals stay in the database.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectSendStream

from agent.errors import ConfigError
from agent.events import AgentEvent, ToolCallFinished
from agent.mcp_connect import connect_mcp
from agent.mcp_tools import McpToolset, ToolOutcome
from agent.models.base import ChatModel
from agent.models.types import JsonObject, Message, TextDelta
from agent.proposals import Proposal, ProposalBook
from agent.records import RunLimits, RunResult, ToolCallRecord
from agent.session import ServerFactory, Session, delegated, system_prompt
from policies import Controls, Principal
from tools.actions.approval_views import describe_request
from tools.runtime import LoyaltyRuntime
from tools.server.catalog import TIME_ZONE_META
from web.conversations import ConversationStore
from web.markdown import render as render_markdown

__all__ = [
    "ChatBusyError",
    "ChatService",
    "Conversation",
    "Exchange",
    "ModelFactory",
    "Settled",
    "ToolCard",
    "summarize",
]

_log = logging.getLogger(__name__)

ModelFactory = Callable[[], ChatModel]
"""Builds the model for one question (a scripted model is used up by one run)."""

MAX_EXCHANGES = 50
SUMMARY_CHARS = 160
STATUS_TEXT = {
    "ok": "read",
    "posted": "done",
    "pending_approval": "waits for a manager",
    "proposed": "proposed: yours to confirm",
    "denied": "refused",
    "error": "failed",
}
"""A tool card's status as staff read it (the outcome's status is the protocol's word)."""


@dataclass
class ToolCard:
    name: str
    status: str
    summary: str
    approval_id: str | None = None
    proposal_id: str | None = None
    title: str = ""
    """The tool's title ("Award points"): what a person reads; the name stays for the log."""

    @property
    def status_text(self) -> str:
        return STATUS_TEXT.get(self.status, self.status.replace("_", " "))

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "tool",
            "name": self.name,
            "title": self.title or self.name,
            "status_text": self.status_text,
            "status": self.status,
            "summary": self.summary,
            "approval_id": self.approval_id,
            "proposal_id": self.proposal_id,
        }


@dataclass
class Exchange:
    question: str
    answer: str = ""
    tools: list[ToolCard] = field(default_factory=list)
    state: Literal["running", "done", "failed"] = "running"
    note: str | None = None
    """Why the run ended without an answer (a limit, a model error, no model configured)."""

    def done_json(self) -> dict[str, Any]:
        return {
            "type": "done",
            "state": self.state,
            "answer": self.answer,
            "html": str(render_markdown(self.answer)),  # escaped first: safe to insert
            "note": self.note,
        }


@dataclass
class Conversation:
    history: list[Message] = field(default_factory=list)
    exchanges: deque[Exchange] = field(default_factory=lambda: deque(maxlen=MAX_EXCHANGES))
    running: bool = False
    proposals: ProposalBook = field(default_factory=ProposalBook)
    carded: set[str] = field(default_factory=set)
    """Proposal ids that already have a card."""

    def is_open(self, proposal_id: str | None) -> bool:
        return proposal_id is not None and proposal_id in {p.id for p in self.proposals.open()}

    def card_proposal(self, record: ToolCallRecord) -> str | None:
        """The proposal a `proposed` call made (the oldest open one of that call not carded)."""
        for proposal in self.proposals.open():
            same = proposal.tool == record.name and proposal.arguments == record.arguments
            if same and proposal.id not in self.carded:
                self.carded.add(proposal.id)
                return proposal.id
        return None


@dataclass(frozen=True)
class Settled:
    """What came of confirming or discarding a proposal."""

    proposal: Proposal
    decision: Literal["confirm", "discard"]
    outcome: ToolOutcome | None = None


class ChatBusyError(Exception):
    """The user's previous question is still being answered."""


class _RecordingTools(McpToolset):
    """The session's MCP tools, keeping each outcome for the tool card of its call, and for a
    proposed write the sentence the inbox would use (the card tells the person what they are
    confirming: who, how much, why)."""

    def __init__(self, tools: McpToolset, runtime: LoyaltyRuntime) -> None:
        super().__init__(tools.client, tools.tools)
        self.runtime = runtime
        self.outcomes: dict[str, deque[ToolOutcome]] = defaultdict(deque)
        self.sentences: dict[str, str] = {}

    async def call(self, name: str, arguments: JsonObject) -> ToolOutcome:
        outcome = await super().call(name, arguments)
        key = _call_key(name, arguments)
        if outcome.status == "proposed" and key not in self.sentences:
            self.sentences[key] = await describe_request(self.runtime, name, dict(arguments))
        self.outcomes[key].append(outcome)
        return outcome

    def sentence_for(self, record: ToolCallRecord) -> str:
        if not isinstance(record.arguments, dict):
            return ""
        return self.sentences.get(_call_key(record.name, record.arguments), "")

    def outcome_for(self, record: ToolCallRecord) -> ToolOutcome | None:
        if not isinstance(record.arguments, dict):
            return None
        waiting = self.outcomes.get(_call_key(record.name, record.arguments))
        return waiting.popleft() if waiting else None


def _clock(tz: ZoneInfo | None) -> dict[str, Any] | None:
    """The request `_meta` asking the tools for times on the page's hotel clock."""
    return None if tz is None else {TIME_ZONE_META: tz.key}


def _call_key(name: str, arguments: JsonObject) -> str:
    return name + json.dumps(arguments, sort_keys=True, default=str)


class ChatService:
    """Every user's conversation, and the runs that extend them."""

    def __init__(
        self,
        runtime: LoyaltyRuntime,
        server: ServerFactory,
        model_factory: ModelFactory,
        task_group: TaskGroup,
        *,
        limits: RunLimits | None = None,
    ) -> None:
        self.runtime = runtime
        self.server = server
        self.model_factory = model_factory
        self.stored = ConversationStore(runtime.store)
        self.task_group = task_group
        self.limits = limits or RunLimits()
        self._conversations: dict[str, Conversation] = {}

    Busy = ChatBusyError

    def conversation(self, user: str) -> Conversation:
        if user not in self._conversations:
            self._conversations[user] = self._resumed(user)
        return self._conversations[user]

    def _resumed(self, user: str) -> Conversation:
        """The user's conversation as the database has it (a restart resumes it)."""
        conversation = Conversation()
        stored = self.stored.load(user)
        if stored is None:
            return conversation
        conversation.history, exchanges = stored
        for data in exchanges:
            try:
                tools = [ToolCard(**card) for card in data.get("tools", [])]
                exchange = Exchange(**{**data, "tools": tools})
            except TypeError:
                continue  # a row of another program version: skipped, not fatal
            if exchange.state == "running":  # the process stopped while it was answered
                exchange.state = "failed"
                exchange.note = "the server restarted before this answer was finished"
            conversation.exchanges.append(exchange)
        return conversation

    def reset(self, user: str) -> None:
        if self.conversation(user).running:
            raise ChatBusyError
        self._conversations[user] = Conversation()
        self.stored.forget(user)

    def start(
        self, principal: Principal, question: str, tz: ZoneInfo | None = None
    ) -> tuple[Exchange, AsyncIterator[dict[str, Any]]]:
        """Start answering `question`; the iterator yields its events until `done`. The tools
        tell times on `tz` (the hotel the page shows), else on the policy's clock.
        Raises `ChatService.Busy` while the user's previous question runs."""
        conversation = self.conversation(principal.name)
        if conversation.running:
            raise ChatBusyError
        conversation.running = True
        exchange = Exchange(question=question)
        conversation.exchanges.append(exchange)
        send, receive = anyio.create_memory_object_stream[dict[str, Any]](max_buffer_size=1000)
        self.task_group.start_soon(self._run, principal, conversation, exchange, send, tz)

        async def events() -> AsyncIterator[dict[str, Any]]:
            with receive:
                async for event in receive:
                    yield event

        return exchange, events()

    async def _run(
        self,
        principal: Principal,
        conversation: Conversation,
        exchange: Exchange,
        send: MemoryObjectSendStream[dict[str, Any]],
        tz: ZoneInfo | None,
    ) -> None:
        def emit(event: dict[str, Any]) -> None:
            # nobody listening any more is fine: the exchange still records everything
            with suppress(anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.WouldBlock):
                send.send_nowait(event)

        with send:
            try:
                result = await self._ask(principal, conversation, exchange, emit, tz)
            except ConfigError as exc:
                exchange.state, exchange.note = "failed", str(exc)
            except Exception:  # the edge of a run: the user sees a message, the log the rest
                _log.exception("a chat run failed")
                exchange.state = "failed"
                exchange.note = "the assistant failed unexpectedly; the server log has details"
            else:
                conversation.history = list(result.messages)
                _finish(exchange, result)
            finally:
                conversation.running = False
            await self._save(principal.name, conversation)
            emit(exchange.done_json())

    async def _save(self, user: str, conversation: Conversation) -> None:
        try:
            await anyio.to_thread.run_sync(
                self.stored.save, user, conversation.history, list(conversation.exchanges)
            )
        except Exception:  # the answer still shows; only resuming after a restart is lost
            _log.exception("the conversation of %s could not be stored", user)

    async def _ask(
        self,
        principal: Principal,
        conversation: Conversation,
        exchange: Exchange,
        emit: Callable[[dict[str, Any]], None],
        tz: ZoneInfo | None,
    ) -> RunResult:
        runtime = self.runtime
        model = self.model_factory()
        agent = delegated(runtime.policy, principal)
        try:
            async with (
                self.server(agent) as server,
                connect_mcp(server) as connected,
            ):
                tools = _RecordingTools(connected, runtime)
                tools.request_meta = _clock(tz)
                titles = {tool.name: tool.title or tool.name for tool in connected.tools}
                session = Session(
                    model=model,
                    tools=tools,
                    principal=principal,
                    policy=runtime.policy,
                    system_prompt=system_prompt(
                        runtime.policy,
                        principal,
                        today=runtime.clock.now().date(),
                        mode=Controls(runtime.guard).mode().mode,
                        agent=agent,
                    ),
                    limits=self.limits,
                    history=list(conversation.history),
                    agent=agent,
                    proposals=conversation.proposals,
                )

                def on_event(event: AgentEvent) -> None:
                    if isinstance(event, TextDelta):
                        exchange.answer += event.text
                        emit({"type": "text", "text": event.text})
                    elif isinstance(event, ToolCallFinished):
                        card = _card(event.record, tools.outcome_for(event.record))
                        card.title = titles.get(card.name, card.name)
                        if card.status == "proposed" and tools.sentence_for(event.record):
                            card.summary = (
                                f"{tools.sentence_for(event.record)}. "
                                "Nothing is written until you confirm."
                            )
                        if card.status == "proposed":
                            card.proposal_id = conversation.card_proposal(event.record)
                        exchange.tools.append(card)
                        emit(card.to_json())

                return await session.ask(exchange.question, on_event=on_event)
        finally:
            close = getattr(model, "aclose", None)
            if close is not None:
                await close()

    async def settle(
        self,
        principal: Principal,
        proposal_id: str,
        decision: Literal["confirm", "discard"],
        tz: ZoneInfo | None = None,
    ) -> Settled:
        """Confirm (call the proposed tool as the user) or discard one of the user's proposals;
        `ProposalNotFoundError` when it is not open."""
        conversation = self.conversation(principal.name)
        proposal = conversation.proposals.take(proposal_id)
        if decision == "discard":
            return Settled(proposal, decision)
        async with (
            self.server(principal) as server,
            connect_mcp(server) as connected,
        ):
            connected.request_meta = _clock(tz)
            outcome = await connected.call(proposal.tool, proposal.arguments)
        return Settled(proposal, decision, outcome)


def _finish(exchange: Exchange, result: RunResult) -> None:
    if result.final_text is not None:
        exchange.answer = result.final_text
    if result.termination == "final_answer":
        exchange.state = "done"
        return
    exchange.state = "failed"
    detail = f": {result.model_error}" if result.model_error else ""
    exchange.note = f"the run ended early ({result.termination}){detail}"


def _card(record: ToolCallRecord, outcome: ToolOutcome | None) -> ToolCard:
    structured = outcome.structured if outcome is not None else None
    approval_id = None
    if record.status == "pending_approval" and structured:
        approval_id = str(structured.get("approval_id") or "") or None
    summary = (
        summarize(record.name, outcome) if outcome is not None else record.error or record.status
    )
    return ToolCard(record.name, record.status, summary, approval_id)


def summarize(name: str, outcome: ToolOutcome) -> str:
    """One line of what a tool returned, for its card."""
    body = outcome.structured or {}
    if outcome.status == "pending_approval":
        text = f"waits for a manager ({body.get('approval_id')}): {body.get('reason')}"
    elif outcome.status == "proposed":
        text = f"{body.get('note') or name}. Nothing is written until you confirm."
    elif outcome.status == "denied":
        text = f"denied by {body.get('rule')}: {body.get('reason')}"
    elif outcome.status == "error":
        text = outcome.content.removeprefix("Error: ")
    elif outcome.status == "posted":
        text = "posted" + _posted_detail(body.get("result"))
    elif isinstance(body.get("reasoning"), str):
        text = str(body["reasoning"])
    elif isinstance(body.get("candidates"), list):
        names = [str(c.get("display_name")) for c in body["candidates"] if isinstance(c, dict)]
        text = f"{len(names)} found" + (f": {', '.join(names)}" if names else "")
    else:
        text = _scalars(body) or outcome.content
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def _posted_detail(result: Any) -> str:
    if not isinstance(result, dict):
        return ""
    parts = [
        f"{key.replace('_', ' ')} {result[key]}"
        for key in ("points", "balance", "offer_id")
        if result.get(key) is not None
    ]
    return f": {', '.join(parts)}" if parts else ""


def _scalars(body: dict[str, Any]) -> str:
    parts = []
    for key, value in body.items():
        if isinstance(value, list):
            parts.append(f"{len(value)} {key}")
        elif isinstance(value, str | int | float | bool):
            parts.append(f"{key} {value}")
    return ", ".join(parts)
