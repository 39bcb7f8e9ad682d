"""Errors of the write actions: requests refused for a reason the caller (a model) should see.

ActionError
├── UnknownMembershipError(membership_id)    no such loyalty membership in Mews
├── ProgramNotConfiguredError(program_id)    the membership's program is not in the program file
├── NotEligibleError(reward_id, reasoning)   a redemption failed its eligibility checks
├── InactiveMembershipError(membership_id, state)  no awards to a Canceled or Declined one
└── InvalidActionArgumentsError(field, problem)
"""

from __future__ import annotations

__all__ = [
    "ActionError",
    "InactiveMembershipError",
    "InvalidActionArgumentsError",
    "NotEligibleError",
    "ProgramNotConfiguredError",
    "UnknownMembershipError",
]


class ActionError(Exception):
    """Base of the errors a write action raises about its request."""


class UnknownMembershipError(ActionError):
    def __init__(self, membership_id: str) -> None:
        super().__init__(
            f"no loyalty membership {membership_id!r} in Mews; find members with find_members"
        )
        self.membership_id = membership_id


class ProgramNotConfiguredError(ActionError):
    def __init__(self, program_id: str) -> None:
        super().__init__(
            f"loyalty program {program_id!r} has no configuration in the program file, so its "
            "points cannot be moved"
        )
        self.program_id = program_id


class NotEligibleError(ActionError):
    def __init__(self, reward_id: str, reasoning: str) -> None:
        super().__init__(f"not eligible for {reward_id!r}: {reasoning}")
        self.reward_id = reward_id
        self.reasoning = reasoning


class InactiveMembershipError(ActionError):
    """Points cannot be awarded to a membership that is Canceled or Declined in Mews."""

    def __init__(self, membership_id: str, state: str) -> None:
        super().__init__(
            f"membership {membership_id} is {state}: no points can be awarded to a {state} "
            "membership; reinstate it first (update_loyalty_memberships with state Enrolled), "
            "or correct its balance with adjust_points"
        )
        self.membership_id = membership_id
        self.state = state


class InvalidActionArgumentsError(ActionError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
