"""The hotel switcher: times in the chosen hotel's zone, stays labelled with their hotel; the
choice changes what pages show, never what anyone may do."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from agent.models.scripted import FunctionChatModel, Turn, tool_turn
from agent.models.types import Message, ToolMessage, ToolSpec
from tests.web.conftest import SignIn, csrf_of, refused, sign_in
from tests.web.desk import config
from tools.sandbox import STORY
from web import create_app
from web.properties import PROPERTY_COOKIE, read_properties


@pytest.fixture
def signed_in(tmp_path: Path) -> Iterator[SignIn]:
    """The desk on the sandbox's portfolio token: both hotels, as `loyalty web --demo`."""
    app = create_app(config(tmp_path, portfolio=True))
    with TestClient(app, follow_redirects=False) as client:
        yield lambda name: sign_in(client, name)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_desk_starts_in_the_first_hotel_and_switches_to_another(signed_in: SignIn) -> None:
    client = signed_in("alice")
    page = client.get("/approvals").text
    assert re.search(rf'<option value="{STORY.enterprise_uk}" selected>Connector API Hotel<', page)
    assert f'<option value="{STORY.enterprise_us}">' in page
    assert "Times are Europe/London." in _text(page)

    response = client.post(
        "/property",
        data={"csrf": csrf_of(page), "property": STORY.enterprise_us, "next": "/approvals"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/approvals"
    assert f"{PROPERTY_COOKIE}={STORY.enterprise_us}" in response.headers["set-cookie"]
    assert "HttpOnly" in response.headers["set-cookie"]
    after = client.get("/approvals").text
    assert "Times are America/New_York." in _text(after)
    assert re.search(rf'<option value="{STORY.enterprise_us}" selected>', after)


def test_the_member_card_names_the_hotel_of_each_stay(signed_in: SignIn) -> None:
    client = signed_in("carol")
    text = _text(client.get(f"/members/{STORY.emma_novak}").text)
    assert re.search(
        r"Upcoming stay: .* \(3 nights, Connector API Hotel( \(Net Pricing\))?\)", text
    )
    assert "· 4 nights · Connector API Hotel" in text  # a recent stay, with its hotel


def test_an_unknown_hotel_or_a_forged_form_is_refused(signed_in: SignIn) -> None:
    client = signed_in("carol")
    bad = refused(client, "/members", "/property", property="not-a-hotel")
    assert "property: choose one of the hotels in the list." in bad
    forged = client.post("/property", data={"property": STORY.enterprise_us})
    assert forged.status_code == 403
    # a cookie naming no hotel is ignored: the default hotel's zone
    client.cookies.set(PROPERTY_COOKIE, "nonsense")
    assert "Times are Europe/London." in _text(signed_in("alice").get("/approvals").text)


def _summary_reader() -> FunctionChatModel:
    """A model that reads Emma's summary and answers with its sentence, as it was told."""

    def play(messages: tuple[Message, ...], _tools: tuple[ToolSpec, ...]) -> Turn:
        results = [m.content for m in messages if isinstance(m, ToolMessage)]
        if not results:
            return tool_turn(("get_member_summary", {"customer_id": STORY.emma_novak}))
        return str(json.loads(str(results[-1]))["reasoning"])

    return FunctionChatModel(play, name="summary reader")


def test_the_chat_tells_times_on_the_clock_of_the_hotel_the_page_shows(tmp_path: Path) -> None:
    app = create_app(config(tmp_path, portfolio=True, model_factory=_summary_reader))
    with TestClient(app, follow_redirects=False) as client:
        page = sign_in(client, "carol").get("/chat").text
        client.post("/property", data={"csrf": csrf_of(page), "property": STORY.enterprise_us})
        page = client.get("/chat").text
        assert re.search(rf'<option value="{STORY.enterprise_us}" selected>', page)
        client.post("/chat", data={"csrf": csrf_of(page), "message": "Tell me about Emma"})
        answer = _text(client.get("/chat").text)
    assert "(times in America/New_York)" in answer  # the page's hotel, not the policy's Prague
    assert "Europe/Prague" not in answer


class _Down:
    """A Mews that cannot be read."""

    @property
    def configuration(self) -> object:
        raise ConnectionError("Mews is down")


@pytest.mark.anyio
async def test_without_mews_the_desk_shows_times_in_the_policy_zone() -> None:
    prague = ZoneInfo("Europe/Prague")
    hotels = await read_properties(_Down(), prague)  # type: ignore[arg-type]
    assert (hotels.hotels, hotels.chosen(None), hotels.fallback) == ((), None, prague)
