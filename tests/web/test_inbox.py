"""The approvals inbox: one sentence per request, grouped, filtered, paged, decided in bulk."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from policies import records
from policies.approvals import list_approvals
from tests.web.conftest import SignIn, csrf_of
from tests.web.holds import award_args, hold, hold_stay_bonuses, runtime_of
from tools.sandbox import STORY
from web.inbox import PAGE_SIZE


def _hold(client: TestClient, requester: str, action: str, args: dict[str, object]) -> str:
    return client.portal.call(hold, runtime_of(client), requester, action, args)  # type: ignore[union-attr]


def _text(html: str) -> str:
    """The page as a person reads it (tags dropped, entities kept few)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def test_a_request_reads_as_one_sentence_with_the_member_and_a_link_to_their_card(
    signed_in: SignIn,
) -> None:
    client = signed_in("alice")
    approval_id = _hold(client, "carol", "award_points", award_args(3000))
    page = client.get("/approvals").text
    text = _text(page)
    assert "Award 3,000 points to Emma Novak (Silver, PC-1000001) for the spa closure" in text
    assert "requested by carol , just now" in text
    assert f'href="/members/{STORY.emma_novak}"' in page
    assert "rule approval_points_above" in text or "(rule " in text  # the rule that held it
    # the exact arguments are there, folded away
    assert re.search(r"<details><summary>Exact arguments.*&#34;points&#34;: 3000", page, re.S)
    assert f'formaction="/approvals/{approval_id}"' in page


def test_a_manager_sees_no_approve_button_on_their_own_request(signed_in: SignIn) -> None:
    client = signed_in("bob")
    own = _hold(client, "bob", "award_points", award_args(3000))
    other = _hold(client, "carol", "award_points", award_args(2600))
    page = client.get("/approvals").text
    assert f'formaction="/approvals/{own}"' not in page
    assert f'value="{own}"' not in page  # not selectable for a bulk decision either
    assert f'formaction="/approvals/{other}"' in page
    assert "Your request: another manager decides it." in page


def test_stay_bonuses_are_grouped_and_decided_together_one_audited_decision_each(
    signed_in: SignIn,
) -> None:
    client = signed_in("alice")
    runtime = runtime_of(client)
    ids = client.portal.call(hold_stay_bonuses, runtime)  # type: ignore[union-attr]
    page = client.get("/approvals").text
    group = re.search(r'<h3 id="group-1">Stay bonuses <span class="count">3</span>', page)
    assert group, _text(page)
    assert "Stay bonus of 70 points to Emma Novak (Silver, PC-1000001)" in _text(page)
    token = csrf_of(page)
    response = client.post(
        "/approvals/bulk",
        data={"csrf": token, "decision": "approve", "comment": "Good stays", "ids": ids},
    )
    assert response.status_code == 303
    after = client.get(response.headers["location"]).text
    assert "Approved 3 of 3:" in _text(after)
    decided = {a.id: a for a in list_approvals(runtime.store, statuses=None)}
    assert all(decided[i].status == "executed" and decided[i].decided_by == "alice" for i in ids)
    assert all(decided[i].comment == "Good stays" for i in ids)
    by_alice = [r for r in records(runtime.store) if r.principal == "alice" and r.approval_id]
    decisions = [r.approval_id for r in by_alice if r.action == "approvals.approve"]
    assert sorted(decisions) == sorted(ids)  # one audited decision per request


def test_a_bulk_decision_still_refuses_ones_own_request_and_decides_the_rest(
    signed_in: SignIn,
) -> None:
    client = signed_in("bob")
    own = _hold(client, "bob", "award_points", award_args(3000))
    other = _hold(client, "carol", "award_points", award_args(2600))
    token = csrf_of(client.get("/approvals").text)
    response = client.post(
        "/approvals/bulk", data={"csrf": token, "decision": "reject", "ids": [own, other]}
    )
    after = _text(client.get(response.headers["location"]).text)
    assert f"Rejected 1 of 2: {other} rejected." in after
    assert f"Not rejected (1): {own}: denied by" in after
    statuses = {a.id: a.status for a in list_approvals(runtime_of(client).store, statuses=None)}
    assert statuses == {own: "pending", other: "rejected"}


def test_a_bulk_decision_with_nothing_ticked_says_so(signed_in: SignIn) -> None:
    client = signed_in("alice")
    token = csrf_of(client.get("/approvals").text)
    response = client.post("/approvals/bulk", data={"csrf": token, "decision": "approve"})
    assert "Tick at least one request to decide." in client.get(response.headers["location"]).text


def test_filters_by_kind_and_requester_keep_the_others_out(signed_in: SignIn) -> None:
    client = signed_in("alice")
    client.portal.call(hold_stay_bonuses, runtime_of(client))  # type: ignore[union-attr]
    award = _hold(client, "carol", "award_points", award_args(3000))
    by_kind = client.get("/approvals", params={"kind": "Point awards"}).text
    assert award in by_kind
    assert "Stay bonus of" not in by_kind
    assert "Pending (1 of 4)" in _text(by_kind)
    by_requester = client.get("/approvals", params={"requester": "automation"}).text
    assert award not in by_requester
    assert "Pending (3 of 4)" in _text(by_requester)
    older = client.get("/approvals", params={"age": "older"}).text
    assert "No pending request matches these filters." in older


def test_a_long_queue_is_paged(signed_in: SignIn) -> None:
    client = signed_in("alice")
    for n in range(PAGE_SIZE + 2):
        _hold(client, "carol", "award_points", award_args(2100 + n))
    first = client.get("/approvals").text
    assert "Page 1 of 2" in _text(first)
    assert first.count('name="ids"') == PAGE_SIZE
    second = client.get("/approvals", params={"page": 2}).text
    assert second.count('name="ids"') == 2
    assert client.get("/approvals", params={"page": "x"}).status_code == 200


def test_one_request_of_a_full_page_group_is_decided_with_its_own_button(
    signed_in: SignIn,
) -> None:
    """Its Approve button submits the group's whole form (every ticked box comes along), as
    a browser does: the one request is decided, not refused as a form with too many fields."""
    client = signed_in("alice")
    held = [_hold(client, "carol", "award_points", award_args(2100 + n)) for n in range(PAGE_SIZE)]
    page = client.get("/approvals").text
    ticked = re.findall(r'name="ids" value="(apr_\w+)"[^>]* checked', page)
    assert len(ticked) == PAGE_SIZE
    one = ticked[0]
    form = {"csrf": csrf_of(page), "back": "/approvals", "ids": ticked, "comment": "",
            "decision": "approve"}  # fmt: skip
    response = client.post(f"/approvals/{one}", data=form)
    assert response.status_code == 303, response.text
    assert f"{one}: approved and posted." in _text(client.get(response.headers["location"]).text)
    statuses = {a.id: a.status for a in list_approvals(runtime_of(client).store, statuses=None)}
    assert statuses[one] == "executed"
    assert sorted(i for i in held if statuses[i] == "pending") == sorted(set(held) - {one})
