"""The request every operation sends: envelope, path, body; credentials and configuration."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.mews.conftest import (
    ACCESS_TOKEN,
    CLIENT_TOKEN,
    CREDENTIALS,
    MEMBERSHIP,
    FakeMews,
    FakeTime,
    Json,
    error,
    make_client,
    ok,
)
from tools.mews import (
    MewsBadRequest,
    MewsClient,
    MewsConfigurationError,
    MewsCredentials,
    MewsServerError,
)
from tools.mews.credentials import DEMO_BASE_URL, PRODUCTION_BASE_URL
from tools.mews.errors import MewsTransportError
from tools.mews.models import (
    AccountNoteParameters,
    AmountParameters,
    CustomerAddParameters,
    CustomerUpdateParameters,
    LoyaltyMembershipParameters,
    LoyaltyMembershipUpdateParameters,
    LoyaltyProgramParameters,
    LoyaltyProgramUpdateParameters,
    LoyaltyTierParameters,
    LoyaltyTierUpdateParameters,
    OrderItemParameters,
    OrderParameters,
    TaskParameters,
    UpdateValue,
)
from tools.mews.paging import Query
from tools.mews.retry import RetryPolicy

pytestmark = pytest.mark.anyio

ENVELOPE: Json = {
    "ClientToken": CLIENT_TOKEN,
    "AccessToken": ACCESS_TOKEN,
    "Client": "Loyalty Tests 1.0",
}

PROGRAM: Json = {
    "Id": "p1",
    "ChainId": "c1",
    "Name": "Club",
    "Code": "CLUB",
    "Type": "Hotel",
    "Subscription": "Free",
}
TIER: Json = {"Id": "t1", "LoyaltyProgramId": "p1", "Name": "Gold", "Code": "G", "Ordering": 1}
CUSTOMER: Json = {"Id": "cu1", "LastName": "Smith"}
NOTE: Json = {"Id": "n1", "AccountId": "a1", "Content": "Likes tea"}


@dataclass(frozen=True)
class Op:
    """One client method, how to call it, the path it must hit and a valid answer."""

    group: str
    method: str
    call: Callable[[Any], Any]
    path: str
    answer: Json


def page(key: str) -> Json:
    return {key: [], "Cursor": None}


DEADLINE = datetime(2026, 1, 1, 12, tzinfo=UTC)

OPERATIONS = [
    Op(
        "configuration",
        "get",
        lambda m: m.get(),
        "configuration/get",
        {"NowUtc": "2026-01-01T00:00:00Z", "Enterprise": {"Id": "e1", "Name": "Hotel"}},
    ),
    Op("enterprises", "get_all", lambda m: m.get_all(), "enterprises/getAll", page("Enterprises")),
    Op(
        "loyalty_programs",
        "get_all",
        lambda m: m.get_all(),
        "loyaltyPrograms/getAll",
        page("LoyaltyPrograms"),
    ),
    Op(
        "loyalty_programs",
        "add",
        lambda m: m.add(
            [LoyaltyProgramParameters(name="Club", code="C", type="Hotel", subscription="Free")]
        ),
        "loyaltyPrograms/add",
        {"LoyaltyPrograms": [PROGRAM]},
    ),
    Op(
        "loyalty_programs",
        "update",
        lambda m: m.update(
            [LoyaltyProgramUpdateParameters(loyalty_program_id="p1", name=UpdateValue(value="New"))]
        ),
        "loyaltyPrograms/update",
        {"LoyaltyPrograms": [PROGRAM]},
    ),
    Op("loyalty_programs", "delete", lambda m: m.delete(["p1"]), "loyaltyPrograms/delete", {}),
    Op(
        "loyalty_tiers",
        "get_all",
        lambda m: m.get_all(loyalty_program_ids=["p1"]),
        "loyaltyTiers/getAll",
        page("LoyaltyTiers"),
    ),
    Op(
        "loyalty_tiers",
        "add",
        lambda m: m.add(
            [LoyaltyTierParameters(loyalty_program_id="p1", name="Gold", code="G", ordering=1)]
        ),
        "loyaltyTiers/add",
        {"LoyaltyTiers": [TIER]},
    ),
    Op(
        "loyalty_tiers",
        "update",
        lambda m: m.update(
            [LoyaltyTierUpdateParameters(loyalty_tier_id="t1", ordering=UpdateValue(value=2))]
        ),
        "loyaltyTiers/update",
        {"LoyaltyTiers": [TIER]},
    ),
    Op("loyalty_tiers", "delete", lambda m: m.delete(["t1"]), "loyaltyTiers/delete", {}),
    Op(
        "loyalty_memberships",
        "get_all",
        lambda m: m.get_all(),
        "loyaltyMemberships/getAll",
        page("LoyaltyMemberships"),
    ),
    Op(
        "loyalty_memberships",
        "add",
        lambda m: m.add(
            [LoyaltyMembershipParameters(account_id="a1", loyalty_program_id="p1", is_primary=True)]
        ),
        "loyaltyMemberships/add",
        {"LoyaltyMemberships": [MEMBERSHIP]},
    ),
    Op(
        "loyalty_memberships",
        "update",
        lambda m: m.update(
            [
                LoyaltyMembershipUpdateParameters(
                    loyalty_membership_id="m1", points=UpdateValue(value=5)
                )
            ]
        ),
        "loyaltyMemberships/update",
        {"LoyaltyMemberships": [MEMBERSHIP]},
    ),
    Op(
        "loyalty_memberships", "delete", lambda m: m.delete(["m1"]), "loyaltyMemberships/delete", {}
    ),
    Op(
        "customers",
        "get_all",
        lambda m: m.get_all(customer_ids=["cu1"]),
        "customers/getAll",
        page("Customers"),
    ),
    Op(
        "customers",
        "search",
        lambda m: m.search(name="Smith"),
        "customers/search",
        {"Customers": []},
    ),
    Op(
        "customers",
        "add",
        lambda m: m.add(CustomerAddParameters(last_name="Smith", overwrite_existing=False)),
        "customers/add",
        CUSTOMER,
    ),
    Op(
        "customers",
        "update",
        lambda m: m.update(CustomerUpdateParameters(customer_id="cu1", email="a@b.example")),
        "customers/update",
        CUSTOMER,
    ),
    Op(
        "reservations",
        "get_all",
        lambda m: m.get_all(account_ids=["a1"]),
        "reservations/getAll/2023-06-06",
        page("Reservations"),
    ),
    Op(
        "product_service_orders",
        "get_all",
        lambda m: m.get_all(service_ids=["s1"], linked_reservation_ids=["r1"]),
        "productServiceOrders/getAll",
        page("ProductServiceOrders"),
    ),
    Op(
        "order_items",
        "get_all",
        lambda m: m.get_all(service_order_ids=["r1"]),
        "orderItems/getAll",
        page("OrderItems"),
    ),
    Op("bills", "get_all", lambda m: m.get_all(bill_ids=["b1"]), "bills/getAll", page("Bills")),
    Op(
        "accounting_categories",
        "get_all",
        lambda m: m.get_all(),
        "accountingCategories/getAll",
        page("AccountingCategories"),
    ),
    Op("services", "get_all", lambda m: m.get_all(), "services/getAll", page("Services")),
    Op(
        "products",
        "get_all",
        lambda m: m.get_all(service_ids=["s1"]),
        "products/getAll",
        page("Products"),
    ),
    Op(
        "resource_categories",
        "get_all",
        lambda m: m.get_all(service_ids=["s1"]),
        "resourceCategories/getAll",
        page("ResourceCategories"),
    ),
    Op(
        "tasks",
        "add",
        lambda m: m.add(TaskParameters(name="Approve", deadline_utc=DEADLINE)),
        "tasks/add",
        {"TaskId": "task-1"},
    ),
    Op("tasks", "get_all", lambda m: m.get_all(task_ids=["task-1"]), "tasks/getAll", page("Tasks")),
    Op(
        "orders",
        "add",
        lambda m: m.add(
            OrderParameters(
                service_id="s1",
                account_id="a1",
                items=(
                    OrderItemParameters(
                        name="Late checkout",
                        unit_amount=AmountParameters(currency="GBP", gross_value=Decimal(0)),
                        external_identifier="loyalty-entry-1",
                    ),
                ),
            )
        ),
        "orders/add",
        {"OrderId": "order-1"},
    ),
    Op(
        "account_notes",
        "add",
        lambda m: m.add([AccountNoteParameters(account_id="a1", content="Likes tea")]),
        "accountNotes/add",
        {"AccountNotes": [NOTE]},
    ),
    Op(
        "account_notes",
        "get_all",
        lambda m: m.get_all(account_ids=["a1"]),
        "accountNotes/getAll",
        page("AccountNotes"),
    ),
]

ADDS = {
    "loyaltyPrograms/add",
    "loyaltyTiers/add",
    "loyaltyMemberships/add",
    "customers/add",
    "tasks/add",
    "orders/add",
    "accountNotes/add",
}


async def invoke(client: MewsClient, op: Op) -> object:
    result = op.call(getattr(client, op.group))
    if isinstance(result, Query):
        return await result.to_list()
    assert isinstance(result, Awaitable)
    return await result


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.path)
async def test_each_method_posts_to_its_exact_path(op: Op, fake_time: FakeTime) -> None:
    fake = FakeMews(default=ok(op.answer))
    async with make_client(fake, fake_time) as mews:
        await invoke(mews, op)
    assert fake.paths == [op.path]


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.path)
def test_each_method_docstring_first_line_names_its_path(op: Op) -> None:
    method = getattr(type(getattr(MewsClient(CREDENTIALS), op.group)), op.method)
    assert f"`{op.path}`" in method.__doc__.splitlines()[0]


def test_the_table_covers_every_public_operation_method() -> None:
    client = MewsClient(CREDENTIALS)
    groups = {name: group for name, group in vars(client).items() if not name.startswith("_")}
    methods = {
        (name, attr)
        for name, group in groups.items()
        if name not in ("credentials", "stats", "chain_ids", "rate_limiter")
        for attr in dir(group)
        if not attr.startswith("_")
    }
    assert methods == {(op.group, op.method) for op in OPERATIONS}


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.path)
async def test_a_500_is_retried_for_every_operation_except_adds(
    op: Op, fake_time: FakeTime
) -> None:
    fake = FakeMews(script=[error(500)], default=ok(op.answer))
    async with make_client(fake, fake_time) as mews:
        if op.path in ADDS:
            with pytest.raises(MewsServerError):
                await invoke(mews, op)
            assert fake.paths == [op.path]
        else:
            await invoke(mews, op)
            assert fake.paths == [op.path, op.path]


async def test_every_request_body_starts_with_exactly_the_token_envelope(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = ok({"LoyaltyMemberships": [], "Cursor": None})
    async with make_client(fake, fake_time) as mews:
        await mews.loyalty_memberships.get_all(account_ids=["a1"], page_size=10).to_list()
    assert fake.sent[0].body == {
        **ENVELOPE,
        "AccountIds": ["a1"],
        "Limitation": {"Count": 10},
    }


async def test_language_and_culture_codes_are_sent_together(fake_time: FakeTime) -> None:
    credentials = MewsCredentials(
        base_url=DEMO_BASE_URL,
        client_token=CLIENT_TOKEN,
        access_token=ACCESS_TOKEN,
        client_name="Loyalty Tests 1.0",
        language_code="de-DE",
        culture_code="de-DE",
    )
    fake = FakeMews(default=ok({}))
    async with make_client(fake, fake_time, credentials=credentials) as mews:
        await mews.loyalty_tiers.delete(["t1"])
    assert fake.sent[0].body == {
        **ENVELOPE,
        "LanguageCode": "de-DE",
        "CultureCode": "de-DE",
        "LoyaltyTierIds": ["t1"],
    }


def test_a_language_code_without_a_culture_code_is_a_configuration_error() -> None:
    with pytest.raises(MewsConfigurationError, match="together"):
        MewsCredentials(DEMO_BASE_URL, "ct", "at", "client", language_code="en-US")


async def test_writes_send_chain_id_only_when_given(fake: FakeMews, fake_time: FakeTime) -> None:
    fake.default = ok({})
    async with make_client(fake, fake_time) as mews:
        await mews.loyalty_memberships.delete(["m1", "m2", "m1"], chain_id="c9")
        await mews.loyalty_memberships.delete(["m3"])
    assert fake.sent[0].body == {**ENVELOPE, "ChainId": "c9", "LoyaltyMembershipIds": ["m1", "m2"]}
    assert fake.sent[1].body == {**ENVELOPE, "LoyaltyMembershipIds": ["m3"]}


async def test_configuration_get_passes_the_portfolio_enterprise_id(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = ok({"NowUtc": "2026-01-01T00:00:00Z", "Enterprise": {"Id": "e1", "Name": "H"}})
    async with make_client(fake, fake_time) as mews:
        config = await mews.configuration.get(enterprise_id="e1")
    assert fake.sent[0].body == {**ENVELOPE, "EnterpriseId": "e1"}
    assert config.now_utc == datetime(2026, 1, 1, tzinfo=UTC)


def test_credentials_from_env_name_every_missing_variable() -> None:
    with pytest.raises(MewsConfigurationError) as raised:
        MewsCredentials.from_env({"MEWS_BASE_URL": DEMO_BASE_URL, "MEWS_CLIENT_NAME": " "})
    assert "MEWS_CLIENT_TOKEN" in str(raised.value)
    assert "MEWS_ACCESS_TOKEN" in str(raised.value)
    assert "MEWS_CLIENT_NAME" in str(raised.value)
    assert "MEWS_BASE_URL" not in str(raised.value).split("(")[0]


def test_credentials_from_env_read_all_four_variables() -> None:
    credentials = MewsCredentials.from_env(
        {
            "MEWS_BASE_URL": PRODUCTION_BASE_URL + "/",
            "MEWS_CLIENT_TOKEN": "ct",
            "MEWS_ACCESS_TOKEN": "at",
            "MEWS_CLIENT_NAME": "Loyalty 1.0",
        }
    )
    assert credentials == MewsCredentials(PRODUCTION_BASE_URL, "ct", "at", "Loyalty 1.0")


def test_a_base_url_without_scheme_is_a_configuration_error() -> None:
    with pytest.raises(MewsConfigurationError, match="https://"):
        MewsCredentials("api.mews.com", "ct", "at", "client")


def test_tokens_never_appear_in_reprs() -> None:
    client = MewsClient(CREDENTIALS)
    for text in (repr(CREDENTIALS), repr(client)):
        assert CLIENT_TOKEN not in text
        assert ACCESS_TOKEN not in text


async def test_tokens_never_appear_in_logs_or_errors(
    fake: FakeMews, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    fake.script = [error(503)]
    fake.default = error(400, "Invalid LoyaltyProgramId")
    caplog.set_level(logging.DEBUG, logger="tools.mews")
    async with make_client(fake, fake_time) as mews:
        with pytest.raises(MewsBadRequest) as raised:
            await mews.loyalty_programs.get_all().to_list()
    texts = [record.getMessage() for record in caplog.records] + [str(raised.value)]
    assert len(texts) > 2
    assert not [text for text in texts if CLIENT_TOKEN in text or ACCESS_TOKEN in text]


async def test_stats_count_requests_per_path_and_reset(fake: FakeMews, fake_time: FakeTime) -> None:
    fake.script = [error(429, **{"Retry-After": "2"})]
    fake.default = ok({})
    async with make_client(fake, fake_time) as mews:
        await mews.loyalty_tiers.delete(["t1"])
        await mews.loyalty_programs.delete(["p1"])
        assert dict(mews.stats.requests) == {"loyaltyTiers/delete": 2, "loyaltyPrograms/delete": 1}
        assert (mews.stats.total_requests, mews.stats.retries, mews.stats.rate_limited) == (3, 1, 1)
        assert mews.stats.total_wait_seconds == 2.0
        mews.stats.reset()
        assert (mews.stats.total_requests, mews.stats.retries, mews.stats.total_wait_seconds) == (
            0,
            0,
            0.0,
        )


async def test_the_network_is_reached_through_the_proxy_the_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A hotel behind a corporate proxy sets HTTPS_PROXY: requests to Mews go through it (here a
    local listener that records the tunnel asked for, then hangs up)."""
    asked: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        asked.append(await reader.readline())
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    credentials = MewsCredentials(DEMO_BASE_URL, CLIENT_TOKEN, ACCESS_TOKEN, "Loyalty Tests 1.0")
    retry_once = RetryPolicy(max_attempts=1)
    async with server, MewsClient(credentials, retry=retry_once) as mews:
        with pytest.raises(MewsTransportError):
            await mews.configuration.get()
    assert asked == [b"CONNECT api.mews-demo.com:443 HTTP/1.1\r\n"]
