"""Conversations are kept in the database per user: a restart resumes them."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from tests.web.conftest import csrf_of, sign_in
from tests.web.desk import config
from web import create_app


def _ask(client: TestClient, question: str) -> None:
    token = csrf_of(client.get("/chat").text)
    client.post("/chat", data={"csrf": token, "message": question})


def test_a_conversation_survives_a_restart_and_a_new_one_forgets_it(tmp_path: Path) -> None:
    with TestClient(create_app(config(tmp_path)), follow_redirects=False) as client:
        sign_in(client, "carol")
        _ask(client, "How many points has Emma?")
        assert "6,240 points" in client.get("/chat").text
    with TestClient(create_app(config(tmp_path)), follow_redirects=False) as client:
        sign_in(client, "carol")
        page = client.get("/chat").text
        assert "How many points has Emma?" in page  # resumed from the database
        assert "6,240 points" in page
        assert "Try asking" not in page
        sign_in(client, "alice")
        assert "6,240 points" not in client.get("/chat").text  # per user
        sign_in(client, "carol")
        token = csrf_of(client.get("/chat").text)
        client.post("/chat/reset", data={"csrf": token})
    with TestClient(create_app(config(tmp_path)), follow_redirects=False) as client:
        sign_in(client, "carol")
        assert "Try asking" in client.get("/chat").text  # the reset was stored too
