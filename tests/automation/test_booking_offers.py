"""Booking-time low-demand offers: attached through the guard when a quiet stay is booked
(`attach_booking_offer`), the promised bonus posted at checkout (`award_booking_bonus`)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from policies import records
from tests.automation.support import (
    EMMA_MEMBERSHIP,
    EMMA_STAY,
    EMMA_STAY_BONUS,
    EMMA_STAY_POINTS,
    WEBHOOK_URL,
    Rig,
    rig,
)
from tools.actions.booking_offers import attached_offers
from tools.automation import inbox
from tools.loyalty import _ledger_sql as ledger_sql
from tools.loyalty.booking_offers import quote_booking_offer
from tools.loyalty.config import PROGRAM_FILE_ENV, default_program_path, load_program_file
from tools.loyalty.errors import ProgramConfigError
from tools.loyalty.stays import booking_bonus_key
from tools.sandbox import STORY

pytestmark = pytest.mark.anyio

SHIPPED = "occupancy_below = 0.45"
ROOM_SHIPPED = "room_type_occupancy_below = 0.35"


def program_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, room_line: str | None = None
) -> None:
    text = default_program_path().read_text(encoding="utf-8")
    assert SHIPPED in text
    assert ROOM_SHIPPED in text
    text = text.replace(SHIPPED, line)
    if room_line is not None:
        text = text.replace(ROOM_SHIPPED, room_line)
    path = tmp_path / "program.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv(PROGRAM_FILE_ENV, str(path))


async def book(r: Rig) -> str:
    """Mews tells us about Emma's booked (Confirmed) stay; the worker's answer."""
    body = {
        "EnterpriseId": STORY.enterprise_uk,
        "IntegrationId": "c8bee838-7fb1-4f4e-8fac-ac87008b2f90",
        "Events": [{"Discriminator": "ServiceOrderUpdated", "Value": {"Id": EMMA_STAY}}],
    }
    await r.post_json(WEBHOOK_URL, json.dumps(body).encode())
    await r.service.worker.drain()
    done = inbox.list_events(r.runtime.store, statuses=("done",))
    latest = max((e for e in done if e.entity_id == EMMA_STAY), key=lambda e: e.id)
    return latest.result or ""


def booking_bonus_points(r: Rig) -> int | None:
    with r.runtime.store.read() as conn:
        entry = ledger_sql.entry_by_key(conn, booking_bonus_key(EMMA_STAY))
    return None if entry is None else entry.points


async def test_a_stay_booked_on_quiet_nights_gets_the_offer_and_its_bonus_at_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program_with(tmp_path, monkeypatch, "occupancy_below = 0.99")  # every night is quiet
    async with rig(tmp_path) as r:
        before = r.mews_points(EMMA_MEMBERSHIP) or 0
        answer = await book(r)
        offer = attached_offers(r.runtime.store, [EMMA_STAY])[EMMA_STAY]
        await book(r)  # the same booking again: one offer
        r.check_out(EMMA_STAY)
        await r.deliver()
        bonus = booking_bonus_points(r)
        after = r.ledger_balance(EMMA_MEMBERSHIP)
        mews = r.mews_points(EMMA_MEMBERSHIP)
        audit = [
            (a.principal, a.decision)
            for a in records(r.runtime.store)
            if a.action in ("attach_booking_offer", "award_booking_bonus")
        ]

    assert "booking offer: stay between " in answer
    assert "and earn x1.5 points" in answer
    assert "forecast occupancy of the booked nights (" in answer
    assert "(attached)" in answer
    assert offer.multiplier == Decimal("1.5")
    assert offer.inputs["threshold"] == "0.99"
    assert len(offer.inputs["nights"]) == len(offer.inputs["occupancy"]) == 3
    assert bonus == EMMA_STAY_POINTS // 2  # x1.5 on her tier-adjusted stay points
    assert after - before == EMMA_STAY_POINTS + EMMA_STAY_BONUS + bonus
    assert mews == after
    assert audit == [
        ("automation", "allow"),  # the offer, attached once
        ("automation", "replayed"),
        ("automation", "allow"),  # its bonus at checkout
    ]


async def test_a_stay_booked_on_busy_nights_gets_no_offer_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program_with(tmp_path, monkeypatch, "occupancy_below = 0.01", "")
    async with rig(tmp_path) as r:
        answer = await book(r)
        r.check_out(EMMA_STAY)
        await r.deliver()
        offers = attached_offers(r.runtime.store, [EMMA_STAY])
        bonus = booking_bonus_points(r)

    assert answer.startswith("booked: no offer: forecast occupancy of the booked nights")
    assert "not below 1% (low_demand_offer.occupancy_below)" in answer
    assert offers == {}
    assert bonus is None


async def test_a_stay_in_a_quiet_room_type_gets_the_offer_when_the_hotel_is_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program_with(
        tmp_path, monkeypatch, "occupancy_below = 0.01", "room_type_occupancy_below = 0.99"
    )
    async with rig(tmp_path) as r:
        answer = await book(r)
        offer = attached_offers(r.runtime.store, [EMMA_STAY])[EMMA_STAY]
        reservation = r.sandbox.state.reservations.get(EMMA_STAY)
        assert reservation is not None
        room_type = r.sandbox.state.world.resource_categories[reservation.category_id]

    assert "and earn x1.5 points: forecast occupancy of the booked room type, " in answer
    assert f"{room_type.name}, on those nights (" in answer
    assert "below 99% (low_demand_offer.room_type_occupancy_below)" in answer
    assert "the hotel's forecast occupancy of the booked nights" in answer
    assert "not below 1% (low_demand_offer.occupancy_below)" in answer
    assert offer.inputs["rule"] == "room_type"
    assert offer.inputs["room_type_id"] == room_type.id
    assert offer.inputs["room_type_threshold"] == "0.99"
    assert len(offer.inputs["room_type_occupancy"]) == 3


async def test_a_busy_hotel_and_room_type_get_no_offer_naming_both_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program_with(
        tmp_path, monkeypatch, "occupancy_below = 0.01", "room_type_occupancy_below = 0.01"
    )
    async with rig(tmp_path) as r:
        answer = await book(r)
        offers = attached_offers(r.runtime.store, [EMMA_STAY])

    assert offers == {}
    assert "not below 1% (low_demand_offer.occupancy_below)" in answer
    assert "not below 1% (low_demand_offer.room_type_occupancy_below)" in answer


async def test_a_canceled_stay_gives_back_its_booking_bonus_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program_with(tmp_path, monkeypatch, "occupancy_below = 0.99")
    async with rig(tmp_path) as r:
        before = r.mews_points(EMMA_MEMBERSHIP) or 0
        await book(r)
        r.check_out(EMMA_STAY)
        await r.deliver()
        # A PMS correction of the checked-out stay (the sandbox cancels only unstarted ones).
        reservation = r.sandbox.state.reservations.get(EMMA_STAY)
        assert reservation is not None
        reservation.state = "Confirmed"
        r.sandbox.transition(EMMA_STAY, "Canceled")
        await r.deliver()
        after = r.ledger_balance(EMMA_MEMBERSHIP)
        with r.runtime.store.read() as conn:
            entry = ledger_sql.entry_by_key(conn, booking_bonus_key(EMMA_STAY))

    assert entry is not None
    assert entry.reversed_by_entry_id is not None
    assert after == before


def test_the_offer_reasoning_names_the_nights_their_occupancy_and_the_threshold() -> None:
    program = load_program_file().program("PC01")
    nights = [date(2027, 1, 11), date(2027, 1, 12)]
    now = datetime(2026, 12, 1, tzinfo=UTC)
    arrival = datetime(2027, 1, 11, 15, tzinfo=UTC)

    quiet = quote_booking_offer(
        program, arrival=arrival, nights=nights,
        occupancy=[Decimal("0.30"), Decimal("0.40")], zone=UTC, now=now,
    )  # fmt: skip
    busy = quote_booking_offer(
        program, arrival=arrival, nights=nights,
        occupancy=[Decimal("0.50"), Decimal("0.42")], zone=UTC, now=now,
    )  # fmt: skip
    far = quote_booking_offer(
        program, arrival=arrival.replace(year=2028), nights=nights,
        occupancy=[Decimal("0.1"), Decimal("0.1")], zone=UTC, now=now,
    )  # fmt: skip

    assert quiet.eligible
    assert quiet.mean == Decimal("0.35")
    assert quiet.reasoning == (
        "stay between 11 Jan 2027 and 13 Jan 2027 and earn x1.5 points: forecast occupancy of "
        "the booked nights (11 Jan 30%, 12 Jan 40%, UTC): mean 35%, below 45% "
        "(low_demand_offer.occupancy_below)"
    )
    assert not busy.eligible
    assert "mean 46%, not below 45%" in busy.reasoning
    assert not far.eligible
    assert "more than 365 days ahead" in far.reasoning


def test_a_quiet_room_type_on_busy_nights_is_its_own_rule_and_says_so() -> None:
    from tools.loyalty.booking_offers import RoomTypeDemand

    program = load_program_file().program("PC01")  # hotel below 45 %, a room type below 35 %
    nights = [date(2027, 1, 11), date(2027, 1, 12)]
    now = datetime(2026, 12, 1, tzinfo=UTC)
    arrival = datetime(2027, 1, 11, 15, tzinfo=UTC)
    busy_hotel = [Decimal("0.70"), Decimal("0.80")]

    def quote(*suites: str) -> Any:
        room = RoomTypeDemand("cat-1", "Junior Suite", tuple(Decimal(s) for s in suites))
        return quote_booking_offer(
            program, arrival=arrival, nights=nights, occupancy=busy_hotel, zone=UTC, now=now,
            room_type=room,
        )  # fmt: skip

    quiet_suites, busy_suites = quote("0.20", "0.30"), quote("0.40", "0.50")
    quiet_hotel = quote_booking_offer(
        program, arrival=arrival, nights=nights,
        occupancy=[Decimal("0.30"), Decimal("0.40")], zone=UTC, now=now,
    )  # fmt: skip

    assert quiet_suites.eligible
    assert quiet_suites.rule == "room_type"
    assert quiet_suites.reasoning == (
        "stay between 11 Jan 2027 and 13 Jan 2027 and earn x1.5 points: forecast occupancy of "
        "the booked room type, Junior Suite, on those nights (11 Jan 20%, 12 Jan 30%): mean 25%, "
        "below 35% (low_demand_offer.room_type_occupancy_below); the hotel's forecast occupancy "
        "of the booked nights (11 Jan 70%, 12 Jan 80%, UTC): mean 75%, not below 45% "
        "(low_demand_offer.occupancy_below)"
    )
    assert not busy_suites.eligible
    assert busy_suites.rule is None
    assert "mean 45%, not below 35% (low_demand_offer.room_type_occupancy_below)" in (
        busy_suites.reasoning
    )
    assert quiet_hotel.rule == "dates"


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (SHIPPED, "occupancy_below = 1.5", "occupancy_below: Input should be less than 1"),
        (
            "horizon_days = 365",
            "horizon_days = 0",
            "horizon_days: Input should be greater than or equal to 1",
        ),
    ],
)
def test_bad_offer_thresholds_in_the_program_file_name_their_key(
    old: str, new: str, problem: str
) -> None:
    from tools.loyalty.config import parse_program_file

    text = default_program_path().read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(ProgramConfigError) as caught:
        parse_program_file(text.replace(old, new))
    assert f"programs.PC01.low_demand_offer.{problem}" in str(caught.value)


def test_an_offer_that_adds_nothing_is_refused_naming_the_multiplier() -> None:
    from tools.loyalty.config import parse_program_file

    text = default_program_path().read_text(encoding="utf-8")
    with pytest.raises(ProgramConfigError) as caught:
        parse_program_file(text.replace("multiplier = 1.5\nhorizon", "multiplier = 1\nhorizon"))
    assert "programs.PC01.low_demand_offer.multiplier: Input should be greater than 1" in str(
        caught.value
    )
