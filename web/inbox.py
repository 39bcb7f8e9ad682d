"""The approvals inbox as a manager decides it: filtered, grouped, paged.

    inbox = build_inbox(views, now, viewer="alice", kind="Stay bonuses", page=1)

Filters: the kind of request ("Stay bonuses"), who asked, and how old it is. Like requests
(the same action held by the same rule) are grouped, so a run of the scheduled jobs that held
forty stay bonuses is one group decided at once; the bulk decision still decides each request
on its own through the guarded tool (one audited decision each, four eyes each). A page holds
`PAGE_SIZE` requests; groups are cut at page ends and say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from tools.actions.approval_views import ApprovalView

__all__ = ["AGES", "PAGE_SIZE", "Group", "Inbox", "build_inbox"]

PAGE_SIZE = 25
AGES: dict[str, tuple[str, timedelta | None, timedelta | None]] = {
    "hour": ("Less than an hour old", None, timedelta(hours=1)),
    "day": ("Less than a day old", None, timedelta(days=1)),
    "older": ("Older than a day", timedelta(days=1), None),
}
"""Age filters: label, at least, less than."""


@dataclass
class Group:
    key: str
    kind: str
    reason: str
    rule: str
    views: list[ApprovalView] = field(default_factory=list)
    total: int = 0
    """Requests of the group under the filters (on every page)."""

    def decidable(self, viewer: str) -> list[ApprovalView]:
        """The requests the viewer may decide (not their own: four eyes)."""
        return [v for v in self.views if v.approval.requester != viewer]


@dataclass
class Inbox:
    groups: list[Group]
    total: int
    pending: int
    page: int
    pages: int
    kinds: list[str]
    requesters: list[str]
    filters: dict[str, str]

    def link(self, **changes: str | int) -> str:
        """This inbox's address with some filters (or the page) changed."""
        params: dict[str, str | int] = {**self.filters, **changes}
        query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
        return f"/approvals?{query}" if query else "/approvals"


def _age_ok(view: ApprovalView, now: datetime, age: str) -> bool:
    if age not in AGES:
        return True
    _label, at_least, less_than = AGES[age]
    elapsed = now - view.approval.created_at
    if at_least is not None and elapsed < at_least:
        return False
    return less_than is None or elapsed < less_than


def build_inbox(
    views: Sequence[ApprovalView],
    now: datetime,
    *,
    kind: str = "",
    requester: str = "",
    age: str = "",
    page: int = 1,
) -> Inbox:
    filters = {"kind": kind, "requester": requester, "age": age if age in AGES else ""}
    chosen = [
        v
        for v in views
        if (not kind or v.kind == kind)
        and (not requester or v.approval.requester == requester)
        and _age_ok(v, now, age)
    ]
    # Like requests together (largest group first), oldest first inside a group.
    sizes: dict[str, int] = {}
    for view in chosen:
        sizes[view.group_key] = sizes.get(view.group_key, 0) + 1
    chosen.sort(key=lambda v: (-sizes[v.group_key], v.group_key, v.approval.created_at))
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(max(1, page), pages)
    groups: dict[str, Group] = {}
    for view in chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]:
        group = groups.get(view.group_key)
        if group is None:
            approval = view.approval
            group = Group(view.group_key, view.kind, approval.reason, approval.rule)
            group.total = sizes[view.group_key]
            groups[view.group_key] = group
        group.views.append(view)
    return Inbox(
        groups=list(groups.values()),
        total=len(chosen),
        pending=len(views),
        page=page,
        pages=pages,
        kinds=sorted({v.kind for v in views}),
        requesters=sorted({v.approval.requester for v in views}),
        filters=filters,
    )
