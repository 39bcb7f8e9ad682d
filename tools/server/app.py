"""`create_server`: the MCP server object (the SDK's low-level `Server`) over one runtime.

    server = create_server(runtime, principal="assistant", toolsets=("member", "approvals"))
    async with mcp.Client(server) as client: ...          # in memory
    # stdio and streamable HTTP: tools.server.transports

Who is calling: over HTTP the bearer token's principal (see `transports`); otherwise the
principal the server was created for (a name under `[principals]`, or a `Principal` such as
`principal_for_role(policy, "viewer", name=...)`), by default `assistant`. A caller sees only
the tools of the selected toolsets that its role may call; calling another one is an error.

A client acting for a person says so on each request: `_meta` {"loyalty/on_behalf_of": "carol"}
(`ON_BEHALF_OF_META`; request `_meta` is open to extensions in every protocol version, where
`initialize` is gone from 2026-07-28). The request then runs as "<client> for carol"
(`policies.declared_delegate`) if `[delegation.clients]` lets the caller act for carol, and
is refused (invalid request) otherwise.

Times in sentences are on the policy's clock (`[policy] time_zone`); a client showing one hotel
of a chain (the web app's hotel switcher) asks for that hotel's clock instead with `_meta`
{"loyalty/time_zone": "Europe/London"} (`TIME_ZONE_META`). Structured fields stay UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import mcp_types as types
from mcp.server import Server
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError

from policies import DelegationRefusedError, Principal, UnknownPrincipalError, declared_delegate
from tools.runtime import LoyaltyRuntime
from tools.server.admin import ADMIN_TOOLS
from tools.server.approvals import APPROVAL_TOOLS
from tools.server.campaigns import CAMPAIGN_TOOLS
from tools.server.catalog import (
    DEFAULT_PRINCIPAL,
    ON_BEHALF_OF_META,
    SERVER_NAME,
    TIME_ZONE_META,
    TOOLSETS,
    identified_server,
)
from tools.server.completion import complete
from tools.server.content import (
    PROMPTS,
    RESOURCE_TEMPLATES,
    RESOURCES,
    get_prompt,
    read_resource,
)
from tools.server.member import MEMBER_TOOLS
from tools.server.report import REPORT_TOOLS
from tools.server.subscriptions import Subscriptions, touched
from tools.server.tooling import ToolDef, ToolEnv, call_tool, error_result, tool_listing

__all__ = [
    "ALL_TOOLS",
    "DEFAULT_PRINCIPAL",
    "ON_BEHALF_OF_META",
    "SERVER_NAME",
    "SERVER_TOOLSETS",
    "TIME_ZONE_META",
    "create_server",
    "tools_for",
]

ALL_TOOLS: tuple[ToolDef, ...] = (
    *MEMBER_TOOLS,
    *ADMIN_TOOLS,
    *APPROVAL_TOOLS,
    *CAMPAIGN_TOOLS,
    *REPORT_TOOLS,
)
# The `campaigns` toolset (campaigns and upsell) is its own: the member toolset's tools/list
# stays under 12 KB. Named here until `tooling.Toolset` lists it.
SERVER_TOOLSETS: tuple[str, ...] = TOOLSETS


def tools_for(toolsets: Sequence[str]) -> tuple[ToolDef, ...]:
    unknown = sorted(set(toolsets) - set(SERVER_TOOLSETS))
    if unknown or not toolsets:
        raise ValueError(
            f"unknown toolset(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(SERVER_TOOLSETS)}"
        )
    return tuple(tool for tool in ALL_TOOLS if tool.toolset in toolsets)


def _token_principal(ctx: ServerRequestContext[Any, Any]) -> str | None:
    token = get_access_token()
    if token is None and ctx.request is not None:
        user = getattr(ctx.request, "scope", {}).get("user")
        token = getattr(user, "access_token", None)
    return None if token is None else str(token.client_id)


def _declared(params: Any) -> str | None:
    """The person a request's `_meta` says the client acts for, if any."""
    meta = getattr(params, "meta", None) or {}
    person = meta.get(ON_BEHALF_OF_META)
    if person is None:
        return None
    if not isinstance(person, str) or not person.strip():
        raise MCPError(
            types.INVALID_PARAMS, f"_meta {ON_BEHALF_OF_META} must be a principal's name"
        )
    return person.strip()


def _time_zone(params: Any, default: tzinfo) -> tzinfo:
    """The clock a request's `_meta` asks its sentences to be told on, else `default`."""
    meta = getattr(params, "meta", None) or {}
    name = meta.get(TIME_ZONE_META)
    if name is None:
        return default
    if isinstance(name, str) and name.strip():
        try:
            return ZoneInfo(name.strip())
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise MCPError(
        types.INVALID_PARAMS,
        f"_meta {TIME_ZONE_META} must be an IANA time zone name such as Europe/London,"
        f" not {name!r}",
    )


def create_server(
    runtime: LoyaltyRuntime,
    *,
    principal: str | Principal | None = None,
    toolsets: Sequence[str] = ("member",),
) -> Server[Any]:
    """The MCP server for `runtime`, acting for `principal` unless a bearer token says who."""
    tools = tools_for(toolsets)
    by_name = {tool.name: tool for tool in tools}
    subscriptions = Subscriptions()
    default = (
        principal
        if isinstance(principal, Principal)
        else runtime.guard.principal(principal or DEFAULT_PRINCIPAL)
    )

    def env(ctx: ServerRequestContext[Any, Any], params: Any = None) -> ToolEnv:
        name = _token_principal(ctx)
        who = default if name is None else runtime.guard.principal(name)
        person = _declared(params)
        if person is not None:
            try:
                who = declared_delegate(runtime.policy, who, person)
            except (DelegationRefusedError, UnknownPrincipalError) as exc:
                raise MCPError(types.INVALID_REQUEST, str(exc)) from None
        tz = _time_zone(params, runtime.policy.tz)
        return ToolEnv(runtime, who, tz, progress=ctx.session.report_progress)

    async def on_list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        caller = env(ctx, params).principal
        may_delegate = caller.name in runtime.policy.delegation.clients
        return types.ListToolsResult(tools=tool_listing(tools, caller, may_delegate=may_delegate))

    async def on_call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        caller = env(ctx, params)
        tool = by_name.get(params.name)
        if tool is None or not tool.visible_to(caller.principal):
            return error_result(
                f"unknown tool {params.name!r} (not offered to {caller.principal.name})",
                status="unknown_tool",
            )
        result = await call_tool(tool, caller, params.arguments)
        if not tool.read_only:
            changed = await touched(
                caller, tool.name, params.arguments or {}, result.structured_content
            )
            await subscriptions.changed(changed)
        return result

    async def on_subscribe(
        ctx: ServerRequestContext[Any, Any], params: types.SubscribeRequestParams
    ) -> types.EmptyResult:
        # Any URI is accepted (the spec asks no more): one this server does not serve simply
        # never changes. Reading it is what answers "not found".
        subscriptions.subscribe(ctx.session, str(params.uri))
        return types.EmptyResult()

    async def on_unsubscribe(
        ctx: ServerRequestContext[Any, Any], params: types.UnsubscribeRequestParams
    ) -> types.EmptyResult:
        subscriptions.unsubscribe(ctx.session, str(params.uri))
        return types.EmptyResult()

    async def on_list_resources(
        _ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=list(RESOURCES))

    async def on_list_templates(
        _ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=list(RESOURCE_TEMPLATES))

    async def on_read_resource(
        ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        return await read_resource(env(ctx, params), params.uri)

    async def on_list_prompts(
        _ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=[p.prompt for p in PROMPTS.values()])

    async def on_get_prompt(
        ctx: ServerRequestContext[Any, Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        return get_prompt(env(ctx, params), params.name, params.arguments)

    async def on_completion(
        ctx: ServerRequestContext[Any, Any], params: types.CompleteRequestParams
    ) -> types.CompleteResult:
        return await complete(env(ctx, params), params)

    return identified_server(
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
        on_list_resources=on_list_resources,
        on_list_resource_templates=on_list_templates,
        on_read_resource=on_read_resource,
        on_list_prompts=on_list_prompts,
        on_get_prompt=on_get_prompt,
        on_completion=on_completion,
        on_subscribe_resource=on_subscribe,
        on_unsubscribe_resource=on_unsubscribe,
    )
