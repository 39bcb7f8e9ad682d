"""`send_in_halves`: the one rule both Mews senders (balance pushes, notices) follow."""

from __future__ import annotations

import pytest

from storage.outbox import Delivered, Undelivered
from tools.loyalty.delivery import send_in_halves
from tools.mews import MewsBadRequest, MewsServerError

pytestmark = pytest.mark.anyio


async def test_a_refused_batch_is_halved_until_the_bad_command_stands_alone() -> None:
    requests: list[list[int]] = []

    async def send(batch: list[int]) -> list[Delivered]:
        requests.append(batch)
        if 3 in batch:
            raise MewsBadRequest(400, "Invalid LoyaltyMembershipId")
        return [Delivered(n) for n in batch]

    def failed(batch: list[int], exc: Exception) -> list[Undelivered]:
        return [Undelivered(n, str(exc)) for n in batch]

    outcomes = await send_in_halves([1, 2, 3, 4, 5], send, failed)
    assert requests == [[1, 2, 3, 4, 5], [1, 2], [3, 4, 5], [3], [4, 5]]
    assert [type(o).__name__ for o in outcomes] == [
        "Delivered",
        "Delivered",
        "Undelivered",
        "Delivered",
        "Delivered",
    ]


async def test_other_failures_fail_the_whole_batch_and_unlisted_errors_propagate() -> None:
    async def down(batch: list[int]) -> list[Delivered]:
        raise MewsServerError(503, "unavailable")

    async def broken(batch: list[int]) -> list[Delivered]:
        raise ValueError("no token for that hotel")

    def failed(batch: list[int], exc: Exception) -> list[Undelivered]:
        return [Undelivered(n, type(exc).__name__) for n in batch]

    assert await send_in_halves([1, 2], down, failed) == [
        Undelivered(1, "MewsServerError"),
        Undelivered(2, "MewsServerError"),
    ]
    with pytest.raises(ValueError, match="no token"):
        await send_in_halves([1], broken, failed)
    assert await send_in_halves([1], broken, failed, failures=(ValueError,)) == [
        Undelivered(1, "ValueError")
    ]
