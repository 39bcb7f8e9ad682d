"""`tasks/add`, `tasks/getAll` and `departments/getAll` (human-review tasks for the property).

`tasks/getAll` is paginated and documented with a required `Limitation`, but its documented
example omits it; a missing `Limitation` is therefore read as `{"Count": 1000}` here (the only
such exception), and the answer still carries `Cursor`.
"""

from __future__ import annotations

from tools.sandbox.context import Ctx
from tools.sandbox.derive import find_product_order
from tools.sandbox.errors import JSON, bad_request, invalid
from tools.sandbox.ids import new_id
from tools.sandbox.ops._common import in_filter, in_interval, page, rendered_page, ts, world_rows
from tools.sandbox.ops._registry import operation
from tools.sandbox.state import Task
from tools.sandbox.validation import Obj

__all__: list[str] = []


def _render_task(task: Task) -> JSON:
    return {
        "Id": task.id,
        "EnterpriseId": task.enterprise_id,
        "Name": task.name,
        "State": task.state,
        "Description": task.description,
        "DepartmentId": task.department_id,
        "ServiceOrderId": task.service_order_id,
        "CreatedUtc": ts(task.created),
        "DeadlineUtc": ts(task.deadline),
        "ClosedUtc": ts(task.closed),
    }


@operation("tasks/add", writes=True)
def tasks_add(ctx: Ctx, q: Obj) -> JSON:
    enterprise = ctx.single_enterprise()
    name = q.req_str("Name", max_len=255)
    deadline = q.utc("DeadlineUtc", required=True)
    assert deadline is not None
    description = q.str_("Description", max_len=4000)
    department = q.guid("DepartmentId")
    if department is not None:
        found = ctx.world.departments.get(department)
        if found is None or found.enterprise_id != enterprise:
            raise invalid("DepartmentId", f"department {department} does not exist.")
    order = q.guid("ServiceOrderId")
    if order is not None:
        reservation = ctx.state.reservations.get(order)
        product_order = find_product_order(ctx.state, order, ctx.now)
        owner = reservation or product_order
        if owner is None or owner.enterprise_id != enterprise:
            raise invalid("ServiceOrderId", f"service order {order} does not exist.")
    task = Task(
        new_id(), enterprise, name, description, "Open", department, order, ctx.now, deadline, None
    )
    ctx.state.tasks.add(task.id, task)
    ctx.state.touch(ctx.state.tasks, task.id)
    return {"TaskId": task.id}


@operation("tasks/getAll", page_key="Tasks")
def tasks_get_all(ctx: Ctx, q: Obj) -> JSON:
    enterprises = ctx.enterprises(q)
    created, closed = q.interval("CreatedUtc"), q.interval("ClosedUtc")
    deadline = q.interval("DeadlineUtc")
    ids, departments = q.guids("TaskIds"), q.guids("DepartmentIds")
    orders = q.guids("ServiceOrderIds")
    others = ("TaskIds", "ServiceOrderIds", "CreatedUtc", "ClosedUtc", "DeadlineUtc")
    if departments is not None and not any(q.has(key) for key in others):
        raise bad_request("DepartmentIds cannot be used alone; add another filter.")
    rows = [
        t
        for t in ctx.state.tasks
        if t.enterprise_id in enterprises
        and in_filter(ids, t.id)
        and in_filter(departments, t.department_id)
        and in_filter(orders, t.service_order_id)
        and in_interval(created, t.created)
        and in_interval(closed, t.closed)
        and in_interval(deadline, t.deadline)
    ]
    return rendered_page(q, rows, ctx.state.tasks.get, "Tasks", _render_task, required=False)


@operation("departments/getAll", page_key="Departments")
def departments_get_all(ctx: Ctx, q: Obj) -> JSON:
    departments = ctx.world.departments
    rows = world_rows(ctx, q, departments, "DepartmentIds")
    items, cursor = page(q, rows, departments.get)
    return {
        "Departments": [
            {
                "Id": d.id,
                "EnterpriseId": d.enterprise_id,
                "IsActive": True,
                "Name": d.name,
                "CreatedUtc": ts(d.created),
                "UpdatedUtc": ts(d.updated),
            }
            for d in items
        ],
        "Cursor": cursor,
    }
