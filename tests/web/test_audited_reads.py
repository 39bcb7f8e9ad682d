"""What the pages read beyond the tools is role-checked and audited like a tool read: the
member card's stays and consent, the search's e-mail hints, the inbox's names, every CSV export."""

from __future__ import annotations

from policies import records
from tests.web.conftest import SignIn
from tests.web.holds import runtime_of
from tools.sandbox import STORY


def _reads(client: object, action: str) -> list[tuple[str, str, object]]:
    store = runtime_of(client).store  # type: ignore[arg-type]
    return [(r.principal, r.decision, r.args) for r in records(store) if r.action == action]


def test_the_card_the_search_and_the_inbox_audit_their_own_reads(signed_in: SignIn) -> None:
    client = signed_in("alice")
    assert client.get(f"/members/{STORY.emma_novak}").status_code == 200
    assert _reads(client, "web.member_stays") == [
        ("alice", "allow", {"customer_id": STORY.emma_novak})
    ]
    assert client.get("/members", params={"q": "Emma Novak"}).status_code == 200
    [(who, decision, args)] = _reads(client, "web.search_hints")
    assert (who, decision) == ("alice", "allow")
    assert STORY.emma_novak in args["customer_ids"]  # type: ignore[index]
    assert client.get("/approvals").status_code == 200
    assert _reads(client, "web.approvals_inbox") == [("alice", "allow", {})]


def test_each_csv_export_is_one_audited_read_by_the_manager(signed_in: SignIn) -> None:
    client = signed_in("alice")
    for kind in ("members", "ledger", "approvals"):
        response = client.get(f"/dashboard/export/{kind}.csv", params={"program": "PC01"})
        assert response.status_code == 200, response.text
    assert _reads(client, "web.export_members") == [("alice", "allow", {"program": "PC01"})]
    assert _reads(client, "web.export_ledger") == [("alice", "allow", {"program": "PC01"})]
    assert _reads(client, "web.export_approvals") == [("alice", "allow", {})]
    assert client.get("/dashboard/export/guests.csv").status_code == 404
