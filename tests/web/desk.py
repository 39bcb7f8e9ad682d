"""What the web tests share: the app on a fresh sandbox, accounts, and a scripted model.

The model is a `FunctionChatModel` that plays a short script per kind of question and reads
ids and figures from the tool results of the run (like `loyalty demo`), so nothing but the
questions is hard-coded.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from functools import cache
from pathlib import Path
from typing import Any

from agent.models.scripted import FunctionChatModel, Turn, tool_turn
from agent.models.types import AssistantMessage, Message, ToolMessage, ToolSpec, UserMessage
from app.connect import resolve_chains
from app.session import runtime_server
from policies.config import DEFAULT_POLICY_PATH
from tools.loyalty import default_program_path
from tools.runtime import LoyaltyRuntime, sandbox_client
from tools.sandbox import PORTFOLIO, Sandbox
from web import User, WebConfig, hash_password

Prepare = Callable[[Sandbox], Awaitable[None]]
"""A change to the fresh sandbox before the runtime opens on it."""

MEMBER = "Emma Novak"
AWARD = 2500
PASSWORDS = {
    "carol": ("staff", "carol-password-1"),
    "alice": ("manager", "alice-password-1"),
    "bob": ("manager", "bob-password-12"),
    "vera": ("viewer", "vera-password-1"),
}


@cache
def users() -> dict[str, User]:
    return {
        name: User(name, role, hash_password(password))
        for name, (role, password) in PASSWORDS.items()
    }


def runtime_opener(
    folder: Path, *, portfolio: bool = False, prepare: Prepare | None = None
) -> Callable[[], AbstractAsyncContextManager[LoyaltyRuntime]]:
    """The app's runtime on a fresh sandbox (`prepare` changes it first), as the UK hotel's
    integration or (`portfolio`) as the sandbox's portfolio token, which reaches both hotels
    (as `loyalty web --demo` does)."""

    @asynccontextmanager
    async def open_runtime() -> AsyncIterator[LoyaltyRuntime]:
        sandbox = Sandbox.seeded(customers=10)
        if prepare is not None:
            await prepare(sandbox)
        async with AsyncExitStack() as stack:
            mews = None
            if portfolio:
                client = sandbox_client(sandbox, PORTFOLIO)
                mews = await stack.enter_async_context(client)
                await resolve_chains(mews)  # a portfolio token's reads carry ChainIds
            runtime = await LoyaltyRuntime.open(
                database_url=f"sqlite:///{folder / 'web.db'}",
                policy_file=DEFAULT_POLICY_PATH,
                program_file=default_program_path(),
                sandbox=sandbox,
                mews=mews,
            )
            async with runtime:
                yield runtime

    return open_runtime


def config(
    folder: Path, *, portfolio: bool = False, prepare: Prepare | None = None, **more: Any
) -> WebConfig:
    options: dict[str, Any] = {"model_factory": desk_model, "chat_server": runtime_server, **more}
    opener = runtime_opener(folder, portfolio=portfolio, prepare=prepare)
    return WebConfig(users=users(), open_runtime=opener, **options)


def desk_model() -> FunctionChatModel:
    def play(messages: tuple[Message, ...], _tools: tuple[ToolSpec, ...]) -> Turn:
        start = max(i for i, m in enumerate(messages) if isinstance(m, UserMessage))
        question = str(messages[start].content).lower()
        tail = messages[start + 1 :]
        step = sum(isinstance(m, AssistantMessage) for m in tail)
        results = [_json(m.content) for m in tail if isinstance(m, ToolMessage)]
        if step == 0:
            if "award" in question or "points" in question:
                return tool_turn(("find_members", {"query": MEMBER}))
            return "I answer questions about members, points and rewards."
        member = results[0]["candidates"][0]
        membership = member["memberships"][0]
        if "award" in question:
            if step == 1:
                return tool_turn(
                    (
                        "award_points",
                        {
                            "membership_id": membership["membership_id"],
                            "points": AWARD,
                            "reason": "Spa closed during her last stay",
                        },
                    )
                )
            body = results[-1]
            return (
                f"The award of {AWARD:,} points waits for a manager's approval "
                f"({body.get('approval_id')}): {body.get('reason')}."
            )
        if step == 1:
            return tool_turn(("get_member_summary", {"customer_id": member["customer_id"]}))
        summary = results[-1]["memberships"][0]
        return (
            f"{member['display_name']} has {summary['balance']['total']:,} points and is in the "
            f"{summary['tier_name']} tier."
        )

    return FunctionChatModel(play, name="scripted web model")


def _json(text: str) -> Any:
    try:
        return json.loads(text.removeprefix("Error: "))
    except json.JSONDecodeError:
        return text
