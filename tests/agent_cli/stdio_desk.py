"""The `Desk` stand-in served over stdio, acting for carol, for `--mcp-command` tests."""

from __future__ import annotations

import anyio

from policies import load_policy, resolve_principal
from tests.agent_cli.fakes import Desk


async def main() -> None:
    async with Desk().server(resolve_principal(load_policy(), "carol")) as server:
        await server.run_stdio_async()


if __name__ == "__main__":
    anyio.run(main)
