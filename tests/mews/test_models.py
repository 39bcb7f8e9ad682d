"""Models: wire names, round trips, update values, lenient responses and strict requests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from tools.mews.models import (
    AccountNoteParameters,
    Amount,
    Customer,
    CustomerAddParameters,
    CustomerUpdateParameters,
    LoyaltyMembership,
    LoyaltyMembershipParameters,
    LoyaltyMembershipsResult,
    LoyaltyMembershipState,
    LoyaltyMembershipUpdateParameters,
    LoyaltyProgram,
    LoyaltyProgramParameters,
    LoyaltyProgramType,
    LoyaltyProgramUpdateParameters,
    LoyaltyTierUpdateParameters,
    OrderItem,
    ProfileDataDiscriminator,
    TaskParameters,
    TimeInterval,
    UpdateValue,
)
from tools.mews.models.common import MewsRequest

MEMBERSHIP_WIRE = {
    "Id": "905a4489-0960-4ac9-96ec-793f47365c92",
    "ChainId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "AccountId": "fadd5bb6-b428-45d5-94f8-fd0d89fece6d",
    "LoyaltyProgramId": "f701dafb-5765-4cf4-b1dd-1f602a740ae5",
    "State": "Enrolled",
    "IsPrimary": True,
    "ProviderMembershipId": "PRV-1",
    "MembershipNumber": "MBR-1",
    "Points": 22,
    "ExpirationDate": "2029-11-04T13:00:00Z",
    "Url": "https://rewards.example.com/m/1",
    "LoyaltyTierId": "69eedfd2-6f25-42fc-b3c8-39df70f85e37",
    "CreatorProfile": {"Discriminator": "Enterprise", "EnterpriseProfile": {"ProfileId": "x"}},
    "UpdaterProfile": {"Discriminator": "Integration", "EnterpriseProfile": None},
}


def test_response_models_round_trip_through_their_wire_form() -> None:
    membership = LoyaltyMembership.model_validate(MEMBERSHIP_WIRE)
    wire = membership.model_dump(mode="json", by_alias=True)
    assert LoyaltyMembership.model_validate(wire) == membership
    assert {key: wire[key] for key in MEMBERSHIP_WIRE} == MEMBERSHIP_WIRE


def test_response_attributes_are_snake_case_and_can_be_built_by_name() -> None:
    membership = LoyaltyMembership.model_validate(MEMBERSHIP_WIRE)
    assert membership.loyalty_tier_id == "69eedfd2-6f25-42fc-b3c8-39df70f85e37"
    assert membership.updater_profile is not None
    assert membership.updater_profile.discriminator is ProfileDataDiscriminator.INTEGRATION
    built = LoyaltyProgram(
        id="p", chain_id="c", name="Club", code="C", type="Hotel", subscription="Free"
    )
    assert built.type is LoyaltyProgramType.HOTEL


def test_response_models_are_frozen() -> None:
    membership = LoyaltyMembership.model_validate(MEMBERSHIP_WIRE)
    with pytest.raises(ValidationError):
        membership.points = 5  # type: ignore[misc]


def test_unknown_response_properties_are_ignored() -> None:
    membership = LoyaltyMembership.model_validate({**MEMBERSHIP_WIRE, "BrandNewField": 1})
    assert not hasattr(membership, "brand_new_field")


def test_unknown_enum_values_in_responses_are_kept_as_strings() -> None:
    membership = LoyaltyMembership.model_validate({**MEMBERSHIP_WIRE, "State": "Suspended"})
    assert membership.state == "Suspended"
    known = LoyaltyMembership.model_validate(MEMBERSHIP_WIRE)
    assert known.state is LoyaltyMembershipState.ENROLLED
    assert isinstance(known.state, str)  # a StrEnum member: compares equal to "Enrolled"


def test_unknown_enum_values_in_requests_are_rejected() -> None:
    with pytest.raises(ValidationError, match="Input should be 'New', 'Pending'"):
        LoyaltyMembershipParameters(
            account_id="a", loyalty_program_id="p", is_primary=True, state="Suspended"
        )


def test_misspelt_request_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        LoyaltyMembershipParameters(  # type: ignore[call-arg]
            account_id="a", loyalty_program_id="p", is_primary=True, points_balance=3
        )


def test_membership_state_may_be_left_to_the_mews_default() -> None:
    params = LoyaltyMembershipParameters(account_id="a", loyalty_program_id="p", is_primary=False)
    assert params.to_wire() == {"AccountId": "a", "LoyaltyProgramId": "p", "IsPrimary": False}


# ------------------------------------------------------------------ update values


def test_update_values_have_three_distinct_wire_forms() -> None:
    unchanged = LoyaltyMembershipUpdateParameters(loyalty_membership_id="m")
    set_ = LoyaltyMembershipUpdateParameters(loyalty_membership_id="m", url=UpdateValue(value="u"))
    cleared = LoyaltyMembershipUpdateParameters(
        loyalty_membership_id="m", url=UpdateValue(value=None)
    )
    assert unchanged.to_wire() == {"LoyaltyMembershipId": "m"}
    assert set_.to_wire() == {"LoyaltyMembershipId": "m", "Url": {"Value": "u"}}
    assert cleared.to_wire() == {"LoyaltyMembershipId": "m", "Url": {"Value": None}}


def test_update_value_helpers_say_set_or_clear() -> None:
    assert UpdateValue.to(42) == UpdateValue(value=42)
    assert UpdateValue[str].cleared() == UpdateValue[str](value=None)
    assert UpdateValue[str].cleared().is_clear
    assert not UpdateValue.to(0).is_clear


def test_every_kind_of_update_value_serializes_with_its_wire_type() -> None:
    update = LoyaltyMembershipUpdateParameters(
        loyalty_membership_id="m",
        state=UpdateValue(value=LoyaltyMembershipState.CANCELED),
        is_primary=UpdateValue(value=False),
        points=UpdateValue(value=42),
        expiration_date=UpdateValue(value=datetime(2038, 1, 19, 3, 14, 7, 999, tzinfo=UTC)),
        loyalty_tier_id=UpdateValue(value=None),
    )
    assert update.to_wire() == {
        "LoyaltyMembershipId": "m",
        "State": {"Value": "Canceled"},
        "IsPrimary": {"Value": False},
        "Points": {"Value": 42},
        "ExpirationDate": {"Value": "2038-01-19T03:14:07Z"},
        "LoyaltyTierId": {"Value": None},
    }


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (LoyaltyProgramUpdateParameters, "name"),
        (LoyaltyProgramUpdateParameters, "type"),
        (LoyaltyProgramUpdateParameters, "subscription"),
        (LoyaltyTierUpdateParameters, "ordering"),
        (LoyaltyMembershipUpdateParameters, "state"),
        (LoyaltyMembershipUpdateParameters, "is_primary"),
        (LoyaltyMembershipUpdateParameters, "loyalty_program_id"),
    ],
)
def test_non_nullable_properties_cannot_be_cleared(model: type[MewsRequest], field: str) -> None:
    id_field = next(name for name in model.model_fields if name.endswith("_id"))
    with pytest.raises(ValidationError, match="cannot be cleared"):
        model(**{id_field: "x", field: UpdateValue(value=None)})


def test_plain_values_are_not_accepted_where_an_update_value_is_expected() -> None:
    with pytest.raises(ValidationError):
        LoyaltyMembershipUpdateParameters(loyalty_membership_id="m", points=5)


def test_points_updates_accept_whole_numbers_only() -> None:
    # Doc inconsistency §8.4: Number update value on the wire, integer everywhere else.
    whole = LoyaltyMembershipUpdateParameters(
        loyalty_membership_id="m", points=UpdateValue(value=42.0)
    )
    assert whole.to_wire()["Points"] == {"Value": 42}
    with pytest.raises(ValidationError):
        LoyaltyMembershipUpdateParameters(loyalty_membership_id="m", points=UpdateValue(value=42.5))


def test_customer_update_sends_plain_fields_and_update_values_for_italian_codes() -> None:
    update = CustomerUpdateParameters(
        customer_id="c", email="a@b.example", italian_fiscal_code=UpdateValue(value=None)
    )
    assert update.to_wire() == {
        "CustomerId": "c",
        "Email": "a@b.example",
        "ItalianFiscalCode": {"Value": None},
    }


# ------------------------------------------------------------------ dates and times


def test_datetimes_serialize_as_utc_seconds_with_z() -> None:
    cet = timezone(timedelta(hours=1))
    interval = TimeInterval(
        start_utc=datetime(2025, 1, 1, 1, 0, 0, 123456, tzinfo=cet),
        end_utc=datetime(2025, 1, 2, tzinfo=UTC),
    )
    assert interval.to_wire() == {
        "StartUtc": "2025-01-01T00:00:00Z",
        "EndUtc": "2025-01-02T00:00:00Z",
    }


def test_naive_datetimes_are_rejected_in_requests() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        TaskParameters(name="Review", deadline_utc=datetime(2026, 1, 1))


def test_time_intervals_must_not_end_before_they_start() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError, match="EndUtc must not be before StartUtc"):
        TimeInterval(start_utc=now, end_utc=now - timedelta(seconds=1))
    assert TimeInterval(start_utc=now, end_utc=now).start_utc == now  # equality filter


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("2029-11-04T13:00:00Z", datetime(2029, 11, 4, 13, tzinfo=UTC)),
        ("2024-12-31", datetime(2024, 12, 31, tzinfo=UTC)),
    ],
)
def test_expiration_dates_accept_full_datetimes_and_dates(wire: str, expected: datetime) -> None:
    # Doc inconsistency §8.5: both forms appear in the examples; a date means midnight UTC.
    membership = LoyaltyMembership.model_validate({**MEMBERSHIP_WIRE, "ExpirationDate": wire})
    assert membership.expiration_date == expected


def test_expiration_dates_given_as_dates_are_sent_as_utc_midnight() -> None:
    params = LoyaltyMembershipParameters(
        account_id="a", loyalty_program_id="p", is_primary=True, expiration_date=date(2030, 6, 1)
    )
    assert params.to_wire()["ExpirationDate"] == "2030-06-01T00:00:00Z"


def test_birth_dates_accept_dates_and_midnight_datetimes() -> None:
    plain = Customer.model_validate({"Id": "c", "LastName": "S", "BirthDate": "1983-12-31"})
    stamped = Customer.model_validate(
        {"Id": "c", "LastName": "S", "BirthDate": "2000-01-01T00:00:00Z"}
    )
    assert (plain.birth_date, stamped.birth_date) == (date(1983, 12, 31), date(2000, 1, 1))
    params = CustomerAddParameters(
        last_name="S", overwrite_existing=False, birth_date=date(1985, 9, 30)
    )
    assert params.to_wire()["BirthDate"] == "1985-09-30"


# ------------------------------------------------------------------ doc inconsistencies


def test_deprecated_code_fills_a_missing_membership_number() -> None:
    wire = {key: value for key, value in MEMBERSHIP_WIRE.items() if key != "MembershipNumber"}
    membership = LoyaltyMembership.model_validate({**wire, "Code": "OLD-7"})
    assert membership.membership_number == "OLD-7"
    both = LoyaltyMembership.model_validate({**MEMBERSHIP_WIRE, "Code": "IGNORED"})
    assert both.membership_number == "MBR-1"


def test_creator_and_updater_profiles_may_be_null() -> None:
    # Doc inconsistency §8.3: "required", yet null in the current examples.
    membership = LoyaltyMembership.model_validate(
        {**MEMBERSHIP_WIRE, "CreatorProfile": None, "UpdaterProfile": None}
    )
    assert membership.creator_profile is None


def test_membership_write_answers_may_carry_a_cursor_or_not() -> None:
    # Doc inconsistency §8.2: add/update answers list an (artefact) Cursor.
    with_cursor = LoyaltyMembershipsResult.model_validate(
        {"LoyaltyMemberships": [MEMBERSHIP_WIRE], "Cursor": MEMBERSHIP_WIRE["Id"]}
    )
    without = LoyaltyMembershipsResult.model_validate({"LoyaltyMemberships": [MEMBERSHIP_WIRE]})
    assert with_cursor.items == without.items
    assert without.cursor is None


# ------------------------------------------------------------------ money and validation


def test_amounts_are_exact_decimals() -> None:
    item = OrderItem.model_validate(
        {
            "Id": "o",
            "Amount": {
                "Currency": "EUR",
                "NetValue": 93.46,
                "GrossValue": 100,
                "TaxValues": [{"Code": "DE-L", "Value": 6.54}],
                "Breakdown": {
                    "Items": [{"TaxRateCode": "DE-L", "NetValue": 93.46, "TaxValue": 6.54}]
                },
            },
        }
    )
    amount: Amount = item.amount
    assert amount.net_value == Decimal("93.46")
    assert amount.net_value + amount.tax_values[0].value == amount.gross_value  # type: ignore[operator]
    assert amount.breakdown is not None
    assert amount.breakdown.items[0].tax_value == Decimal("6.54")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "", "code": "C"},
        {"name": "x" * 101, "code": "C"},
        {"name": "Club", "code": "C" * 51},
    ],
)
def test_program_names_and_codes_respect_the_documented_lengths(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        LoyaltyProgramParameters(type="Hotel", subscription="Free", **kwargs)


def test_account_notes_take_at_most_one_classification_and_1000_characters() -> None:
    with pytest.raises(ValidationError):
        AccountNoteParameters(account_id="a", content="x", classifications=("Gifts", "Other"))
    with pytest.raises(ValidationError):
        AccountNoteParameters(account_id="a", content="x" * 1001)
    note = AccountNoteParameters(account_id="a", content="Likes tea", classifications=("Gifts",))
    assert note.to_wire() == {
        "AccountId": "a",
        "Content": "Likes tea",
        "Classifications": ["Gifts"],
    }
