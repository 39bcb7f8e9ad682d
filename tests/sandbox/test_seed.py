"""The seeded demo chain: determinism, story members, awkward records, coverage of states."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from tests.sandbox.conftest import NOW, Api, interval
from tools.sandbox import DOCS, PORTFOLIO, STORY, Sandbox
from tools.sandbox.derive import visible_items
from tools.sandbox.seed_story import INJECTION_ACCOUNT_NOTE, INJECTION_NOTES

LIMIT: dict[str, Any] = {"Limitation": {"Count": 1000}}


def fingerprint(sandbox: Sandbox) -> str:
    """A digest of what the API shows: customers, memberships, reservations and spend."""
    api = Api(sandbox)
    digest = hashlib.sha256()
    for start in range(0, 1200, 80):
        window = interval(NOW - timedelta(days=start + 80), NOW - timedelta(days=start))
        parts = [
            api.ok("customers/getAll", Extent={"Customers": True}, CreatedUtc=window, **LIMIT),
            api.ok("reservations/getAll/2023-06-06", CreatedUtc=window, **LIMIT),
        ]
        digest.update(json.dumps(parts, sort_keys=True).encode())
    digest.update(json.dumps(api.ok("loyaltyMemberships/getAll", **LIMIT), sort_keys=True).encode())
    now = sandbox.now()
    spend = [
        (i.id or i.n, i.unit_price, i.type)
        for r in sandbox.state.by_idx
        for i in visible_items(sandbox.state, r, now)
    ]
    digest.update(repr(spend).encode())
    return digest.hexdigest()


def test_the_same_seed_gives_identical_data_and_another_seed_different_data() -> None:
    first = fingerprint(Sandbox.seeded(seed=7, customers=150, now=NOW))
    assert fingerprint(Sandbox.seeded(seed=7, customers=150, now=NOW)) == first
    assert fingerprint(Sandbox.seeded(seed=8, customers=150, now=NOW)) != first


def test_the_customer_count_is_the_total_number_of_profiles() -> None:
    assert len(Sandbox.seeded(seed=1, customers=500, now=NOW).state.customers) == 500
    assert len(Sandbox.seeded(seed=1, customers=0, now=NOW).state.customers) == 19


def customers(api: Api, **filters: Any) -> list[dict[str, Any]]:
    return list(
        api.ok("customers/getAll", Extent={"Customers": True}, **filters, **LIMIT)["Customers"]
    )


def test_awkward_records_exist(api: Api) -> None:
    smiths = customers(api, FirstNames=["John"], LastNames=["Smith"])
    assert {c["Id"] for c in smiths} == {STORY.john_smith, STORY.john_smith_second}
    [ana] = customers(api, CustomerIds=[STORY.no_email])
    assert ana["Email"] is None
    names = {
        (c["FirstName"], c["LastName"])
        for c in customers(api, CustomerIds=[STORY.zoe, STORY.jose, STORY.yamada])
    }
    assert names == {("Zoë", "Łukasiewicz"), ("José", "Müller"), ("太郎", "山田")}
    raw = api.call(
        "customers/getAll", Extent={"Customers": True}, CustomerIds=[STORY.yamada], **LIMIT
    )
    assert "山田".encode() in raw.body
    [mallory] = customers(api, CustomerIds=[STORY.injection])
    assert mallory["Notes"] == INJECTION_NOTES
    assert "SYSTEM:" in INJECTION_NOTES
    notes = api.ok("accountNotes/getAll", AccountIds=[STORY.injection], **LIMIT)["AccountNotes"]
    assert [n["Content"] for n in notes] == [INJECTION_ACCOUNT_NOTE]


def test_both_john_smiths_are_found_by_search_when_one_is_in_house(api: Api) -> None:
    found = api.ok("customers/search", Name="smith")["Customers"]
    ids = {entry["Customer"]["Id"] for entry in found}
    assert STORY.john_smith_second in ids
    in_house = next(e for e in found if e["Customer"]["Id"] == STORY.john_smith_second)
    assert in_house["Reservation"]["Id"] == STORY.john_smith_second_stay
    assert in_house["Reservation"]["State"] == "Started"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def membership(api: Api, membership_id: str) -> dict[str, Any]:
    page = api.ok("loyaltyMemberships/getAll", LoyaltyMembershipIds=[membership_id], **LIMIT)
    return dict(page["LoyaltyMemberships"][0])


def stays(api: Api, account: str) -> list[dict[str, Any]]:
    """Stays in both hotels (the portfolio token sees both enterprises)."""
    reply = api.ok("reservations/getAll/2023-06-06", as_=PORTFOLIO, AccountIds=[account], **LIMIT)
    return list(reply["Reservations"])


def test_emma_novak_is_silver_close_to_gold_with_points_expiring_soon_and_spends_on_spa(
    api: Api,
) -> None:
    emma = membership(api, STORY.emma_novak_membership)
    assert (emma["LoyaltyTierId"], emma["Points"], emma["State"]) == (
        STORY.tier_silver,
        6240,
        "Enrolled",
    )
    assert emma["ExpirationDate"] <= (NOW + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    year_ago = (NOW - timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    done = [s for s in stays(api, STORY.emma_novak) if s["State"] == "Processed"]
    recent = [s for s in done if s["ScheduledStartUtc"] >= year_ago]
    nights = sum(
        round((at(s["ScheduledEndUtc"]) - at(s["ScheduledStartUtc"])) / timedelta(days=1))
        for s in recent
    )
    assert nights == 22
    oldest = min(s["ScheduledStartUtc"] for s in done)
    assert oldest < (NOW - timedelta(days=700)).strftime("%Y-%m-%dT%H:%M:%SZ")
    wellness = {
        c["Id"]
        for c in api.ok("accountingCategories/getAll", **LIMIT)["AccountingCategories"]
        if c["Classification"] == "Wellness"
    }
    items = api.ok("orderItems/getAll", AccountIds=[STORY.emma_novak], **LIMIT)["OrderItems"]
    spa = [i for i in items if i["AccountingCategoryId"] in wellness]
    assert len(spa) >= 8
    assert any(s["State"] == "Confirmed" for s in stays(api, STORY.emma_novak))


def test_the_other_story_members_are_what_their_story_says(api: Api) -> None:
    lapsed = membership(api, STORY.lapsed_gold_membership)
    assert lapsed["LoyaltyTierId"] == STORY.tier_gold
    last = max(s["ScheduledEndUtc"] for s in stays(api, STORY.lapsed_gold))
    assert last < (NOW - timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    traveller = stays(api, STORY.business_traveller)
    assert {s["Purpose"] for s in traveller} == {"Business"}
    assert len([s for s in traveller if s["ScheduledStartUtc"] >= "2025-11-22"]) >= 24
    assert {s["ServiceId"] for s in traveller} == {
        api.ok("services/getAll", as_=PORTFOLIO, ServiceType="Bookable", **LIMIT)["Services"][i][
            "Id"
        ]
        for i in (0, 1)
    }
    food = api.ok(
        "orderItems/getAll", AccountIds=[STORY.business_traveller], Types=["ProductOrder"], **LIMIT
    )
    assert len(food["OrderItems"]) >= 200
    assert membership(api, STORY.zero_points_membership)["Points"] == 0
    assert membership(api, STORY.canceled_member_membership)["State"] == "Canceled"


def test_three_years_of_stays_cover_every_state_mostly_processed(sandbox: Sandbox) -> None:
    states = Counter(r.state for r in sandbox.state.by_idx)
    assert {"Confirmed", "Started", "Processed", "Canceled"} <= set(states)
    assert states.most_common(1)[0][0] == "Processed"
    earliest = min(r.start for r in sandbox.state.by_idx if r.id != DOCS.RESERVATION_TASKS)
    assert sandbox.now() - earliest > 2.5 * 365 * 86400


def test_a_larger_chain_has_every_reservation_state() -> None:
    states = Counter(r.state for r in Sandbox.seeded(seed=3, customers=1500, now=NOW).state.by_idx)
    assert set(states) == {
        "Confirmed",
        "Started",
        "Processed",
        "Canceled",
        "Optional",
        "Inquired",
        "Requested",
    }
    assert states["Processed"] > sum(states.values()) / 2


def test_spend_is_booked_under_the_catalogue_accounting_categories(api: Api) -> None:
    categories = {
        c["Id"]: c["Classification"]
        for c in api.ok("accountingCategories/getAll", **LIMIT)["AccountingCategories"]
    }
    assert {
        "Accommodation",
        "FoodAndBeverage",
        "Wellness",
        "Facilities",
        "Taxes",
        "Payments",
    } <= set(categories.values())
    window = interval(NOW - timedelta(days=90), NOW)
    items = api.ok("orderItems/getAll", ConsumedUtc=window, **LIMIT)["OrderItems"]
    seen = {categories[i["AccountingCategoryId"]] for i in items}
    assert {"Accommodation", "FoodAndBeverage", "Taxes"} <= seen
    assert {"SpaceOrder", "CityTax", "ProductOrder"} <= {i["Type"] for i in items}
    payments = api.ok("payments/getAll", CreatedUtc=window, **LIMIT)["Payments"]
    assert payments
    assert {categories[p["AccountingCategoryId"]] for p in payments} == {"Payments"}


def test_the_catalogue_has_rewards_to_build_from(api: Api) -> None:
    services = api.ok("services/getAll", **LIMIT)["Services"]
    kinds = {s["Name"]: s["Data"]["Discriminator"] for s in services}
    assert kinds == {
        "Accommodation": "Bookable",
        "Restaurant": "Additional",
        "Spa & Wellness": "Additional",
    }
    products = api.ok("products/getAll", ServiceIds=[s["Id"] for s in services], **LIMIT)[
        "Products"
    ]
    names = {p["Names"]["en-GB"] for p in products}
    assert {
        "Breakfast",
        "Late checkout",
        "Welcome drink",
        "Spa credit",
        "Massage 60 min",
        "Room upgrade",
        "Parking",
    } <= names
    accommodation = next(s["Id"] for s in services if s["Name"] == "Accommodation")
    categories = api.ok("resourceCategories/getAll", ServiceIds=[accommodation], **LIMIT)[
        "ResourceCategories"
    ]
    assert {c["Names"]["en-GB"] for c in categories} == {
        "Standard Double",
        "Deluxe King",
        "Junior Suite",
    }
    departments = api.ok("departments/getAll", **LIMIT)["Departments"]
    assert {"Front Office", "Sales", "Maintenance"} <= {d["Name"] for d in departments}


def test_seeding_tells_how_many_guests_are_generated_of_how_many() -> None:
    seen: list[tuple[int, int | None, str]] = []
    sandbox = Sandbox.seeded(customers=1200, now=NOW, progress=lambda *s: seen.append(s))
    generated = seen[-1][1]
    assert generated is not None
    assert seen[0] == (0, generated, "generating guests")
    assert seen[-1] == (generated, generated, "generating guests")
    assert [done for done, _total, _what in seen] == sorted(done for done, _t, _w in seen)
    assert len(sandbox.state.customers) == 1200 > generated > 1000


def test_static_records_are_active_so_only_a_filter_naming_active_lists_them(api: Api) -> None:
    every = api.ok("accountingCategories/getAll", **LIMIT)["AccountingCategories"]
    assert every
    deleted_only = api.ok("accountingCategories/getAll", ActivityStates=["Deleted"], **LIMIT)
    assert deleted_only["AccountingCategories"] == []
    both = api.ok("accountingCategories/getAll", ActivityStates=["Active", "Deleted"], **LIMIT)
    assert both["AccountingCategories"] == every
