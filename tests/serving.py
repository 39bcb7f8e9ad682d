"""Serving an ASGI app over real loopback HTTP for the tests that need a port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn


@contextmanager
def serve(
    app: Any, *, ready_within: float | None = None, stop_within: float = 10, **config: Any
) -> Iterator[str]:
    """`app` served by uvicorn on a free loopback port in a thread; yields its base URL.

    Connections wait in the listen backlog until uvicorn accepts them, so callers need not poll.
    With `ready_within`, the server's own startup (lifespan included) must also finish in that
    many seconds, and a server that dies while starting fails the test at once.
    """
    with serve_on_port(
        lambda _port: app, ready_within=ready_within, stop_within=stop_within, **config
    ) as url:
        yield url


@contextmanager
def serve_on_port(
    make_app: Callable[[int], Any],
    *,
    ready_within: float | None = None,
    stop_within: float = 10,
    **config: Any,
) -> Iterator[str]:
    """As `serve`, for an app that must know its port (the MCP HTTP app checks `Host`):
    `make_app(port)` is called once the port is bound."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(make_app(port), log_level="warning", **config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        if ready_within is not None:
            deadline = time.monotonic() + ready_within
            while not server.started:  # readiness, not a pause: uvicorn has no started event
                if not thread.is_alive() or time.monotonic() > deadline:
                    pytest.fail("the served app did not start")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=stop_within)
        sock.close()
