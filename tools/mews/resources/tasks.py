"""`tasks/add`, `tasks/getAll` (CONNECTOR-API.md §5.11)."""

from __future__ import annotations

from typing import Unpack

from tools.mews.models.tasks import Task, TaskAddResult, TaskFilters, TaskParameters, TasksResult
from tools.mews.operations import Operation, PagedOperation, RetrySafety
from tools.mews.paging import MAX_PAGE_SIZE, Query
from tools.mews.resources._base import Resource

__all__ = ["TasksResource"]

_ADD = Operation(path="tasks/add", result=TaskAddResult, safety=RetrySafety.NOT_IDEMPOTENT)
_GET_ALL = PagedOperation(
    path="tasks/getAll", result=TasksResult, filters=TaskFilters, own_ids="TaskIds"
)


class TasksResource(Resource):
    async def add(self, task: TaskParameters) -> str:
        """`tasks/add`: ask property staff to do something by a deadline; returns the task id."""
        result = await self._client._call(_ADD, task.to_wire())
        return result.task_id

    def get_all(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Unpack[TaskFilters]
    ) -> Query[Task]:
        """`tasks/getAll`: tasks by id, department, reservation or interval."""
        return Query(self._client, _GET_ALL, filters, page_size)
