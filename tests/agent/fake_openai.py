"""A fake OpenAI-compatible chat-completions server on a loopback port.

It runs a real HTTP server (uvicorn, in a thread), so the `openai` SDK is exercised end to
end: request encoding, SSE parsing, retries and timeouts. Tests queue replies and read back
the requests it received.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

_ENVELOPE = {"id": "chatcmpl-1", "created": 1_700_000_000, "model": "fake-model"}


@dataclass(frozen=True)
class Reply:
    """One canned reply: a JSON body, an SSE stream of chunks, or a held (hanging) request."""

    status: int = 200
    body: dict[str, Any] | None = None
    chunks: tuple[dict[str, Any], ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    hold: bool = False


def completion(
    content: str | None = None,
    tool_calls: tuple[tuple[str, str, str], ...] = (),
    *,
    usage: tuple[int, int] = (10, 5),
) -> Reply:
    """A non-streamed completion; `tool_calls` are `(id, name, raw arguments)`."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = [
            {"id": id_, "type": "function", "function": {"name": name, "arguments": args}}
            for id_, name, args in tool_calls
        ]
    choice = {
        "index": 0,
        "message": message,
        "finish_reason": "tool_calls" if tool_calls else "stop",
    }
    body = {
        **_ENVELOPE,
        "object": "chat.completion",
        "choices": [choice],
        "usage": _usage(*usage),
    }
    return Reply(body=body)


def stream(
    *deltas: dict[str, Any], finish: str = "stop", usage: tuple[int, int] = (10, 5)
) -> Reply:
    """A streamed completion: one chunk per delta, a finish chunk, then a usage chunk."""
    chunks = [_chunk([{"index": 0, "delta": delta}]) for delta in deltas]
    chunks.append(_chunk([{"index": 0, "delta": {}, "finish_reason": finish}]))
    chunks.append({**_chunk([]), "usage": _usage(*usage)})
    return Reply(chunks=tuple(chunks))


def error(status: int, message: str, *, retry_after_ms: int | None = None) -> Reply:
    headers = {} if retry_after_ms is None else {"retry-after-ms": str(retry_after_ms)}
    body = {"error": {"message": message, "type": "server_error", "code": None}}
    return Reply(status=status, body=body, headers=headers)


def held() -> Reply:
    """A request the server never answers (until the test ends)."""
    return Reply(hold=True)


def _chunk(choices: list[dict[str, Any]]) -> dict[str, Any]:
    return {**_ENVELOPE, "object": "chat.completion.chunk", "choices": choices}


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


class FakeOpenAIServer:
    """Serves queued replies in order on `POST /v1/chat/completions`."""

    def __init__(self, port: int) -> None:
        self.base_url = f"http://127.0.0.1:{port}/v1"
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._released = threading.Event()

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[FakeOpenAIServer]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)  # connections queue in the kernel until uvicorn starts accepting
        fake = cls(sock.getsockname()[1])
        app = Starlette(routes=[Route("/v1/chat/completions", fake._answer, methods=["POST"])])
        config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="none")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            yield fake
        finally:
            fake.release_held()
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()

    def reset(self) -> None:
        self.replies.clear()
        self.requests.clear()
        self.headers.clear()
        self._released.clear()

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def release_held(self) -> None:
        self._released.set()

    async def _answer(self, request: Request) -> Response:
        self.requests.append(await request.json())
        self.headers.append(dict(request.headers))
        if not self.replies:
            return JSONResponse({"error": {"message": "no reply queued"}}, status_code=500)
        reply = self.replies.pop(0)
        if reply.hold:
            # Blocks this request only; the server's loop keeps serving others.
            await anyio.to_thread.run_sync(self._released.wait, 30.0)
            return JSONResponse({"error": {"message": "released"}}, status_code=503)
        if reply.chunks:
            return StreamingResponse(_sse(reply.chunks), media_type="text/event-stream")
        return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)


async def _sse(chunks: tuple[dict[str, Any], ...]) -> Any:
    for chunk in chunks:
        yield f"data: {json.dumps(chunk)}\n\n"
    yield "data: [DONE]\n\n"
