"""The Mews administration writes at their own seam: `describe` as the policy sees them, and the
executor against the sandbox (programs, tiers, memberships: add, update, delete)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.actions.conftest import execute
from tools.actions import (
    ADD_LOYALTY_MEMBERSHIPS,
    UPDATE_LOYALTY_MEMBERSHIPS,
    GuardedWrite,
    WriteDeps,
)
from tools.actions.admin_models import (
    AddMembershipsArgs,
    AddProgramsArgs,
    AddTiersArgs,
    DeleteMembershipsArgs,
    DeleteProgramsArgs,
    DeleteTiersArgs,
    MembershipUpdate,
    NewMembership,
    NewProgram,
    NewTier,
    ProgramChange,
    TierChange,
    UpdateMembershipsArgs,
    UpdateProgramsArgs,
    UpdateTiersArgs,
)
from tools.actions.memberships import DELETE_LOYALTY_MEMBERSHIPS
from tools.actions.programs import (
    ADD_LOYALTY_PROGRAMS,
    ADD_LOYALTY_TIERS,
    DELETE_LOYALTY_PROGRAMS,
    DELETE_LOYALTY_TIERS,
    UPDATE_LOYALTY_PROGRAMS,
    UPDATE_LOYALTY_TIERS,
)
from tools.actions.write import CallsOut
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio


async def test_a_program_and_its_tier_are_added_changed_and_deleted_in_mews(
    runtime: LoyaltyRuntime, deps: WriteDeps
) -> None:
    add = AddProgramsArgs(programs=[NewProgram(name="Spa Club", code="SPA1")])
    facts = await ADD_LOYALTY_PROGRAMS.describe(deps, add)
    assert facts.note == "add loyalty programs (1)"
    added = await execute(runtime, ADD_LOYALTY_PROGRAMS, add)
    program = added.loyalty_programs[0]
    assert (program.name, program.code, program.type) == ("Spa Club", "SPA1", "Hotel")

    rename = UpdateProgramsArgs(
        updates=[ProgramChange(loyalty_program_id=program.id, name="Spa Circle")]
    )
    assert (await UPDATE_LOYALTY_PROGRAMS.describe(deps, rename)).note == (
        "update loyalty programs (1)"
    )
    renamed = await execute(runtime, UPDATE_LOYALTY_PROGRAMS, rename)
    assert renamed.loyalty_programs[0].name == "Spa Circle"

    tier = AddTiersArgs(
        tiers=[NewTier(loyalty_program_id=program.id, name="Pearl", code="PRL", ordering=1)]
    )
    assert (await ADD_LOYALTY_TIERS.describe(deps, tier)).note == "add loyalty tiers (1)"
    pearl = (await execute(runtime, ADD_LOYALTY_TIERS, tier)).loyalty_tiers[0]
    assert (pearl.loyalty_program_id, pearl.code, pearl.ordering) == (program.id, "PRL", 1)
    moved = UpdateTiersArgs(updates=[TierChange(loyalty_tier_id=pearl.id, ordering=2)])
    assert (await execute(runtime, UPDATE_LOYALTY_TIERS, moved)).loyalty_tiers[0].ordering == 2

    drop_tier = DeleteTiersArgs(loyalty_tier_ids=[pearl.id])
    tier_facts = await DELETE_LOYALTY_TIERS.describe(deps, drop_tier)
    assert tier_facts.requires == ("administer_programs",)
    assert (await execute(runtime, DELETE_LOYALTY_TIERS, drop_tier)).deleted == [pearl.id]
    drop = DeleteProgramsArgs(loyalty_program_ids=[program.id])
    assert (await DELETE_LOYALTY_PROGRAMS.describe(deps, drop)).note == (
        "delete loyalty programs (1)"
    )
    assert (await execute(runtime, DELETE_LOYALTY_PROGRAMS, drop)).deleted == [program.id]
    left = await deps.mews.loyalty_programs.get_all(loyalty_program_ids=[program.id]).to_list()
    assert left == []


async def test_a_membership_is_enrolled_renewed_and_deleted_in_mews(
    runtime: LoyaltyRuntime, deps: WriteDeps
) -> None:
    guest = STORY.john_smith_second  # no membership yet
    enrol = AddMembershipsArgs(
        memberships=[NewMembership(account_id=guest, loyalty_program_id=STORY.program_pc01)]
    )
    facts = await ADD_LOYALTY_MEMBERSHIPS.describe(deps, enrol)
    assert (facts.customer_id, facts.note) == (guest, "enrol 1 membership(s)")
    membership = (await execute(runtime, ADD_LOYALTY_MEMBERSHIPS, enrol)).loyalty_memberships[0]
    assert (membership.account_id, membership.loyalty_program_id) == (guest, STORY.program_pc01)

    renew = UpdateMembershipsArgs(
        updates=[MembershipUpdate(loyalty_membership_id=membership.id, state="Canceled")]
    )
    update_facts = await UPDATE_LOYALTY_MEMBERSHIPS.describe(deps, renew)
    assert (update_facts.customer_id, update_facts.tier_downgrade) == (guest, False)
    updated = await execute(runtime, UPDATE_LOYALTY_MEMBERSHIPS, renew)
    assert updated.loyalty_memberships[0].state == "Canceled"

    drop = DeleteMembershipsArgs(loyalty_membership_ids=[membership.id])
    assert (await DELETE_LOYALTY_MEMBERSHIPS.describe(deps, drop)).note == (
        "delete loyalty memberships (1)"
    )
    assert (await execute(runtime, DELETE_LOYALTY_MEMBERSHIPS, drop)).deleted == [membership.id]
    left = await deps.mews.loyalty_memberships.get_all(
        loyalty_membership_ids=[membership.id]
    ).to_list()
    assert left == []


async def test_a_lower_tier_is_described_as_a_downgrade_and_a_higher_one_by_its_steps(
    deps: WriteDeps,
) -> None:
    emma = STORY.emma_novak_membership  # Silver
    down = UpdateMembershipsArgs(
        updates=[MembershipUpdate(loyalty_membership_id=emma, loyalty_tier_id=STORY.tier_bronze)]
    )
    facts = await UPDATE_LOYALTY_MEMBERSHIPS.describe(deps, down)
    assert (facts.tier_downgrade, facts.tier_steps_up) == (True, 0)
    assert facts.note == "update 1 membership(s) including a tier downgrade"
    up = UpdateMembershipsArgs(
        updates=[MembershipUpdate(loyalty_membership_id=emma, loyalty_tier_id=STORY.tier_platinum)]
    )
    facts = await UPDATE_LOYALTY_MEMBERSHIPS.describe(deps, up)
    assert (facts.tier_downgrade, facts.tier_steps_up) == (False, 2)


async def _landed(runtime: LoyaltyRuntime, write: GuardedWrite[Any, Any], args: Any) -> Any:
    """What the write reads back from Mews after an interrupted call (`CallsOut.landed`)."""
    assert isinstance(write.execute, CallsOut)
    assert write.execute.landed is not None
    return await write.execute.landed(runtime.writes, args)


async def _execute_and_read_back(
    runtime: LoyaltyRuntime, write: GuardedWrite[Any, Any], args: Any
) -> tuple[Any, Any]:
    """The write's result and what reads back after it; before it ran, nothing did."""
    assert await _landed(runtime, write, args) is None
    result = await execute(runtime, write, args)
    return result, await _landed(runtime, write, args)


async def test_each_admin_write_reads_back_whether_mews_shows_it_done(
    runtime: LoyaltyRuntime,
) -> None:
    add = AddProgramsArgs(programs=[NewProgram(name="Spa Club", code="SPA1")])
    added, shown = await _execute_and_read_back(runtime, ADD_LOYALTY_PROGRAMS, add)
    program = added.loyalty_programs[0]
    assert shown.loyalty_programs == [program]

    rename = UpdateProgramsArgs(
        updates=[ProgramChange(loyalty_program_id=program.id, name="Spa Circle")]
    )
    _, shown = await _execute_and_read_back(runtime, UPDATE_LOYALTY_PROGRAMS, rename)
    assert [p.name for p in shown.loyalty_programs] == ["Spa Circle"]

    tier = AddTiersArgs(
        tiers=[NewTier(loyalty_program_id=program.id, name="Pearl", code="PRL", ordering=1)]
    )
    added, shown = await _execute_and_read_back(runtime, ADD_LOYALTY_TIERS, tier)
    pearl = added.loyalty_tiers[0]
    assert shown.loyalty_tiers == [pearl]
    moved = UpdateTiersArgs(updates=[TierChange(loyalty_tier_id=pearl.id, ordering=2)])
    _, shown = await _execute_and_read_back(runtime, UPDATE_LOYALTY_TIERS, moved)
    assert [t.ordering for t in shown.loyalty_tiers] == [2]

    drop_tier = DeleteTiersArgs(loyalty_tier_ids=[pearl.id])
    _, shown = await _execute_and_read_back(runtime, DELETE_LOYALTY_TIERS, drop_tier)
    assert shown.deleted == [pearl.id]
    drop = DeleteProgramsArgs(loyalty_program_ids=[program.id])
    _, shown = await _execute_and_read_back(runtime, DELETE_LOYALTY_PROGRAMS, drop)
    assert shown.deleted == [program.id]

    guest = STORY.john_smith_second
    enrol = AddMembershipsArgs(
        memberships=[NewMembership(account_id=guest, loyalty_program_id=STORY.program_pc01)]
    )
    added, shown = await _execute_and_read_back(runtime, ADD_LOYALTY_MEMBERSHIPS, enrol)
    membership = added.loyalty_memberships[0]
    assert [m.id for m in shown.loyalty_memberships] == [membership.id]
    cancel = UpdateMembershipsArgs(
        updates=[MembershipUpdate(loyalty_membership_id=membership.id, state="Canceled")]
    )
    _, shown = await _execute_and_read_back(runtime, UPDATE_LOYALTY_MEMBERSHIPS, cancel)
    assert [m.state for m in shown.loyalty_memberships] == ["Canceled"]
    drop_membership = DeleteMembershipsArgs(loyalty_membership_ids=[membership.id])
    _, shown = await _execute_and_read_back(runtime, DELETE_LOYALTY_MEMBERSHIPS, drop_membership)
    assert shown.deleted == [membership.id]
