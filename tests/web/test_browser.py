"""End to end in a real headless browser (Debian's Chromium, driven by Playwright).

The app runs on a loopback port in a thread of this process, on a fresh sandbox, with the
scripted demo model that `loyalty web --demo` uses when no model is configured: a staff member
signs in, asks a question and sees the answer stream in; asks for an award above the threshold
and sees it pending; a manager signs in, approves it, and the member card shows the new
balance. Screenshots of each page go to the test's folder, and also to
`$LOYALTY_WEB_SCREENSHOTS` when that is set (the docs use them).

Skipped, with the reason, when Playwright or Chromium is not installed, unless
LOYALTY_REQUIRE_BROWSER=1 (`.ci/run` installs both and sets it); LOYALTY_CHROMIUM names
another Chromium binary.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.web.desk import AWARD, PASSWORDS, config
from web import create_app
from web.demo_model import demo_model

CHROMIUM = os.environ.get("LOYALTY_CHROMIUM", "/usr/bin/chromium")

pytestmark = pytest.mark.slow


def _needs_browser() -> None:
    """Skip without Playwright or Chromium; fail instead under LOYALTY_REQUIRE_BROWSER=1 (CI)."""
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "Playwright is not installed (pip install playwright); .ci/run installs it"
    if reason is None and not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium, or set LOYALTY_CHROMIUM)"
    if reason is not None:
        if os.environ.get("LOYALTY_REQUIRE_BROWSER") == "1":
            pytest.fail(f"LOYALTY_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, stopped after the test."""
    _needs_browser()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config(tmp_path, model_factory=demo_model)),
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # readiness, not a pause: uvicorn has no started event
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            pytest.fail("the web app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


class _Shots:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        extra = os.environ.get("LOYALTY_WEB_SCREENSHOTS")
        self.copy_to = Path(extra) if extra else None
        self.taken: list[Path] = []

    def take(self, page: Any, name: str) -> None:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        if self.copy_to is not None:
            self.copy_to.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, self.copy_to / path.name)


def _sign_in(page: Any, base_url: str, name: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORDS[name][1])
    page.get_by_label("Password").press("Enter")  # the keyboard is enough
    page.wait_for_url(f"{base_url}/chat")


def test_staff_ask_and_request_an_award_and_a_manager_approves_it(
    base_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = _Shots(tmp_path / "screenshots")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            page = context.new_page()
            page.set_default_timeout(20_000)

            # a staff member signs in and asks a question; the answer streams in
            _sign_in(page, base_url, "carol")
            shots.take(page, "chat-empty")
            question = page.get_by_label("Your question")
            question.fill("How many points does Emma Novak have?")
            question.press("Enter")
            latest = page.locator("#latest")
            expect(latest.locator(".answer")).to_contain_text(
                "Emma Novak has 6,240 points (6,240 available) and is in the Silver tier."
            )
            expect(latest.locator(".tool-name")).to_have_text(
                ["find_members", "get_member_summary", "get_tier_progress"]
            )
            shots.take(page, "chat-answer")

            # an award above the threshold: a pending approval, with its id on the card
            question.fill(f"Award Emma Novak {AWARD} points: the spa was closed.")
            page.get_by_role("button", name="Ask").click()
            card = page.locator("#latest .tool.pending_approval")
            expect(card.locator(".tool-name")).to_have_text("award_points")
            approval_id = card.locator(".approval-id").inner_text()
            assert approval_id.startswith("apr_")
            expect(page.locator("#latest .answer")).to_contain_text("waits for a manager")
            shots.take(page, "chat-pending")
            page.get_by_role("button", name="Sign out").click()
            page.wait_for_url(f"{base_url}/login")

            # a manager signs in and approves it in the inbox
            _sign_in(page, base_url, "alice")
            page.get_by_role("link", name="Approvals").click()
            request = page.locator(f"article#{approval_id}")
            expect(request).to_contain_text("carol")
            expect(request.locator("pre.args")).to_contain_text(f'"points": {AWARD}')
            shots.take(page, "approvals-pending")
            request.get_by_label("Comment").fill("Spa closure, agreed")
            request.get_by_role("button", name="Approve").click()
            expect(page.locator(".flash.ok")).to_have_text(f"{approval_id}: approved and posted.")
            expect(page.locator(f"tr#{approval_id}")).to_contain_text("executed")
            shots.take(page, "approvals-decided")

            # the member card shows the new balance
            page.get_by_role("link", name="Members").click()
            page.get_by_label("Name, e-mail or membership number").fill("Emma Novak")
            page.get_by_role("button", name="Search").click()
            page.get_by_role("link", name="Emma Novak").click()
            expect(page.locator(".balance").first).to_have_text(f"{6240 + AWARD:,} points")
            expect(page.locator("#history ~ div table")).to_contain_text("the spa was closed")
            shots.take(page, "member-card")

            page.get_by_role("link", name="Audit").click()
            expect(page.locator("#chain")).to_contain_text("audit chain intact")
            shots.take(page, "audit")

            page.set_viewport_size({"width": 390, "height": 844})  # a phone
            page.go_back()
            expect(page.locator(".balance").first).to_be_visible()
            shots.take(page, "member-card-narrow")
            context.close()
        finally:
            browser.close()
    assert len(shots.taken) == 8
