"""An MCP client that is not the built-in chat may declare it acts for a person (request
`_meta` "loyalty/on_behalf_of"): it then runs as "<client> for <person>", with the rights all
three share, counted as automated, held to the model's caps and audited as both. Only a
declaration the policy file allows the client's principal is accepted: declaring never
escalates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from policies import Controls, records
from policies.config import DEFAULT_POLICY_PATH
from tests.server.clients import body, sqlite_runtime
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY, Sandbox
from tools.server import ON_BEHALF_OF_META, create_server

pytestmark = pytest.mark.anyio

EMMA = STORY.emma_novak_membership
CLIENTS = '[delegation.clients]\ndeskapp = ["carol"]\nvera = ["alice"]\n'


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[LoyaltyRuntime]:
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    text = text.replace('automation = "agent"\n', 'automation = "agent"\ndeskapp = "agent"\n')
    text = text.replace('[delegation.clients]\n# deskapp = ["carol", "alice"]\n', CLIENTS)
    assert CLIENTS in text
    policy = tmp_path / "policy.toml"
    policy.write_text(text, encoding="utf-8")
    async with await sqlite_runtime(
        tmp_path / "loyalty.db", sandbox=Sandbox.seeded(), policy_file=policy
    ) as opened:
        yield opened


def _for(person: str) -> dict[str, Any]:
    return {ON_BEHALF_OF_META: person}


async def _award(client: Client, points: int, person: str | None) -> dict[str, Any]:
    args = {"membership_id": EMMA, "points": points, "reason": "spa closure"}
    meta = None if person is None else _for(person)
    return body(await client.call_tool("award_points", args, meta=meta))  # type: ignore[arg-type]


def _principals(runtime: LoyaltyRuntime, action: str) -> list[str]:
    return [r.principal for r in records(runtime.store) if r.action == action]


async def test_a_client_acting_for_carol_proposes_in_recommend_mode_and_is_audited_as_both(
    runtime: LoyaltyRuntime,
) -> None:
    async with Client(create_server(runtime, principal="deskapp")) as client:
        proposed = await _award(client, 500, "carol")
        own = await _award(client, 400, None)

    assert proposed["status"] == "proposed"
    assert own["status"] == "pending_approval"  # the client's own principal, an agent
    assert _principals(runtime, "award_points") == ["deskapp for carol", "deskapp"]


async def test_in_automate_mode_it_posts_within_the_models_caps_and_counts_as_automated(
    runtime: LoyaltyRuntime,
) -> None:
    alice = runtime.guard.principal("alice")
    await Controls(runtime.guard).set_mode(alice, "automate")
    async with Client(create_server(runtime, principal="deskapp")) as client:
        posted = await _award(client, 500, "carol")
        too_big = await _award(client, 2500, "carol")  # carol alone could (threshold 2,000)

    assert posted["status"] == "posted"
    assert too_big["status"] == "denied"
    assert too_big["rule"].startswith("caps.")
    who = runtime.guard.principal("deskapp for carol")
    assert (who.automated, who.on_behalf_of, sorted(who.permissions)) == (
        True,
        "carol",
        ["read", "write"],
    )


async def test_a_declaration_the_policy_does_not_allow_is_refused(
    runtime: LoyaltyRuntime,
) -> None:
    async with Client(create_server(runtime, principal="deskapp")) as client:
        with pytest.raises(MCPError, match=r"deskapp may not act for alice"):
            await _award(client, 500, "alice")
        with pytest.raises(MCPError, match=r"deskapp may not act for alice"):
            await client.list_tools(meta=_for("alice"))  # type: ignore[arg-type]
    assert _principals(runtime, "award_points") == []


async def test_declaring_a_manager_never_gives_a_viewer_more_than_it_has(
    runtime: LoyaltyRuntime,
) -> None:
    async with Client(create_server(runtime, principal="vera")) as client:
        listed = await client.list_tools(meta=_for("alice"))  # type: ignore[arg-type]
        award = await client.call_tool(
            "award_points",
            {"membership_id": EMMA, "points": 100, "reason": "spa closure"},
            meta=_for("alice"),  # type: ignore[arg-type]
        )

    assert "award_points" not in {tool.name for tool in listed.tools}
    assert award.is_error
    assert runtime.guard.principal("vera for alice").permissions == frozenset({"read"})


async def test_the_built_in_chat_cannot_be_redirected_to_another_person(
    runtime: LoyaltyRuntime,
) -> None:
    async with Client(create_server(runtime, principal="assistant for carol")) as client:
        with pytest.raises(MCPError, match=r"already acts for carol"):
            await _award(client, 500, "alice")
