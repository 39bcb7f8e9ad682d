"""Fixtures for the web app: a client on a fresh sandbox, signed in as whoever a test needs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.web.desk import PASSWORDS, config
from web import create_app

SignIn = Callable[[str], TestClient]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LOYALTY_MODEL", "LOYALTY_AUDIT_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(config(tmp_path)), follow_redirects=False) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def refused(client: TestClient, page: str, action: str, **fields: str) -> str:
    """What a form posted from `page` (with its CSRF token) to `action` answers, refused as bad
    input (400)."""
    token = csrf_of(client.get(page).text)
    response = client.post(action, data={"csrf": token, **fields})
    assert response.status_code == 400, response.text
    return response.text


def sign_in(client: TestClient, name: str) -> TestClient:
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"csrf": token, "username": name, "password": PASSWORDS[name][1], "next": "/chat"},
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def signed_in(client: TestClient) -> SignIn:
    return lambda name: sign_in(client, name)
