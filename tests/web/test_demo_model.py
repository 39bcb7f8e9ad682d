"""The scripted demo model of `loyalty web --demo`, on the real server and sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.web.conftest import csrf_of, sign_in
from tests.web.desk import config
from web import create_app
from web.demo_model import demo_model


def _ask(client: TestClient, question: str) -> list[dict[str, object]]:
    token = csrf_of(client.get("/chat").text)
    response = client.post(
        "/chat", data={"csrf": token, "message": question}, headers={"X-Stream": "ndjson"}
    )
    return [json.loads(line) for line in response.text.splitlines()]


@pytest.fixture
def demo_client(tmp_path: Path) -> TestClient:
    return TestClient(
        create_app(config(tmp_path, model_factory=demo_model)), follow_redirects=False
    )


def test_the_demo_model_answers_a_balance_question_from_the_tools(
    demo_client: TestClient,
) -> None:
    with demo_client as client:
        sign_in(client, "carol")
        events = _ask(client, "How many points does Emma Novak have?")
    done = events[-1]
    assert done["state"] == "done"
    assert done["answer"] == (
        "(scripted demo model) Emma Novak has 6,240 points (6,240 available) and is in the "
        "Silver tier. 3 more nights (counting the last 12 months) to reach Gold."
    )


def test_the_demo_model_proposes_an_award_for_the_user_to_confirm(demo_client: TestClient) -> None:
    with demo_client as client:
        sign_in(client, "carol")
        events = _ask(client, "Award Emma Novak 2,500 points for the spa closure.")
    award = next(e for e in events if e.get("name") == "award_points")
    assert award["status"] == "proposed"
    assert award["proposal_id"] == "prop_1"
    assert "nothing is posted until you confirm it" in str(events[-1]["answer"])


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("what can you do?", "I only know two questions"),
        ("How many points does Nobody Known have?", "No member is called Nobody Known."),
    ],
)
def test_the_demo_model_says_what_it_cannot_do(
    demo_client: TestClient, question: str, answer: str
) -> None:
    with demo_client as client:
        sign_in(client, "carol")
        events = _ask(client, question)
    assert answer in str(events[-1]["answer"])
    assert str(events[-1]["answer"]).startswith("(scripted demo model) ")
