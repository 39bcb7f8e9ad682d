"""Names, not codes, for the templates: the program file's names of programs, tiers, rewards.

    tier_name("PC01", "G1")  -> "Gold"        reward_name("late-checkout") -> "Late check-out"

An unknown code is shown as it is (a program file that does not name it); never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tools.loyalty import ProgramFile
from tools.loyalty.display import plural

__all__ = ["lookups"]


def lookups(programs: ProgramFile) -> dict[str, Callable[..., str]]:
    def program_name(code: Any) -> str:
        program = programs.programs.get(str(code))
        return program.name if program else str(code or "–")

    def tier_name(program_code: Any, tier_code: Any) -> str:
        if not tier_code:
            return "no tier"
        program = programs.programs.get(str(program_code))
        tier = program.tiers.get(str(tier_code)) if program else None
        if tier is None:  # a code of another program: look in every program
            every = (p.tiers.get(str(tier_code)) for p in programs.programs.values())
            tier = next((found for found in every if found is not None), None)
        return tier.name if tier else str(tier_code)

    def reward_name(reward_id: Any) -> str:
        for program in programs.programs.values():
            if reward_id in program.rewards:
                return program.rewards[reward_id].name
        return str(reward_id)

    return {
        "program_name": program_name,
        "tier_name": tier_name,
        "reward_name": reward_name,
        "plural": plural,
    }
