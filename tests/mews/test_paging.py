"""Cursor paging and id batching of `getAll` operations."""

from __future__ import annotations

import json
import math

import httpx
import pytest
from pydantic import ValidationError

from tests.mews.conftest import FakeMews, FakeTime, Json, make_client, ok
from tools.mews.errors import MewsResponseError
from tools.mews.models import ActivityState, CustomerExtent, LoyaltyMembershipState

pytestmark = pytest.mark.anyio


def tier(n: int) -> Json:
    return {"Id": f"t{n}", "LoyaltyProgramId": "p", "Name": f"T{n}", "Code": f"C{n}", "Ordering": n}


def tiers_page(first: int, count: int, cursor: str | None = "last") -> httpx.Response:
    """Tiers `first`.. (`count` of them); the cursor is the last id unless given."""
    items = [tier(n) for n in range(first, first + count)]
    if cursor == "last":
        cursor = f"t{first + count - 1}" if items else None
    return ok({"LoyaltyTiers": items, "Cursor": cursor})


def limitations(fake: FakeMews) -> list[object]:
    return [sent.body["Limitation"] for sent in fake.sent]


async def test_paging_passes_each_cursor_back_and_stops_on_a_short_page(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.script = [tiers_page(0, 2), tiers_page(2, 2), tiers_page(4, 1)]
    async with make_client(fake, fake_time) as mews:
        tiers = await mews.loyalty_tiers.get_all(loyalty_program_ids=["p"], page_size=2).to_list()
    assert [t.id for t in tiers] == ["t0", "t1", "t2", "t3", "t4"]
    assert limitations(fake) == [
        {"Count": 2},
        {"Count": 2, "Cursor": "t1"},
        {"Count": 2, "Cursor": "t3"},
    ]


async def test_paging_stops_on_a_null_cursor_even_after_a_full_page(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.script = [tiers_page(0, 2, cursor=None)]
    async with make_client(fake, fake_time) as mews:
        tiers = await mews.loyalty_tiers.get_all(loyalty_program_ids=["p"], page_size=2).to_list()
    assert len(tiers) == 2
    assert len(fake.sent) == 1


async def test_paging_stops_on_an_empty_page(fake: FakeMews, fake_time: FakeTime) -> None:
    fake.script = [tiers_page(0, 2), tiers_page(2, 0)]
    async with make_client(fake, fake_time) as mews:
        tiers = await mews.loyalty_tiers.get_all(loyalty_program_ids=["p"], page_size=2).to_list()
    assert len(tiers) == 2
    assert limitations(fake) == [{"Count": 2}, {"Count": 2, "Cursor": "t1"}]


async def test_paging_defaults_to_pages_of_1000(fake: FakeMews, fake_time: FakeTime) -> None:
    fake.script = [tiers_page(0, 0)]
    async with make_client(fake, fake_time) as mews:
        assert await mews.loyalty_tiers.get_all(loyalty_program_ids=["p"]).to_list() == []
    assert limitations(fake) == [{"Count": 1000}]


async def test_iteration_streams_one_page_at_a_time(fake: FakeMews, fake_time: FakeTime) -> None:
    fake.script = [tiers_page(0, 2), tiers_page(2, 1)]
    async with make_client(fake, fake_time) as mews:
        query = mews.loyalty_tiers.get_all(loyalty_program_ids=["p"], page_size=2)
        seen: list[tuple[str, int]] = []
        async for t in query:
            seen.append((t.id, len(fake.sent)))
    assert seen == [("t0", 1), ("t1", 1), ("t2", 2)]


async def test_a_cursor_that_does_not_advance_is_an_error_not_an_endless_loop(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = tiers_page(0, 2, cursor="stuck")
    async with make_client(fake, fake_time) as mews:
        with pytest.raises(MewsResponseError, match="did not advance"):
            await mews.loyalty_tiers.get_all(loyalty_program_ids=["p"], page_size=2).to_list()
    assert len(fake.sent) == 2


async def test_manual_pages_carry_items_cursor_and_whether_more_follow(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.script = [tiers_page(0, 3), tiers_page(3, 1)]
    async with make_client(fake, fake_time) as mews:
        query = mews.loyalty_tiers.get_all(loyalty_program_ids=["p"])
        first = await query.page(count=3)
        second = await query.page(cursor=first.cursor, count=3)
    assert ([t.id for t in first.items], first.cursor, first.is_last) == (
        ["t0", "t1", "t2"],
        "t2",
        False,
    )
    assert ([t.id for t in second.items], second.is_last) == (["t3"], True)
    assert limitations(fake) == [{"Count": 3}, {"Count": 3, "Cursor": "t2"}]


@pytest.mark.parametrize("count", [0, 1001, -1])
async def test_a_page_size_outside_1_to_1000_is_rejected_before_any_request(
    count: int, fake: FakeMews, fake_time: FakeTime
) -> None:
    async with make_client(fake, fake_time) as mews:
        with pytest.raises(ValidationError, match="Input should be"):
            mews.loyalty_tiers.get_all(loyalty_program_ids=["p"], page_size=count)
        with pytest.raises(ValidationError):
            await mews.loyalty_tiers.get_all(loyalty_program_ids=["p"]).page(count=count)
    assert fake.sent == []


async def test_bad_filters_are_rejected_before_any_request(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    async with make_client(fake, fake_time) as mews:
        with pytest.raises(ValidationError, match="Input should be 'Active' or 'Deleted'"):
            mews.loyalty_programs.get_all(activity_states=["Archived"])  # type: ignore[list-item]
        with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
            mews.loyalty_programs.get_all(chain_id=["c"])  # type: ignore[call-arg]
        with pytest.raises(ValidationError, match=r"valid list|Sequence"):
            mews.loyalty_programs.get_all(chain_ids="c1")
        with pytest.raises(ValidationError, match="Field required"):
            mews.loyalty_tiers.get_all()  # type: ignore[call-arg]
    assert fake.sent == []


async def test_filters_are_sent_in_pascal_case_with_enums_as_strings(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = ok({"LoyaltyMemberships": [], "Cursor": None})
    async with make_client(fake, fake_time) as mews:
        await mews.loyalty_memberships.get_all(
            chain_ids=["c"],
            membership_states=[LoyaltyMembershipState.ENROLLED],
            activity_states=[ActivityState.ACTIVE],
        ).to_list()
    body = fake.sent[0].body
    assert (body["ChainIds"], body["MembershipStates"], body["ActivityStates"]) == (
        ["c"],
        ["Enrolled"],
        ["Active"],
    )


async def test_customers_get_all_sends_a_default_extent(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = ok({"Customers": [], "Cursor": None})
    async with make_client(fake, fake_time) as mews:
        await mews.customers.get_all(emails=["a@b.example"]).to_list()
        await mews.customers.get_all(
            emails=["a@b.example"], extent=CustomerExtent(addresses=True)
        ).to_list()
    assert fake.sent[0].body["Extent"] == {"Customers": True, "Addresses": False}
    assert fake.sent[1].body["Extent"] == {"Customers": True, "Addresses": True}


# ------------------------------------------------------------------ id batching


def memberships_of(request: httpx.Request) -> httpx.Response:
    """A Mews that holds one membership per account whose number is even, paged by cursor."""
    body = json.loads(request.content)
    accounts = [a for a in body["AccountIds"] if int(a.removeprefix("a")) % 2 == 0]
    items = [
        {
            "Id": f"m-{account}",
            "ChainId": "c",
            "AccountId": account,
            "LoyaltyProgramId": "p",
            "State": "Enrolled",
            "IsPrimary": True,
        }
        for account in accounts
    ]
    return paged("LoyaltyMemberships", items, body["Limitation"])


def paged(key: str, items: list[Json], limitation: Json) -> httpx.Response:
    """Mews' answer under `key`: the `Count` items after the `Cursor` id, the last one's id
    the next cursor."""
    start = 0
    if "Cursor" in limitation:
        start = [item["Id"] for item in items].index(limitation["Cursor"]) + 1
    page = items[start : start + limitation["Count"]]
    return ok({key: page, "Cursor": page[-1]["Id"] if page else None})


def even(ids: list[str]) -> list[str]:
    return [i for i in ids if int(i.removeprefix("a")) % 2 == 0]


@pytest.mark.parametrize("n", [1, 999, 1000, 1001, 2500])
async def test_long_id_filters_take_ceil_n_over_limit_calls_and_no_id_twice(
    n: int, fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = memberships_of
    ids = [f"a{i}" for i in range(n)]
    async with make_client(fake, fake_time) as mews:
        found = await mews.loyalty_memberships.get_all(account_ids=ids).to_list()
    # Half the accounts have a membership, so every batch fits in one (short) page.
    assert len(fake.sent) == math.ceil(n / 1000)
    requested = [i for sent in fake.sent for i in sent.body["AccountIds"]]
    assert requested == ids
    assert [m.account_id for m in found] == even(ids)


async def test_each_batch_is_paged_to_its_end_before_the_next(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = ok({"OrderItems": [], "Cursor": None})
    item: Json = {"Id": "o1", "Amount": {"Currency": "EUR", "GrossValue": 1}}
    fake.script = [
        ok({"OrderItems": [item], "Cursor": "o1"}),
        ok({"OrderItems": [], "Cursor": None}),
    ]
    ids = [f"a{i}" for i in range(150)]
    async with make_client(fake, fake_time) as mews:
        items = await mews.order_items.get_all(account_ids=ids, page_size=1).to_list()
    assert [len(sent.body["AccountIds"]) for sent in fake.sent] == [100, 100, 50]
    assert [sent.body["Limitation"] for sent in fake.sent] == [
        {"Count": 1},
        {"Count": 1, "Cursor": "o1"},
        {"Count": 1},
    ]
    assert [i.id for i in items] == ["o1"]


async def test_repeated_ids_are_requested_once(fake: FakeMews, fake_time: FakeTime) -> None:
    fake.default = memberships_of
    ids = [f"a{i % 700}" for i in range(1400)]  # 700 distinct ids, each twice
    async with make_client(fake, fake_time) as mews:
        found = await mews.loyalty_memberships.get_all(account_ids=ids).to_list()
    assert len(fake.sent) == 1
    assert fake.sent[0].body["AccountIds"] == [f"a{i}" for i in range(700)]
    assert len(found) == 350


async def test_reservation_partner_filters_are_batched_by_100(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = ok({"Reservations": [], "Cursor": None})
    async with make_client(fake, fake_time) as mews:
        await mews.reservations.get_all(channel_numbers=[f"ch{i}" for i in range(250)]).to_list()
    assert [len(sent.body["ChannelNumbers"]) for sent in fake.sent] == [100, 100, 50]


async def test_customer_company_ids_are_sent_one_per_request(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = ok({"Customers": [], "Cursor": None})
    async with make_client(fake, fake_time) as mews:
        await mews.customers.get_all(company_ids=["co1", "co2", "co3"]).to_list()
    assert [sent.body["CompanyIds"] for sent in fake.sent] == [["co1"], ["co2"], ["co3"]]


async def test_two_oversized_id_filters_are_rejected_before_any_request(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    many = [f"x{i}" for i in range(1001)]
    async with make_client(fake, fake_time) as mews:
        with pytest.raises(ValueError, match="AccountIds and LoyaltyProgramIds both exceed"):
            mews.loyalty_memberships.get_all(account_ids=many, loyalty_program_ids=many)
    assert fake.sent == []


async def test_a_full_batch_is_paged_until_mews_runs_out(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = memberships_of
    ids = [f"a{i}" for i in range(1200)]
    async with make_client(fake, fake_time) as mews:
        found = await mews.loyalty_memberships.get_all(account_ids=ids, page_size=300).to_list()
    # Batch 1 (1000 ids, 500 members): pages of 300 + 200; batch 2 (200 ids, 100 members): one.
    assert [len(sent.body["AccountIds"]) for sent in fake.sent] == [1000, 1000, 200]
    assert [m.account_id for m in found] == even(ids)


async def test_one_oversized_filter_is_batched_while_the_others_repeat_in_each_batch(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = memberships_of
    ids = [f"a{i}" for i in range(1500)]
    async with make_client(fake, fake_time) as mews:
        await mews.loyalty_memberships.get_all(account_ids=ids, loyalty_program_ids=["p"]).to_list()
    assert [sent.body["LoyaltyProgramIds"] for sent in fake.sent] == [["p"], ["p"]]


async def test_manual_paging_refuses_a_filter_that_would_need_batches(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    async with make_client(fake, fake_time) as mews:
        query = mews.loyalty_memberships.get_all(account_ids=[f"a{i}" for i in range(1001)])
        with pytest.raises(ValueError, match="iterate the query"):
            await query.page()
    assert fake.sent == []


def customers_by_id(request: httpx.Request) -> httpx.Response:
    """A Mews holding a customer for every id asked for, paged by cursor."""
    body = json.loads(request.content)
    return paged("Customers", [customer(i) for i in body["CustomerIds"]], body["Limitation"])


def customer(customer_id: str) -> Json:
    return {
        "Id": customer_id,
        "LastName": "Guest",
        "HasOtaEmail": False,
        "Classifications": [],
        "Options": [],
        "IsActive": True,
        "PreferredSpaceFeatures": [],
    }


@pytest.mark.parametrize("n", [1000, 2000, 2500])
async def test_a_full_page_answering_every_own_id_is_the_last_so_no_extra_request(
    n: int, fake: FakeMews, fake_time: FakeTime
) -> None:
    # CustomerIds are the customers' own ids: 1000 ids can match at most 1000 customers, so a
    # full page of them ends the batch and a scan by ids costs exactly ceil(n / 1000) requests.
    fake.default = customers_by_id
    ids = [f"c{i}" for i in range(n)]
    async with make_client(fake, fake_time) as mews:
        found = await mews.customers.get_all(customer_ids=ids).to_list()
    assert [c.id for c in found] == ids
    assert len(fake.sent) == math.ceil(n / 1000)


async def test_a_full_page_under_a_foreign_id_filter_still_asks_for_the_next(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    # AccountIds are not the memberships' own ids (an account may hold several memberships).
    fake.script = [tiers_page(0, 2, cursor="t1"), tiers_page(2, 0, cursor=None)]
    async with make_client(fake, fake_time) as mews:
        await mews.loyalty_tiers.get_all(loyalty_program_ids=["p1", "p2"], page_size=2).to_list()
    assert len(fake.sent) == 2


async def test_product_service_orders_are_batched_by_1000_guests_with_their_services_each_time(
    fake: FakeMews, fake_time: FakeTime
) -> None:
    fake.default = ok({"ProductServiceOrders": [], "Cursor": None})
    guests = [f"a{i}" for i in range(1500)]
    async with make_client(fake, fake_time) as mews:
        await mews.product_service_orders.get_all(service_ids=["spa"], account_ids=guests).to_list()
    assert [len(sent.body["AccountIds"]) for sent in fake.sent] == [1000, 500]
    assert [sent.body["ServiceIds"] for sent in fake.sent] == [["spa"], ["spa"]]
