"""Event-driven loyalty automation: Mews General Webhooks in, guarded loyalty writes out.

    receiver (`receiver`) ──stores──▶ inbox (`inbox`, in the shared Store)
                                        │ claimed in batches
                                        ▼
    worker (`worker`): batched Mews reads ──▶ `Reactions` (`reactions`: stay accrual, reversal,
                                               enrolment proposals) ──▶ Guard as `automation`
    jobs (`jobs`): expiry, tier review, win-back drafts; `schedule`: daily, once per day
    service (`service`): receiver + worker (+ scheduler) in one ASGI app, or mounted into another

Errors: `errors` (`AutomationError` tree).
"""

from __future__ import annotations

from tools.automation.errors import (
    AutomationConfigError,
    AutomationError,
    ReactionError,
    UnknownInboxEventError,
)
from tools.automation.inbox import INBOX, InboxEvent, InboxMessage, InboxStats, Receipt
from tools.automation.receiver import (
    SECRET_ENV,
    WEBHOOK_PATH,
    create_receiver_app,
    webhook_route,
    webhook_secret,
)
from tools.automation.worker import (
    BatchReport,
    GiveUp,
    HoldBack,
    Reacted,
    ReactionResult,
    Reactions,
    RetryLater,
    WebhookWorker,
)

__all__ = [
    "INBOX",
    "SECRET_ENV",
    "WEBHOOK_PATH",
    "AutomationConfigError",
    "AutomationError",
    "BatchReport",
    "GiveUp",
    "HoldBack",
    "InboxEvent",
    "InboxMessage",
    "InboxStats",
    "Reacted",
    "ReactionError",
    "ReactionResult",
    "Reactions",
    "Receipt",
    "RetryLater",
    "UnknownInboxEventError",
    "WebhookWorker",
    "create_receiver_app",
    "webhook_route",
    "webhook_secret",
]
