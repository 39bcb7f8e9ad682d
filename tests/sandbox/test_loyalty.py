"""Loyalty semantics: update values, all-or-nothing batches, soft delete, hidden timestamps,
membership defaults, the IsPrimary policy and portfolio rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.sandbox.conftest import NOW, Api, interval, later
from tools.sandbox import DOCS, PORTFOLIO, STORY, FrozenClock

LIMIT = {"Limitation": {"Count": 1000}}


def membership(api: Api, membership_id: str, states: list[str] | None = None) -> dict[str, Any]:
    page = api.ok(
        "loyaltyMemberships/getAll",
        LoyaltyMembershipIds=[membership_id],
        ActivityStates=states or ["Active", "Deleted"],
        **LIMIT,
    )
    [found] = page["LoyaltyMemberships"]
    return dict(found)


def update(api: Api, **fields: Any) -> Any:
    change = {"LoyaltyMembershipId": STORY.emma_novak_membership, **fields}
    return api.ok("loyaltyMemberships/update", LoyaltyMembershipUpdates=[change])


def test_absent_or_null_keeps_value_sets_and_value_null_clears(api: Api) -> None:
    before = membership(api, STORY.emma_novak_membership)
    update(api, Url=None)
    kept = membership(api, STORY.emma_novak_membership)
    assert kept["UpdaterProfile"] == {"Discriminator": "Integration", "EnterpriseProfile": None}
    assert {**kept, "UpdaterProfile": None} == before
    update(api, Points={"Value": 7000}, Url={"Value": "https://example.com/m"})
    after = membership(api, STORY.emma_novak_membership)
    assert (after["Points"], after["Url"]) == (7000, "https://example.com/m")
    assert after["MembershipNumber"] == before["MembershipNumber"]
    update(api, Url={"Value": None}, LoyaltyTierId={"Value": None})
    cleared = membership(api, STORY.emma_novak_membership)
    assert (cleared["Url"], cleared["LoyaltyTierId"], cleared["Points"]) == (None, None, 7000)


def test_clearing_a_non_nullable_property_is_rejected(api: Api) -> None:
    for field in ("State", "IsPrimary", "LoyaltyProgramId"):
        message = api.fails(
            "loyaltyMemberships/update",
            400,
            LoyaltyMembershipUpdates=[
                {"LoyaltyMembershipId": STORY.emma_novak_membership, field: {"Value": None}}
            ],
        )
        assert message == (
            f"LoyaltyMembershipUpdates[0].{field}.Value is required: "
            f"LoyaltyMembershipUpdates[0].{field} cannot be cleared."
        )
    change = {"LoyaltyProgramId": DOCS.PROGRAM_PC01, "Name": {"Value": None}}
    assert "Name cannot be cleared" in api.fails(
        "loyaltyPrograms/update", 400, LoyaltyProgramUpdates=[change]
    )


def test_a_number_update_value_for_points_is_rounded_down(api: Api) -> None:
    update(api, Points={"Value": 42.9})
    assert membership(api, STORY.emma_novak_membership)["Points"] == 42


def test_a_batch_with_one_invalid_item_changes_nothing(api: Api) -> None:
    before = membership(api, STORY.emma_novak_membership)
    message = api.fails(
        "loyaltyMemberships/update",
        400,
        LoyaltyMembershipUpdates=[
            {"LoyaltyMembershipId": STORY.emma_novak_membership, "Points": {"Value": 1}},
            {"LoyaltyMembershipId": STORY.lapsed_gold_membership, "State": {"Value": "Gone"}},
        ],
    )
    assert message.startswith("LoyaltyMembershipUpdates[1].State.Value must be one of")
    assert membership(api, STORY.emma_novak_membership) == before
    programs = [{"Name": "A", "Code": "A", "Type": "Hotel", "Subscription": "Free"}, {"Name": "B"}]
    api.fails("loyaltyPrograms/add", 400, LoyaltyPrograms=programs)
    assert api.ok("loyaltyPrograms/getAll", Codes=["A"], **LIMIT)["LoyaltyPrograms"] == []


def test_deleted_records_leave_default_reads_but_stay_readable_by_activity_state(api: Api) -> None:
    target = STORY.canceled_member_membership
    assert api.ok("loyaltyMemberships/delete", LoyaltyMembershipIds=[target]) == {}

    def ids(states: list[str] | None) -> list[str]:
        extra = {} if states is None else {"ActivityStates": states}
        page = api.ok(
            "loyaltyMemberships/getAll", AccountIds=[STORY.canceled_member], **extra, **LIMIT
        )
        return [m["Id"] for m in page["LoyaltyMemberships"]]

    assert ids(None) == [] == ids([]) == ids(["Active"])
    assert ids(["Deleted"]) == [target] == ids(["Active", "Deleted"])
    assert api.fails("loyaltyMemberships/delete", 400, LoyaltyMembershipIds=[target]) == (
        f"Invalid LoyaltyMembershipIds: loyalty membership {target} has been deleted."
    )
    update = {"LoyaltyMembershipId": target, "Points": {"Value": 1}}
    assert api.fails(
        "loyaltyMemberships/update", 400, LoyaltyMembershipUpdates=[update]
    ).startswith("Invalid LoyaltyMembershipId")


def test_deleting_unknown_ids_is_rejected_and_deletes_nothing(api: Api) -> None:
    unknown = "11111111-1111-4111-8111-111111111111"
    message = api.fails("loyaltyTiers/delete", 400, LoyaltyTierIds=[DOCS.TIER_GOLD, unknown])
    assert message == f"Invalid LoyaltyTierIds: loyalty tier {unknown} does not exist."
    page = api.ok("loyaltyTiers/getAll", LoyaltyProgramIds=[DOCS.PROGRAM_PC01], **LIMIT)
    assert DOCS.TIER_GOLD in {t["Id"] for t in page["LoyaltyTiers"]}


def test_hidden_created_and_updated_times_drive_the_filters(api: Api, clock: FrozenClock) -> None:
    added = api.ok(
        "loyaltyPrograms/add",
        LoyaltyPrograms=[
            {"Name": "Fresh", "Code": "FR", "Type": "SoftBrand", "Subscription": "Paid"}
        ],
    )["LoyaltyPrograms"][0]
    assert set(added) == {"Id", "ChainId", "Name", "Code", "Type", "Subscription"}
    later(clock, hours=2)
    api.ok(
        "loyaltyPrograms/update",
        LoyaltyProgramUpdates=[{"LoyaltyProgramId": added["Id"], "Name": {"Value": "Fresher"}}],
    )

    def hit(**filters: Any) -> bool:
        page = api.ok("loyaltyPrograms/getAll", LoyaltyProgramIds=[added["Id"]], **filters, **LIMIT)
        return bool(page["LoyaltyPrograms"])

    hour = timedelta(hours=1)
    assert hit(CreatedUtc=interval(NOW, NOW + hour))
    assert not hit(CreatedUtc=interval(NOW + hour, NOW + 3 * hour))
    assert hit(UpdatedUtc=interval(NOW + hour, NOW + 3 * hour))
    assert not hit(UpdatedUtc=interval(NOW, NOW + hour))
    assert (
        api.ok("loyaltyPrograms/getAll", LoyaltyProgramIds=[added["Id"]], **LIMIT)[
            "LoyaltyPrograms"
        ][0]["Name"]
        == "Fresher"
    )


def test_a_new_membership_defaults_to_enrolled_and_echoes_what_was_stored(api: Api) -> None:
    request = {
        "AccountId": STORY.zoe,
        "LoyaltyProgramId": DOCS.PROGRAM_PC01,
        "IsPrimary": False,
        "Code": "ZOE-1",
        "Points": 5,
        "ExpirationDate": "2027-12-31",
        "LoyaltyTierId": DOCS.TIER_BRONZE,
    }
    [added] = api.ok("loyaltyMemberships/add", LoyaltyMemberships=[request])["LoyaltyMemberships"]
    assert added["State"] == "Enrolled"
    assert (added["MembershipNumber"], added["Code"]) == ("ZOE-1", "ZOE-1")
    assert (added["Points"], added["ExpirationDate"], added["ProviderMembershipId"]) == (
        5,
        "2027-12-31",
        None,
    )
    integration = {"Discriminator": "Integration", "EnterpriseProfile": None}
    assert added["CreatorProfile"] == added["UpdaterProfile"] == integration
    assert added["ChainId"] == STORY.chain_id
    assert membership(api, added["Id"]) == added
    seeded = membership(api, DOCS.MEMBERSHIP_JOHN)
    assert seeded["CreatorProfile"] is None


def test_a_tier_of_another_program_is_rejected(api: Api) -> None:
    request = {
        "AccountId": STORY.zoe,
        "LoyaltyProgramId": DOCS.PROGRAM_GEC07,
        "IsPrimary": True,
        "LoyaltyTierId": DOCS.TIER_GOLD,
    }
    message = api.fails("loyaltyMemberships/add", 400, LoyaltyMemberships=[request])
    assert message.startswith("Invalid LoyaltyTierId")


def test_a_membership_that_becomes_primary_makes_the_accounts_others_non_primary(api: Api) -> None:
    request = {
        "AccountId": STORY.emma_novak,
        "LoyaltyProgramId": DOCS.PROGRAM_GEC07,
        "IsPrimary": True,
    }
    [gec] = api.ok("loyaltyMemberships/add", LoyaltyMemberships=[request])["LoyaltyMemberships"]
    assert membership(api, STORY.emma_novak_membership)["IsPrimary"] is False
    assert membership(api, gec["Id"])["IsPrimary"] is True
    update(api, IsPrimary={"Value": True})
    assert membership(api, STORY.emma_novak_membership)["IsPrimary"] is True
    assert membership(api, gec["Id"])["IsPrimary"] is False
    other = membership(api, STORY.lapsed_gold_membership)
    assert other["IsPrimary"] is True


def test_portfolio_writes_need_a_chain_id_single_enterprise_tokens_ignore_it(api: Api) -> None:
    programs = [{"Name": "P", "Code": "P", "Type": "Hotel", "Subscription": "Free"}]
    assert api.fails("loyaltyPrograms/add", 400, as_=PORTFOLIO, LoyaltyPrograms=programs) == (
        "ChainId is required when using a Portfolio Access Token."
    )
    bogus = "5fcd1933-22f2-40b9-84da-7db04cbecec2"
    assert api.fails(
        "loyaltyPrograms/add", 400, as_=PORTFOLIO, ChainId=bogus, LoyaltyPrograms=programs
    ).startswith("Invalid ChainId")
    made = api.ok(
        "loyaltyPrograms/add", as_=PORTFOLIO, ChainId=STORY.chain_id, LoyaltyPrograms=programs
    )
    assert made["LoyaltyPrograms"][0]["ChainId"] == STORY.chain_id
    single = api.ok("loyaltyPrograms/add", ChainId=bogus, LoyaltyPrograms=programs)
    assert single["LoyaltyPrograms"][0]["ChainId"] == STORY.chain_id


def test_portfolio_reads_narrow_by_enterprise_single_tokens_ignore_enterprise_filters(
    api: Api,
) -> None:
    both = api.ok("departments/getAll", as_=PORTFOLIO, **LIMIT)["Departments"]
    assert {d["EnterpriseId"] for d in both} == {STORY.enterprise_uk, STORY.enterprise_us}
    us_only = api.ok(
        "departments/getAll", as_=PORTFOLIO, EnterpriseIds=[STORY.enterprise_us], **LIMIT
    )
    assert {d["EnterpriseId"] for d in us_only["Departments"]} == {STORY.enterprise_us}
    uk_token = api.ok("departments/getAll", EnterpriseIds=[STORY.enterprise_us], **LIMIT)
    assert {d["EnterpriseId"] for d in uk_token["Departments"]} == {STORY.enterprise_uk}


def test_a_program_can_be_deleted_once_its_memberships_are(api: Api) -> None:
    made = api.ok(
        "loyaltyPrograms/add",
        LoyaltyPrograms=[
            {"Name": "Short-lived", "Code": "SL", "Type": "Hotel", "Subscription": "Free"}
        ],
    )["LoyaltyPrograms"][0]["Id"]
    request = {"AccountId": STORY.zoe, "LoyaltyProgramId": made, "IsPrimary": False}
    [member] = api.ok("loyaltyMemberships/add", LoyaltyMemberships=[request])["LoyaltyMemberships"]
    assert "1 active membership" in api.fails(
        "loyaltyPrograms/delete", 403, LoyaltyProgramIds=[made]
    )
    api.ok("loyaltyMemberships/delete", LoyaltyMembershipIds=[member["Id"]])
    assert api.ok("loyaltyPrograms/delete", LoyaltyProgramIds=[made]) == {}
    assert api.fails("loyaltyMemberships/add", 400, LoyaltyMemberships=[request]).endswith(
        "has been deleted."
    )
