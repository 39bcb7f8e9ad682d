"""Every documented example (`shared/mews/examples/*.json`) through the sandbox.

1. Verbatim, each on a fresh sandbox: the documented request gets 200, every top-level key of the
   documented response is in ours, and for arrays the keys of the first documented element are
   in our first element. The documented reads return data, except the two whose filters cannot
   match any record (`EXPECTED_EMPTY`). One example cannot succeed on a fresh chain:
   `loyaltyPrograms/delete` deletes both demo programs, which have members, so the business
   rule answers 403 — the docs' own rule ("a program with active memberships cannot be deleted").
2. The docs' story in one sandbox: reads → adds → updates → deletes (account notes, memberships,
   tiers, programs). The documented add answers name the ids the later examples use (the
   program `f701dafb-…` that `loyaltyTiers/add` targets, the customer `99b4f0af-…` that
   `customers/update` edits, …); the replay substitutes the ids our adds returned for them, so the
   story acts on what it created. Before `loyaltyPrograms/delete`, the Gold Exclusive Club still
   has seeded members: the replay checks the 403, deletes those memberships, and replays.
3. The sandbox served by uvicorn on a real local port, called with a plain HTTP client.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.serving import serve
from tools.sandbox import Sandbox

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
EXPECTED_EMPTY = {"payments_getAll", "resourceCategories_getAll"}
ADDS = (
    "loyaltyPrograms_add",
    "loyaltyTiers_add",
    "loyaltyMemberships_add",
    "customers_add",
    "accountNotes_add",
    "messageThreads_add",
    "messages_add",
    "orders_add",
    "tasks_add",
)
UPDATES = (
    "loyaltyPrograms_update",
    "loyaltyTiers_update",
    "loyaltyMemberships_update",
    "customers_update",
    "accountNotes_update",
    "accounts_update",
)
DELETES = (
    "accountNotes_delete",
    "loyaltyMemberships_delete",
    "loyaltyTiers_delete",
    "loyaltyPrograms_delete",
)
ID_KEYS = ("Id", "OrderId", "TaskId")


def load(folder: Path) -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}


def send(sandbox: Sandbox, path: str, request: Any) -> tuple[int, Any]:
    status, _, body = asyncio.run(
        sandbox.handle(
            "POST", path, {"Content-Type": "application/json"}, json.dumps(request).encode()
        )
    )
    return status, json.loads(body) if body else None


def check_documented_keys(name: str, documented: dict[str, Any], ours: dict[str, Any]) -> bool:
    """Assert the documented keys are in our answer; return whether an array had data."""
    missing = [key for key in documented if key not in ours]
    assert not missing, f"{name}: answer lacks {missing}"
    data = False
    for key, value in documented.items():
        if isinstance(value, list) and value and isinstance(value[0], dict) and ours[key]:
            data = True
            missing = [k for k in value[0] if k not in ours[key][0]]
            assert not missing, f"{name}: {key}[0] lacks {missing}"
    return data


def fresh() -> Sandbox:
    return Sandbox.seeded(seed=1, customers=60, now=NOW)


def test_the_examples_are_all_covered_by_the_replay_order(mews_examples_dir: Path) -> None:
    names = set(load(mews_examples_dir))
    reads = {n for n in names if n.split("_")[1].startswith(("get", "search"))}
    assert len(names) == 41
    assert reads | set(ADDS) | set(UPDATES) | set(DELETES) == names
    assert not reads & set(ADDS + UPDATES + DELETES)


def test_each_example_works_verbatim_on_a_fresh_sandbox(mews_examples_dir: Path) -> None:
    for name, example in load(mews_examples_dir).items():
        status, body = send(fresh(), example["path"], example["request"])
        if name == "loyaltyPrograms_delete":
            assert status == 403, body
            assert "cannot be deleted" in body["Message"]
            continue
        assert status == 200, (name, body)
        has_data = check_documented_keys(name, example["response"], body)
        documented_data = any(isinstance(v, list) and v for v in example["response"].values())
        if documented_data and name.split("_")[1].startswith(("get", "search")):
            assert has_data == (name not in EXPECTED_EMPTY), name


def substitute(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [substitute(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, ids) for key, item in value.items()}
    return value


def collect_ids(documented: Any, ours: Any, ids: dict[str, str]) -> None:
    """Map ids in a documented add answer to the ids at the same place in ours."""
    if isinstance(documented, dict) and isinstance(ours, dict):
        for key, value in documented.items():
            if key in ID_KEYS and isinstance(value, str) and isinstance(ours.get(key), str):
                ids[value] = ours[key]
            elif key in ours:
                collect_ids(value, ours[key], ids)
    elif isinstance(documented, list) and isinstance(ours, list):
        for documented_item, our_item in zip(documented, ours, strict=False):
            collect_ids(documented_item, our_item, ids)


def test_the_documented_story_replays_in_one_sandbox(mews_examples_dir: Path) -> None:
    examples = load(mews_examples_dir)
    reads = sorted(n for n in examples if n.split("_")[1].startswith(("get", "search")))
    sandbox = fresh()
    ids: dict[str, str] = {}
    for name in (*reads, *ADDS, *UPDATES, *DELETES):
        example = examples[name]
        request = substitute(example["request"], ids)
        if name == "loyaltyPrograms_delete":
            remove_remaining_members(sandbox, request)
        status, body = send(sandbox, example["path"], request)
        assert status == 200, (name, body)
        check_documented_keys(name, example["response"], body)
        if name in ADDS:
            collect_ids(example["response"], body, ids)
    assert {"f701dafb-5765-4cf4-b1dd-1f602a740ae5", "99b4f0af-9558-463b-8452-07a9bc414708"} <= set(
        ids
    )
    envelope = {
        k: examples["configuration_get"]["request"][k]
        for k in ("ClientToken", "AccessToken", "Client")
    }
    status, programs = send(
        sandbox,
        examples["loyaltyPrograms_getAll"]["path"],
        {
            **envelope,
            "ActivityStates": ["Deleted"],
            "Limitation": {"Count": 100},
        },
    )
    deleted = {p["Id"] for p in programs["LoyaltyPrograms"]}
    assert {
        ids["f701dafb-5765-4cf4-b1dd-1f602a740ae5"],
        "da34b396-41f7-47f6-8847-aecf00a3f19e",
    } <= deleted


def remove_remaining_members(sandbox: Sandbox, request: dict[str, Any]) -> None:
    """The documented delete must first meet the 403 rule, then succeed once members are gone."""
    path = "/api/connector/v1/loyaltyPrograms/delete"
    status, body = send(sandbox, path, request)
    assert status == 403, body
    envelope = {k: request[k] for k in ("ClientToken", "AccessToken", "Client")}
    status, page = send(
        sandbox,
        "/api/connector/v1/loyaltyMemberships/getAll",
        {
            **envelope,
            "LoyaltyProgramIds": request["LoyaltyProgramIds"],
            "Limitation": {"Count": 1000},
        },
    )
    members = [m["Id"] for m in page["LoyaltyMemberships"]]
    assert members
    status, _ = send(
        sandbox,
        "/api/connector/v1/loyaltyMemberships/delete",
        {
            **envelope,
            "LoyaltyMembershipIds": members,
        },
    )
    assert status == 200


@pytest.fixture
def base_url() -> Iterator[str]:
    sandbox = Sandbox.seeded(seed=1, customers=40, now=NOW)
    with serve(sandbox.asgi_app, interface="asgi3", lifespan="on") as url:
        yield url


def post(url: str, data: bytes) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, dict(reply.headers), json.loads(reply.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), json.loads(error.read())


def test_over_a_real_port_an_example_malformed_json_and_a_wrong_token(
    base_url: str, mews_examples_dir: Path
) -> None:
    example = json.loads((mews_examples_dir / "loyaltyMemberships_getAll.json").read_text())
    status, headers, body = post(
        base_url + example["path"], json.dumps(example["request"]).encode()
    )
    assert status == 200
    assert headers["request-id"]
    assert [m["Id"] for m in body["LoyaltyMemberships"]] == ["905a4489-0960-4ac9-96ec-793f47365c92"]

    status, headers, body = post(base_url + example["path"], b'{"ClientToken": "x",}')
    assert (status, body["Message"]) == (400, "Invalid JSON")
    assert body["RequestId"] == headers["request-id"]

    wrong = {**example["request"], "AccessToken": "F" * 32 + "-" + "F" * 31}
    status, _, body = post(base_url + example["path"], json.dumps(wrong).encode())
    assert status == 401
    assert set(body) == {"Message", "RequestId"}
