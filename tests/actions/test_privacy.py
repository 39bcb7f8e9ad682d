"""A member's data: exported whole, erased (pseudonymised) with the ledger's amounts kept,
both through the policy (manager only; an erase is a delete another manager approves) and the
audit; unknown or malformed ids get a clear error."""

from __future__ import annotations

import pytest

from policies import ApprovalDesk, Denied, PendingApproval, Posted
from tests.actions.conftest import emma_with_history
from tools.actions.errors import InvalidActionArgumentsError
from tools.actions.privacy import (
    ERASE_MEMBER,
    ERASED,
    UnknownMemberError,
    export_member,
    pseudonym,
)
from tools.loyalty import balance
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio

EMMA = STORY.emma_novak_membership


async def test_the_export_holds_the_ledger_the_drafts_and_the_audit_by_either_id(
    runtime: LoyaltyRuntime,
) -> None:
    await emma_with_history(runtime)
    by_membership = export_member(runtime.store, EMMA)
    by_customer = export_member(runtime.store, STORY.emma_novak)
    assert by_membership["customer_ids"] == by_customer["customer_ids"] == [STORY.emma_novak]
    assert by_membership["membership_ids"] == [EMMA]
    entries = by_membership["ledger"]["entries"]
    assert [e["kind"] for e in entries] == ["opening_balance", "accrual"]
    assert entries[1]["reason"] == "spa closure, Emma was upset"
    (draft,) = by_membership["offer_drafts"]
    assert draft["rationale"].startswith("Emma Novak")
    assert by_membership["ledger"]["accounts"][0]["balance"] == 6540
    assert set(by_membership["mews_copy"]) == {"customers", "memberships", "stays"}

    alice = runtime.guard.principal("alice")
    read = await runtime.guard.read(
        alice, "export_member", {"member_id": EMMA}, _async(by_membership), requires=("approve",)
    )
    assert read == by_membership
    again = export_member(runtime.store, EMMA)
    assert [r["action"] for r in again["audit"]][-1:] == ["export_member"]


def _async(value: object):  # type: ignore[no-untyped-def]
    async def fn() -> object:
        return value

    return fn


async def test_export_and_erase_need_a_manager(runtime: LoyaltyRuntime) -> None:
    await emma_with_history(runtime)
    carol = runtime.guard.principal("carol")  # staff
    denied = await runtime.guard.read(
        carol, "export_member", {"member_id": EMMA}, _async({}), requires=("approve",)
    )
    assert isinstance(denied, Denied)
    assert denied.rule == "role.permission"
    refused = await runtime.guard.submit(carol, ERASE_MEMBER, {"member_id": EMMA})
    assert isinstance(refused, Denied)


async def test_erase_pseudonymises_names_and_notes_and_keeps_the_amounts(
    runtime: LoyaltyRuntime,
) -> None:
    await emma_with_history(runtime)
    guard = runtime.guard
    with runtime.store.read() as conn:
        before = balance(conn, EMMA, now=runtime.clock.now()).total
    pending = await guard.submit(guard.principal("alice"), ERASE_MEMBER, {"member_id": EMMA})
    assert isinstance(pending, PendingApproval)  # a delete: a second manager decides
    done = await ApprovalDesk(guard).approve(guard.principal("bob"), pending.approval_id)
    assert isinstance(done, Posted)
    assert isinstance(done.result, dict)
    erased = done.result["erased"]
    assert erased["offer_drafts"] == 1
    assert erased["ledger_reasons"] == 2

    after = export_member(runtime.store, STORY.emma_novak)
    assert {e["reason"] for e in after["ledger"]["entries"]} == {ERASED}
    assert [e["points"] for e in after["ledger"]["entries"]] == [6240, 300]
    assert after["offer_drafts"][0]["rationale"] == ERASED
    with runtime.store.read() as conn:
        assert balance(conn, EMMA, now=runtime.clock.now()).total == before == 6540
    assert pseudonym(STORY.emma_novak).startswith("erased-")


async def test_unknown_and_malformed_ids_are_refused_clearly(runtime: LoyaltyRuntime) -> None:
    with pytest.raises(
        UnknownMemberError, match="no member '00000000-0000-0000-0000-000000000000'"
    ):
        export_member(runtime.store, "00000000-0000-0000-0000-000000000000")
    with pytest.raises(InvalidActionArgumentsError, match="member_id: 'nope' is not a Mews id"):
        export_member(runtime.store, "nope")
    alice = runtime.guard.principal("alice")
    with pytest.raises(UnknownMemberError):
        await runtime.guard.submit(alice, ERASE_MEMBER, {"member_id": STORY.zoe})
