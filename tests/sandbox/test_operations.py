"""Behaviour of the non-loyalty operations beyond the documented examples."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.sandbox.conftest import NOW, US_TOKEN, Api, interval
from tools.sandbox import DEMO_TOKENS, DOCS, PORTFOLIO, STORY

LIMIT: dict[str, Any] = {"Limitation": {"Count": 1000}}
EXTENT = {"Customers": True}


def test_customers_are_found_by_email_case_insensitively_and_by_loyalty_code(api: Api) -> None:
    found = api.ok("customers/getAll", Extent=EXTENT, Emails=["EMMA.NOVAK@EXAMPLE.COM"], **LIMIT)
    assert [c["Id"] for c in found["Customers"]] == [STORY.emma_novak]
    coded = api.ok("customers/getAll", Extent=EXTENT, LoyaltyCodes=["PC-1000001"], **LIMIT)
    assert [c["Id"] for c in coded["Customers"]] == [STORY.emma_novak]


def test_deleted_customers_need_the_deleted_activity_state(api: Api) -> None:
    window = interval(NOW - timedelta(days=80), NOW)
    message = api.fails("customers/getAll", 400, Extent=EXTENT, DeletedUtc=window, **LIMIT)
    assert message == 'DeletedUtc can only be used with ActivityStates ["Deleted"].'
    assert api.ok(
        "customers/getAll", Extent=EXTENT, DeletedUtc=window, ActivityStates=["Deleted"], **LIMIT
    )


def test_a_new_customer_gets_a_number_and_its_fields(api: Api) -> None:
    made = api.ok(
        "customers/add",
        LastName="Ørsted",
        FirstName="Ida",
        Email="ida@example.dk",
        OverwriteExisting=False,
        Classifications=["Returning"],
        Options=["SendMarketingEmails"],
        Address={"Line1": "Nyhavn 1", "City": "København", "CountryCode": "DK"},
    )
    assert (made["LastName"], made["Email"]) == ("Ørsted", "ida@example.dk")
    assert made["Number"].isdigit()
    assert made["Address"]["City"] == "København"
    assert made["AddressId"] == made["Address"]["Id"]
    assert "Invalid Email" in api.fails(
        "customers/add", 400, LastName="X", Email="not-an-email", OverwriteExisting=False
    )


def test_customer_update_leaves_blank_fields_and_replaces_lists(api: Api) -> None:
    updated = api.ok(
        "customers/update",
        CustomerId=STORY.zoe,
        FirstName="",
        Phone=None,
        Classifications=["Media"],
    )
    assert (updated["FirstName"], updated["Classifications"]) == ("Zoë", ["Media"])
    cleared = api.ok("customers/update", CustomerId=STORY.zoe, ItalianFiscalCode={"Value": "X1"})
    assert cleared["ItalianFiscalCode"] == "X1"


def test_orders_add_prices_products_and_custom_items_and_checks_references(api: Api) -> None:
    accommodation = "bd26d8db-86da-4f96-9efc-e5a4654a4a94"
    late = "2eb7ad8b-8dfb-4381-aba5-ab58009f2993"
    order = api.ok(
        "orders/add",
        ServiceId=accommodation,
        AccountId=STORY.zoe,
        ProductOrders=[{"ProductId": late, "Count": 2}],
        Items=[
            {"Name": "Reward", "UnitCount": 1, "UnitAmount": {"Currency": "GBP", "GrossValue": 0}}
        ],
    )
    items = api.ok("orderItems/getAll", ServiceOrderIds=[order["OrderId"]], **LIMIT)["OrderItems"]
    amounts = sorted(
        (i["BillingName"], i["Amount"]["GrossValue"], i["Amount"]["NetValue"]) for i in items
    )
    assert amounts == [("Late checkout", 60, 50), ("Reward", 0, 0)]
    restaurant = "fc79a518-bc69-45b8-93bd-83326201bd14"
    assert api.fails(
        "orders/add",
        400,
        ServiceId=restaurant,
        AccountId=STORY.zoe,
        ProductOrders=[{"ProductId": late}],
    ).startswith("Invalid ProductOrders[0].ProductId")
    closed_bill = "e654f217-d1b5-46be-a820-e93ba568dfac"
    assert api.fails(
        "orders/add", 400, ServiceId=accommodation, AccountId=STORY.zoe, BillId=closed_bill,
        ProductOrders=[{"ProductId": late}],
    ).startswith("Invalid BillId")  # fmt: skip
    assert api.fails("orders/add", 400, ServiceId=accommodation, AccountId=STORY.zoe).endswith(
        "needs at least one item in ProductOrders or Items."
    )
    assert api.fails(
        "orders/add", 400, as_=PORTFOLIO, ServiceId=accommodation, AccountId=STORY.zoe,
        ProductOrders=[{"ProductId": late}],
    ) == "EnterpriseId is required when using a Portfolio Access Token."  # fmt: skip


def test_order_item_amounts_convert_to_the_requested_currency(api: Api) -> None:
    query = {"AccountIds": [STORY.emma_novak], "Types": ["SpaceOrder"], "Limitation": {"Count": 1}}
    [pounds] = api.ok("orderItems/getAll", **query)["OrderItems"]
    [euros] = api.ok("orderItems/getAll", Currency="EUR", **query)["OrderItems"]
    assert pounds["Amount"]["Currency"] == "GBP"
    assert euros["Amount"]["Currency"] == euros["UnitAmount"]["Currency"] == "EUR"
    assert euros["OriginalAmount"] == pounds["Amount"]
    assert euros["Amount"]["GrossValue"] > pounds["Amount"]["GrossValue"]


def test_net_pricing_enterprise_adds_tax_on_top(api: Api) -> None:
    items = api.ok(
        "orderItems/getAll",
        as_=US_TOKEN,
        AccountIds=[STORY.business_traveller],
        Types=["SpaceOrder"],
        **LIMIT,
    )["OrderItems"]
    amount = items[0]["Amount"]
    assert amount["Currency"] == "USD"
    assert round(amount["NetValue"] * 1.1495, 2) == amount["GrossValue"]


def test_bills_and_payments_follow_the_stays(api: Api) -> None:
    bills = api.ok("bills/getAll", CustomerIds=[STORY.emma_novak], **LIMIT)["Bills"]
    assert {b["State"] for b in bills} == {"Closed"}
    payments = api.ok("payments/getAll", BillIds=[bills[0]["Id"]], **LIMIT)["Payments"]
    [payment] = payments
    spend = api.ok("orderItems/getAll", BillIds=[bills[0]["Id"]], **LIMIT)["OrderItems"]
    assert (
        round(-sum(i["Amount"]["GrossValue"] for i in spend), 2) == payment["Amount"]["GrossValue"]
    )


def test_tasks_are_added_and_read_back_and_department_alone_is_not_a_filter(api: Api) -> None:
    front_office = "8a0770a7-5178-4b87-8898-ab0400a346ec"
    task = api.ok(
        "tasks/add",
        Name="Approve redemption",
        DeadlineUtc="2026-11-23T12:00:00Z",
        DepartmentId=front_office,
    )
    page = api.ok("tasks/getAll", TaskIds=[task["TaskId"]], **LIMIT)
    assert [(t["Name"], t["State"]) for t in page["Tasks"]] == [("Approve redemption", "Open")]
    assert api.fails("tasks/getAll", 400, DepartmentIds=[front_office], **LIMIT) == (
        "DepartmentIds cannot be used alone; add another filter."
    )
    assert api.fails(
        "tasks/add", 400, as_=PORTFOLIO, Name="x", DeadlineUtc="2026-11-23T12:00:00Z"
    ).startswith("This operation does not support Portfolio Access Tokens")


def test_message_threads_belong_to_the_integration_that_created_them(api: Api) -> None:
    other = DEMO_TOKENS[1]
    assert (
        api.ok("messageThreads/getAll", as_=other, MessageThreadIds=[DOCS.THREAD], **LIMIT)[
            "MessageThreads"
        ]
        == []
    )
    message = api.fails(
        "messages/add", 400, as_=other, Messages=[{"MessageThreadId": DOCS.THREAD, "Text": "hi"}]
    )
    assert message.startswith("Invalid Messages[0].MessageThreadId")
    sent = api.ok(
        "messages/add", Messages=[{"MessageThreadId": DOCS.THREAD, "Text": "hi", "Identifier": "1"}]
    )
    assert sent["Messages"][0]["Identifier"] == "1"
    assert [e.discriminator for e in api.sandbox.events] == ["MessageAdded"]


def test_service_order_notes_default_to_general_and_channel_manager(api: Api) -> None:
    seeded = [n for n in api.sandbox.state.order_notes if n.type == "SpecialRequest"]
    order = seeded[0].order_id
    assert (
        api.ok("serviceOrderNotes/getAll", ServiceOrderIds=[order], **LIMIT)["ServiceOrderNotes"]
        == []
    )
    special = api.ok(
        "serviceOrderNotes/getAll", ServiceOrderIds=[order], Types=["SpecialRequest"], **LIMIT
    )["ServiceOrderNotes"]
    assert [n["Type"] for n in special] == ["SpecialRequest"]


def test_reservation_filters_that_exclude_each_other_and_colliding_stays(api: Api) -> None:
    window = interval(NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert (
        api.fails(
            "reservations/getAll/2023-06-06",
            400,
            ScheduledStartUtc=window,
            ActualStartUtc=window,
            **LIMIT,
        )
        == "ScheduledStartUtc and ActualStartUtc cannot be used together."
    )
    in_house = api.ok(
        "reservations/getAll/2023-06-06",
        CollidingUtc=interval(NOW, NOW),
        States=["Started"],
        **LIMIT,
    )
    assert STORY.john_smith_second_stay in {r["Id"] for r in in_house["Reservations"]}


def test_account_notes_for_a_company_can_only_be_general(api: Api) -> None:
    company = DOCS.COMPANY_ACME
    note = {"AccountId": company, "Content": "Corporate rate", "Classifications": ["Gifts"]}
    assert "a company note can only be General" in api.fails(
        "accountNotes/add", 400, AccountNotes=[note]
    )
    made = api.ok("accountNotes/add", AccountNotes=[{**note, "Classifications": ["General"]}])
    assert made["AccountNotes"][0]["AccountType"] == "Company"
