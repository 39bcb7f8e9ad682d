"""Tasks for property staff (CONNECTOR-API.md §5.11): how an approval waiting for a manager is
announced at the property."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import StringConstraints

from tools.mews.models.common import (
    MewsFilters,
    MewsRequest,
    MewsResponse,
    PagedResult,
    TimeInterval,
    UtcDateTime,
)

__all__ = ["Task", "TaskAddResult", "TaskFilters", "TaskParameters", "TasksResult"]


class Task(MewsResponse):
    id: str
    enterprise_id: str | None = None
    name: str
    # Documented as a plain string ("Open", ...), not an enum.
    state: str | None = None
    description: str | None = None
    department_id: str | None = None
    service_order_id: str | None = None
    created_utc: UtcDateTime | None = None
    deadline_utc: UtcDateTime | None = None
    closed_utc: UtcDateTime | None = None


class TasksResult(PagedResult[Task]):
    """Answer of `tasks/getAll` (its example has no `Cursor`, doc inconsistency §8.7)."""

    tasks: tuple[Task, ...]


class TaskAddResult(MewsResponse):
    """Answer of `tasks/add`."""

    task_id: str


class TaskParameters(MewsRequest):
    """The body of `tasks/add`; `service_order_id` links a reservation or product order."""

    name: Annotated[str, StringConstraints(min_length=1)]
    deadline_utc: UtcDateTime
    description: str | None = None
    department_id: str | None = None
    service_order_id: str | None = None


class TaskFilters(MewsFilters, total=False):
    """Filters of `tasks/getAll`; `DepartmentIds` cannot be used alone."""

    enterprise_ids: Sequence[str]
    task_ids: Sequence[str]
    department_ids: Sequence[str]
    service_order_ids: Sequence[str]
    created_utc: TimeInterval
    closed_utc: TimeInterval
    deadline_utc: TimeInterval
