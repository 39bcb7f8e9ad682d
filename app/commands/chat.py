"""`loyalty ask` and `loyalty chat`: the assistant for hotel staff.

    loyalty ask "Is Emma Novak close to Gold?" [--json]
    loyalty chat [--as NAME] [--model SPEC] [--mcp-url URL --mcp-token T | --mcp-command CMD]

`ask` answers one question: the answer streams to stdout and the tool calls are listed on
stderr; with `--json` one JSON object is printed instead (answer, tool calls, approvals
created, denials, token usage). It exits 0 when the model answered, 1 when the run ended
otherwise (a limit, a model error), 2 for bad options or no configured model.

The model runs as "assistant for NAME" (`policies.delegate`). In `recommend` mode its writes
are proposals: `ask` lists them (in `--json` under `proposals`) and executes none; `chat` shows
each one and the person confirms it (`/confirm ID`: the same call, now as the person, under
their own caps and thresholds) or discards it (`/discard ID`).

`chat` is a read-eval-print loop with the history kept between questions and these commands:
`/proposals`, `/confirm ID`, `/discard ID`, `/pending`, `/approve ID [COMMENT]`,
`/reject ID [COMMENT]`, `/member NAME`, `/offer ID [email|sms|app]`, `/reset`, `/help`, `/quit`.
When an offer draft the assistant proposed is confirmed, its copy is written from the stored
draft (`agent.offers`) and shown, checked by the guardrail. Approving and rejecting call the
server's `decide_approval` tool as the chatting principal, so the policy layer decides who may
(a manager, never the requester).
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from app.commands._policy_cli import run

if TYPE_CHECKING:
    from rich.console import Console

    from agent.events import AgentEvent
    from agent.mcp_tools import ToolOutcome
    from agent.models.base import ChatModel
    from agent.offers import BrandVoice
    from agent.records import RunResult, ToolCallRecord
    from agent.session import Session
    from app.session import SessionOptions

__all__ = ["ask", "chat", "register", "run_result_json"]

T = TypeVar("T")

EXIT_USAGE = 2
DEMO_HINT = "To see the assistant work offline with a scripted model, run `loyalty demo`."

ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="scripted:PATH replays a script; NAME or openai:NAME is a model on the "
        "OpenAI-compatible server (default: LOYALTY_MODEL).",
    ),
]
AsOption = Annotated[
    str | None,
    typer.Option("--as", help="Who you are: a principal named in the policy (default: staff)."),
]
UrlOption = Annotated[
    str | None, typer.Option("--mcp-url", help="A running MCP server (streamable HTTP).")
]
TokenOption = Annotated[str | None, typer.Option("--mcp-token", help="Bearer token for --mcp-url.")]
CommandOption = Annotated[
    str | None,
    typer.Option("--mcp-command", help='An MCP server over stdio, e.g. "loyalty serve".'),
]
MaxTurnsOption = Annotated[
    int, typer.Option("--max-turns", min=1, max=100, help="Model calls allowed per question.")
]


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
    app.command("chat")(chat)


def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    model: ModelOption = None,
    as_: AsOption = None,
    mcp_url: UrlOption = None,
    mcp_token: TokenOption = None,
    mcp_command: CommandOption = None,
    max_turns: MaxTurnsOption = 10,
) -> None:
    """Ask the assistant one question."""
    if not question.strip():
        _fail("the question is empty")
    _check_model(model)
    options = _options(model, as_, mcp_url, mcp_token, mcp_command, max_turns)
    result = _run(_ask_once(options, question, as_json=as_json))
    if result.termination != "final_answer":
        raise typer.Exit(1)


def chat(
    model: ModelOption = None,
    as_: AsOption = None,
    mcp_url: UrlOption = None,
    mcp_token: TokenOption = None,
    mcp_command: CommandOption = None,
    max_turns: MaxTurnsOption = 10,
    brand: Annotated[
        str, typer.Option("--brand", help="Brand name in offer copy (no digits).")
    ] = "our hotels",
    tone: Annotated[
        str, typer.Option("--tone", help="Offer copy voice: warm, formal or playful.")
    ] = "warm",
) -> None:
    """Talk to the assistant; /help lists the chat commands."""
    from pydantic import ValidationError

    from agent.offers import BrandVoice

    options = _options(model, as_, mcp_url, mcp_token, mcp_command, max_turns)
    try:
        voice = BrandVoice.model_validate({"brand": brand, "tone": tone})
    except ValidationError as exc:
        error = exc.errors()[0]
        _fail(f"--{error['loc'][0]}: {error['msg']}")
    _chat(options, voice)


# ---------------------------------------------------------------------- ask


async def _ask_once(options: SessionOptions, question: str, *, as_json: bool) -> RunResult:
    from app.session import open_session

    async with open_session(options) as session:
        if as_json:
            result = await session.ask(question, stream=False)
            typer.echo(json.dumps(run_result_json(result, session), ensure_ascii=False, indent=2))
            return result
        printer = _Printer(_console(), tools_to_stderr=True)
        result = await session.ask(question, on_event=printer.on_event)
        printer.after_run(result)
        for proposal in session.last_proposals:
            printer.console.print(
                f"📝 proposed, not written: {proposal.describe()}. `loyalty ask` executes no "
                "proposal; confirm it in `loyalty chat`, or make the call yourself "
                "(`loyalty call`).",
                markup=False,
            )
        return result


def run_result_json(result: RunResult, session: Session) -> dict[str, Any]:
    """The `--json` form of a run: everything but the message transcript."""
    data = result.model_dump(mode="json", exclude={"messages"})
    agent = session.agent
    return {
        "answer": result.final_text,
        "principal": {"name": session.principal.name, "role": session.principal.role},
        "model_acts_as": None if agent is None else {"name": agent.name, "role": agent.role},
        "proposals": [proposal.to_json() for proposal in session.last_proposals],
        **{key: value for key, value in data.items() if key != "final_text"},
    }


# ---------------------------------------------------------------------- chat


def _chat(options: SessionOptions, voice: BrandVoice) -> None:
    """The REPL: input is read here, on the main thread, while the session (MCP client and
    in-memory server) lives on an event loop in a portal thread; Ctrl-C ends the chat."""
    from anyio.from_thread import start_blocking_portal

    console = _console()
    with (
        _config_errors(),
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(
            _session_owning_model(options, _model_or_commands_only(options.model))
        ) as session,
    ):
        who = f"{session.principal.name} ({session.principal.role})"
        if session.remote:
            who += " (the remote server's token or role decides)"
        elif session.agent is not None:
            who += f"; the model acts as {session.agent.name!r}"
        console.print(
            f"loyalty chat · model {session.model.name} · acting as {who} · "
            f"{len(session.tool_names)} tools. /help lists commands, /quit ends.",
            markup=False,
        )
        repl = _Repl(session, console, _Printer(console, tools_to_stderr=False), voice)
        while True:
            try:
                line = input("you> ")
            except EOFError:
                console.print()
                return
            if not portal.call(repl.handle, line.strip()):
                return


@asynccontextmanager
async def _session_owning_model(
    options: SessionOptions, model: ChatModel
) -> AsyncIterator[Session]:
    """A session on `model`, closing the model afterwards (an OpenAI-compatible model holds an
    HTTP connection pool; a session given a model leaves closing it to the giver)."""
    from app.session import open_session

    try:
        async with open_session(options, model=model) as session:
            yield session
    finally:
        close = getattr(model, "aclose", None)
        if close is not None:
            await close()


def _model_or_commands_only(spec: str | None) -> ChatModel:
    """The configured model; without one, a stand-in that says so for each question, so the
    slash commands (which need no model) still work. Other configuration errors still stop."""
    from agent.errors import ModelNotConfigured
    from agent.models.scripted import FunctionChatModel
    from agent.models.spec import model_from_spec

    try:
        return model_from_spec(spec)
    except ModelNotConfigured as exc:
        reason = str(exc)
    typer.echo(f"note: {reason}; until then only the slash commands work (/help).", err=True)
    typer.echo(DEMO_HINT, err=True)

    def explain(*_args: object) -> str:
        return (
            f"No model is configured, so questions go unanswered ({reason}). The slash "
            "commands work without one: /pending, /approve, /reject, /member, /offer, /help."
        )

    return FunctionChatModel(explain, name="none (slash commands only)")


class _Repl:
    """The chat commands; `handle` returns False to end the chat."""

    def __init__(
        self, session: Session, console: Console, printer: _Printer, voice: BrandVoice
    ) -> None:
        self.session = session
        self.console = console
        self.printer = printer
        self.voice = voice
        self.commands: dict[str, Callable[[str], Awaitable[None]]] = {
            "/help": self.help,
            "/proposals": self.proposals,
            "/confirm": self.confirm,
            "/discard": self.discard,
            "/pending": self.pending,
            "/approve": self.approve,
            "/reject": self.reject,
            "/member": self.member,
            "/reset": self.reset,
            "/offer": self.offer,
        }

    async def handle(self, line: str) -> bool:
        if not line:
            return True
        if line in ("/quit", "/exit"):
            return False
        if not line.startswith("/"):
            result = await self.session.ask(line, on_event=self.printer.on_event)
            self.printer.after_run(result)
            for proposal in self.session.last_proposals:
                self.say(
                    f"📝 proposal {proposal.describe()}\n"
                    f"   nothing is written until you /confirm {proposal.id} "
                    f"(or /discard {proposal.id})"
                )
            for stored in _drafted_offers(result):
                await self.show_copy(stored, None)
            return True
        name, _, rest = line.partition(" ")
        command = self.commands.get(name)
        if command is None:
            self.say(f"unknown command {name}; /help lists the commands")
        else:
            await command(rest.strip())
        return True

    def say(self, text: str) -> None:
        self.console.print(text, markup=False)

    async def help(self, _: str) -> None:
        self.say(
            "/proposals               writes the assistant proposed, waiting for you\n"
            "/confirm ID              carry out a proposal as yourself (your policy applies)\n"
            "/discard ID              drop a proposal\n"
            "/pending                 approval requests waiting for a manager\n"
            "/approve ID [COMMENT]    approve a request (managers; never your own)\n"
            "/reject ID [COMMENT]     reject a request\n"
            "/member NAME             look a member up (no model involved)\n"
            "/offer ID [CHANNEL]      an offer draft's copy: email, sms or app\n"
            "/reset                   forget the conversation\n"
            "/quit                    end the chat"
        )

    async def reset(self, _: str) -> None:
        self.session.reset()
        self.say("conversation forgotten")

    async def proposals(self, _: str) -> None:
        waiting = self.session.proposals.open()
        if not waiting:
            self.say("no open proposals")
        for proposal in waiting:
            self.say(proposal.describe())

    async def confirm(self, proposal_id: str) -> None:
        from agent.proposals import ProposalNotFoundError

        if not proposal_id:
            self.say("usage: /confirm ID")
            return
        try:
            proposal, outcome = await self.session.confirm(proposal_id)
        except ProposalNotFoundError as exc:
            self.say(str(exc))
            return
        if self._failed(outcome):
            return
        body = outcome.structured or {}
        if outcome.status == "pending_approval":
            self.say(
                f"{proposal.id} confirmed: now approval {body.get('approval_id')} waits for a "
                f"manager ({body.get('rule')}: {body.get('reason')})"
            )
        else:
            self.say(f"{proposal.id} confirmed: {_summary(body) or outcome.content}")
        if proposal.tool == "draft_offer" and isinstance(body.get("result"), dict):
            await self.show_copy(body["result"], None)

    async def discard(self, proposal_id: str) -> None:
        from agent.proposals import ProposalNotFoundError

        if not proposal_id:
            self.say("usage: /discard ID")
            return
        try:
            proposal = self.session.discard(proposal_id)
        except ProposalNotFoundError as exc:
            self.say(str(exc))
            return
        self.say(f"{proposal.id} discarded; nothing was written")

    async def pending(self, _: str) -> None:
        outcome = await self.session.call_tool("list_pending_approvals", {})
        if self._failed(outcome):
            return
        rows = _items(outcome.structured, "approvals")
        if not rows:
            self.say("no pending approval requests")
            return
        for row in rows:
            self.say(_approval_line(row))

    async def approve(self, rest: str) -> None:
        await self._decide(rest, "approve")

    async def reject(self, rest: str) -> None:
        await self._decide(rest, "reject")

    async def _decide(self, rest: str, decision: str) -> None:
        approval_id, _, comment = rest.partition(" ")
        if not approval_id:
            self.say(f"usage: /{decision} ID [COMMENT]")
            return
        arguments: dict[str, Any] = {"approval_id": approval_id, "decision": decision}
        if comment.strip():
            arguments["comment"] = comment.strip()
        outcome = await self.session.call_tool("decide_approval", arguments)
        if self._failed(outcome):
            return
        self.say(f"{approval_id}: {_summary(outcome.structured) or outcome.content}")

    async def member(self, name: str) -> None:
        if not name:
            self.say("usage: /member NAME")
            return
        outcome = await self.session.call_tool("find_members", {"query": name})
        if self._failed(outcome):
            return
        found = _items(outcome.structured, "candidates")
        if not found:
            self.say(f"no member matches {name!r}")
            return
        if len(found) > 1:
            self.say(f"{len(found)} members match {name!r}; which one is meant?")
            for candidate in found:
                self.say("  " + _member_line(candidate))
            return
        customer_id = str(found[0].get("customer_id", ""))
        summary = await self.session.call_tool("get_member_summary", {"customer_id": customer_id})
        if self._failed(summary):
            return
        self.say(_member_card(summary.structured or {}))

    async def offer(self, rest: str) -> None:
        offer_id, _, channel = rest.partition(" ")
        channel = channel.strip()
        if not offer_id or channel not in ("", "email", "sms", "app"):
            self.say("usage: /offer ID [email|sms|app]")
            return
        listing = await self.session.call_tool("list_offer_drafts", {"limit": 100})
        if self._failed(listing):
            return
        stored = [o for o in _items(listing.structured, "offers") if o.get("offer_id") == offer_id]
        if not stored:
            self.say(f"no offer draft {offer_id} among the latest 100 (list_offer_drafts)")
            return
        await self.show_copy(stored[0], channel or None)

    async def show_copy(self, stored: dict[str, Any], channel: str | None) -> None:
        """The copy of a stored draft, written from its facts and checked by the guardrail."""
        from agent.offers import (
            OfferCopyRejected,
            OfferFactsError,
            draft_from_tools,
            settle_offer_copy,
            template_channel,
        )

        rewards = await self.session.call_tool("list_rewards", {})
        known = [str(r.get("name")) for r in _items(rewards.structured, "rewards")]
        try:
            draft = await draft_from_tools(self.session.call_tool, stored)
            chosen = template_channel(channel or str(stored.get("channel", "email")))
            settled = settle_offer_copy(draft, chosen, self.voice, known_rewards=known)
        except (OfferFactsError, OfferCopyRejected) as exc:
            self.say(f"no copy for offer {stored.get('offer_id')}: {exc}")
            return
        self.say(f"── {chosen} copy of offer {draft.draft_id} (checked against the draft) ──")
        self.say(settled.text.rstrip())

    def _failed(self, outcome: ToolOutcome) -> bool:
        body = outcome.structured or {}
        if outcome.status == "denied":
            self.say(f"⛔ denied by {body.get('rule')}: {body.get('reason')}")
            return True
        if outcome.status == "error":
            self.say(str(body.get("message") or outcome.content.removeprefix("Error: ")))
            return True
        return False


# ---------------------------------------------------------------------- output


class _Printer:
    """Shows a run as it happens: streamed text, one line per tool call, then what waits."""

    def __init__(self, console: Console, *, tools_to_stderr: bool, label: str = "") -> None:
        from rich.console import Console

        self.console = console
        self.tool_console = Console(stderr=True, highlight=False) if tools_to_stderr else console
        self.label = label
        self.mid_line = False

    def on_event(self, event: AgentEvent) -> None:
        from agent.events import ToolCallFinished
        from agent.models.types import TextDelta

        if isinstance(event, TextDelta):
            text = event.text if self.mid_line else self.label + event.text
            self.console.print(text, end="", markup=False, highlight=False)
            self.mid_line = not event.text.endswith("\n")
        elif isinstance(event, ToolCallFinished):
            self._end_line()
            self.tool_console.print(_tool_line(event.record), markup=False, highlight=False)

    def after_run(self, result: RunResult) -> None:
        self._end_line()
        for approval in result.approvals:
            self.console.print(
                f"⏳ pending approval {approval.approval_id} ({approval.tool}): "
                f"{approval.reason}. A manager can approve it (/approve {approval.approval_id}).",
                markup=False,
            )
        for denial in result.denials:
            self.console.print(
                f"⛔ denied ({denial.tool}) by {denial.rule}: {denial.reason}", markup=False
            )
        if result.termination != "final_answer":
            detail = f": {result.model_error}" if result.model_error else ""
            self.console.print(f"(the run ended early: {result.termination}{detail})", markup=False)

    def _end_line(self) -> None:
        if self.mid_line:
            self.console.print()
            self.mid_line = False


def _drafted_offers(result: RunResult) -> list[dict[str, Any]]:
    """The offer drafts a run stored (posted `draft_offer` results), in call order."""
    from agent.models.types import ToolMessage

    posted = {call.id for call in result.tool_calls if call.name == "draft_offer"}
    posted &= {call.id for call in result.tool_calls if call.status == "posted"}
    offers: list[dict[str, Any]] = []
    for message in result.messages:
        if isinstance(message, ToolMessage) and message.tool_call_id in posted:
            try:
                body = json.loads(message.content)
            except json.JSONDecodeError:
                continue
            if isinstance(body, dict) and isinstance(body.get("result"), dict):
                offers.append(body["result"])
    return offers


def _tool_line(record: ToolCallRecord) -> str:
    arguments = (
        record.arguments
        if isinstance(record.arguments, str)
        else ", ".join(
            f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in record.arguments.items()
        )
    )
    if len(arguments) > 80:
        arguments = arguments[:77] + "..."
    status = record.status if record.error_kind is None else f"error ({record.error_kind})"
    return f"  · {record.name}({arguments}) → {status} [{record.duration_ms:.0f} ms]"


def _items(structured: dict[str, Any] | None, key: str) -> list[dict[str, Any]]:
    """The objects listed under `key` of a tool's structured result."""
    value = (structured or {}).get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _approval_line(row: dict[str, Any]) -> str:
    """One `list_pending_approvals` row: its id and the request in one sentence."""
    summary = row.get("summary") or f"{row.get('action')} ({row.get('points')} points)"
    return f"{row.get('approval_id')}  {summary}  [{row.get('rule')}]"


def _member_line(member: dict[str, Any]) -> str:
    """One candidate of `find_members`: name, id and each membership in brief."""
    memberships = "; ".join(
        f"{m.get('program_code')} {m.get('tier_code') or '-'} #{m.get('membership_number') or '-'} "
        f"{m.get('points_available')} pts ({m.get('state')})"
        for m in member.get("memberships", [])
        if isinstance(m, dict)
    )
    name, customer_id = member.get("display_name"), member.get("customer_id")
    return f"{name}  {customer_id}  {memberships or 'no membership'}"


def _member_card(summary: dict[str, Any]) -> str:
    """A `get_member_summary` result as a few lines (no model involved); the summary's own
    sentence tells the last stay and the expiry on the enterprise's clock, the zone named."""
    from tools.loyalty.display import points as grouped

    lines = [
        f"{summary.get('display_name')} ({summary.get('customer_id')})",
        f"  stays {summary.get('stays')}, nights {summary.get('nights')}, "
        f"upcoming stays {summary.get('upcoming_stays')}",
    ]
    for membership in summary.get("memberships", []):
        balance = membership.get("balance") or {}
        points = balance.get("total", membership.get("mews_points"))
        lines.append(
            f"  {membership.get('program_name') or membership.get('program_code')}: "
            f"{membership.get('tier_name') or '-'} tier, {grouped(points)} points "
            f"({grouped(balance.get('available', points))} available), membership "
            f"#{membership.get('membership_number') or '-'} {membership.get('state')}"
        )
    if summary.get("reasoning"):
        lines.append(f"  {summary['reasoning']}")
    return "\n".join(lines)


def _summary(structured: dict[str, Any] | None) -> str:
    if not structured:
        return ""
    return ", ".join(
        f"{key}={value}"
        for key, value in structured.items()
        if isinstance(value, str | int | float | bool)
    )


# ---------------------------------------------------------------------- plumbing


def _options(
    model: str | None,
    principal: str | None,
    mcp_url: str | None,
    mcp_token: str | None,
    mcp_command: str | None,
    max_turns: int,
) -> SessionOptions:
    from agent.records import RunLimits
    from app.session import SessionOptions

    return SessionOptions(
        model=model,
        principal=principal,
        mcp_url=mcp_url,
        mcp_token=mcp_token,
        mcp_command=mcp_command,
        limits=RunLimits(max_turns=max_turns),
    )


def _check_model(spec: str | None) -> None:
    """A missing or wrong model configuration stops the command at once, before the session
    stack (MCP server, runtime, database, model client) is imported."""
    from agent.models.spec import check_model_spec

    with _config_errors():
        check_model_spec(spec)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run the command; configuration problems become a one-line message and exit code 2."""
    with _config_errors():
        return run(coroutine)
    raise AssertionError("unreachable: _config_errors exits on every error")  # for mypy


@contextmanager
def _config_errors() -> Iterator[None]:
    """`ConfigError` → `error: ...` on stderr and exit code 2 (with the demo hint when no
    model is configured)."""
    from agent.errors import ConfigError, ModelNotConfigured

    try:
        yield
    except ModelNotConfigured as exc:
        typer.echo(f"error: {exc}", err=True)
        typer.echo(DEMO_HINT, err=True)
        raise typer.Exit(EXIT_USAGE) from None
    except ConfigError as exc:
        _fail(str(exc))


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def _console() -> Console:
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False, soft_wrap=True)
