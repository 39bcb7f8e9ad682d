"""The web app's routes: sign-in, sessions, CSRF, roles, chat, member card, approvals, audit."""

from __future__ import annotations

import json
import re

import pytest
from starlette.testclient import TestClient

from tests.web.conftest import SignIn, csrf_of, refused, sign_in
from tests.web.desk import AWARD, PASSWORDS
from tests.web.holds import day_text, emma_expiry_text, sandbox_day

# ---------------------------------------------------------------------------- sign-in


def test_pages_send_visitors_who_are_not_signed_in_to_the_sign_in_page(client: TestClient) -> None:
    for path in ("/chat", "/members", "/approvals", "/audit", "/"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
    assert client.get("/chat").headers["location"] == "/login?next=/chat"


def test_actions_refuse_visitors_who_are_not_signed_in(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post("/chat", data={"csrf": token, "message": "hi"})
    assert response.status_code == 401
    assert "Please sign in first." in response.text


def test_a_wrong_password_or_unknown_name_gets_one_clear_message(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    for name, password in (("carol", "not-her-password"), ("mallory", "whatever-it-is")):
        response = client.post(
            "/login", data={"csrf": token, "username": name, "password": password}
        )
        assert response.status_code == 401
        assert "Unknown name or wrong password." in response.text
        assert "Traceback" not in response.text


def test_repeated_failures_block_the_name_for_a_while(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    for _ in range(5):
        client.post("/login", data={"csrf": token, "username": "carol", "password": "nope-nope"})
    right = {"csrf": token, "username": "carol", "password": PASSWORDS["carol"][1]}
    response = client.post("/login", data=right)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text


def test_signing_in_sets_an_http_only_same_site_cookie_and_a_new_session(
    client: TestClient,
) -> None:
    before = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"csrf": before, "username": "carol", "password": PASSWORDS["carol"][1]},
    )
    cookie = response.headers["set-cookie"]
    assert response.headers["location"] == "/chat"
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback; https adds it
    after = csrf_of(client.get("/chat").text)
    assert after != before  # a new session and token on sign-in: no fixation


def test_cookies_are_secure_over_https(tmp_path: object) -> None:
    from pathlib import Path

    from tests.web.desk import config
    from web import create_app

    assert isinstance(tmp_path, Path)
    app = create_app(config(tmp_path))
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as secure:
        assert "; Secure" in secure.get("/login").headers["set-cookie"]


def test_only_local_paths_are_followed_after_signing_in(client: TestClient) -> None:
    token = csrf_of(client.get("/login?next=//evil.example/x").text)
    response = client.post(
        "/login",
        data={
            "csrf": token,
            "username": "carol",
            "password": PASSWORDS["carol"][1],
            "next": "//evil.example/x",
        },
    )
    assert response.headers["location"] == "/chat"


def test_a_forged_cookie_is_treated_as_no_session(client: TestClient) -> None:
    sign_in(client, "carol")
    value = client.cookies["loyalty_session"]
    body, signature = value.split(".")
    client.cookies.clear()
    client.cookies.set("loyalty_session", body + "x." + signature)
    assert client.get("/chat").status_code == 303


def test_signing_out_ends_the_session_even_for_a_copied_cookie(client: TestClient) -> None:
    sign_in(client, "carol")
    copied = client.cookies["loyalty_session"]
    response = client.post("/logout", data={"csrf": csrf_of(client.get("/chat").text)})
    assert response.headers["location"] == "/login"
    client.cookies.clear()
    client.cookies.set("loyalty_session", copied)
    assert client.get("/chat").status_code == 303


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    headers = client.get("/login").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"


# ---------------------------------------------------------------------------- CSRF


def test_a_form_without_the_csrf_token_is_refused(signed_in: SignIn) -> None:
    client = signed_in("alice")
    for path, data in (
        ("/chat", {"message": "hi"}),
        ("/chat/reset", {}),
        ("/logout", {}),
        ("/approvals/apr_0123456789abcdef", {"decision": "approve"}),
    ):
        response = client.post(path, data={**data, "csrf": "forged"})
        assert response.status_code == 403, path
        assert "The form expired or did not come from this app." in response.text
    assert client.get("/chat").status_code == 200  # still signed in: logout was refused


def test_the_sign_in_form_needs_its_csrf_token_too(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "carol", "password": PASSWORDS["carol"][1]})
    assert response.status_code == 403


# ---------------------------------------------------------------------------- roles


def test_staff_cannot_open_or_use_the_approvals_inbox_or_the_audit_view(
    signed_in: SignIn,
) -> None:
    client = signed_in("carol")
    token = csrf_of(client.get("/chat").text)
    assert 'href="/approvals"' not in client.get("/chat").text
    for response in (
        client.get("/approvals"),
        client.get("/audit"),
        client.post("/approvals/apr_0123456789abcdef", data={"csrf": token, "decision": "approve"}),
    ):
        assert response.status_code == 403
        assert "Your role (staff) cannot open this page: it is for managers" in response.text


def test_managers_see_the_inbox_and_the_audit_view(signed_in: SignIn) -> None:
    client = signed_in("alice")
    assert client.get("/approvals").status_code == 200
    audit = client.get("/audit")
    assert audit.status_code == 200
    assert "audit chain intact" in audit.text


# ---------------------------------------------------------------------------- chat


def test_a_question_without_javascript_shows_the_answer_and_the_tool_cards(
    signed_in: SignIn,
) -> None:
    client = signed_in("carol")
    token = csrf_of(client.get("/chat").text)
    response = client.post("/chat", data={"csrf": token, "message": "How many points has Emma?"})
    assert response.status_code == 303
    page = client.get("/chat").text
    assert "Emma Novak has 6,240 points and is in the Silver tier." in page
    # each card says what the tool did in the tool's title; its name stays in the markup
    assert '<span class="tool-name" data-tool="find_members">Find members</span>' in page
    assert '<span class="tool-name" data-tool="get_member_summary">Member summary</span>' in page


def test_a_streamed_answer_arrives_as_tool_cards_text_and_done(signed_in: SignIn) -> None:
    client = signed_in("carol")
    token = csrf_of(client.get("/chat").text)
    response = client.post(
        "/chat",
        data={"csrf": token, "message": "How many points has Emma?"},
        headers={"X-Stream": "ndjson"},
    )
    assert response.headers["content-type"].startswith("application/x-ndjson")
    events = [json.loads(line) for line in response.text.splitlines()]
    assert [e["name"] for e in events if e["type"] == "tool"] == [
        "find_members",
        "get_member_summary",
    ]
    assert events[0]["summary"] == "1 found: Emma Novak"
    assert (events[0]["title"], events[0]["status_text"]) == ("Find members", "read")
    text = "".join(e["text"] for e in events if e["type"] == "text")
    assert text == "Emma Novak has 6,240 points and is in the Silver tier."
    assert events[-1] == {
        "type": "done",
        "state": "done",
        "answer": text,
        "html": f"<p>{text}</p>",
        "note": None,
    }


def test_conversations_are_kept_per_user(signed_in: SignIn) -> None:
    client = signed_in("carol")
    token = csrf_of(client.get("/chat").text)
    client.post("/chat", data={"csrf": token, "message": "How many points has Emma?"})
    assert "6,240 points" in client.get("/chat").text
    client = signed_in("alice")
    assert "6,240 points" not in client.get("/chat").text
    client = signed_in("carol")
    assert "6,240 points" in client.get("/chat").text
    client.post("/chat/reset", data={"csrf": csrf_of(client.get("/chat").text)})
    page = client.get("/chat").text
    assert "6,240 points" not in page
    assert "Started a new conversation." in page


def test_an_empty_or_overlong_question_gets_a_clear_message(signed_in: SignIn) -> None:
    client = signed_in("carol")
    assert "Please fill in message." in refused(client, "/chat", "/chat", message="   ")
    too_long = refused(client, "/chat", "/chat", message="x" * 2001)
    assert "message is too long (2001 characters; at most 2000)." in too_long
    token = csrf_of(client.get("/chat").text)
    streamed = client.post(
        "/chat", data={"csrf": token, "message": ""}, headers={"X-Stream": "ndjson"}
    )
    assert streamed.json() == {"error": "Please fill in message."}


def test_a_run_without_a_configured_model_says_what_to_set(tmp_path: object) -> None:
    from pathlib import Path

    from agent.models.spec import model_from_spec
    from tests.web.desk import config
    from web import create_app

    assert isinstance(tmp_path, Path)
    app = create_app(config(tmp_path, model_factory=lambda: model_from_spec(None, env={})))
    with TestClient(app, follow_redirects=False) as client:
        sign_in(client, "carol")
        token = csrf_of(client.get("/chat").text)
        client.post("/chat", data={"csrf": token, "message": "hello"})
        page = client.get("/chat").text
    assert "OPENAI_API_KEY" in page
    assert "Traceback" not in page


# ---------------------------------------------------------------------------- members


def _emma(client: TestClient) -> str:
    page = client.get("/members", params={"q": "Emma Novak"}).text
    found = re.search(r'href="/members/([0-9a-f-]{36})">Emma Novak<', page)
    assert found, page
    return found.group(1)


def test_the_member_card_shows_tier_balances_stays_rewards_history_and_offers(
    signed_in: SignIn,
) -> None:
    client = signed_in("vera")  # a viewer may read
    page = client.get(f"/members/{_emma(client)}").text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert '<span class="tier tier-silver" title="Platinum Club">Silver</span>' in page
    assert "Platinum Club · #PC-1000001" in text
    assert "6,240 points" in text
    assert f"The Platinum Club {emma_expiry_text()}." in text
    arrive, leave = day_text(sandbox_day(25)), day_text(sandbox_day(28))
    assert f"Upcoming stay: {arrive} → {leave} (3 nights)." in text
    assert "3 more nights to reach Gold." in text  # names, not codes
    assert "(the last 12 months)" in text
    # the tier's benefits, in the program file's words, with its multiplier first
    assert (
        "Silver benefits 1.25 × points on stays Members&#39; rate on rooms booked direct "
        "Free high-speed Wi-Fi Late checkout until 13:00, on request"
    ) in text
    last_arrival, last_departure = day_text(sandbox_day(-19)), day_text(sandbox_day(-15))
    assert f"8 stays, 27 nights; last stay ended {last_departure}." in text
    assert f"{last_arrival} → {last_departure} · 4 nights" in text  # recent stays
    assert "Accommodation £4,104.19" in text  # money with its symbol and grouping
    assert "Agreed to marketing e-mails." in text
    assert "Welcome drink at the bar" in text
    assert "Points history" in text
    assert "No offer drafts." in text
    assert "No drafted messages." in text
    assert 'id="actions"' not in page  # a viewer may not write: no action forms
    assert "Offers may be drafted by: email, sms, app, letter, in person." in text


def test_member_search_and_card_explain_bad_input(signed_in: SignIn) -> None:
    client = signed_in("carol")
    none = client.get("/members", params={"q": "Nobody Atall"})
    assert "No member matches “Nobody Atall”." in none.text
    bad = client.get("/members/not-an-id")
    assert bad.status_code == 404
    assert "That is not a member id; search for the member by name." in bad.text
    unknown = client.get("/members/00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404
    assert "no customer" in unknown.text


# ---------------------------------------------------------------------------- approvals


def _ask_award(client: TestClient) -> str:
    token = csrf_of(client.get("/chat").text)
    response = client.post(
        "/chat",
        data={"csrf": token, "message": f"Award Emma Novak {AWARD} points for the spa"},
        headers={"X-Stream": "ndjson"},
    )
    events = [json.loads(line) for line in response.text.splitlines()]
    card = next(e for e in events if e["type"] == "tool" and e["name"] == "award_points")
    assert card["status"] == "proposed"  # the model proposes; the user confirms it as themselves
    token = csrf_of(client.get("/chat").text)
    confirmed = client.post(
        f"/chat/proposals/{card['proposal_id']}", data={"csrf": token, "decision": "confirm"}
    )
    assert confirmed.status_code == 303
    flash = re.search(r"confirmed: waits for a manager \((apr_\w+)\)", client.get("/chat").text)
    assert flash, "confirming an award above the threshold queues it for a manager"
    return flash.group(1)


def _decide(client: TestClient, approval_id: str, decision: str, comment: str = "") -> str:
    token = csrf_of(client.get("/approvals").text)
    response = client.post(
        f"/approvals/{approval_id}",
        data={"csrf": token, "decision": decision, "comment": comment},
    )
    assert response.status_code == 303
    return client.get("/approvals").text


def test_an_award_above_the_threshold_waits_and_a_manager_approves_it(
    signed_in: SignIn,
) -> None:
    approval_id = _ask_award(signed_in("carol"))
    client = signed_in("alice")
    inbox = client.get("/approvals").text
    assert f'<li class="request single" id="{approval_id}">' in inbox
    assert "requested by <strong>carol</strong>" in inbox
    assert "2,500 points are above the approval threshold of 2,000" in inbox
    assert "&#34;points&#34;: 2500" in inbox  # the exact arguments
    assert "· expires " in inbox

    after = _decide(client, approval_id, "approve", "Spa closure, agreed")
    assert f"{approval_id}: approved and posted." in after
    assert f'<li id="{approval_id}">' in after  # decided items stay visible
    assert "Spa closure, agreed" in after
    card = client.get(f"/members/{_emma(client)}").text
    assert f"{6240 + AWARD:,} points" in card


def test_four_eyes_the_requester_cannot_approve_their_own_request(signed_in: SignIn) -> None:
    client = signed_in("bob")  # a manager asking for the award himself
    approval_id = _ask_award(client)
    page = _decide(client, approval_id, "approve")
    assert f"{approval_id} was not approved: denied by" in page
    assert f'<li class="request own" id="{approval_id}">' in page  # still pending
    rejected = _decide(signed_in("alice"), approval_id, "reject", "Not this time")
    assert f"{approval_id}: rejected." in rejected


def test_deciding_explains_bad_input(signed_in: SignIn) -> None:
    client = signed_in("alice")
    bad = refused(client, "/approvals", "/approvals/apr_0123456789abcdef", decision="maybe")
    assert "decision must be approve or reject" in bad
    page = _decide(client, "apr_0123456789abcdef", "approve")
    assert "apr_0123456789abcdef was not approved:" in page
    page = _decide(client, "nonsense", "approve")
    assert "nonsense was not approved: " in page
    assert "Traceback" not in page


def test_unknown_pages_are_a_plain_not_found(signed_in: SignIn) -> None:
    response = signed_in("carol").get("/nowhere")
    assert response.status_code == 404
    assert "Not found" in response.text


@pytest.mark.parametrize("query", ["Emma Nowak", "emm", "NOVÁK", "PC1000001", "emma.novak@"])
def test_member_search_forgives_partial_names_accents_case_and_one_typo(
    signed_in: SignIn, query: str
) -> None:
    page = signed_in("carol").get("/members", params={"q": query}).text
    assert re.search(r'href="/members/[0-9a-f-]{36}">Emma Novak<', page), query
    assert "Silver</span> Platinum Club · #PC-1000001" in page  # names, not codes


def test_a_guest_who_is_not_a_member_is_found_by_part_of_a_name_and_can_be_enrolled(
    signed_in: SignIn,
) -> None:
    client = signed_in("carol")
    page = client.get("/members", params={"q": "jose mull"}).text
    found = re.search(
        r'href="/members/([0-9a-f-]{36})">José Müller</a>\s*<span class="chip">not a member', page
    )
    assert found, page
    card = client.get(f"/members/{found.group(1)}").text
    assert 'id="act-enrol" open' in card


def test_two_guests_with_one_name_are_told_apart(signed_in: SignIn) -> None:
    page = signed_in("carol").get("/members", params={"q": "John Smith"}).text
    assert "2 guests match: the e-mail, membership number and last stay tell them apart." in page
    hints = re.findall(r'<span class="chip">([^<]*•••@[^<]*)</span>', page)
    assert len(hints) == 2
    assert hints[0] != hints[1]
