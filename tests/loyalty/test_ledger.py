from __future__ import annotations

from datetime import timedelta

import pytest

from storage.outbox import list_commands
from storage.store import Store
from tests.loyalty.builders import MEMBERSHIP, T0, open_account, post, reverse, shipped_program
from tools.loyalty import (
    ProgramConfig,
    Source,
    UnknownAccountError,
    balance,
    ensure_account,
    get_entry,
    history,
    ledger_lock_key,
    post_entry,
    redemptions_on,
)
from tools.loyalty._time import add_months
from tools.loyalty.errors import (
    AccountMismatchError,
    AlreadyReversedError,
    EntryNotReversibleError,
    IdempotencyConflictError,
    InsufficientPointsError,
    InvalidEntryError,
    UnknownEntryError,
)
from tools.loyalty.ledger import expire_due
from tools.loyalty.ledger_reads import (
    accrual_events,
    allocations,
    last_redemptions,
    memberships_with_expired_lots,
    verify_account,
)
from tools.loyalty.ledger_schema import entries_table

LOCK = ledger_lock_key(MEMBERSHIP)
DAY = timedelta(days=1)


def remaining_of(store: Store, *entry_ids: int) -> list[int | None]:
    with store.read() as conn:
        return [get_entry(conn, MEMBERSHIP, entry_id).remaining for entry_id in entry_ids]


def test_a_membership_first_seen_with_points_opens_with_an_opening_balance(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01, mews_points=1200)
        summary = balance(conn, MEMBERSHIP, now=T0)
        (entry,) = history(conn, MEMBERSHIP).entries
    assert (summary.total, summary.available) == (1200, 1200)
    assert (entry.kind, entry.points, entry.source) == (
        "opening_balance",
        1200,
        Source("reconcile", MEMBERSHIP),
    )
    assert entry.expires_at == T0.replace(year=2028)


def test_seeing_a_membership_again_keeps_its_ledger(store: Store, pc01: ProgramConfig) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01, mews_points=1200)
        open_account(conn, pc01, mews_points=5000)  # Mews drifted: reconcile's business, not ours
        assert balance(conn, MEMBERSHIP, now=T0).total == 1200
        assert len(history(conn, MEMBERSHIP).entries) == 1


def test_a_membership_without_points_opens_empty(store: Store, pc01: ProgramConfig) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01, mews_points=None)
        assert balance(conn, MEMBERSHIP, now=T0).total == 0
        assert history(conn, MEMBERSHIP).entries == ()


def test_negative_mews_points_open_as_points_owed(store: Store, pc01: ProgramConfig) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01, mews_points=-40)
        post(conn, pc01, 100)
        summary = balance(conn, MEMBERSHIP, now=T0)
    assert (summary.total, summary.available, summary.owed) == (60, 60, 0)


def test_a_membership_known_under_another_customer_is_refused(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        with pytest.raises(AccountMismatchError) as caught:
            ensure_account(
                conn,
                membership_id=MEMBERSHIP,
                chain_id="chain-1",
                program_id="program-PC01",
                program=pc01,
                customer_id="someone-else",
                mews_points=0,
                now=T0,
            )
    assert (caught.value.field, caught.value.given) == ("customer_id", "someone-else")


def test_posting_with_another_program_config_is_refused(
    store: Store, pc01: ProgramConfig, gec07: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        with pytest.raises(AccountMismatchError, match="program_code"):
            post(conn, gec07, 100)


def test_posting_to_an_unknown_membership_is_refused(store: Store, pc01: ProgramConfig) -> None:
    with store.write(LOCK) as conn, pytest.raises(UnknownAccountError):
        post(conn, pc01, 100)


def test_repeating_a_key_with_the_same_arguments_returns_the_first_entry(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        first = post(conn, pc01, 300, key="stay-1")
        again = post(conn, pc01, 300, key="stay-1", now=T0 + DAY)
        assert again == first
        assert balance(conn, MEMBERSHIP, now=T0 + DAY).total == 300


def test_repeating_a_key_with_other_arguments_is_a_conflict_naming_them(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        first = post(conn, pc01, 300, key="stay-1")
        with pytest.raises(IdempotencyConflictError) as caught:
            post(conn, pc01, 301, key="stay-1")
        assert balance(conn, MEMBERSHIP, now=T0).total == 300
    assert caught.value.existing_entry_id == first.id
    assert caught.value.differing_fields == ("points",)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": " "}, "reason"),
        ({"actor": ""}, "actor"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"points": 0}, "points"),
        ({"points": -5}, "points"),  # an accrual must be positive
        ({"source": Source("reservation")}, "source.id"),
        ({"points": 2_000_000_000}, "points"),
    ],
)
def test_malformed_entries_are_refused_naming_the_field(
    store: Store, pc01: ProgramConfig, changes: dict[str, object], field: str
) -> None:
    arguments: dict[str, object] = {
        "membership_id": MEMBERSHIP,
        "kind": "accrual",
        "points": 10,
        "reason": "stay",
        "actor": "tester",
        "source": Source("manual"),
        "idempotency_key": "k",
        "program": pc01,
        "now": T0,
    }
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        with pytest.raises(InvalidEntryError) as caught:
            post_entry(conn, **{**arguments, **changes})  # type: ignore[arg-type]
    assert caught.value.field == field


def test_only_points_being_added_can_be_pending(store: Store, pc01: ProgramConfig) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01, mews_points=100)
        with pytest.raises(InvalidEntryError, match="pending_until"):
            post(conn, pc01, -10, kind="adjustment", pending_until=T0 + DAY)


def test_a_redemption_takes_the_soonest_expiring_points_first(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        later = post(conn, pc01, 100, now=T0 + 40 * DAY)
        sooner = post(conn, pc01, 100, now=T0)
        redemption = post(conn, pc01, -150, now=T0 + 50 * DAY)
        taken = [(a.lot_entry_id, a.points) for a in allocations(conn, redemption.id)]
    assert taken == [(sooner.id, 100), (later.id, 50)]
    assert remaining_of(store, sooner.id, later.id) == [0, 50]


def test_a_refused_redemption_writes_nothing_even_if_the_caller_commits(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01, mews_points=100)
        post(conn, pc01, 500, pending_until=T0 + 10 * DAY)
        # The policy layer may catch the refusal and commit its audit record in this transaction.
        with pytest.raises(InsufficientPointsError) as caught:
            post(conn, pc01, -101)
    with store.read() as conn:
        assert len(history(conn, MEMBERSHIP).entries) == 2
        assert verify_account(conn, MEMBERSHIP) == ()
    assert (caught.value.requested, caught.value.available, caught.value.pending) == (101, 100, 500)
    assert list_commands(store)[0].payload["Points"] == 600


def test_stay_points_are_pending_until_their_release_date(
    store: Store, pc01: ProgramConfig
) -> None:
    release = T0 + 14 * DAY
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        lot = post(conn, pc01, 500, pending_until=release)
        before = balance(conn, MEMBERSHIP, now=release - timedelta(seconds=1))
        after = balance(conn, MEMBERSHIP, now=release)
    assert (before.total, before.available, before.pending) == (500, 0, 500)
    assert [(p.on, p.points) for p in before.pending_release] == [(release.date(), 500)]
    assert (after.available, after.pending) == (500, 0)
    # The validity runs from the release, so a pending period never shortens it.
    assert lot.expires_at == release.replace(year=2028)


def test_a_negative_adjustment_claws_back_pending_points_after_available_ones(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01, mews_points=100)
        post(conn, pc01, 500, pending_until=T0 + 10 * DAY)
        post(conn, pc01, -300, kind="adjustment")
        summary = balance(conn, MEMBERSHIP, now=T0)
    assert (summary.total, summary.available, summary.pending) == (300, 0, 300)


def test_an_allowed_negative_balance_is_owed_and_settled_by_the_next_points(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01, mews_points=100)
        debit = post(conn, pc01, -250, kind="adjustment", allow_negative=True)
        owing = balance(conn, MEMBERSHIP, now=T0)
        post(conn, pc01, 400)
        settled = balance(conn, MEMBERSHIP, now=T0)
        assert get_entry(conn, MEMBERSHIP, debit.id).shortfall == 0
        assert verify_account(conn, MEMBERSHIP) == ()
    assert (owing.total, owing.available, owing.owed) == (-150, 0, 150)
    assert (settled.total, settled.available, settled.owed) == (250, 250, 0)


def test_reversing_a_redemption_restores_exactly_the_lots_it_took(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        first = post(conn, pc01, 100, now=T0)
        second = post(conn, pc01, 100, now=T0 + DAY)
        redemption = post(conn, pc01, -150, now=T0 + 2 * DAY)
        reversal = reverse(conn, redemption.id, now=T0 + 3 * DAY)
        assert balance(conn, MEMBERSHIP, now=T0 + 3 * DAY).total == 200
    assert (reversal.kind, reversal.points, reversal.source) == ("reversal", 150, redemption.source)
    assert remaining_of(store, first.id, second.id) == [100, 100]


def test_reversing_an_unspent_accrual_removes_its_lot(store: Store, pc01: ProgramConfig) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01, mews_points=50)
        accrual = post(conn, pc01, 300)
        reversal = reverse(conn, accrual.id)
        assert balance(conn, MEMBERSHIP, now=T0).total == 50
    assert reversal.points == -300
    assert remaining_of(store, accrual.id) == [0]


def test_reversing_a_spent_accrual_takes_the_spent_part_from_other_points(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01, mews_points=0)
        accrual = post(conn, pc01, 300, now=T0)
        other = post(conn, pc01, 500, now=T0 + DAY)
        post(conn, pc01, -200, now=T0 + DAY)  # takes 200 of the accrual (it expires first)
        reverse(conn, accrual.id)
        assert balance(conn, MEMBERSHIP, now=T0 + DAY).total == 300
    assert remaining_of(store, accrual.id, other.id) == [0, 300]


def test_reversing_an_accrual_the_member_cannot_repay_needs_explicit_consent(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        accrual = post(conn, pc01, 300)
        post(conn, pc01, -250)
        with pytest.raises(InsufficientPointsError) as caught:
            reverse(conn, accrual.id)
        assert caught.value.requested == 250
        reverse(conn, accrual.id, allow_negative=True)
        summary = balance(conn, MEMBERSHIP, now=T0)
    assert (summary.total, summary.owed) == (-250, 250)


def test_reversing_twice_returns_the_first_reversal_and_another_key_is_refused(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        accrual = post(conn, pc01, 300)
        first = reverse(conn, accrual.id)
        assert reverse(conn, accrual.id, now=T0 + DAY) == first
        with pytest.raises(AlreadyReversedError) as caught:
            reverse(conn, accrual.id, idempotency_key="other")
        assert balance(conn, MEMBERSHIP, now=T0).total == 0
    assert caught.value.reversal_entry_id == first.id


def test_reversals_and_expiries_cannot_be_reversed(store: Store, pc01: ProgramConfig) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        accrual = post(conn, pc01, 300)
        reversal = reverse(conn, accrual.id)
        post(conn, pc01, 100)
        (expiry,) = expire_due(conn, membership_id=MEMBERSHIP, now=T0.replace(year=2029))
        for entry in (reversal, expiry):
            with pytest.raises(EntryNotReversibleError):
                reverse(conn, entry.id)


def test_an_accrual_whose_points_all_expired_cannot_be_reversed(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        accrual = post(conn, pc01, 300)
        expire_due(conn, membership_id=MEMBERSHIP, now=T0.replace(year=2029))
        with pytest.raises(EntryNotReversibleError, match="expired"):
            reverse(conn, accrual.id)


def test_reversing_an_unknown_entry_is_refused(store: Store, pc01: ProgramConfig) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        with pytest.raises(UnknownEntryError):
            reverse(conn, 99)


def test_expiry_removes_what_is_left_of_lots_past_their_date_once(
    store: Store, pc01: ProgramConfig
) -> None:
    expiry_day = T0.replace(year=2028)
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        lot = post(conn, pc01, 300)
        post(conn, pc01, -100)
        assert expire_due(conn, membership_id=MEMBERSHIP, now=expiry_day - DAY) == ()
        (expiry,) = expire_due(conn, membership_id=MEMBERSHIP, now=expiry_day)
        assert expire_due(conn, membership_id=MEMBERSHIP, now=expiry_day) == ()
        assert balance(conn, MEMBERSHIP, now=expiry_day).total == 0
    assert (expiry.kind, expiry.points, expiry.source) == (
        "expiry",
        -200,
        Source("system", str(lot.id)),
    )


def test_the_balance_shows_points_expiring_within_30_and_90_days_by_date(
    store: Store, pc01: ProgramConfig
) -> None:
    pc01 = pc01.model_copy(update={"expiry_extends_on_activity": False})  # each lot its own date
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        post(conn, pc01, 100, now=T0)
        post(conn, pc01, 200, now=T0 + 60 * DAY)
        post(conn, pc01, 400, now=T0 + 200 * DAY)
        look = T0.replace(year=2028) - 10 * DAY
        summary = balance(conn, MEMBERSHIP, now=look)
    assert summary.expiring_30_days.points == 100
    assert [(d.on, d.points) for d in summary.expiring_30_days.by_date] == [
        (T0.replace(year=2028).date(), 100)
    ]
    assert summary.expiring_90_days.points == 300
    assert summary.expired_awaiting_sweep == 0


def test_expired_points_are_not_available_before_the_sweep(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        post(conn, pc01, 100)
        summary = balance(conn, MEMBERSHIP, now=T0.replace(year=2029))
        with pytest.raises(InsufficientPointsError):
            post(conn, pc01, -10, now=T0.replace(year=2029))
        due = memberships_with_expired_lots(conn, now=T0.replace(year=2029))
    assert (summary.total, summary.available, summary.expired_awaiting_sweep) == (100, 0, 100)
    assert due == [MEMBERSHIP]


def test_points_restored_to_an_expired_lot_expire_again(store: Store, pc01: ProgramConfig) -> None:
    late = T0.replace(year=2028) + DAY
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        post(conn, pc01, 100)
        redemption = post(conn, pc01, -60)
        expire_due(conn, membership_id=MEMBERSHIP, now=late)
        reverse(conn, redemption.id, now=late)
        (again,) = expire_due(conn, membership_id=MEMBERSHIP, now=late)
        assert balance(conn, MEMBERSHIP, now=late).total == 0
    assert (again.points, again.idempotency_key.endswith(":2")) == (-60, True)


def test_points_never_expire_in_a_program_without_expiry(
    store: Store, gec07: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, gec07)
        lot = post(conn, gec07, 100)
        assert expire_due(conn, membership_id=MEMBERSHIP, now=T0.replace(year=2099)) == ()
    assert lot.expires_at is None


def test_history_is_newest_first_with_the_running_balance_and_pages(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01, mews_points=10)
        post(conn, pc01, 100)
        post(conn, pc01, -30)
        post(conn, pc01, 5, kind="adjustment")
        first = history(conn, MEMBERSHIP, limit=2)
        assert first.next_before_sequence is not None
        rest = history(conn, MEMBERSHIP, limit=2, before_sequence=first.next_before_sequence)
    assert [(e.points, e.balance_after) for e in first.entries] == [(5, 85), (-30, 80)]
    assert [(e.points, e.balance_after) for e in rest.entries] == [(100, 110), (10, 10)]
    assert rest.next_before_sequence is None


def test_every_posted_entry_queues_the_new_balance_for_mews(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01, mews_points=10)
        post(conn, pc01, 100)
    with store.write(LOCK) as conn:
        post(conn, pc01, -30)
    (command,) = list_commands(store)  # absolute values coalesce into one pending push
    assert command.kind == "loyaltyMemberships/update"
    assert command.coalesce_key == f"points:{MEMBERSHIP}"
    assert command.payload == {
        "LoyaltyMembershipId": MEMBERSHIP,
        "Points": 80,
        "ChainId": "chain-1",
        "Version": 3,
    }


def test_a_transaction_rolled_back_after_a_refusal_leaves_no_trace(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01, mews_points=10)

    def accrue_then_overspend() -> None:
        with store.write(LOCK) as conn:
            post(conn, pc01, 50)
            post(conn, pc01, -500)

    with pytest.raises(InsufficientPointsError):
        accrue_then_overspend()
    with store.read() as conn:
        assert balance(conn, MEMBERSHIP, now=T0).total == 10
    assert list_commands(store)[0].payload["Points"] == 10


def test_reads_for_inventory_redemption_dates_and_tier_points(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01, mews_points=10_000)
        kept = post(conn, pc01, -100, now=T0)
        undone = post(conn, pc01, -100, now=T0 + timedelta(hours=1))
        reverse(conn, undone.id)
        post(conn, pc01, -100, now=T0 + DAY)
        accrual = post(conn, pc01, 300, now=T0 + 2 * DAY)
        reverse(conn, accrual.id)
        post(conn, pc01, 200, now=T0 + 3 * DAY)
        assert redemptions_on(conn, "spa-credit", T0.date()) == 1
        assert redemptions_on(conn, "spa-credit", T0.date(), chain_id="other-chain") == 0
        assert redemptions_on(conn, "breakfast", T0.date()) == 0
        assert last_redemptions(conn, [MEMBERSHIP, "nobody"]) == {MEMBERSHIP: T0 + DAY}
        events = accrual_events(conn, [MEMBERSHIP], since=T0)
    assert kept.points == -100
    assert [(e.on, e.points) for e in events[MEMBERSHIP]] == [((T0 + 3 * DAY).date(), 200)]


def test_verify_account_reports_an_entry_edited_behind_the_ledgers_back(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01, mews_points=10)
        entry = post(conn, pc01, 100)
        assert verify_account(conn, MEMBERSHIP) == ()
        conn.execute(
            entries_table.update().where(entries_table.c.id == entry.id).values(points=1000)
        )
        problems = verify_account(conn, MEMBERSHIP)
    assert any("sum of entries" in problem for problem in problems)


# ---------------------------------------------------------------------- expiry on activity
def test_earning_or_redeeming_moves_all_points_expiry_when_activity_extends_it(
    store: Store, pc01: ProgramConfig
) -> None:
    assert pc01.expiry_extends_on_activity  # the shipped program counts activity
    later = T0 + 600 * DAY  # 20 months on: the first lot has 4 months left
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        first = post(conn, pc01, 300, now=T0)
        post(conn, pc01, 50, now=later)  # earning: activity
        moved = get_entry(conn, MEMBERSHIP, first.id).expires_at
        post(conn, pc01, -100, now=later + 30 * DAY)  # redeeming: activity too
        again = get_entry(conn, MEMBERSHIP, first.id).expires_at
        # 24 months after the first lot was earned nothing expires: the member was active.
        assert expire_due(conn, membership_id=MEMBERSHIP, now=T0.replace(year=2028)) == ()
        assert balance(conn, MEMBERSHIP, now=T0.replace(year=2028)).total == 250
    assert first.expires_at == T0.replace(year=2028)
    assert moved == add_months(later, 24)
    assert again == add_months(later + 30 * DAY, 24)


def test_without_the_activity_rule_each_lot_expires_24_months_after_it_was_earned(
    store: Store, pc01: ProgramConfig
) -> None:
    per_lot = shipped_program(
        ("expiry_extends_on_activity = true", "expiry_extends_on_activity = false")
    )
    assert not per_lot.expiry_extends_on_activity
    later = T0 + 600 * DAY
    with store.write(LOCK) as conn:
        open_account(conn, per_lot)
        first = post(conn, per_lot, 300, now=T0)
        post(conn, per_lot, 50, now=later)
        post(conn, per_lot, -100, now=later + DAY)
        (expiry,) = expire_due(conn, membership_id=MEMBERSHIP, now=T0.replace(year=2028))
        kept = get_entry(conn, MEMBERSHIP, first.id).expires_at
    assert kept == T0.replace(year=2028)
    assert expiry.points == -200


def test_activity_never_shortens_a_later_expiry_nor_revives_expired_points(
    store: Store, pc01: ProgramConfig
) -> None:
    with store.write(LOCK) as conn:
        open_account(conn, pc01)
        old = post(conn, pc01, 100, now=T0)
        pending = post(conn, pc01, 70, now=T0, pending_until=T0 + 400 * DAY)
        post(conn, pc01, 10, now=T0 + DAY)
        pending_expiry = get_entry(conn, MEMBERSHIP, pending.id).expires_at
        after_expiry = add_months(T0 + DAY, 24) + DAY
        post(conn, pc01, 10, now=after_expiry)
        old_expiry = get_entry(conn, MEMBERSHIP, old.id).expires_at
    assert pending_expiry == add_months(T0 + 400 * DAY, 24)  # later than a day's activity gives
    assert old_expiry == add_months(T0 + DAY, 24)  # already past: the sweep takes it


def test_a_bad_activity_rule_in_the_program_file_names_its_key() -> None:
    from tools.loyalty.config import default_program_path, parse_program_file
    from tools.loyalty.errors import ProgramConfigError

    text = default_program_path().read_text(encoding="utf-8")
    bad = text.replace("expiry_extends_on_activity = true", 'expiry_extends_on_activity = "yes"')
    bad = bad.replace("expiry_reminder_days = 30", "expiry_reminder_days = 0")
    with pytest.raises(ProgramConfigError) as caught:
        parse_program_file(bad)
    message = str(caught.value)
    assert "programs.PC01.expiry_extends_on_activity: Input should be a valid boolean" in message
    assert "programs.PC01.expiry_reminder_days: Input should be greater than or equal to 1" in (
        message
    )
