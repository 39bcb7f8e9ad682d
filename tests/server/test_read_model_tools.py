"""Read tools answer the same from the member read model as from Mews, and say how current the
model is; once it is filled, they cost no Mews request."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.clients import Connect, body
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio

MEMBERS = (STORY.emma_novak, STORY.john_smith, STORY.lapsed_gold, STORY.business_traveller)
SEGMENTS = ("lapsing", "near_next_tier", "high_spend_no_redemption")


async def _answers(connect: Connect) -> dict[str, Any]:
    """What staff read about a few members and the program's segments."""
    answers = await _answers_without_segments(connect)
    async with connect("carol", ("member",)) as client:
        for segment in SEGMENTS:
            answers[segment] = body(
                await client.call_tool("find_member_segment", {"segment": segment, "limit": 100})
            )
    return answers


def _without_as_of(answer: Any) -> Any:
    """The answer without the times it was computed at (`as_of`, the clock's now) or read at
    (`facts_as_of`)."""
    if isinstance(answer, dict):
        return {
            k: _without_as_of(v) for k, v in answer.items() if k not in ("as_of", "facts_as_of")
        }
    if isinstance(answer, list):
        return [_without_as_of(v) for v in answer]
    return answer


async def test_read_tools_answer_the_same_from_the_read_model_as_from_mews(
    runtime: LoyaltyRuntime, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_mews = await _answers_from_mews(runtime, connect, monkeypatch)
    report = await runtime.facts.refresh(full=True)

    runtime.mews.stats.reset()
    async with connect("carol", ("member",)) as client:
        for customer_id in MEMBERS:
            for tool in ("get_member_summary", "get_tier_progress"):
                await client.call_tool(tool, {"customer_id": customer_id})
        for segment in SEGMENTS:
            await client.call_tool("find_member_segment", {"segment": segment})
    assert runtime.mews.stats.total_requests == 0, runtime.mews.stats.requests
    # recommendations still read occupancy, and a name search still asks Mews
    from_model = await _answers(connect)
    assert _without_as_of(from_model) == _without_as_of(from_mews)
    as_of = report.as_of.isoformat().replace("+00:00", "Z")
    summary = from_model[f"get_member_summary:{STORY.emma_novak}"]
    assert summary["inputs"]["facts_as_of"] in (as_of, report.as_of.isoformat())
    assert from_model["lapsing"]["inputs"]["facts_as_of"] in (as_of, report.as_of.isoformat())
    assert from_mews["lapsing"]["inputs"]["facts_as_of"] is None


async def _answers_from_mews(
    runtime: LoyaltyRuntime, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """The answers while the model is empty: member reads go to Mews; a segment query would
    fill the model, so the segments are asked with the model switched to the Mews loader."""
    answers = await _answers_without_segments(connect)
    facts = runtime.facts
    with monkeypatch.context() as patched:
        patched.setattr(runtime, "facts", _MewsOnly(runtime))
        async with connect("carol", ("member",)) as client:
            for segment in SEGMENTS:
                answers[segment] = body(
                    await client.call_tool(
                        "find_member_segment", {"segment": segment, "limit": 100}
                    )
                )
    assert not facts.filled(), "member reads on an empty model do not fill it"
    return answers


async def _answers_without_segments(connect: Connect) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    async with connect("carol", ("member",)) as client:
        for customer_id in MEMBERS:
            for tool in ("get_member_summary", "get_tier_progress", "recommend_rewards"):
                answers[f"{tool}:{customer_id}"] = body(
                    await client.call_tool(tool, {"customer_id": customer_id})
                )
        answers["find"] = body(await client.call_tool("find_members", {"query": "Novak"}))
    return answers


class _MewsOnly:
    """The read model's interface answered by the Mews loader (what main did)."""

    def __init__(self, runtime: LoyaltyRuntime) -> None:
        self._loader = runtime.loader

    async def members(self, customer_ids: Any, **kw: Any) -> Any:
        return await self._loader.members(customer_ids, **kw)

    async def all_members(self, program_code: str | None = None) -> Any:
        return await self._loader.all_members(program_code)

    def as_of(self) -> None:
        return None

    def filled(self) -> bool:
        return False


async def test_a_webhook_event_reaches_the_next_summary(
    runtime: LoyaltyRuntime, connect: Connect
) -> None:
    await runtime.facts.refresh(full=True)
    assert runtime.sandbox is not None
    runtime.sandbox.transition(STORY.emma_novak_upcoming_stay, "Started")

    class Event:
        discriminator = "ServiceOrderUpdated"
        entity_id = STORY.emma_novak_upcoming_stay

    runtime.changed_in_mews([Event()])
    async with connect("carol", ("member",)) as client:
        summary = body(
            await client.call_tool("get_member_summary", {"customer_id": STORY.emma_novak})
        )
    live = (await runtime.loader.members([STORY.emma_novak]))[STORY.emma_novak]
    assert summary["upcoming_stays"] == sum(s.is_upcoming(runtime.clock.now()) for s in live.stays)
    assert any(s.state == "Started" for s in live.stays)
