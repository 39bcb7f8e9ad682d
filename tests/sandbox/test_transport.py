"""Paths, methods, content type, strict JSON, envelope and tokens, Request-Id, Prefer header."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.sandbox.conftest import PREFIX, UK_TOKEN, Api
from tools.sandbox import DEMO_TOKENS, OPERATIONS, PORTFOLIO, STORY, Sandbox


def test_exact_paths_only_wrong_case_slash_unknown_or_method_answer_404(api: Api) -> None:
    body = json.dumps(api.envelope()).encode()
    for path, method in (
        (PREFIX + "configuration/Get", "POST"),
        (PREFIX + "configuration/get/", "POST"),
        (PREFIX + "configuration/set", "POST"),
        ("/api/connector/v2/configuration/get", "POST"),
        (PREFIX + "reservations/getAll", "POST"),
        (PREFIX + "configuration/get", "GET"),
        (PREFIX + "configuration/get", "PUT"),
    ):
        reply = api.raw(path, body, method=method)
        assert reply.status == 404, path
        assert set(reply.json) == {"Message", "RequestId"}
        assert reply.json["RequestId"] == reply.headers["Request-Id"]


def test_every_operation_answers_on_its_exact_path(api: Api) -> None:
    assert len(OPERATIONS) == 41
    assert PREFIX + "reservations/getAll/2023-06-06" in OPERATIONS


def test_a_body_that_is_not_declared_as_json_is_rejected(api: Api) -> None:
    body = json.dumps(api.envelope()).encode()
    for headers in ({}, {"Content-Type": "text/plain"}, {"Content-Type": "application/xml"}):
        reply = api.raw(PREFIX + "configuration/get", body, headers=headers)
        assert reply.status == 400
        assert "Content-Type" in reply.json["Message"]
    charset = {"Content-Type": "application/json; charset=utf-8"}
    assert api.raw(PREFIX + "configuration/get", body, headers=charset).status == 200


@pytest.mark.parametrize(
    "text",
    [
        '{"ClientToken": "x",}',
        '{"Count": NaN}',
        '{"Count": Infinity}',
        '{/* comment */ "a": 1}',
        "{'a': 1}",
        "",
        "not json",
    ],
)
def test_json_that_is_not_strict_is_rejected_as_invalid_json(api: Api, text: str) -> None:
    reply = api.raw(PREFIX + "configuration/get", text.encode())
    assert reply.status == 400
    assert reply.json["Message"] == "Invalid JSON"


def test_a_json_value_that_is_not_an_object_or_not_utf8_is_rejected(api: Api) -> None:
    assert api.raw(PREFIX + "configuration/get", b"[1, 2]").status == 400
    assert api.raw(PREFIX + "configuration/get", b'{"a": "\xff"}').json["Message"] == "Invalid JSON"


def test_missing_or_unknown_tokens_answer_401(api: Api) -> None:
    envelope = api.envelope()
    for broken in (
        {k: v for k, v in envelope.items() if k != "ClientToken"},
        {k: v for k, v in envelope.items() if k != "AccessToken"},
        {**envelope, "AccessToken": "0" * 32 + "-" + "0" * 31},
        {**envelope, "ClientToken": DEMO_TOKENS[1].client_token},  # pair not issued together
        {**envelope, "AccessToken": 42},
    ):
        reply = api.raw(PREFIX + "configuration/get", json.dumps(broken).encode())
        assert reply.status == 401
        assert set(reply.json) == {"Message", "RequestId"}


def test_the_client_name_is_required(api: Api) -> None:
    body = {k: v for k, v in api.envelope().items() if k != "Client"}
    reply = api.raw(PREFIX + "configuration/get", json.dumps(body).encode())
    assert reply.status == 400
    assert "Client" in reply.json["Message"]


def test_the_eight_demo_pairs_reach_two_enterprises_and_the_portfolio_pair_both(api: Api) -> None:
    seen = {}
    for integration in DEMO_TOKENS:
        enterprise = api.ok("configuration/get", as_=integration)["Enterprise"]
        seen[integration.access_token] = (enterprise["Id"], enterprise["Pricing"])
    assert set(seen.values()) == {(STORY.enterprise_uk, "Gross"), (STORY.enterprise_us, "Net")}
    portfolio = api.ok("configuration/get", as_=PORTFOLIO)["Enterprise"]
    assert portfolio["IsPortfolio"] is True
    chosen = api.ok("configuration/get", as_=PORTFOLIO, EnterpriseId=STORY.enterprise_us)
    assert chosen["Enterprise"]["Id"] == STORY.enterprise_us
    assert chosen["Enterprise"]["IsPortfolio"] is False


def test_every_answer_has_a_fresh_request_id(api: Api) -> None:
    ok = api.call("configuration/get")
    error = api.call("configuration/get", as_=UK_TOKEN, LanguageCode=7)
    ids = {ok.headers["Request-Id"], error.headers["Request-Id"]}
    assert len(ids) == 2
    assert error.json["RequestId"] == error.headers["Request-Id"]


def test_unknown_extra_properties_and_language_codes_are_accepted(api: Api) -> None:
    body = api.ok(
        "configuration/get", SomethingNew={"x": [1]}, LanguageCode="en-US", CultureCode="en-US"
    )
    assert body["Enterprise"]["Id"] == STORY.enterprise_uk


def test_prefer_minimal_answers_204_for_an_empty_page_and_an_empty_result(api: Api) -> None:
    minimal = {"Content-Type": "application/json", "Prefer": "return=minimal"}
    empty = api.call(
        "loyaltyPrograms/getAll", headers=minimal, Codes=["NOPE"], Limitation={"Count": 10}
    )
    assert (empty.status, empty.body) == (204, b"")
    assert "Content-Type" not in empty.headers
    assert "Request-Id" in empty.headers
    full = api.call("loyaltyPrograms/getAll", headers=minimal, Limitation={"Count": 10})
    assert full.status == 200
    note = api.ok("accountNotes/getAll", AccountIds=[STORY.emma_novak], Limitation={"Count": 1})
    deleted = api.call(
        "accountNotes/delete", headers=minimal, AccountNoteIds=[note["AccountNotes"][0]["Id"]]
    )
    assert (deleted.status, deleted.body) == (204, b"")
    assert api.ok(
        "accountNotes/getAll", AccountIds=[STORY.emma_novak], Limitation={"Count": 1}
    ) == {
        "AccountNotes": [],
        "Cursor": None,
    }


def test_without_prefer_an_empty_delete_answers_an_empty_object(api: Api) -> None:
    note = api.ok("accountNotes/getAll", AccountIds=[STORY.emma_novak], Limitation={"Count": 1})
    assert api.ok("accountNotes/delete", AccountNoteIds=[note["AccountNotes"][0]["Id"]]) == {}


@pytest.mark.anyio
async def test_an_httpx_async_client_works_through_the_in_process_transport(
    sandbox: Sandbox,
) -> None:
    envelope = Api(sandbox).envelope()
    async with httpx.AsyncClient(
        transport=sandbox.httpx_transport(), base_url="http://sandbox"
    ) as client:
        reply = await client.post(PREFIX + "configuration/get", json=envelope)
        assert reply.status_code == 200
        assert reply.json()["Enterprise"]["ChainId"] == STORY.chain_id
        assert reply.headers["request-id"]
        info = await client.get("/_sandbox/info")
        assert info.json()["Chain"]["Id"] == STORY.chain_id
        bad = await client.post(
            PREFIX + "configuration/get",
            content=b"{,}",
            headers={"Content-Type": "application/json"},
        )
        assert bad.status_code == 400
        assert bad.json()["Message"] == "Invalid JSON"
