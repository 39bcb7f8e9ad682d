"""Errors of the automation layer (webhook receiver, inbox, worker, scheduled jobs).

AutomationError
 ├── AutomationConfigError      misconfiguration: stop the program (no or weak webhook secret,
 │                              an unknown job name)
 ├── UnknownInboxEventError     `loyalty webhooks retry ID` with an id the inbox does not hold
 └── ReactionError              one entity's reaction failed; the event is retried with backoff
"""

from __future__ import annotations

__all__ = [
    "AutomationConfigError",
    "AutomationError",
    "ReactionError",
    "UnknownInboxEventError",
]


class AutomationError(Exception):
    """Base class of the automation errors."""


class AutomationConfigError(AutomationError):
    """The automation cannot run as configured; the message says what to set."""


class UnknownInboxEventError(AutomationError, LookupError):
    def __init__(self, event_id: int) -> None:
        super().__init__(
            f"no webhook event {event_id} in the inbox (see `loyalty webhooks list --dead`)"
        )
        self.event_id = event_id


class ReactionError(AutomationError):
    """A reaction to one entity failed in a way worth retrying."""

    def __init__(self, entity_id: str, reason: str) -> None:
        super().__init__(f"{entity_id}: {reason}")
        self.entity_id = entity_id
        self.reason = reason
