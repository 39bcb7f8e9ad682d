"""Admin endpoints: info, clock, reset, reservation transitions and the change log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.sandbox.conftest import Api
from tools.sandbox import DEMO_TOKENS, OPERATIONS, PORTFOLIO, PORTFOLIO_HOTELS, STORY, Sandbox

LIMIT = {"Limitation": {"Count": 1000}}


def test_info_lists_the_chain_tokens_counts_and_story(api: Api) -> None:
    info = api.admin("GET", "info").json
    assert info["Chain"]["Id"] == STORY.chain_id
    assert {e["Pricing"] for e in info["Enterprises"]} == {"Gross", "Net"}
    assert len(info["Tokens"]) == len(DEMO_TOKENS) + len(PORTFOLIO_HOTELS) + 1 == 11
    assert info["Tokens"][-1]["AccessToken"] == PORTFOLIO.access_token
    assert info["Counts"]["Customers"] == 120
    assert info["Story"]["emma_novak"] == STORY.emma_novak
    assert info["NowUtc"] == "2026-11-22T12:00:00Z"


def test_the_clock_advances_or_is_set_and_configuration_get_shows_it(api: Api) -> None:
    assert api.admin("POST", "clock", {"Advance": "P1DT2H"}).json == {
        "NowUtc": "2026-11-23T14:00:00Z"
    }
    assert api.ok("configuration/get")["NowUtc"] == "2026-11-23T14:00:00Z"
    assert api.admin("POST", "clock", {"Advance": "P1M"}).json["NowUtc"] == "2026-12-23T14:00:00Z"
    assert (
        api.admin("POST", "clock", {"Set": "2027-01-01T00:00:00Z"}).json["NowUtc"]
        == "2027-01-01T00:00:00Z"
    )
    for bad in (
        {"Advance": "1 day"},
        {"Advance": "P"},
        {},
        {"Advance": "P1D", "Set": "2027-01-01"},
        {"Set": "soon"},
    ):
        reply = api.admin("POST", "clock", bad)
        assert reply.status == 400, bad
        assert set(reply.json) == {"Message", "RequestId"}


def test_reset_discards_changes_and_can_reseed(api: Api) -> None:
    api.ok(
        "loyaltyPrograms/add",
        LoyaltyPrograms=[{"Name": "Gone", "Code": "GONE", "Type": "Hotel", "Subscription": "Free"}],
    )
    assert api.admin("POST", "reset").status == 200
    assert api.ok("loyaltyPrograms/getAll", Codes=["GONE"], **LIMIT)["LoyaltyPrograms"] == []
    info = api.admin("POST", "reset", {"Seed": 5, "Customers": 60}).json
    assert (info["Seed"]["Seed"], info["Counts"]["Customers"]) == (5, 60)


def items_of(api: Api, reservation: str) -> list[dict[str, Any]]:
    return list(api.ok("orderItems/getAll", ServiceOrderIds=[reservation], **LIMIT)["OrderItems"])


def test_check_in_and_check_out_set_actual_times_close_items_and_log_events(api: Api) -> None:
    stay = STORY.emma_novak_upcoming_stay
    [before] = api.ok("reservations/getAll/2023-06-06", ReservationIds=[stay], **LIMIT)[
        "Reservations"
    ]
    start = datetime.fromisoformat(before["ScheduledStartUtc"])
    api.admin("POST", "clock", {"Set": (start + timedelta(hours=3)).isoformat()})
    checked_in = api.admin(
        "POST", "reservations/transition", {"ReservationId": stay, "State": "Started"}
    ).json
    assert checked_in["Reservation"]["State"] == "Started"
    assert checked_in["Reservation"]["ActualStartUtc"] == (start + timedelta(hours=3)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert {i["AccountingState"] for i in items_of(api, stay)} == {"Open"}
    services = api.ok("services/getAll", **LIMIT)["Services"]
    spa_service = next(x["Id"] for x in services if x["Name"] == "Spa & Wellness")
    spa = api.ok(
        "productServiceOrders/getAll",
        ServiceIds=[spa_service],
        LinkedReservationIds=[stay],
        **LIMIT,
    )
    assert [o["State"] for o in spa["ProductServiceOrders"]] == ["Started"]
    order = api.ok(
        "orders/add",
        ServiceId=before["ServiceId"],
        AccountId=STORY.emma_novak,
        LinkedReservationId=stay,
        Items=[
            {
                "Name": "Minibar",
                "UnitCount": 2,
                "UnitAmount": {"Currency": "GBP", "GrossValue": 4.5, "TaxCodes": ["UK-S"]},
            }
        ],
    )
    api.admin("POST", "clock", {"Advance": "P3D"})
    out = api.admin(
        "POST", "reservations/transition", {"ReservationId": stay, "State": "Processed"}
    ).json
    closed_at = out["Reservation"]["ActualEndUtc"]
    posted = api.ok("orderItems/getAll", ServiceOrderIds=[order["OrderId"]], **LIMIT)["OrderItems"]
    assert [(i["AccountingState"], i["ClosedUtc"]) for i in posted] == [("Closed", closed_at)]
    stay_items = items_of(api, stay)
    assert stay_items
    assert {(i["AccountingState"], i["ClosedUtc"]) for i in stay_items} == {("Closed", closed_at)}
    payments = api.ok("payments/getAll", ReservationIds=[stay], **LIMIT)["Payments"]
    assert len(payments) == 1
    assert payments[0]["Amount"]["GrossValue"] < 0
    log = api.admin("GET", "events").json["Events"]
    assert [(e["Discriminator"], e["Value"]["Id"]) for e in log] == [
        ("ServiceOrderUpdated", stay)
    ] * 2
    assert api.sandbox.events[-1].at > api.sandbox.events[0].at


def test_advancing_the_clock_during_a_stay_posts_the_day_s_spend(api: Api) -> None:
    stay = STORY.emma_novak_upcoming_stay
    [before] = api.ok("reservations/getAll/2023-06-06", ReservationIds=[stay], **LIMIT)[
        "Reservations"
    ]
    start = datetime.fromisoformat(before["ScheduledStartUtc"])
    api.admin("POST", "clock", {"Set": start.isoformat()})
    api.admin("POST", "reservations/transition", {"ReservationId": stay, "State": "Started"})
    window = {
        "StartUtc": (start + timedelta(seconds=1)).isoformat(),
        "EndUtc": (start + timedelta(hours=4)).isoformat(),
    }

    def posted() -> list[str]:
        reply = api.ok(
            "orderItems/getAll", AccountIds=[STORY.emma_novak], CreatedUtc=window, **LIMIT
        )
        return [item["BillingName"] for item in reply["OrderItems"]]

    assert posted() == []
    api.admin("POST", "clock", {"Advance": "PT3H"})
    assert posted() == ["Massage 60 min"]


def test_impossible_transitions_and_unknown_reservations_are_rejected(api: Api) -> None:
    done = STORY.john_smith_second_stay  # checked in
    assert (
        api.admin(
            "POST", "reservations/transition", {"ReservationId": done, "State": "Started"}
        ).status
        == 400
    )
    assert (
        api.admin(
            "POST", "reservations/transition", {"ReservationId": done, "State": "Canceled"}
        ).status
        == 400
    )
    unknown = {"ReservationId": "33333333-3333-4333-8333-333333333333", "State": "Started"}
    reply = api.admin("POST", "reservations/transition", unknown)
    assert reply.status == 400
    assert reply.json["Message"].startswith("Invalid ReservationId")
    assert (
        api.admin(
            "POST", "reservations/transition", {"ReservationId": done, "State": "Gone"}
        ).status
        == 400
    )
    canceled = api.admin(
        "POST",
        "reservations/transition",
        {"ReservationId": STORY.emma_novak_upcoming_stay, "State": "Canceled"},
    ).json
    assert canceled["Reservation"]["CancelledUtc"] == "2026-11-22T12:00:00Z"
    assert {i["AccountingState"] for i in items_of(api, STORY.emma_novak_upcoming_stay)} == {
        "Canceled"
    }


def test_customer_changes_are_logged_as_general_webhook_events(api: Api) -> None:
    added = api.ok("customers/add", LastName="Logged", OverwriteExisting=False)
    api.ok("customers/update", CustomerId=added["Id"], FirstName="Now")
    log = [(e.discriminator, e.entity_id, e.enterprise_id) for e in api.sandbox.events]
    assert log == [
        ("CustomerAdded", added["Id"], STORY.enterprise_uk),
        ("CustomerUpdated", added["Id"], STORY.enterprise_uk),
        ("CustomerUpdated", added["Id"], STORY.enterprise_uk),
    ]
    api.ok(
        "loyaltyMemberships/update",
        LoyaltyMembershipUpdates=[
            {"LoyaltyMembershipId": STORY.emma_novak_membership, "Points": {"Value": 1}}
        ],
    )
    assert len(api.sandbox.events) == 3  # no loyalty events exist in Mews


def test_unknown_admin_paths_are_404_and_admin_never_lives_under_api(api: Api) -> None:
    assert api.admin("GET", "nope").status == 404
    assert api.admin("POST", "info").status == 404
    assert not any("_sandbox" in path for path in OPERATIONS)
    assert api.raw("/api/connector/v1/_sandbox/info", b"{}").status == 404


def test_admin_requests_are_not_rate_limited_or_faulted(sandbox: Sandbox) -> None:
    api = Api(sandbox)
    sandbox.faults.fail_next(500, 3)
    assert api.admin("GET", "info").status == 200
    assert api.call("configuration/get").status == 500
