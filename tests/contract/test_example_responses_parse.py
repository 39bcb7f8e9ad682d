"""Every documented response of an operation the client implements parses with the client's
own answer model for that operation, and its key fields survive.

The model is taken from the client's operation declaration (not from this file), so a wrong
model in the client fails here. Where the docs contradict themselves the decision is tested
explicitly below (see CONNECTOR-API.md §8).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import JsonValue

from tools.mews.client import API_PREFIX
from tools.mews.models import (
    Configuration,
    LoyaltyMembershipsResult,
    OrderItemsResult,
    ProductsResult,
    ServicesResult,
    TasksResult,
)
from tools.mews.models.common import MewsResponse, PagedResult
from tools.mews.resources import all_operations

OPERATIONS = all_operations()


def each(prefix: str, *names: str) -> tuple[str, ...]:
    """`prefix.name` for every name, e.g. `each("LoyaltyTiers.*", "Id")`."""
    return tuple(f"{prefix}.{name}" for name in names)


MEMBERSHIP = ("Id", "ChainId", "AccountId", "LoyaltyProgramId", "State", "IsPrimary")
MEMBERSHIP_OPTIONAL = ("ProviderMembershipId", "MembershipNumber", "Points", "ExpirationDate")
MEMBERSHIP_MORE = ("Url", "LoyaltyTierId", "CreatorProfile", "UpdaterProfile")
MEMBERSHIPS = each("LoyaltyMemberships.*", *MEMBERSHIP, *MEMBERSHIP_OPTIONAL, *MEMBERSHIP_MORE)
PROGRAMS = each("LoyaltyPrograms.*", "Id", "ChainId", "Name", "Code", "Type", "Subscription")
TIERS = each("LoyaltyTiers.*", "Id", "LoyaltyProgramId", "Name", "Code", "Ordering")
NOTE = ("Id", "AccountId", "Content", "AccountType", "Classifications", "IsActive")
NOTES = each("AccountNotes.*", *NOTE, "CreatorProfile", "UpdaterProfile")
CUSTOMER = ("Id", "ChainId", "Number", "Title", "LastName", "Email", "BirthDate", "LoyaltyCode")
CUSTOMER_MORE = ("Classifications", "Options", "Address.Line1", "CreatedUtc", "IsActive")

# Example file → the wire paths (`*` = every element) that must read back unchanged.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "accountNotes_add.json": NOTES,
    "accountNotes_getAll.json": NOTES,
    "accountingCategories_getAll.json": each(
        "AccountingCategories.*",
        "Id",
        "EnterpriseId",
        "Name",
        "Code",
        "Classification",
        "UpdatedUtc",
    ),
    "bills_getAll.json": each(
        "Bills.*", "Id", "AccountId", "AccountType", "State", "Type", "Number", "CreatedUtc"
    )
    + each("Bills.*", "IssuedUtc", "AssociatedAccountIds", "OwnerData", "Options"),
    "configuration_get.json": (
        "NowUtc",
        "IsIdentityDocumentNumberRequired",
        *each("Enterprise", "Id", "ChainId", "ChainName", "Name", "TimeZoneIdentifier", "Pricing"),
        *each("Enterprise", "Currencies", "IsPortfolio", "Address.City"),
        *each("Service", "Id", "Names"),
    ),
    "customers_add.json": (*CUSTOMER, *CUSTOMER_MORE),
    "customers_getAll.json": each("Customers.*", *CUSTOMER, *CUSTOMER_MORE),
    "customers_search.json": (
        *each("Customers.*.Customer", *CUSTOMER, *CUSTOMER_MORE),
        "Customers.*.Reservation",
    ),
    "customers_update.json": (*CUSTOMER, *CUSTOMER_MORE, "ItalianFiscalCode", "CompanyId"),
    "enterprises_getAll.json": each(
        "Enterprises.*", "Id", "ChainId", "ChainName", "Name", "LinkedUtc", "Pricing", "GroupNames"
    ),
    "loyaltyMemberships_add.json": MEMBERSHIPS,
    "loyaltyMemberships_delete.json": (),
    "loyaltyMemberships_getAll.json": MEMBERSHIPS,
    "loyaltyMemberships_update.json": MEMBERSHIPS,
    "loyaltyPrograms_add.json": PROGRAMS,
    "loyaltyPrograms_delete.json": (),
    "loyaltyPrograms_getAll.json": PROGRAMS,
    "loyaltyPrograms_update.json": PROGRAMS,
    "loyaltyTiers_add.json": TIERS,
    "loyaltyTiers_delete.json": (),
    "loyaltyTiers_getAll.json": TIERS,
    "loyaltyTiers_update.json": TIERS,
    "orderItems_getAll.json": each(
        "OrderItems.*", "Id", "AccountId", "ServiceOrderId", "BillId", "AccountingCategoryId"
    )
    + each("OrderItems.*", "Type", "RevenueType", "ConsumedUtc", "Data.Product.ProductId"),
    "orders_add.json": ("OrderId",),
    "productServiceOrders_getAll.json": each(
        "ProductServiceOrders.*", "Id", "ServiceId", "AccountId", "AccountType", "State", "Number"
    )
    + each("ProductServiceOrders.*", "Origin", "CreatedUtc", "LinkedReservationId", "Options"),
    "products_getAll.json": (
        *each("Products.*", "Id", "ServiceId", "Names", "ChargingMode", "Classifications.Food"),
        "Products.*.Price.Currency",
        "CustomerProducts.*.Id",
    ),
    "reservations_getAll_2023-06-06.json": each(
        "Reservations.*", "Id", "ServiceId", "AccountId", "State", "Number", "Origin", "Options"
    )
    + each("Reservations.*", "RateId", "ScheduledStartUtc", "ScheduledEndUtc", "PersonCounts"),
    "resourceCategories_getAll.json": each(
        "ResourceCategories.*", "Id", "EnterpriseId", "ServiceId", "Type", "Names", "Capacity"
    ),
    "services_getAll.json": each(
        "Services.*", "Id", "EnterpriseId", "IsActive", "Name", "Options", "Data.Discriminator"
    )
    + each("Services.*", "Data.Value"),
    "tasks_add.json": ("TaskId",),
    "tasks_getAll.json": each(
        "Tasks.*", "Id", "Name", "State", "DepartmentId", "ServiceOrderId", "DeadlineUtc"
    ),
}

# Documented operations the client deliberately does not implement (not needed for loyalty).
NOT_IMPLEMENTED = {
    "accountNotes/delete",
    "accountNotes/update",
    "accounts/update",
    "departments/getAll",
    "messageThreads/add",
    "messageThreads/getAll",
    "messages/add",
    "messages/getAll",
    "payments/getAll",
    "serviceOrderNotes/getAll",
}


def load(folder: Path, name: str) -> dict[str, JsonValue]:
    example = json.loads((folder / name).read_text(encoding="utf-8"))
    assert isinstance(example, dict)
    return example


def operation_path(example: dict[str, JsonValue]) -> str:
    path = example["path"]
    assert isinstance(path, str)
    return path.removeprefix(API_PREFIX)


def parse(folder: Path, name: str) -> tuple[MewsResponse, dict[str, JsonValue]]:
    example = load(folder, name)
    response = example["response"]
    assert isinstance(response, dict)
    return OPERATIONS[operation_path(example)].result.model_validate(response), response


ABSENT = "<absent>"


def pluck(value: JsonValue, path: str) -> list[JsonValue]:
    """Values at a dotted path; `*` fans out over a list; null stays null, a missing
    property reads as `ABSENT` (so a misspelt path cannot pass by being missing on both sides)."""
    values = [value]
    for part in path.split("."):
        found: list[JsonValue] = []
        for current in values:
            if current is None or current == ABSENT:
                found.append(current)
            elif part == "*":
                assert isinstance(current, list)
                found.extend(current)
            else:
                assert isinstance(current, dict)
                found.append(current.get(part, ABSENT))
        values = found
    return values


def test_every_example_is_either_parsed_here_or_declared_not_implemented(
    mews_examples_dir: Path,
) -> None:
    by_path = {
        operation_path(load(mews_examples_dir, f.name)): f.name
        for f in sorted(mews_examples_dir.glob("*.json"))
    }
    assert set(by_path) == set(OPERATIONS) | NOT_IMPLEMENTED
    assert {by_path[path] for path in OPERATIONS} == set(KEY_FIELDS)


@pytest.mark.parametrize("name", sorted(KEY_FIELDS))
def test_documented_response_parses_and_key_fields_survive(
    name: str, mews_examples_dir: Path
) -> None:
    parsed, raw = parse(mews_examples_dir, name)
    dumped = parsed.model_dump(mode="json", by_alias=True)
    for path in KEY_FIELDS[name]:
        expected = pluck(raw, path)
        assert expected, f"{name}: {path} matches nothing in the example"
        assert ABSENT not in expected, f"{name}: {path} is not in the example"
        assert pluck(dumped, path) == expected, f"{name}: {path}"
    if isinstance(parsed, PagedResult):
        entity_key = next(key for key in raw if key != "Cursor")
        entities = raw[entity_key]
        assert isinstance(entities, list)
        assert len(parsed.items) == len(entities)
        assert parsed.cursor == raw.get("Cursor")


# ------------------------------------------------------------------ decisions on §8


def test_membership_answers_keep_the_documented_values_even_where_they_look_wrong(
    mews_examples_dir: Path,
) -> None:
    # §8.1: the update example answers with pre-update values (State New, Points 22). The
    # client reports what Mews answered; it does not echo the request.
    parsed, _ = parse(mews_examples_dir, "loyaltyMemberships_update.json")
    assert isinstance(parsed, LoyaltyMembershipsResult)
    membership = parsed.items[0]
    assert (membership.state, membership.points) == ("New", 22)
    # §8.2: an add/update answer carries a Cursor although it is not paginated.
    assert parsed.cursor == membership.id
    # §8.3: CreatorProfile/UpdaterProfile are "required" but null.
    assert membership.creator_profile is None
    # §8.5: ExpirationDate as a full instant.
    assert membership.expiration_date == datetime(2029, 11, 4, 13, tzinfo=UTC)


def test_tasks_get_all_example_without_cursor_ends_paging(mews_examples_dir: Path) -> None:
    # §8.7: the tasks/getAll example omits the Cursor; a missing Cursor means "no more pages".
    parsed, _ = parse(mews_examples_dir, "tasks_getAll.json")
    assert isinstance(parsed, TasksResult)
    assert parsed.cursor is None
    assert parsed.items[0].state == "Open"


def test_services_example_with_deprecated_name_and_no_names_parses(mews_examples_dir: Path) -> None:
    # §8.7: services/getAll's example has the deprecated Name and lacks Names/Ordering.
    parsed, _ = parse(mews_examples_dir, "services_getAll.json")
    assert isinstance(parsed, ServicesResult)
    assert [(s.name, s.names, s.ordering) for s in parsed.items] == [
        ("Restaurant", {}, None),
        ("Accommodation", {}, None),
    ]


def test_money_in_examples_is_read_as_exact_decimals(mews_examples_dir: Path) -> None:
    items, _ = parse(mews_examples_dir, "orderItems_getAll.json")
    assert isinstance(items, OrderItemsResult)
    amount = items.items[1].amount
    assert (amount.currency, amount.net_value, amount.gross_value) == (
        "EUR",
        Decimal("93.46"),
        Decimal("100"),
    )
    products, _ = parse(mews_examples_dir, "products_getAll.json")
    assert isinstance(products, ProductsResult)
    price = products.items[0].price
    # A product price carries only a gross value and tax codes without values.
    assert price is not None
    assert (price.gross_value, price.net_value, price.tax_values[0].code) == (
        Decimal(25),
        None,
        "FR-T",
    )


def test_configuration_example_gives_the_chain_loyalty_needs(mews_examples_dir: Path) -> None:
    parsed, _ = parse(mews_examples_dir, "configuration_get.json")
    assert isinstance(parsed, Configuration)
    assert parsed.enterprise.chain_id == "8ddea57b-6a5c-4eec-8c4c-24467dce118e"
    assert parsed.now_utc == datetime(2018, 1, 1, 14, 58, 2, tzinfo=UTC)
