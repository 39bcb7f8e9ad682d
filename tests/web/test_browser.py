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

import asyncio
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.serving import serve
from tests.web.desk import AWARD, PASSWORDS, config, runtime_opener
from tests.web.holds import emma_expiry_text, hold_stay_bonuses
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
    """The app served by uvicorn on a free loopback port, stopped after the test; on the
    sandbox's portfolio token, as `loyalty web --demo` (both hotels: the switcher shows)."""
    _needs_browser()
    app = create_app(config(tmp_path, model_factory=demo_model, portfolio=True))
    with serve(app, lifespan="on", ready_within=30, stop_within=30) as url:
        yield url


DESK = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


class _Shots:
    """Screenshots of each screen at the desk size and the phone size."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        extra = os.environ.get("LOYALTY_WEB_SCREENSHOTS")
        self.copy_to = Path(extra) if extra else None
        self.taken: list[Path] = []

    def take(self, page: Any, name: str) -> None:
        """The page at both sizes (full height), then back to the size it had."""
        before = page.viewport_size
        for size, suffix in ((DESK, "desk"), (PHONE, "phone")):
            page.set_viewport_size(size)
            path = self.folder / f"{name}-{suffix}.png"
            page.screenshot(path=str(path), full_page=True)
            self.taken.append(path)
            if self.copy_to is not None:
                self.copy_to.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, self.copy_to / path.name)
        page.set_viewport_size(before)


@contextmanager
def _browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = browser.new_context(viewport=DESK)
            page = context.new_page()
            page.set_default_timeout(20_000)
            yield page
            context.close()
        finally:
            browser.close()


def _sign_in(page: Any, base_url: str, name: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORDS[name][1])
    page.get_by_label("Password").press("Enter")  # the keyboard is enough
    page.wait_for_url(f"{base_url}/chat")


def _sign_out(page: Any, base_url: str) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base_url}/login")


def _open_member(page: Any, query: str, name: str) -> None:
    page.get_by_role("link", name="Members").click()
    page.get_by_label("Name, e-mail or membership number").fill(query)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=name).click()


def test_staff_ask_and_request_an_award_and_a_manager_approves_it(
    base_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    shots = _Shots(tmp_path / "screenshots")
    with _browser() as page:
        page.goto(f"{base_url}/login")
        shots.take(page, "01-sign-in")
        # a staff member signs in and asks a question; the answer streams in
        _sign_in(page, base_url, "carol")
        expect(
            page.get_by_role("button", name="How many points does Emma Novak have?")
        ).to_be_visible()
        shots.take(page, "02-chat-empty")
        question = page.get_by_label("Your question")
        question.fill("How many points does Emma Novak have?")
        question.press("Enter")
        latest = page.locator("#latest")
        expect(latest.locator(".answer")).to_contain_text(
            "Emma Novak has 6,240 points (6,240 available) and is in the Silver tier."
        )
        # the summary and the tier progress are one turn's two calls, run concurrently: their
        # cards appear in the order the calls finish
        expect(latest.locator(".tool-name")).to_have_count(3)
        names = latest.locator(".tool-name").all_inner_texts()
        assert names[0] == "Find members"
        assert sorted(names[1:]) == ["Member summary", "Tier progress"]
        shots.take(page, "03-chat-answer")

        # an award the model proposes: a card with Confirm and Discard; confirmed by carol,
        # above the threshold, it becomes a pending approval
        question.fill(f"Award Emma Novak {AWARD} points: the spa was closed.")
        page.get_by_role("button", name="Ask").click()
        card = page.locator("#latest .tool.proposed")
        expect(card.locator(".tool-name")).to_have_text("Award points")
        expect(card.locator(".tool-status")).to_have_text("proposed: yours to confirm")
        expect(card.locator(".tool-summary")).to_contain_text(
            "Award 2,500 points to Emma Novak (Silver, PC-1000001)"
        )
        expect(card.locator(".tool-summary")).to_contain_text("Nothing is written until you")
        expect(page.locator("#latest .answer")).to_contain_text("until you confirm it")
        card.get_by_role("button", name="Confirm").click()
        flash = page.locator(".flash.ok")
        expect(flash).to_contain_text("confirmed: waits for a manager (apr_")
        found = re.search(r"\((apr_\w+)\)", flash.inner_text())
        assert found, flash.inner_text()
        approval_id = found.group(1)
        # on a phone the question box stays on screen after the answer
        page.set_viewport_size(PHONE)
        expect(page.get_by_label("Your question")).to_be_in_viewport()
        page.set_viewport_size(DESK)
        shots.take(page, "04-chat-pending")
        _sign_out(page, base_url)

        # a manager signs in and approves it in the inbox: one sentence, the member linked
        _sign_in(page, base_url, "alice")
        page.get_by_role("link", name="Approvals").click()
        request = page.locator(f"li#{approval_id}")
        expect(request.locator(".sentence")).to_contain_text(
            f"Award {AWARD:,} points to Emma Novak (Silver, PC-1000001) for "
        )
        expect(request).to_contain_text("requested by carol")
        expect(request.get_by_role("link", name="Emma Novak’s card")).to_be_visible()
        request.get_by_text("Exact arguments").click()
        expect(request.locator("pre.args")).to_contain_text(f'"points": {AWARD}')
        shots.take(page, "05-approvals-pending")
        page.get_by_label("Comment (kept with each request decided)").fill("Spa closure, agreed")
        request.get_by_role("button", name="Approve: ").click()
        expect(page.locator(".flash.ok")).to_have_text(f"{approval_id}: approved and posted.")
        expect(page.locator(f"li#{approval_id}")).to_contain_text("executed")
        shots.take(page, "06-approvals-decided")

        # the member card shows the new balance
        _open_member(page, "Emma Novak", "Emma Novak")
        expect(page.locator(".balance").first).to_have_text(f"{6240 + AWARD:,} points")
        expect(page.locator(".history table")).to_contain_text("the spa was closed")
        shots.take(page, "08-member-card")

        page.get_by_role("link", name="Audit").click()
        expect(page.locator("#chain")).to_contain_text("audit chain intact")
        shots.take(page, "10-audit")

        page.get_by_role("link", name="Dashboard").click()
        expect(page.get_by_role("heading", name="Program health")).to_be_visible()
        expect(page.locator(".chart svg")).to_have_count(3)
        shots.take(page, "11-dashboard")
    assert len(shots.taken) == 18


def test_a_manager_decides_a_grouped_set_of_stay_bonuses_at_once(
    base_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    asyncio.run(_hold_stay_bonuses(tmp_path))
    shots = _Shots(tmp_path / "screenshots")
    with _browser() as page:
        _sign_in(page, base_url, "bob")
        page.get_by_role("link", name="Approvals").click()
        group = page.locator("form.group", has=page.get_by_role("heading", name="Stay bonuses"))
        expect(group.locator("li.request")).to_have_count(3)
        expect(group.locator(".sentence").first).to_contain_text(
            "Stay bonus of 70 points to Emma Novak"
        )
        shots.take(page, "07-approvals-grouped")
        group.get_by_label("Comment (kept with each request decided)").fill(
            "Checkout bonuses, fine"
        )
        group.get_by_role("button", name="Approve selected").click()
        expect(page.locator(".flash.ok")).to_contain_text("Approved 3 of 3:")
        expect(page.get_by_text("No pending requests.")).to_be_visible()
        expect(page.locator("ul.decided li")).to_have_count(3)


def test_an_award_from_the_member_card_waits_and_another_manager_approves_it(
    base_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    shots = _Shots(tmp_path / "screenshots")
    with _browser() as page:
        _sign_in(page, base_url, "alice")
        # a search with a typo still finds her
        page.get_by_role("link", name="Members").click()
        page.get_by_label("Name, e-mail or membership number").fill("Emma Nowak")
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_role("link", name="Emma Novak")).to_be_visible()
        shots.take(page, "09-member-search-typo")
        page.get_by_role("link", name="Emma Novak").click()
        page.get_by_text("Award points", exact=True).click()
        page.get_by_label("Points", exact=True).fill("3000")
        page.get_by_label("Reason").first.fill("The spa closure")
        page.get_by_role("button", name="Award", exact=True).click()
        expect(page.locator(".flash.pending")).to_contain_text(
            "Award points: waits for a manager — 3,000 points are above the approval threshold"
        )
        shots.take(page, "08-member-card-pending")
        _sign_out(page, base_url)

        # the same manager may not approve their own request: another one does
        _sign_in(page, base_url, "bob")
        page.get_by_role("link", name="Approvals").click()
        request = page.locator("li.request", has_text="Award 3,000 points to Emma Novak")
        expect(request).to_contain_text("requested by alice")
        request.get_by_role("button", name="Approve: ").click()
        expect(page.locator(".flash.ok")).to_contain_text("approved and posted")
        request_link = page.locator("ul.decided li").first.get_by_role("link")
        expect(request_link).to_have_count(0)
        _open_member(page, "PC-1000001", "Emma Novak")
        expect(page.locator(".balance").first).to_have_text("9,240 points")


def test_the_member_card_and_the_chat_fit_a_phone(base_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with _browser() as page:
        page.set_viewport_size(PHONE)
        _sign_in(page, base_url, "carol")
        expect(page.get_by_label("Your question")).to_be_in_viewport()
        _open_member(page, "emm", "Emma Novak")
        expect(page.locator(".tier").first).to_have_text("Silver")
        expect(page.get_by_text(emma_expiry_text())).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the card scrolls sideways: {width}px wide"
        # every control can be reached with the keyboard, and the focus ring shows
        page.keyboard.press("Tab")
        # retried: on a loaded machine the focus-visible style can land a frame after the key
        expect(page.locator(":focus")).to_have_css("outline-style", "solid")


async def _hold_stay_bonuses(folder: Path) -> None:
    """Three stay bonuses held for a manager, as a run of the checkout jobs leaves them."""
    async with runtime_opener(folder)() as runtime:
        await hold_stay_bonuses(runtime)
