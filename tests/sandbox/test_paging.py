"""Cursor pagination: newest first, cursor = last id, stable under inserts, unknown cursor."""

from __future__ import annotations

from typing import Any

from tests.sandbox.conftest import Api, later
from tools.sandbox import DOCS, STORY, FrozenClock
from tools.sandbox.paging import paginate
from tools.sandbox.validation import Limitation


def add_tiers(api: Api, count: int, prefix: str) -> list[str]:
    tiers = [
        {
            "LoyaltyProgramId": DOCS.PROGRAM_GEC07,
            "Name": f"{prefix}{i}",
            "Code": f"{prefix}{i}",
            "Ordering": i,
        }
        for i in range(count)
    ]
    return [t["Id"] for t in api.ok("loyaltyTiers/add", LoyaltyTiers=tiers)["LoyaltyTiers"]]


def page(api: Api, count: int, cursor: str | None = None) -> dict[str, Any]:
    limitation: dict[str, Any] = {"Count": count}
    if cursor is not None:
        limitation["Cursor"] = cursor
    return dict(
        api.ok("loyaltyTiers/getAll", LoyaltyProgramIds=[DOCS.PROGRAM_GEC07], Limitation=limitation)
    )


def test_pages_are_newest_first_with_ids_breaking_ties_and_cursor_is_the_last_id(
    api: Api, clock: FrozenClock
) -> None:
    same_second = add_tiers(api, 3, "A")
    later(clock, minutes=1)
    newer = add_tiers(api, 2, "B")
    first = page(api, 4)
    ids = [t["Id"] for t in first["LoyaltyTiers"]]
    assert ids == sorted(newer, reverse=True) + sorted(same_second, reverse=True)[:2]
    assert first["Cursor"] == ids[-1]
    second = page(api, 4, first["Cursor"])
    assert [t["Id"] for t in second["LoyaltyTiers"]] == sorted(same_second, reverse=True)[2:]
    assert second["Cursor"] == second["LoyaltyTiers"][-1]["Id"]
    end = page(api, 4, second["Cursor"])
    assert end == {"LoyaltyTiers": [], "Cursor": None}


def walk(api: Api, endpoint: str, key: str, count: int, **query: Any) -> list[str]:
    """The ids on every page of `endpoint`, `count` a page, following the cursor to the end."""
    walked: list[str] = []
    cursor = None
    while True:
        limitation: dict[str, Any] = {"Count": count}
        if cursor:
            limitation["Cursor"] = cursor
        reply = api.ok(endpoint, **query, Limitation=limitation)
        walked += [item["Id"] for item in reply[key]]
        cursor = reply["Cursor"]
        if not cursor:
            return walked


def test_walking_every_page_returns_each_item_once(api: Api) -> None:
    everything = api.ok(
        "loyaltyMemberships/getAll",
        ActivityStates=["Active", "Deleted"],
        Limitation={"Count": 1000},
    )["LoyaltyMemberships"]
    walked = walk(
        api,
        "loyaltyMemberships/getAll",
        "LoyaltyMemberships",
        7,
        ActivityStates=["Active", "Deleted"],
    )
    assert walked == [m["Id"] for m in everything]
    assert len(set(walked)) == len(walked) > 20


def test_new_items_do_not_shift_older_pages(api: Api, clock: FrozenClock) -> None:
    add_tiers(api, 6, "C")
    first = page(api, 3)
    expected = page(api, 3, first["Cursor"])
    later(clock, seconds=5)
    add_tiers(api, 4, "D")
    assert page(api, 3, first["Cursor"]) == expected


def test_a_cursor_keeps_working_after_its_item_is_deleted(api: Api) -> None:
    add_tiers(api, 4, "E")
    first = page(api, 2)
    expected = page(api, 2, first["Cursor"])
    api.ok("loyaltyTiers/delete", LoyaltyTierIds=[first["Cursor"]])
    assert page(api, 2, first["Cursor"]) == expected


def test_an_unknown_cursor_is_rejected(api: Api) -> None:
    unknown = "22222222-2222-4222-8222-222222222222"
    message = api.fails(
        "loyaltyTiers/getAll",
        400,
        LoyaltyProgramIds=[DOCS.PROGRAM_PC01],
        Limitation={"Count": 5, "Cursor": unknown},
    )
    assert message == f"Invalid Cursor: '{unknown}' does not name an item of this kind."
    membership_id = STORY.emma_novak_membership  # exists, but is not a tier
    assert api.fails(
        "loyaltyTiers/getAll",
        400,
        LoyaltyProgramIds=[DOCS.PROGRAM_PC01],
        Limitation={"Count": 5, "Cursor": membership_id},
    ).startswith("Invalid Cursor")


def test_the_cursor_key_is_present_even_when_extents_suppress_data(api: Api) -> None:
    reply = api.ok(
        "customers/getAll",
        Extent={"Customers": False},
        CustomerIds=[STORY.emma_novak],
        Limitation={"Count": 10},
    )
    assert reply == {"Customers": [], "Documents": None, "Cursor": STORY.emma_novak}
    empty = api.ok("loyaltyPrograms/getAll", Codes=["NONE"], Limitation={"Count": 10})
    assert empty == {"LoyaltyPrograms": [], "Cursor": None}


def test_derived_order_items_page_consistently(api: Api) -> None:
    query = {"AccountIds": [STORY.business_traveller]}
    everything = api.ok("orderItems/getAll", **query, Limitation={"Count": 1000})["OrderItems"]
    assert len(everything) > 100
    created = [item["CreatedUtc"] for item in everything]
    assert created == sorted(created, reverse=True)
    walked = walk(api, "orderItems/getAll", "OrderItems", 50, **query)
    assert walked == [item["Id"] for item in everything]
    one = api.ok("orderItems/getAll", OrderItemIds=[walked[3]], Limitation={"Count": 1})
    assert one["OrderItems"] == [everything[3]]


def test_paginate_orders_ties_by_id_and_starts_strictly_after_the_cursor() -> None:
    rows = [(5, "b"), (5, "c"), (7, "d"), (5, "a"), (1, "z")]
    keys = {ident: (created, ident) for created, ident in rows}
    items, cursor = paginate(
        rows,
        created=lambda r: r[0],
        ident=lambda r: r[1],
        limitation=Limitation(2, "c"),
        resolve_cursor=keys.get,
    )
    assert items == [(5, "b"), (5, "a")]
    assert cursor == "a"
