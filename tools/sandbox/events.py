"""The append-only change log of General-Webhook events.

Mews tells subscribers about changes with General Webhooks: `{"EnterpriseId", "IntegrationId",
"Events": [{"Discriminator", "Value": {"Id"}}]}`. The sandbox records each event it would send,
with the time, in order; `tools.sandbox.webhooks` delivers it to subscribers. Recorded:

- `ServiceOrderUpdated` when a reservation changes (admin check-in, check-out, cancel);
- `CustomerAdded` followed by `CustomerUpdated` for a new customer, `CustomerUpdated` for edits;
- `MessageAdded` for `messages/add`.

There are no loyalty events in Mews, so none are recorded for loyalty changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.sandbox.clock import format_ts, parse_ts
from tools.sandbox.errors import JSON

__all__ = ["DISCRIMINATORS", "ChangeEvent", "EventLog"]

DISCRIMINATORS = (
    "ServiceOrderUpdated",
    "ResourceUpdated",
    "MessageAdded",
    "ResourceBlockUpdated",
    "CustomerAdded",
    "CustomerUpdated",
    "PaymentUpdated",
)


@dataclass(frozen=True)
class ChangeEvent:
    sequence: int
    discriminator: str
    entity_id: str
    enterprise_id: str
    at: int

    def to_json(self) -> JSON:
        """The webhook event plus where and when it happened."""
        return {
            "Sequence": self.sequence,
            "EnterpriseId": self.enterprise_id,
            "Discriminator": self.discriminator,
            "Value": {"Id": self.entity_id},
            "OccurredUtc": format_ts(self.at),
        }

    @classmethod
    def from_json(cls, data: JSON) -> ChangeEvent:
        return cls(
            int(data["Sequence"]),
            str(data["Discriminator"]),
            str(data["Value"]["Id"]),
            str(data["EnterpriseId"]),
            parse_ts(str(data["OccurredUtc"])),
        )


class EventLog:
    """Events in the order they happened; never edited, only appended to."""

    def __init__(self) -> None:
        self._events: list[ChangeEvent] = []

    def record(
        self, discriminator: str, entity_id: str, enterprise_id: str, at: int
    ) -> ChangeEvent:
        if discriminator not in DISCRIMINATORS:
            raise ValueError(f"unknown webhook event discriminator {discriminator!r}")
        event = ChangeEvent(len(self._events) + 1, discriminator, entity_id, enterprise_id, at)
        self._events.append(event)
        return event

    def all(self) -> tuple[ChangeEvent, ...]:
        return tuple(self._events)

    def since(self, sequence: int) -> tuple[ChangeEvent, ...]:
        """Events with a sequence number greater than `sequence`."""
        return tuple(self._events[max(sequence, 0) :])

    def __len__(self) -> int:
        return len(self._events)

    def restore(self, events: list[ChangeEvent]) -> None:
        self._events = list(events)
