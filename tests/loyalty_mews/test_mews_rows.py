"""The slim rows of the loader's scans read every field they keep exactly as the full models do,
on the documented examples and on the wire forms the docs leave open."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from tools.loyalty.mews_rows import (
    CustomerRows,
    MembershipRows,
    OrderItemRows,
    ProductServiceOrderRows,
    ReservationRows,
)
from tools.mews.errors import MewsResponseError
from tools.mews.models import (
    CustomersResult,
    LoyaltyMembershipsResult,
    OrderItemsResult,
    ProductServiceOrdersResult,
    ReservationsResult,
)
from tools.mews.models.common import PagedResult
from tools.mews.slim import slim_decoder

EXAMPLES = Path(__file__).parents[1] / "contract" / "mews_examples"

# Example file → (slim page, full answer model, the fields the loader reads from each entity;
# a dotted name reads into a nested value).
CASES: dict[str, tuple[type[Any], type[PagedResult[Any]], tuple[str, ...]]] = {
    "loyaltyMemberships_getAll.json": (
        MembershipRows,
        LoyaltyMembershipsResult,
        (
            "id",
            "account_id",
            "loyalty_program_id",
            "state",
            "is_primary",
            "membership_number",
            "points",
            "expiration_date",
            "loyalty_tier_id",
        ),
    ),
    "customers_getAll.json": (
        CustomerRows,
        CustomersResult,
        ("id", "last_name", "first_name", "email"),
    ),
    "reservations_getAll_2023-06-06.json": (
        ReservationRows,
        ReservationsResult,
        (
            "id",
            "service_id",
            "account_id",
            "account_type",
            "state",
            "created_utc",
            "assigned_resource_id",
            "scheduled_start_utc",
            "actual_start_utc",
            "scheduled_end_utc",
            "actual_end_utc",
        ),
    ),
    "productServiceOrders_getAll.json": (
        ProductServiceOrderRows,
        ProductServiceOrdersResult,
        ("id", "linked_reservation_id"),
    ),
    "orderItems_getAll.json": (
        OrderItemRows,
        OrderItemsResult,
        (
            "id",
            "service_order_id",
            "accounting_category_id",
            "amount.currency",
            "amount.net_value",
            "amount.gross_value",
            "canceled_utc",
            "accounting_state",
            "options.canceled_with_reservation",
        ),
    ),
}


def _read(entity: object, dotted: str) -> object:
    value = entity
    for part in dotted.split("."):
        value = None if value is None else getattr(value, part)
    return value


def _same(slim: object, full: object) -> bool:
    """Equal, and equal in kind: enum members are their string value; instants are UTC."""
    if isinstance(full, Enum):
        return type(slim) is str and slim == full.value
    if isinstance(full, datetime):
        return isinstance(slim, datetime) and slim == full and slim.tzinfo == full.tzinfo == UTC
    if isinstance(full, Decimal):
        return isinstance(slim, Decimal) and str(slim) == str(full)
    return type(slim) is type(full) and slim == full


def _both(name: str, body: bytes) -> tuple[list[Any], list[Any], tuple[str, ...]]:
    page_type, full_type, fields = CASES[name]
    slim = slim_decoder(name, page_type)(body, None)
    full = full_type.model_validate_json(body)
    return list(slim.items), list(full.items), fields


def _response(name: str) -> dict[str, Any]:
    response: dict[str, Any] = json.loads((EXAMPLES / name).read_text())["response"]
    return response


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_field_a_slim_row_keeps_reads_as_in_the_full_model_on_the_documented_example(
    name: str,
) -> None:
    body = json.dumps(_response(name)).encode()
    slim, full, fields = _both(name, body)

    assert len(slim) == len(full) > 0
    for slim_entity, full_entity in zip(slim, full, strict=True):
        for field in fields:
            slim_value, full_value = _read(slim_entity, field), _read(full_entity, field)
            assert _same(slim_value, full_value), (name, field, slim_value, full_value)


def _membership(**changes: object) -> dict[str, object]:
    entity = dict(_response("loyaltyMemberships_getAll.json")["LoyaltyMemberships"][0])
    entity.update(changes)
    return {key: value for key, value in entity.items() if value is not None}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"MembershipNumber": None, "Code": "OLD-7"}, "membership_number"),
        ({"ExpirationDate": "2024-12-31"}, "expiration_date"),
        ({"ExpirationDate": "2029-11-04T13:00:00Z"}, "expiration_date"),
        ({"ExpirationDate": "2029-11-04T15:00:00+02:00"}, "expiration_date"),
        ({"ExpirationDate": None}, "expiration_date"),
        ({"Points": None}, "points"),
    ],
)
def test_a_membership_row_reads_the_forms_the_docs_leave_open_as_the_full_model_does(
    changes: dict[str, object], field: str
) -> None:
    body = json.dumps({"LoyaltyMemberships": [_membership(**changes)]}).encode()
    slim, full, _ = _both("loyaltyMemberships_getAll.json", body)
    assert _same(_read(slim[0], field), _read(full[0], field))


@pytest.mark.parametrize(
    "stamp", ["2023-03-22T12:12:00Z", "2023-03-22T12:12:00", "2023-03-22T14:12:00.5+02:00"]
)
def test_a_reservation_row_reads_every_datetime_form_as_the_same_utc_instant(stamp: str) -> None:
    entity = dict(_response("reservations_getAll_2023-06-06.json")["Reservations"][0])
    entity["ScheduledStartUtc"] = stamp
    body = json.dumps({"Reservations": [entity]}).encode()
    slim, full, _ = _both("reservations_getAll_2023-06-06.json", body)
    assert _same(slim[0].scheduled_start_utc, full[0].scheduled_start_utc)


@pytest.mark.parametrize("net", ["0.07", "-3.1", "12345678.9012", "1e2", "100"])
def test_an_order_item_amount_reads_the_same_decimal_as_the_full_model(net: str) -> None:
    entity = dict(_response("orderItems_getAll.json")["OrderItems"][0])
    entity["Amount"] = {"Currency": "EUR", "NetValue": "NET", "GrossValue": 1}
    body = json.dumps({"OrderItems": [entity]}).replace('"NET"', net).encode()
    slim, full, _ = _both("orderItems_getAll.json", body)
    assert slim[0].amount.net_value == Decimal(net)
    assert slim[0].amount.net_value == full[0].amount.net_value


Decode = Callable[[bytes, str | None], object]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (b"oops", "", "not JSON"),
        (b'{"OrderItems": [{"Id": "i"}]}', "OrderItems[0]", "missing required field `Amount`"),
        (
            b'{"OrderItems": [{"Id": "i", "Amount": {"Currency": 7}}]}',
            "OrderItems[0].Amount.Currency",
            "Expected `str`",
        ),
    ],
)
def test_a_slim_page_that_does_not_fit_is_a_response_error_naming_the_property(
    body: bytes, field: str, message: str
) -> None:
    decode: Decode = slim_decoder("orderItems/getAll", OrderItemRows)
    with pytest.raises(MewsResponseError, match=message) as raised:
        decode(body, "r-1")
    assert (raised.value.field, raised.value.request_id) == (field, "r-1")
