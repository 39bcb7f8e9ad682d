"""`--state`: seed parameters plus an overlay of changes, saved atomically, loaded back."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.conftest import NOW, Api
from tools.sandbox import STORY, FrozenClock, Sandbox, StateFileError, SystemClock

LIMIT = {"Limitation": {"Count": 1000}}


def snapshot(api: Api) -> dict[str, Any]:
    return {
        "programs": api.ok("loyaltyPrograms/getAll", ActivityStates=["Active", "Deleted"], **LIMIT),
        "emma": api.ok("loyaltyMemberships/getAll", AccountIds=[STORY.emma_novak], **LIMIT),
        "new": api.ok(
            "customers/getAll", Extent={"Customers": True}, Emails=["new@example.com"], **LIMIT
        ),
        "stay": api.ok(
            "reservations/getAll/2023-06-06",
            ReservationIds=[STORY.emma_novak_upcoming_stay],
            **LIMIT,
        ),
        "now": api.ok("configuration/get")["NowUtc"],
        "events": api.admin("GET", "events").json,
    }


def change_things(api: Api) -> None:
    api.ok(
        "loyaltyPrograms/add",
        LoyaltyPrograms=[{"Name": "Saved", "Code": "SV", "Type": "Hotel", "Subscription": "Free"}],
    )
    api.ok(
        "loyaltyMemberships/update",
        LoyaltyMembershipUpdates=[
            {"LoyaltyMembershipId": STORY.emma_novak_membership, "Points": {"Value": 9999}}
        ],
    )
    api.ok("customers/add", LastName="New", Email="new@example.com", OverwriteExisting=False)
    api.ok(
        "loyaltyPrograms/delete",
        LoyaltyProgramIds=[
            api.ok("loyaltyPrograms/getAll", Codes=["SV"], **LIMIT)["LoyaltyPrograms"][0]["Id"]
        ],
    )
    assert api.admin("POST", "clock", {"Advance": "P26D"}).status == 200
    body = {"ReservationId": STORY.emma_novak_upcoming_stay, "State": "Started"}
    assert api.admin("POST", "reservations/transition", body).status == 200


def test_changes_survive_a_restart_and_the_file_params_win(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    first = Sandbox.open(path, seed=2, customers=80, clock=FrozenClock(NOW))
    change_things(Api(first))
    before = snapshot(Api(first))
    second = Sandbox.open(path, seed=99, customers=5)
    assert second.state.params == first.state.params
    assert snapshot(Api(second)) == before
    assert before["emma"]["LoyaltyMemberships"][0]["Points"] == 9999
    assert before["stay"]["Reservations"][0]["State"] == "Started"
    assert [e["Discriminator"] for e in before["events"]["Events"]] == [
        "CustomerAdded",
        "CustomerUpdated",
        "ServiceOrderUpdated",
    ]


def test_the_file_holds_the_overlay_not_the_seeded_chain(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    sandbox = Sandbox.open(path, seed=2, customers=2000, clock=FrozenClock(NOW))
    change_things(Api(sandbox))
    document = json.loads(path.read_text())
    assert path.stat().st_size < 20_000
    assert set(document["Overlay"]) == {"programs", "memberships", "customers", "reservations"}
    assert len(document["Overlay"]["customers"]) == 1


def test_a_system_clock_keeps_its_advance_as_an_offset(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    sandbox = Sandbox.open(path, customers=20)
    Api(sandbox).admin("POST", "clock", {"Advance": "P1D"})
    reopened = Sandbox.open(path)
    assert isinstance(reopened.clock, SystemClock)
    assert abs(reopened.clock.offset - timedelta(days=1)) < timedelta(seconds=5)


def test_reset_starts_from_a_fresh_chain(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    sandbox = Sandbox.open(path, seed=2, customers=40, clock=FrozenClock(NOW))
    change_things(Api(sandbox))
    fresh = Sandbox.open(path, seed=3, customers=40, reset=True, clock=FrozenClock(NOW))
    assert fresh.state.params.seed == 3
    assert json.loads(path.read_text())["Overlay"] == {}
    assert Sandbox.open(path).state.params.seed == 3


def test_a_crash_while_writing_leaves_the_previous_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.json"
    sandbox = Sandbox.open(path, customers=20, clock=FrozenClock(NOW))
    api = Api(sandbox)
    api.ok(
        "loyaltyPrograms/add",
        LoyaltyPrograms=[{"Name": "One", "Code": "1", "Type": "Hotel", "Subscription": "Free"}],
    )
    before = path.read_bytes()

    def crash(*args: object) -> None:
        raise OSError("power cut")

    for target in ("fsync", "replace"):
        with monkeypatch.context() as patch:
            patch.setattr(os, target, crash)
            reply = api.call(
                "loyaltyPrograms/add",
                LoyaltyPrograms=[
                    {"Name": "Two", "Code": "2", "Type": "Hotel", "Subscription": "Free"}
                ],
            )
        assert reply.status == 500
        assert path.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]
    assert Sandbox.open(path).state.params == sandbox.state.params


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read sandbox state file"),
        ('{"Format": "something-else"}', "is not a sandbox state file"),
        ('{"Format": "mews-loyalty-sandbox-state", "Version": 99}', "version 99"),
        ('{"Format": "mews-loyalty-sandbox-state", "Version": 1, "Seed": {}}', "invalid seed"),
    ],
)
def test_an_unreadable_state_file_is_a_clear_error(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)
    with pytest.raises(StateFileError, match=message):
        Sandbox.open(path)
