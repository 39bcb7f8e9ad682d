"""Errors of the loyalty engine.

Two kinds are kept apart: `ProgramConfigError` means the program file is wrong and the program
must stop until someone fixes it; everything else describes a request the engine refused, which
a caller (and the model behind it) should see, explain and adapt to.

    LoyaltyError
    ├── ProgramConfigError(path, problems)          the program file is invalid
    ├── UnknownProgramError(program_code)           no program with that Mews code configured
    ├── UnknownTierError(program_code, tier_code)   a tier code the program does not define
    ├── UnknownRewardError(program_code, reward_id) a reward id not in the catalogue
    ├── NotAMemberError(customer_id, program_code)  the customer has no membership in it
    ├── RefusedRequestError(message, field)         refused before the policy decides (the
    │                                               caller's tool error names `field`)
    └── LedgerError                                 a ledger write or read was refused
        ├── UnknownAccountError(membership_id)
        ├── AccountMismatchError(membership_id, field, stored, given)
        ├── InvalidEntryError(field, problem)
        ├── InsufficientPointsError(membership_id, requested, available, pending)
        ├── UnknownEntryError(membership_id, entry_id)
        ├── EntryNotReversibleError(entry_id, kind, why)
        ├── AlreadyReversedError(entry_id, reversal_entry_id)
        ├── IdempotencyConflictError(idempotency_key, existing_entry_id, differing_fields)
        └── ConcurrentUpdateError(membership_id, expected_version)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AccountMismatchError",
    "AlreadyReversedError",
    "ConcurrentUpdateError",
    "ConfigProblem",
    "EntryNotReversibleError",
    "IdempotencyConflictError",
    "InsufficientPointsError",
    "InvalidEntryError",
    "LedgerError",
    "LoyaltyError",
    "NotAMemberError",
    "ProgramConfigError",
    "RefusedRequestError",
    "UnknownAccountError",
    "UnknownEntryError",
    "UnknownProgramError",
    "UnknownRewardError",
    "UnknownTierError",
]


class LoyaltyError(Exception):
    """Base of every error raised by `tools.loyalty`."""


class RefusedRequestError(LoyaltyError):
    """A request refused before the policy decides (a reward the member cannot have, a stay
    with nothing to upsell), with the argument at fault."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in a program file: where (dotted key path) and what."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


class ProgramConfigError(LoyaltyError):
    """The loyalty program file cannot be used; every problem names its key."""

    def __init__(self, path: str, problems: Sequence[ConfigProblem]) -> None:
        self.path = path
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"invalid loyalty program file {path}:\n{lines}")


class MewsIdError(LoyaltyError):
    """The program file names a Mews id Mews does not have, or leaves a code ambiguous."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"loyalty program file, {key}: {message}")


class UnknownProgramError(LoyaltyError):
    def __init__(self, program_code: str, known: Sequence[str]) -> None:
        self.program_code = program_code
        self.known = tuple(known)
        super().__init__(
            f"no loyalty program with code {program_code!r} is configured "
            f"(configured: {', '.join(self.known) or 'none'})"
        )


class UnknownTierError(LoyaltyError):
    def __init__(self, program_code: str, tier_code: str) -> None:
        self.program_code = program_code
        self.tier_code = tier_code
        super().__init__(f"program {program_code!r} has no tier with code {tier_code!r}")


class UnknownRewardError(LoyaltyError):
    def __init__(self, program_code: str, reward_id: str) -> None:
        self.program_code = program_code
        self.reward_id = reward_id
        super().__init__(f"program {program_code!r} has no reward {reward_id!r}")


class NotAMemberError(LoyaltyError):
    def __init__(self, customer_id: str, program_code: str) -> None:
        self.customer_id = customer_id
        self.program_code = program_code
        super().__init__(f"customer {customer_id} has no membership in program {program_code!r}")


class LedgerError(LoyaltyError):
    """A ledger operation was refused; nothing was written."""


class UnknownAccountError(LedgerError):
    def __init__(self, membership_id: str) -> None:
        self.membership_id = membership_id
        super().__init__(f"no ledger account for membership {membership_id}")


class AccountMismatchError(LedgerError):
    """The membership is known with other chain/program/customer ids than the caller gave."""

    def __init__(self, membership_id: str, field: str, stored: str, given: str) -> None:
        self.membership_id = membership_id
        self.field = field
        self.stored = stored
        self.given = given
        super().__init__(
            f"membership {membership_id} is recorded with {field} {stored!r}, not {given!r}"
        )


class InvalidEntryError(LedgerError):
    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class InsufficientPointsError(LedgerError):
    def __init__(self, membership_id: str, requested: int, available: int, pending: int) -> None:
        self.membership_id = membership_id
        self.requested = requested
        self.available = available
        self.pending = pending
        detail = f" ({pending} more are still pending)" if pending else ""
        super().__init__(
            f"membership {membership_id} has {available} points available{detail}, "
            f"{requested} needed; the balance may not go negative unless explicitly allowed"
        )


class UnknownEntryError(LedgerError):
    def __init__(self, membership_id: str, entry_id: int) -> None:
        self.membership_id = membership_id
        self.entry_id = entry_id
        super().__init__(f"membership {membership_id} has no ledger entry {entry_id}")


class EntryNotReversibleError(LedgerError):
    def __init__(self, entry_id: int, kind: str, why: str) -> None:
        self.entry_id = entry_id
        self.kind = kind
        self.why = why
        super().__init__(f"ledger entry {entry_id} ({kind}) cannot be reversed: {why}")


class AlreadyReversedError(LedgerError):
    def __init__(self, entry_id: int, reversal_entry_id: int) -> None:
        self.entry_id = entry_id
        self.reversal_entry_id = reversal_entry_id
        super().__init__(
            f"ledger entry {entry_id} was already reversed by entry {reversal_entry_id}"
        )


class IdempotencyConflictError(LedgerError):
    """The idempotency key was used before, for a request with other arguments."""

    def __init__(
        self, idempotency_key: str, existing_entry_id: int, differing_fields: Sequence[str]
    ) -> None:
        self.idempotency_key = idempotency_key
        self.existing_entry_id = existing_entry_id
        self.differing_fields = tuple(differing_fields)
        super().__init__(
            f"idempotency key {idempotency_key!r} already posted entry {existing_entry_id} "
            f"with different {', '.join(self.differing_fields)}"
        )


class ConcurrentUpdateError(LedgerError):
    """Another transaction changed the account meanwhile: the caller did not hold its lock."""

    def __init__(self, membership_id: str, expected_version: int) -> None:
        self.membership_id = membership_id
        self.expected_version = expected_version
        super().__init__(
            f"ledger account {membership_id} changed after version {expected_version}; "
            "write it inside store.write(ledger_lock_key(membership_id))"
        )
