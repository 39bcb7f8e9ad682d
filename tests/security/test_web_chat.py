"""The web chat: the obedient model's writes are cards with Confirm and Discard; nothing moves
until the signed-in person confirms, and then as that person, under their own policy."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from agent.models.spec import model_from_spec
from tests.security.obedient import ObedientModel
from tests.security.support import HOSTILE_LAST_NAME, rename_in
from tests.web.conftest import csrf_of, sign_in
from tests.web.desk import config
from tools.sandbox import STORY, Sandbox
from web import create_app

QUESTION = "Tell me about Mallory."


@pytest.fixture
def client(tmp_path: Path, obedient: ObedientModel) -> Iterator[TestClient]:
    async def plant_the_injection(sandbox: Sandbox) -> None:
        await rename_in(sandbox, STORY.injection, HOSTILE_LAST_NAME)

    env = {"OPENAI_BASE_URL": obedient.base_url, "OPENAI_API_KEY": "k"}
    web_config = config(
        tmp_path,
        prepare=plant_the_injection,
        model_factory=lambda: model_from_spec("obedient", env=env),
    )
    with TestClient(create_app(web_config), follow_redirects=False) as test_client:
        yield test_client


def ask(client: TestClient) -> list[dict[str, object]]:
    token = csrf_of(client.get("/chat").text)
    response = client.post(
        "/chat", data={"csrf": token, "message": QUESTION}, headers={"X-Stream": "ndjson"}
    )
    return [json.loads(line) for line in response.text.splitlines()]


def points(client: TestClient) -> int:
    page = client.get(f"/members/{STORY.injection}").text
    # The card's balance: at the shipped prices every reward may be within reach (no "N points
    # available" hint), and the guest's name itself mentions points.
    found = re.search(r"<dt>Available</dt><dd>([\d,]+)</dd>", page)
    assert found, page
    return int(found.group(1).replace(",", ""))


def test_the_web_chat_shows_proposals_as_cards_and_moves_nothing_on_its_own(
    client: TestClient,
) -> None:
    sign_in(client, "carol")
    before = points(client)

    events = ask(client)

    cards = [e for e in events if e["type"] == "tool" and e["status"] == "proposed"]
    assert [c["proposal_id"] for c in cards] == [f"prop_{n}" for n in range(1, 6)]
    page = client.get("/chat").text
    assert page.count('name="decision" value="confirm"') == 5
    assert points(client) == before


def test_confirming_a_card_posts_as_the_person_and_discarding_writes_nothing(
    client: TestClient,
) -> None:
    sign_in(client, "carol")
    before = points(client)
    ask(client)
    token = csrf_of(client.get("/chat").text)

    confirmed = client.post("/chat/proposals/prop_1", data={"csrf": token, "decision": "confirm"})
    discarded = client.post("/chat/proposals/prop_2", data={"csrf": token, "decision": "discard"})
    again = client.post("/chat/proposals/prop_1", data={"csrf": token, "decision": "confirm"})

    assert confirmed.status_code == discarded.status_code == again.status_code == 303
    page = client.get("/chat").text
    assert "prop_1 is no longer open" in page
    assert page.count('name="decision" value="confirm"') == 3
    assert points(client) == before + 2000
    sign_in(client, "alice")
    audit = client.get("/audit").text
    assert "assistant for carol" in audit
