"""Validation: required fields and types, enums, limits, intervals, ids, filters, business rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.sandbox.conftest import NOW, Api, interval
from tools.sandbox import DOCS, STORY

LIMIT = {"Limitation": {"Count": 100}}
GUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def program(**changes: object) -> dict[str, object]:
    return {"Name": "Club", "Code": "C1", "Type": "Hotel", "Subscription": "Free", **changes}


def test_a_missing_required_field_names_the_field(api: Api) -> None:
    message = api.fails("loyaltyPrograms/add", 400, LoyaltyPrograms=[program(), {"Name": "x"}])
    assert message == "LoyaltyPrograms[1].Code is required."
    assert api.fails("loyaltyPrograms/add", 400) == "LoyaltyPrograms is required."


def test_a_wrong_json_type_says_what_was_expected(api: Api) -> None:
    assert (
        api.fails(
            "loyaltyTiers/add",
            400,
            LoyaltyTiers=[
                {"LoyaltyProgramId": DOCS.PROGRAM_PC01, "Name": "T", "Code": "T", "Ordering": "1"}
            ],
        )
        == "LoyaltyTiers[0].Ordering must be an integer, got string."
    )
    assert "must be a boolean, got integer" in api.fails(
        "loyaltyMemberships/add",
        400,
        LoyaltyMemberships=[
            {"AccountId": STORY.zoe, "LoyaltyProgramId": DOCS.PROGRAM_PC01, "IsPrimary": 1}
        ],
    )
    assert "must be an array" in api.fails("loyaltyPrograms/getAll", 400, Codes="PC01", **LIMIT)


def test_enum_values_are_case_sensitive(api: Api) -> None:
    message = api.fails("loyaltyPrograms/add", 400, LoyaltyPrograms=[program(Type="hotel")])
    assert message == (
        "LoyaltyPrograms[0].Type must be one of Hotel, ExternalPartner, SoftBrand, Unknown; "
        "got 'hotel'."
    )
    assert "ActivityStates[0]" in api.fails(
        "loyaltyPrograms/getAll", 400, ActivityStates=["active"], **LIMIT
    )


def test_array_limits_of_1000_100_and_1_items_are_enforced(api: Api) -> None:
    ids = [GUID] * 1001
    assert "at most 1000 items, got 1001" in api.fails(
        "loyaltyPrograms/getAll", 400, LoyaltyProgramIds=ids, **LIMIT
    )
    assert api.ok("loyaltyPrograms/getAll", LoyaltyProgramIds=ids[:1000], **LIMIT)
    assert "at most 100 items" in api.fails(
        "orderItems/getAll", 400, AccountIds=[GUID] * 101, **LIMIT
    )
    extent = {"Customers": True}
    assert "CompanyIds must have at most 1 items" in api.fails(
        "customers/getAll", 400, Extent=extent, CompanyIds=[GUID, GUID], **LIMIT
    )
    many = [program()] * 1001
    assert "LoyaltyPrograms must have at most 1000 items" in api.fails(
        "loyaltyPrograms/add", 400, LoyaltyPrograms=many
    )


def test_string_lengths_are_enforced(api: Api) -> None:
    assert api.fails("loyaltyPrograms/add", 400, LoyaltyPrograms=[program(Name="x" * 101)]) == (
        "LoyaltyPrograms[0].Name must be at most 100 characters, got 101."
    )
    assert api.ok("loyaltyPrograms/add", LoyaltyPrograms=[program(Name="x" * 100, Code="c" * 50)])
    note = {"AccountId": STORY.zoe, "Content": "y" * 1001}
    assert "at most 1000 characters" in api.fails("accountNotes/add", 400, AccountNotes=[note])


def test_paginated_operations_need_a_limitation_with_count_between_1_and_1000(api: Api) -> None:
    assert api.fails("loyaltyPrograms/getAll", 400) == "Limitation is required."
    for count, message in (
        (0, "Limitation.Count must be at least 1, got 0."),
        (1001, "Limitation.Count must be at most 1000, got 1001."),
    ):
        assert api.fails("loyaltyPrograms/getAll", 400, Limitation={"Count": count}) == message
    assert "Limitation.Count is required" in api.fails("loyaltyPrograms/getAll", 400, Limitation={})
    assert api.ok("loyaltyPrograms/getAll", Limitation={"Count": 1000})


def test_time_intervals_need_both_parseable_ends_in_order_within_their_maximum(api: Api) -> None:
    def fails(
        value: object, operation: str = "loyaltyPrograms/getAll", key: str = "CreatedUtc"
    ) -> str:
        return api.fails(operation, 400, **{key: value}, **LIMIT)

    assert fails({"StartUtc": "2026-01-01T00:00:00Z"}) == "CreatedUtc.EndUtc is required."
    assert "ISO 8601" in fails({"StartUtc": "yesterday", "EndUtc": "2026-01-01T00:00:00Z"})
    assert fails(interval(NOW, NOW - timedelta(seconds=1))) == (
        "CreatedUtc.EndUtc must not be before CreatedUtc.StartUtc."
    )
    assert fails(interval(NOW, NOW + timedelta(days=93))) == (
        "CreatedUtc must not be longer than 3 months."
    )
    assert api.ok(
        "loyaltyPrograms/getAll", CreatedUtc=interval(NOW, NOW + timedelta(days=92)), **LIMIT
    )
    one_month = interval(NOW - timedelta(days=32), NOW)
    message = api.fails(
        "messages/getAll", 400, MessageThreadIds=[DOCS.THREAD], CreatedUtc=one_month, **LIMIT
    )
    assert message == "CreatedUtc must not be longer than 1 month."


def test_equal_interval_ends_match_exactly_otherwise_the_interval_is_half_open(api: Api) -> None:
    created = api.ok("loyaltyPrograms/add", LoyaltyPrograms=[program(Code="EXACT")])
    new_id = created["LoyaltyPrograms"][0]["Id"]

    def found(window: dict[str, str]) -> bool:
        page = api.ok("loyaltyPrograms/getAll", CreatedUtc=window, Codes=["EXACT"], **LIMIT)
        return [p["Id"] for p in page["LoyaltyPrograms"]] == [new_id]

    second = timedelta(seconds=1)
    assert found(interval(NOW, NOW))
    assert found(interval(NOW, NOW + second))
    assert not found(interval(NOW - second, NOW))
    assert not found(interval(NOW + second, NOW + second))


def test_ids_must_be_guid_shaped(api: Api) -> None:
    assert "must be a GUID" in api.fails(
        "loyaltyPrograms/getAll", 400, LoyaltyProgramIds=["PC01"], **LIMIT
    )
    assert "Limitation.Cursor must be a GUID" in api.fails(
        "loyaltyPrograms/getAll", 400, Limitation={"Count": 1, "Cursor": "next"}
    )


def test_unknown_referenced_ids_answer_invalid_parameter(api: Api) -> None:
    membership = {"AccountId": STORY.zoe, "LoyaltyProgramId": GUID, "IsPrimary": True}
    assert api.fails("loyaltyMemberships/add", 400, LoyaltyMemberships=[membership]).startswith(
        "Invalid LoyaltyProgramId"
    )
    membership = {**membership, "LoyaltyProgramId": DOCS.PROGRAM_PC01, "AccountId": GUID}
    assert api.fails("loyaltyMemberships/add", 400, LoyaltyMemberships=[membership]).startswith(
        "Invalid AccountId"
    )
    update = {"LoyaltyMembershipId": GUID}
    assert api.fails(
        "loyaltyMemberships/update", 400, LoyaltyMembershipUpdates=[update]
    ).startswith("Invalid LoyaltyMembershipId")
    assert api.fails("orders/add", 400, ServiceId=GUID, AccountId=STORY.zoe).startswith(
        "Invalid ServiceId"
    )


@pytest.mark.parametrize(
    ("operation", "extra"),
    [
        ("orderItems/getAll", {}),
        ("payments/getAll", {}),
        ("bills/getAll", {}),
        ("customers/getAll", {"Extent": {"Customers": True}}),
        ("messageThreads/getAll", {}),
    ],
)
def test_operations_that_need_at_least_one_filter_refuse_none(
    api: Api, operation: str, extra: dict[str, object]
) -> None:
    message = api.fails(operation, 400, **extra, **LIMIT)
    assert message.startswith(f"{operation} needs at least one of these filters")


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        ("loyaltyTiers/getAll", "LoyaltyProgramIds"),
        ("products/getAll", "ServiceIds"),
        ("resourceCategories/getAll", "ServiceIds"),
        ("productServiceOrders/getAll", "ServiceIds"),
        ("customers/getAll", "Extent"),
        ("messages/getAll", "MessageThreadIds"),
        ("serviceOrderNotes/getAll", "ServiceOrderIds"),
    ],
)
def test_required_filters_are_required(api: Api, operation: str, field: str) -> None:
    assert api.fails(operation, 400, CustomerIds=[GUID], **LIMIT) == f"{field} is required."


def test_deleting_a_program_with_active_memberships_is_a_403_business_rule(api: Api) -> None:
    message = api.fails("loyaltyPrograms/delete", 403, LoyaltyProgramIds=[DOCS.PROGRAM_PC01])
    assert "Platinum Club" in message
    assert "active membership" in message


def test_adding_a_customer_with_a_known_email_needs_overwrite_existing(api: Api) -> None:
    guest = {"LastName": "Novak", "FirstName": "E.", "Email": "EMMA.NOVAK@example.com"}
    message = api.fails("customers/add", 403, OverwriteExisting=False, **guest)
    assert "emma.novak@example.com".upper() in message.upper()
    overwritten = api.ok("customers/add", OverwriteExisting=True, **guest)
    assert overwritten["Id"] == STORY.emma_novak
    assert overwritten["FirstName"] == "E."


def test_an_email_already_used_by_another_customer_cannot_be_taken(api: Api) -> None:
    message = api.fails(
        "customers/update", 403, CustomerId=STORY.zoe, Email="emma.novak@example.com"
    )
    assert "already uses the email" in message
    update = {
        "Id": STORY.zoe,
        "Discriminator": "Customer",
        "Customer": {"Email": {"Value": "emma.novak@example.com"}},
    }
    assert "already uses" in api.fails("accounts/update", 403, AccountUpdates=[update])
    assert api.ok("customers/update", CustomerId=STORY.zoe, Email="zoe@example.pl")["Email"] == (
        "zoe@example.pl"
    )
