"""The MCP server: every loyalty operation as a typed tool behind the policy layer.

    runtime = await LoyaltyRuntime.open(sandbox=Sandbox.seeded())   # a process: app.runtime
    server = create_server(runtime, principal="assistant", toolsets=("member",))

Modules: `tooling` (one `ToolDef` per tool and the single call path), `member`, `admin`,
`approvals` (the toolsets), `writes` (the write result shape), `content` (resources and
prompts), `app` (`create_server`), `transports` (stdio, streamable HTTP with bearer tokens).
"""

from tools.server.app import (
    ALL_TOOLS,
    DEFAULT_PRINCIPAL,
    ON_BEHALF_OF_META,
    SERVER_NAME,
    create_server,
    tools_for,
)
from tools.server.tooling import TOOLSETS, ToolDef

__all__ = [
    "ALL_TOOLS",
    "DEFAULT_PRINCIPAL",
    "ON_BEHALF_OF_META",
    "SERVER_NAME",
    "TOOLSETS",
    "ToolDef",
    "create_server",
    "tools_for",
]
