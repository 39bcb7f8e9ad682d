"""`loyalty demo`: an offline walk-through of the whole pipeline with a scripted model.

Everything but the model is real: a fresh in-memory Mews sandbox (the seeded demo chain), a
temporary SQLite store, the shipped policy and program files, the loyalty engine and the MCP
server in memory, reached through the same agent loop and MCP client as `loyalty chat`. The
model is a `FunctionChatModel` whose turns are fixed but read the ids and figures from the tool
results of the run (nothing is hard-coded but the questions), and it is labelled as scripted
wherever it speaks.

    1. a member question: Emma Novak's balance and tier       (staff: carol)
    2. an award above the approval threshold: the model (acting as "assistant for carol")
       only proposes it; carol confirms it, which, above the threshold, makes it a pending
       approval under her name, not a posting
    3. the requester cannot approve it; a manager (alice) does
    4. the new balance read back from Mews (the sandbox), through the Mews client
    5. an offer drafted from the rewards recommended for her (proposed, confirmed), with its
       copy checked
    6. `loyalty audit verify` over the run's audit chain
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import typer

from app.commands._policy_cli import run as run_loop

if TYPE_CHECKING:
    from rich.console import Console

    from agent.models.scripted import Turn
    from agent.models.types import JsonObject, Message, ToolSpec
    from agent.session import Session
    from tools.runtime import LoyaltyRuntime

__all__ = ["register", "run_demo"]

STAFF = "carol"
MANAGER = "alice"
MEMBER = "Emma Novak"
AWARD_POINTS = 2500
DEMO_CUSTOMERS = 60
"""Sandbox guests besides the story members: enough for a realistic chain, quick to seed."""

Step: TypeAlias = "Callable[[list[Any]], Turn] | Turn"
"""A scripted turn: fixed, or computed from the tool results of this question so far."""


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo() -> None:
    """Walk through the assistant offline: sandbox, policy, approvals, Mews, audit."""
    ok = run_loop(run_demo(_console()))
    if not ok:
        raise typer.Exit(1)


async def run_demo(console: Console) -> bool:
    """Run every step, printing what happens; True when every check held."""
    started = time.perf_counter()
    import tempfile

    with tempfile.TemporaryDirectory(prefix="loyalty-demo-") as folder:
        async with _demo_runtime(Path(folder)) as runtime:
            ok = await _Walkthrough(runtime, console).run()
    outcome = "✔ demo finished" if ok else "✘ demo failed"
    console.print(f"\n{outcome} in {time.perf_counter() - started:.1f} s", markup=False)
    return ok


@asynccontextmanager
async def _demo_runtime(folder: Path) -> AsyncIterator[LoyaltyRuntime]:
    from policies.config import DEFAULT_POLICY_PATH
    from tools.loyalty import default_program_path
    from tools.runtime import LoyaltyRuntime
    from tools.sandbox import Sandbox

    sandbox = Sandbox.seeded(customers=DEMO_CUSTOMERS)
    async with await LoyaltyRuntime.open(
        database_url=f"sqlite:///{folder / 'demo.db'}",
        policy_file=DEFAULT_POLICY_PATH,
        program_file=default_program_path(),
        sandbox=sandbox,
    ) as runtime:
        yield runtime


class _Walkthrough:
    def __init__(self, runtime: LoyaltyRuntime, console: Console) -> None:
        self.runtime = runtime
        self.console = console
        self.ok = True
        self.member: dict[str, Any] = {}
        self.posted_balance: Any = None

    def say(self, text: str = "") -> None:
        self.console.print(text, markup=False, highlight=False)

    def heading(self, number: int, title: str) -> None:
        self.say(f"\n── Step {number}/6 · {title} " + "─" * max(0, 60 - len(title)))

    def check(self, passed: bool, what: str) -> None:
        self.say(f"  {'✔' if passed else '✘'} {what}")
        self.ok = self.ok and passed

    async def run(self) -> bool:
        self.say(
            "loyalty demo · an offline walk-through on a fresh Mews sandbox and a temporary "
            "database.\nThe assistant's model is SCRIPTED (no AI is called): its turns are "
            "fixed, and read their ids\nand figures from the tool results. Everything else is "
            "the real product: MCP server,\npolicy layer, ledger, approvals, Mews client, audit "
            "chain."
        )
        async with self.session(STAFF) as staff:
            self.say(
                f"Acting as {staff.principal.name} ({staff.principal.role}); "
                f"{len(staff.tool_names)} tools."
            )
            await self.question(staff)
            approval_id = await self.award(staff) if self.ok else None
            before = await self.mews_points()
            if approval_id:
                await self.own_approval_refused(staff, approval_id)
                async with self.session(MANAGER) as manager:
                    await self.approve(manager, approval_id)
                await self.mews_readback(before)
                await self.offer(staff)
        await self.audit()
        return self.ok

    @asynccontextmanager
    async def session(self, name: str) -> AsyncIterator[Session]:
        from app.session import SessionOptions, open_session, runtime_server

        async with open_session(
            SessionOptions(principal=name),
            model=_scripted("idle", []),
            server=runtime_server(self.runtime),
            policy=self.runtime.policy,
            today=self.runtime.clock.now().date(),
        ) as session:
            yield session

    async def ask(self, session: Session, question: str, steps: Sequence[Step]) -> Any:
        from app.commands.chat import _Printer

        session.model = _scripted(question, steps)
        self.say(f"\n{session.principal.name}> {question}")
        printer = _Printer(self.console, tools_to_stderr=False, label="assistant (scripted)> ")
        result = await session.ask(question, on_event=printer.on_event)
        printer.after_run(result)
        self.check(result.termination == "final_answer", f"the run ended: {result.termination}")
        return result

    # ------------------------------------------------------------------ the steps

    async def question(self, session: Session) -> None:
        self.heading(1, "a member question")

        def look_up(results: list[Any]) -> Turn:
            candidate = _first(results[-1], "candidates")
            membership = _first(candidate, "memberships")
            self.member = {
                "customer_id": candidate["customer_id"],
                "name": candidate["display_name"],
                "membership_id": membership["membership_id"],
            }
            arguments = {"customer_id": candidate["customer_id"]}
            from agent.models.scripted import tool_turn

            return tool_turn(("get_member_summary", arguments), ("get_tier_progress", arguments))

        def answer(results: list[Any]) -> Turn:
            summary, progress = results[-2], results[-1]
            membership = _first(summary, "memberships")
            balance = membership.get("balance") or {}
            points = balance.get("total", membership.get("mews_points"))
            needed = int(progress.get("needed_for_next") or 0)
            basis = str(progress.get("basis"))
            return (
                f"{summary['display_name']} has {points:,} points "
                f"({balance.get('available', points):,} available) and is in the "
                f"{membership.get('tier_name')} tier. She needs {needed:,} more "
                f"{basis if needed != 1 else basis.removesuffix('s')} (counting "
                f"{progress.get('period_label')}) to reach {progress.get('next_tier_name')}. "
                f"Her membership expires on {str(membership.get('expiration'))[:10]}."
            )

        await self.ask(
            session,
            f"How many points does {MEMBER} have, and is she close to the next tier?",
            [_call("find_members", {"query": MEMBER}), look_up, answer],
        )
        self.check(self.member.get("name") == MEMBER, f"found {MEMBER} by name, then by her id")

    async def offer(self, session: Session) -> None:
        from agent.offers import BrandVoice, draft_from_tools, settle_offer_copy

        self.heading(5, "an offer drafted, its copy checked")
        today = self.runtime.clock.now().date()
        picked: dict[str, Any] = {}

        def draft(results: list[Any]) -> Turn:
            picked.update(_first(results[-1], "recommended"))
            return _call(
                "draft_offer",
                {
                    "customer_id": self.member["customer_id"],
                    "membership_id": self.member["membership_id"],
                    "reward_id": picked["reward_id"],
                    "valid_from": today.isoformat(),
                    "valid_until": (today + timedelta(days=30)).isoformat(),
                    "channel": "email",
                    "rationale": f"Top recommendation for her stays: {picked['reason']}",
                },
            )

        def answer(results: list[Any]) -> Turn:
            return (
                f"I proposed an offer draft ({results[-1].get('proposal_id')}): "
                f"{picked['reward_name']} for {picked['price_points']:,} points, by email. "
                "Confirm it to store the draft; nothing is ever sent."
            )

        await self.ask(
            session,
            f"Draft a personalised email offer for {MEMBER}.",
            [
                _call("recommend_rewards", {"customer_id": self.member["customer_id"]}),
                draft,
                answer,
            ],
        )
        confirmed = await self.confirm(session)
        offer = (confirmed or {}).get("result") or {}
        self.check(
            (confirmed or {}).get("status") == "posted",
            f"offer draft {offer.get('offer_id')} stored (nothing sent)",
        )
        if not offer:
            return
        structured = await draft_from_tools(session.call_tool, offer)
        self.say(
            f"\n  The stored draft, completed through the tools: {structured.member_name}, "
            f"{structured.reward_name}, {structured.points:,} points, valid "
            f"{structured.valid_from} to {structured.valid_until}."
        )
        careless = (
            f"Dear {structured.first_name}, enjoy {structured.reward_name} for just "
            f"{structured.points // 2:,} points until 31 December."
        )
        self.say("\n  Copy proposed in free text (deliberately careless, to show the guardrail):")
        self.say(f"    {careless}")
        voice = BrandVoice(brand="Hotel Aurora", program="Platinum Club", tone="warm")
        settled = settle_offer_copy(structured, "email", voice, proposed=careless)
        for problem in settled.problems:
            self.say(f"    ✘ {problem.message}")
        self.check(
            settled.redrafted, "the guardrail refused it; the copy was redrafted from the draft:"
        )
        for line in settled.text.strip().splitlines():
            self.say(f"    │ {line}")

    async def award(self, session: Session) -> str | None:
        self.heading(2, "an award above the approval threshold, proposed and confirmed")
        threshold = self.runtime.policy.approvals.points_above
        self.say(f"  (the policy asks a manager to approve point movements above {threshold:,})")

        def answer(results: list[Any]) -> Turn:
            body = results[-1]
            if body.get("status") == "proposed":
                return (
                    f"I proposed the award of {AWARD_POINTS:,} points "
                    f"({body.get('proposal_id')}); nothing is posted until you confirm it."
                )
            return f"The award was not proposed: {body}"

        await self.ask(
            session,
            f"Award {MEMBER} {AWARD_POINTS:,} points: the spa was closed during her last stay.",
            [
                _call(
                    "award_points",
                    {
                        "membership_id": self.member["membership_id"],
                        "points": AWARD_POINTS,
                        "reason": "Spa closed during her last stay",
                    },
                ),
                answer,
            ],
        )
        proposals = session.last_proposals
        self.check(
            len(proposals) == 1, "the model's award is a proposal: nothing posted, nothing queued"
        )
        body = await self.confirm(session) if proposals else None
        approval_id = (body or {}).get("approval_id")
        self.check(
            (body or {}).get("status") == "pending_approval",
            f"confirmed by {session.principal.name}, it waits for a manager: {approval_id}",
        )
        return str(approval_id) if approval_id else None

    async def confirm(self, session: Session) -> dict[str, Any] | None:
        """The person confirms the model's last proposal: the same call, as them."""
        if not session.last_proposals:
            return None
        proposal = session.last_proposals[-1]
        self.say(f"  📝 proposal {proposal.describe()}")
        self.say(f"{session.principal.name}> /confirm {proposal.id}")
        _proposal, outcome = await session.confirm(proposal.id)
        self.say(f"  {outcome.content}")
        return outcome.structured

    async def own_approval_refused(self, session: Session, approval_id: str) -> None:
        self.heading(3, "the requester cannot approve it; a manager does")
        outcome = await session.call_tool(
            "decide_approval", {"approval_id": approval_id, "decision": "approve"}
        )
        self.say(
            f"  {session.principal.name} tries to approve it: "
            f"{outcome.content.removeprefix('Error: ')}"
        )
        self.check(outcome.status in ("error", "denied"), "the requester cannot approve it")

    async def approve(self, session: Session, approval_id: str) -> None:
        self.say(f"{session.principal.name} ({session.principal.role})> /approve {approval_id}")
        outcome = await session.call_tool(
            "decide_approval",
            {"approval_id": approval_id, "decision": "approve", "comment": "Spa closure, agreed"},
        )
        self.say(f"  {outcome.content}")
        self.check(outcome.status == "posted", "approved and posted, exactly as requested")
        self.posted_balance = _find(outcome.structured, "balance")

    async def mews_points(self) -> int | None:
        membership_id = self.member.get("membership_id")
        if not membership_id:
            return None
        found = await self.runtime.mews.loyalty_memberships.get_all(
            loyalty_membership_ids=[membership_id]
        ).to_list()
        return found[0].points if found else None

    async def mews_readback(self, before: int | None) -> None:
        self.heading(4, "the balance in Mews")
        await self.runtime.after_write()  # the tools drain the outbox already; this is a no-op
        after = await self.mews_points()
        self.say(
            f"  loyaltyMemberships/getAll → Points: {before} before the approval, {after} now "
            f"(ledger balance {self.posted_balance})"
        )
        self.check(
            before is not None and after == before + AWARD_POINTS == self.posted_balance,
            "Mews shows the new balance",
        )

    async def audit(self) -> None:
        from policies import verify

        self.heading(6, "loyalty audit verify")
        report = verify(self.runtime.store, self.runtime.guard.audit_key)
        self.say(f"  {report.summary()}")
        self.check(report.ok, "the audit chain is intact")


# ---------------------------------------------------------------------- scripted turns


def _scripted(label: str, steps: Sequence[Step]) -> Any:
    """A `FunctionChatModel` playing `steps` for one question, turn by turn."""
    from agent.errors import ScriptExhaustedError
    from agent.models.scripted import FunctionChatModel
    from agent.models.types import AssistantMessage, ToolMessage, UserMessage

    def play(messages: tuple[Message, ...], tools: tuple[ToolSpec, ...]) -> Turn:
        start = max(i for i, m in enumerate(messages) if isinstance(m, UserMessage))
        tail = messages[start + 1 :]
        index = sum(isinstance(m, AssistantMessage) for m in tail)
        if index >= len(steps):
            raise ScriptExhaustedError(f"the demo script for {label!r} has no turn {index + 1}")
        step = steps[index]
        if not callable(step):
            return step
        try:
            return step([_content(m) for m in tail if isinstance(m, ToolMessage)])
        except (LookupError, TypeError, ValueError, _UnexpectedResultError) as exc:
            # A tool answered something the script does not expect: say so, do not crash.
            return f"(the scripted model cannot continue: {exc})"

    return FunctionChatModel(play, name="scripted demo model")


def _call(name: str, arguments: JsonObject) -> Turn:
    from agent.models.scripted import tool_turn

    return tool_turn((name, arguments))


def _content(message: Any) -> Any:
    text: str = message.content
    try:
        return json.loads(text.removeprefix("Error: "))
    except json.JSONDecodeError:
        return text


class _UnexpectedResultError(Exception):
    """A tool result the demo script cannot read."""


def _first(result: Any, key: str) -> dict[str, Any]:
    items = result.get(key) if isinstance(result, dict) else None
    if not items:
        raise _UnexpectedResultError(
            f"the demo expected {key} in a tool result, got: {result!r:.200}"
        )
    first: dict[str, Any] = items[0]
    return first


def _find(data: Any, *keys: str) -> Any:
    """The first of `keys` found anywhere in `data` (depth first)."""
    if isinstance(data, dict):
        for key in keys:
            if key in data and not isinstance(data[key], dict | list):
                return data[key]
        for value in data.values():
            found = _find(value, *keys)
            if found is not None:
                return found
    if isinstance(data, list):
        for value in data:
            found = _find(value, *keys)
            if found is not None:
                return found
    return None


def _console() -> Console:
    import sys

    from rich.console import Console

    return Console(file=sys.stdout, highlight=False, soft_wrap=True)
