"""The campaign tests' sandbox runtime and in-memory MCP clients, reused for the report tool."""

from __future__ import annotations

from tests.campaigns.conftest import clock, connect, runtime, sandbox

__all__ = ["clock", "connect", "runtime", "sandbox"]
