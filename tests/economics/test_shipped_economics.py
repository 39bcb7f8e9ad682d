"""The shipped program's economics on the default sandbox, as a loyalty manager would check
them: what a stay gives back, and what one point is worth everywhere."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tools.loyalty.stays import PlannedAccrual, plan_stay_accruals
from tools.runtime import LoyaltyRuntime
from tools.sandbox import STORY, Sandbox

pytestmark = pytest.mark.anyio


async def test_emmas_next_checkout_gives_back_five_to_eight_percent_of_net_room_revenue(
    runtime: LoyaltyRuntime, sandbox: Sandbox
) -> None:
    stay = STORY.emma_novak_upcoming_stay
    sandbox.transition(stay, "Started")
    sandbox.transition(stay, "Processed")
    (plan,) = await plan_stay_accruals(runtime.loader, [stay])
    assert isinstance(plan, PlannedAccrual)
    program = runtime.program("PC01")
    room = Decimal(plan.quote.inputs["spend_accommodation"])  # net of taxes
    back = plan.quote.points * program.point_value / room
    assert Decimal("0.05") <= back <= Decimal("0.08"), (plan.quote.reasoning, back)


async def test_the_same_cash_value_is_the_same_points_in_every_program_of_the_shipped_file(
    runtime: LoyaltyRuntime,
) -> None:
    prices = {
        (reward.name, reward.value, reward.base_points)
        for program in runtime.programs.programs.values()
        for reward in program.rewards.values()
    }
    for _name, value, points in prices:
        assert value is not None  # every shipped reward states its cash value
        assert points == value / Decimal("0.05")
