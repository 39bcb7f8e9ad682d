"""The MCP server: every loyalty operation as a typed tool behind the policy layer.

    runtime = await LoyaltyRuntime.open(sandbox=Sandbox.seeded())   # a process: app.runtime
    server = create_server(runtime, principal="assistant", toolsets=("member",))

Modules: `tooling` (one `ToolDef` per tool and the single call path), `member`, `admin`,
`approvals` (the toolsets), `writes` (the write result shape), `content` (resources and
prompts), `app` (`create_server`), `catalog` (what the server lists, kept as JSON),
`deferred` (the stdio server that lists from the catalog and builds the rest on first use),
`transports` (stdio, streamable HTTP with bearer tokens).

Names are imported on first use: `TOOLSETS` and the catalog do not load the tool definitions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.exports import lazy_exports

if TYPE_CHECKING:
    from tools.server.app import ALL_TOOLS, create_server, tools_for
    from tools.server.catalog import (
        DEFAULT_PRINCIPAL,
        ON_BEHALF_OF_META,
        SERVER_NAME,
        TIME_ZONE_META,
        TOOLSETS,
    )
    from tools.server.tooling import ToolDef

__all__ = [
    "ALL_TOOLS",
    "DEFAULT_PRINCIPAL",
    "ON_BEHALF_OF_META",
    "SERVER_NAME",
    "TIME_ZONE_META",
    "TOOLSETS",
    "ToolDef",
    "create_server",
    "tools_for",
]

_EXPORTS = {
    "tools.server.app": ("ALL_TOOLS", "create_server", "tools_for"),
    "tools.server.catalog": (
        "DEFAULT_PRINCIPAL",
        "ON_BEHALF_OF_META",
        "SERVER_NAME",
        "TIME_ZONE_META",
        "TOOLSETS",
    ),
    "tools.server.tooling": ("ToolDef",),
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
