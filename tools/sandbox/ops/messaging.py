"""`messageThreads/add|getAll` and `messages/add|getAll`.

A thread belongs to the integration (client token) and enterprise that created it; other
integrations neither see it nor can post to it (400 `Invalid MessageThreadId`). The seeded
threads belong to the first demo integration. `messages/add` records a `MessageAdded` event.
"""

from __future__ import annotations

from tools.sandbox.context import Ctx
from tools.sandbox.errors import JSON, invalid
from tools.sandbox.ids import new_id
from tools.sandbox.ops._common import any_filter, in_filter, in_interval, rendered_page, ts
from tools.sandbox.ops._registry import operation
from tools.sandbox.state import Message, MessageThread
from tools.sandbox.validation import Obj

__all__: list[str] = []


def _render_thread(thread: MessageThread) -> JSON:
    return {
        "Id": thread.id,
        "OriginalSender": thread.original_sender,
        "Subject": thread.subject,
        "CreatedUtc": ts(thread.created),
        "UpdatedUtc": ts(thread.updated),
        "IsResolved": thread.resolved,
    }


def _render_message(message: Message) -> JSON:
    return {
        "Id": message.id,
        "MessageThreadId": message.thread_id,
        "Text": message.text,
        "Sender": {"Discriminator": message.sender, "Value": None},
        "CreatedUtc": ts(message.created),
    }


def _mine(ctx: Ctx, thread: MessageThread | None) -> bool:
    return (
        thread is not None
        and thread.client_token == ctx.client_token
        and thread.enterprise_id in ctx.integration.enterprise_ids
    )


@operation("messageThreads/add", writes=True)
def threads_add(ctx: Ctx, q: Obj) -> JSON:
    enterprise = ctx.single_enterprise()
    thread = MessageThread(
        new_id(),
        enterprise,
        ctx.client_token,
        q.req_str("OriginalSender", max_len=255),
        q.req_str("Subject", max_len=255),
        ctx.now,
        ctx.now,
    )
    ctx.state.threads.add(thread.id, thread)
    ctx.state.touch(ctx.state.threads, thread.id)
    return {"MessageThreads": [_render_thread(thread)]}


@operation("messageThreads/getAll", page_key="MessageThreads")
def threads_get_all(ctx: Ctx, q: Obj) -> JSON:
    any_filter(q, ("MessageThreadIds", "CreatedUtc", "UpdatedUtc"), "messageThreads/getAll")
    enterprises = ctx.enterprises(q)
    ids = q.guids("MessageThreadIds")
    created, updated = q.interval("CreatedUtc"), q.interval("UpdatedUtc")
    rows = [
        t
        for t in ctx.state.threads
        if _mine(ctx, t)
        and t.enterprise_id in enterprises
        and in_filter(ids, t.id)
        and in_interval(created, t.created)
        and in_interval(updated, t.updated)
    ]
    return rendered_page(q, rows, ctx.state.threads.get, "MessageThreads", _render_thread)


@operation("messages/add", writes=True)
def messages_add(ctx: Ctx, q: Obj) -> JSON:
    enterprise = ctx.single_enterprise()
    planned: list[tuple[str | None, Message]] = []
    for item in q.objs("Messages", required=True):
        thread_id = item.req_guid("MessageThreadId")
        if not _mine(ctx, ctx.state.threads.get(thread_id)):
            raise invalid(
                item.at("MessageThreadId"), f"no message thread {thread_id} of this integration."
            )
        message = Message(
            new_id(),
            enterprise,
            thread_id,
            item.req_str("Text", max_len=10000),
            "Application",
            ctx.now,
        )
        planned.append((item.str_("Identifier", max_len=255), message))
    for _, message in planned:
        ctx.state.messages.add(message.id, message)
        ctx.state.touch(ctx.state.messages, message.id)
        thread = ctx.state.threads.rows[message.thread_id]
        thread.updated = ctx.now
        ctx.state.touch(ctx.state.threads, thread.id)
        ctx.state.events.record("MessageAdded", message.id, enterprise, ctx.now)
    return {
        "Messages": [{"Identifier": ident, "Message": _render_message(m)} for ident, m in planned]
    }


@operation("messages/getAll", page_key="Messages")
def messages_get_all(ctx: Ctx, q: Obj) -> JSON:
    threads = set(q.req_guids("MessageThreadIds"))
    enterprises = ctx.enterprises(q)
    created = q.interval("CreatedUtc", max_months=1)
    rows = [
        m
        for m in ctx.state.messages
        if m.thread_id in threads
        and m.enterprise_id in enterprises
        and _mine(ctx, ctx.state.threads.get(m.thread_id))
        and in_interval(created, m.created)
    ]
    return rendered_page(q, rows, ctx.state.messages.get, "Messages", _render_message)
