from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from storage.store import Store
from tests.loyalty.builders import MEMBERSHIP, T0, open_account, stay
from tools.loyalty import ProgramConfig, Source, ledger_lock_key, post_entry
from tools.loyalty.accrual import (
    AccrualQuote,
    accrual_idempotency_key,
    accrual_reversal_key,
    quote_stay_accrual,
)
from tools.loyalty.errors import IdempotencyConflictError, UnknownTierError
from tools.loyalty.facts import Spend

SPEND = Spend(
    accommodation=Decimal("200.50"),
    food_and_beverage=Decimal("30.25"),
    spa=Decimal(0),
    other=Decimal("3.30"),
)


def test_a_checked_out_stay_earns_by_category_and_night_times_the_tier_multiplier(
    pc01: ProgramConfig,
) -> None:
    quote = quote_stay_accrual(pc01, stay(departure=T0, nights=2, spend=SPEND), tier_code="G1")
    # 200.50×1 + 30.25×1 + 3.30×0.5 + 2 nights×10 = 252.40 base; × 1.5 = 378.6 → 378
    assert quote.base_points == Decimal("252.40")
    assert quote.multiplier == Decimal("1.5")
    assert (quote.eligible, quote.points) == (True, 378)
    assert quote.category_points["other"] == Decimal("1.650")
    assert "252.4 base points × tier multiplier 1.5 = 378 points" in quote.reasoning


def test_points_are_rounded_down_once_at_the_end_not_per_category(pc01: ProgramConfig) -> None:
    spend = Spend(spa=Decimal("0.25"), other=Decimal(3))  # 0.5 + 1.5 = 2 exactly
    quote = quote_stay_accrual(pc01, stay(departure=T0, nights=0, spend=spend), tier_code="B1")
    assert quote.points == 2


def test_a_fraction_of_a_point_is_never_awarded(pc01: ProgramConfig) -> None:
    spend = Spend(other=Decimal("1.99"))  # 0.995 points
    quote = quote_stay_accrual(pc01, stay(departure=T0, nights=0, spend=spend), tier_code=None)
    assert quote.points == 0


def test_a_member_without_a_tier_earns_the_base(pc01: ProgramConfig) -> None:
    quote = quote_stay_accrual(pc01, stay(departure=T0, nights=1, spend=SPEND), tier_code=None)
    assert (quote.multiplier, quote.points) == (Decimal(1), 242)


def test_an_unknown_tier_is_an_error_not_a_guess(pc01: ProgramConfig) -> None:
    with pytest.raises(UnknownTierError):
        quote_stay_accrual(pc01, stay(departure=T0), tier_code="X9")


@pytest.mark.parametrize("state", ["Confirmed", "Started", "Optional"])
def test_a_stay_not_checked_out_earns_nothing_yet(pc01: ProgramConfig, state: str) -> None:
    quote = quote_stay_accrual(pc01, stay(departure=T0, state=state), tier_code="B1")
    assert (quote.eligible, quote.points) == (False, 0)
    assert "after checkout" in quote.reasoning


def test_a_canceled_stay_earns_nothing(pc01: ProgramConfig) -> None:
    quote = quote_stay_accrual(pc01, stay(departure=T0, canceled=True), tier_code="B1")
    assert (quote.eligible, quote.points) == (False, 0)
    assert "canceled" in quote.reasoning


def test_spend_in_another_currency_is_not_converted_by_guesswork(pc01: ProgramConfig) -> None:
    quote = quote_stay_accrual(pc01, stay(departure=T0, currency="EUR"), tier_code="B1")
    assert (quote.eligible, quote.points) == (False, 0)
    assert "EUR" in quote.reasoning


def test_a_stay_with_no_nights_and_no_spend_earns_zero(pc01: ProgramConfig) -> None:
    quote = quote_stay_accrual(pc01, stay(departure=T0, nights=0, spend=Spend()), tier_code="P1")
    assert (quote.eligible, quote.points) == (True, 0)
    assert "earn no points" in quote.reasoning


def test_rebates_larger_than_charges_in_a_category_count_as_zero(pc01: ProgramConfig) -> None:
    spend = Spend(accommodation=Decimal(100), food_and_beverage=Decimal(-40))
    quote = quote_stay_accrual(pc01, stay(departure=T0, nights=0, spend=spend), tier_code="B1")
    assert quote.points == 100


def test_the_keys_come_from_the_reservation_alone(pc01: ProgramConfig) -> None:
    one = stay(departure=T0)
    assert quote_stay_accrual(pc01, one, tier_code="B1").idempotency_key == (
        accrual_idempotency_key(one.reservation_id)
    )
    assert quote_stay_accrual(pc01, one, tier_code="G1").idempotency_key == (
        f"accrual:reservation:{one.reservation_id}"
    )
    assert accrual_reversal_key(one.reservation_id) == f"reversal:reservation:{one.reservation_id}"


def test_stay_points_are_pending_for_the_programs_days_after_checkout(
    pc01: ProgramConfig, gec07: ProgramConfig
) -> None:
    checkout = stay(departure=T0)
    assert quote_stay_accrual(pc01, checkout, tier_code=None).pending_until is None
    assert quote_stay_accrual(gec07, checkout, tier_code=None).pending_until == T0 + timedelta(
        days=14
    )


def _post(conn: object, program: ProgramConfig, quote: AccrualQuote) -> int:
    entry = post_entry(
        conn,  # type: ignore[arg-type]
        membership_id=MEMBERSHIP,
        kind="accrual",
        points=quote.points,
        reason=quote.reasoning,
        actor="accrual-job",
        source=quote.source,
        idempotency_key=quote.idempotency_key,
        program=program,
        now=T0,
        pending_until=quote.pending_until,
    )
    return entry.id


def test_a_stay_accrues_once_whoever_posts_it_and_whenever(
    store: Store, pc01: ProgramConfig
) -> None:
    checkout = stay(departure=T0, spend=SPEND)
    with store.write(ledger_lock_key(MEMBERSHIP)) as conn:
        open_account(conn, pc01)
        first = _post(conn, pc01, quote_stay_accrual(pc01, checkout, tier_code="S1"))
        again = _post(conn, pc01, quote_stay_accrual(pc01, checkout, tier_code="S1"))
        upgraded_meanwhile = quote_stay_accrual(pc01, checkout, tier_code="G1")
        with pytest.raises(IdempotencyConflictError) as caught:
            _post(conn, pc01, upgraded_meanwhile)
    assert again == first
    assert caught.value.existing_entry_id == first
    assert "points" in caught.value.differing_fields
    assert upgraded_meanwhile.source == Source("reservation", checkout.reservation_id)
