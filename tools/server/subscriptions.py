"""Resource subscriptions: who watches which URI, and telling them when it changes.

Resources that change while a client looks at them: `loyalty://approvals` (a write waits for a
manager, or a manager decides one) and `loyalty://members/{customer_id}` (the member's points
move). After a write tool call the server works out which of those it touched (`touched`) and
sends `notifications/resources/updated` to every session subscribed to one; a session that has
gone away is forgotten. The other resources change only with the configuration: a subscription
to them is accepted and stays quiet, as is one to a URI this server does not serve.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from mcp.server.session import ServerSession

from policies import ApprovalDesk, ApprovalNotFoundError
from tools.actions import UnknownMembershipError
from tools.server.tooling import ToolEnv

__all__ = ["APPROVALS_URI", "Subscriptions", "touched"]

_log = logging.getLogger(__name__)
APPROVALS_URI = "loyalty://approvals"
_MEMBER = "loyalty://members/{}"


class Subscriptions:
    """Sessions by subscribed URI (one server, any number of sessions)."""

    def __init__(self) -> None:
        self._watchers: dict[str, dict[int, ServerSession]] = {}

    def subscribe(self, session: ServerSession, uri: str) -> None:
        self._watchers.setdefault(uri, {})[id(session)] = session

    def unsubscribe(self, session: ServerSession, uri: str) -> None:
        self._watchers.get(uri, {}).pop(id(session), None)

    def watched(self, uri: str) -> bool:
        return bool(self._watchers.get(uri))

    async def changed(self, uris: Iterable[str]) -> None:
        for uri in uris:
            for key, session in list(self._watchers.get(uri, {}).items()):
                try:
                    await session.send_resource_updated(uri)
                except Exception:  # a closed session: forget it, tell the others
                    _log.debug("dropping a subscriber of %s", uri, exc_info=True)
                    self._watchers[uri].pop(key, None)


async def touched(
    env: ToolEnv, tool: str, arguments: Mapping[str, Any], structured: Mapping[str, Any] | None
) -> set[str]:
    """The watched resources a write tool call may have changed."""
    uris: set[str] = set()
    status = (structured or {}).get("status")
    if status == "pending_approval" or tool == "decide_approval":
        uris.add(APPROVALS_URI)
    args: Mapping[str, Any] = arguments
    if tool == "decide_approval":
        try:
            args = (
                ApprovalDesk(env.runtime.guard).approval(str(arguments.get("approval_id", ""))).args
            )
        except ApprovalNotFoundError:
            args = {}
    customer = args.get("customer_id") or args.get("account_id")
    if isinstance(customer, str):
        uris.add(_MEMBER.format(customer))
    membership = args.get("membership_id") or args.get("loyalty_membership_id")
    if isinstance(membership, str):
        # never looked up: the write was refused before it reached Mews
        with contextlib.suppress(UnknownMembershipError):
            uris.add(_MEMBER.format(env.runtime.directory.remembered(membership).customer_id))
    return uris
