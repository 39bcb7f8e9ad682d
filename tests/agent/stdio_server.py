"""An MCP server run as a subprocess by the stdio connection test."""

from __future__ import annotations

import os

from mcp.server.mcpserver import MCPServer

server = MCPServer("stdio-test")


@server.tool()
def environment(names: list[str]) -> dict[str, str | None]:
    """The values of the named environment variables in this process."""
    return {name: os.environ.get(name) for name in names}


if __name__ == "__main__":
    server.run("stdio")
