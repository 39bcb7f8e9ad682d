"""The checkout bonus's signals: predicted member value (Gamma-Poisson stay rate) and the nights
of a stay as the hotel counts them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tests.loyalty.builders import member, stay
from tools.loyalty import default_program_path, load_program_file
from tools.loyalty._time import hotel_nights
from tools.loyalty.future_value import predict_future_value

PC01 = load_program_file(default_program_path()).program("PC01")
NOW = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


def test_a_first_stay_is_predicted_near_the_programs_prior() -> None:
    value = predict_future_value(
        PC01, member(stay(departure=NOW)), stay_spend=Decimal(300), as_of=NOW
    )
    # (1 × 1 + 1) / (1 + 2 days) ≈ 2 stays: one stay says little, the prior holds it down
    assert value.stays_observed == 1
    assert Decimal("1.9") < value.expected_stays <= Decimal("2")
    assert value.expected_spend == (value.expected_stays * 300).quantize(Decimal("0.01"))
    assert "predict" in value.reasoning
    assert "£300.00 a stay" in value.reasoning


def test_a_frequent_guest_is_predicted_at_their_own_rate_and_scores_higher() -> None:
    stays = [stay(departure=NOW - timedelta(days=60 * n)) for n in range(12)]  # 12 in 22 months
    frequent = predict_future_value(PC01, member(*stays), stay_spend=Decimal(300), as_of=NOW)
    once = predict_future_value(
        PC01, member(stay(departure=NOW)), stay_spend=Decimal(300), as_of=NOW
    )
    assert frequent.expected_stays == Decimal("4.62")  # (1 + 12) / (1 + 1.81 years): 6.6 a year
    # seen, shrunk toward the prior of one a year by the one year of evidence it is worth
    assert frequent.score > once.score


def test_stays_older_than_the_history_window_do_not_count() -> None:
    old = stay(departure=NOW - timedelta(days=4 * 365))
    value = predict_future_value(
        PC01, member(old, stay(departure=NOW)), stay_spend=Decimal(300), as_of=NOW
    )
    assert value.stays_observed == 1


def test_the_value_score_is_capped_at_one() -> None:
    stays = [stay(departure=NOW - timedelta(days=30 * n)) for n in range(20)]
    value = predict_future_value(PC01, member(*stays), stay_spend=Decimal(5000), as_of=NOW)
    assert value.score == 1


def test_the_nights_are_the_hotels_local_dates() -> None:
    new_york = ZoneInfo("America/New_York")
    # checked in 21:30 local on 22 Nov (02:30 UTC on the 23rd), out 11:00 local on the 24th
    arrival = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)
    departure = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    assert hotel_nights(arrival, departure, new_york) == [date(2026, 11, 22), date(2026, 11, 23)]
    assert hotel_nights(arrival, departure, UTC) == [date(2026, 11, 23)]  # what UTC would say
    day_use = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert hotel_nights(day_use, day_use + timedelta(hours=4), new_york) == [date(2026, 11, 23)]
