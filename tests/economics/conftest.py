"""The campaign tests' sandbox runtime and in-memory MCP clients, reused for the economics."""

from __future__ import annotations

from tests.campaigns.conftest import anyio_backend, clock, connect, runtime, sandbox

__all__ = ["anyio_backend", "clock", "connect", "runtime", "sandbox"]
