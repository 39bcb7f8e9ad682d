"""A portfolio token end to end: reads name their chain (`ChainIds`), writes their chain, and
`tasks/add` goes through the hotel's own token, which Mews (and the sandbox) insist on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from app.connect import scope_from_env
from app.runtime import sandbox_enterprise_clients
from storage import outbox
from tools.mews import MewsBadRequest, MewsConfigurationError
from tools.runtime import LoyaltyRuntime, sandbox_client
from tools.sandbox import PORTFOLIO, STORY, Sandbox
from tools.server import create_server

pytestmark = pytest.mark.anyio

CHAIN = (STORY.chain_id,)


@asynccontextmanager
async def portfolio_runtime(
    tmp_path: Path, sandbox: Sandbox, *, singles: bool
) -> AsyncIterator[LoyaltyRuntime]:
    async with (
        sandbox_client(sandbox, PORTFOLIO, chain_ids=CHAIN) as mews,
        await LoyaltyRuntime.open(
            database_url=f"sqlite:///{tmp_path / 'loyalty.db'}",
            mews=mews,
            enterprise_mews=sandbox_enterprise_clients(sandbox) if singles else {},
        ) as runtime,
    ):
        yield runtime


def _body(result: Any) -> dict[str, Any]:
    assert isinstance(result.structured_content, dict), result
    return result.structured_content


async def _award_above_threshold(runtime: LoyaltyRuntime) -> dict[str, Any]:
    async with Client(create_server(runtime, principal="carol")) as client:
        found = _body(await client.call_tool("find_members", {"query": "Emma Novak"}))
        assert found["candidates"][0]["customer_id"] == STORY.emma_novak
        award = {
            "membership_id": STORY.emma_novak_membership,
            "points": 2500,
            "reason": "spa closure",
        }
        return _body(await client.call_tool("award_points", award))


async def test_a_portfolio_read_without_chain_ids_is_refused_as_mews_refuses_it() -> None:
    sandbox = Sandbox.seeded(customers=20)
    async with sandbox_client(sandbox, PORTFOLIO) as mews:
        with pytest.raises(MewsBadRequest, match="ChainIds is required"):
            await mews.customers.get_all(customer_ids=[STORY.emma_novak]).to_list()
        mews.chain_ids = CHAIN
        found = await mews.customers.get_all(customer_ids=[STORY.emma_novak]).to_list()
    assert [c.id for c in found] == [STORY.emma_novak]


async def test_an_approval_task_reaches_the_hotel_through_its_own_token(tmp_path: Path) -> None:
    sandbox = Sandbox.seeded(customers=20)
    async with portfolio_runtime(tmp_path, sandbox, singles=True) as runtime:
        award = await _award_above_threshold(runtime)
    assert award["status"] == "pending_approval"
    (task,) = [t for t in sandbox.state.tasks if t.name.startswith("Loyalty approval")]
    assert task.enterprise_id == STORY.enterprise_uk


async def test_without_a_hotel_token_the_portfolio_task_is_refused_and_stays_queued(
    tmp_path: Path,
) -> None:
    sandbox = Sandbox.seeded(customers=20)
    async with portfolio_runtime(tmp_path, sandbox, singles=False) as runtime:
        award = await _award_above_threshold(runtime)
        waiting = outbox.stats(runtime.store)
    assert award["status"] == "pending_approval"
    assert not [t for t in sandbox.state.tasks if t.name.startswith("Loyalty approval")]
    assert waiting.pending == 1  # retried later; a dead letter names the Mews refusal


def test_chains_and_hotel_tokens_are_read_from_the_environment() -> None:
    uk, us = STORY.enterprise_uk, STORY.enterprise_us
    scope = scope_from_env(
        {
            "MEWS_CHAIN_IDS": f"{STORY.chain_id}, {STORY.chain_id.upper()}",
            "MEWS_ENTERPRISE_TOKENS": f"{uk}=TOKEN-UK,{us}=TOKEN-US",
        }
    )
    assert scope.chain_ids == (STORY.chain_id,)
    assert dict(scope.enterprise_tokens) == {uk: "TOKEN-UK", us: "TOKEN-US"}
    assert scope.default_enterprise == uk
    with pytest.raises(MewsConfigurationError, match="MEWS_ENTERPRISE_TOKENS: expected"):
        scope_from_env({"MEWS_ENTERPRISE_TOKENS": "just-a-token"})
    with pytest.raises(MewsConfigurationError, match="MEWS_CHAIN_IDS: 'chain-1' is not a Mews id"):
        scope_from_env({"MEWS_CHAIN_IDS": "chain-1"})
