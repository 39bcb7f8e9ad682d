"""The loyalty assistant's agent core: chat models, the agent loop, MCP client wiring.

    from agent import ScriptedChatModel, connect_mcp, run_agent, tool_turn

    model = ScriptedChatModel([tool_turn(("get_balance", {"member": "Emma"})), "Emma has 120."])
    async with connect_mcp(server) as tools:
        result = await run_agent(model, tools, "How many points does Emma have?")

Names are imported on first use, so that `import app.cli` stays fast for commands that
never run the agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.exports import lazy_exports

if TYPE_CHECKING:
    from agent.errors import (
        AgentError,
        ConfigError,
        McpConnectError,
        ModelError,
        ModelNotConfigured,
        ScriptError,
    )
    from agent.events import AgentEvent, OnEvent, ToolCallFinished, ToolCallStarted
    from agent.loop import DENIAL_NOTE, run_agent
    from agent.mcp_connect import connect_mcp
    from agent.mcp_tools import McpToolset, ToolOutcome, Toolset
    from agent.models import (
        ChatModel,
        ChatResponse,
        FunctionChatModel,
        Message,
        OpenAIChatModel,
        ScriptedChatModel,
        ToolCall,
        ToolSpec,
        Usage,
        UserMessage,
        load_script,
        model_from_spec,
        reply,
        tool_turn,
    )
    from agent.records import (
        ApprovalRecord,
        DenialRecord,
        RunLimits,
        RunResult,
        Termination,
        ToolCallRecord,
    )
    from agent.steps import AwaitApproval, FinalAnswer, RunTools, Step

__all__ = [
    "DENIAL_NOTE",
    "AgentError",
    "AgentEvent",
    "ApprovalRecord",
    "AwaitApproval",
    "ChatModel",
    "ChatResponse",
    "ConfigError",
    "DenialRecord",
    "FinalAnswer",
    "FunctionChatModel",
    "McpConnectError",
    "McpToolset",
    "Message",
    "ModelError",
    "ModelNotConfigured",
    "OnEvent",
    "OpenAIChatModel",
    "RunLimits",
    "RunResult",
    "RunTools",
    "ScriptError",
    "ScriptedChatModel",
    "Step",
    "Termination",
    "ToolCall",
    "ToolCallFinished",
    "ToolCallRecord",
    "ToolCallStarted",
    "ToolOutcome",
    "ToolSpec",
    "Toolset",
    "Usage",
    "UserMessage",
    "connect_mcp",
    "load_script",
    "model_from_spec",
    "reply",
    "run_agent",
    "tool_turn",
]

_EXPORTS = {
    "agent.errors": (
        "AgentError",
        "ConfigError",
        "McpConnectError",
        "ModelError",
        "ModelNotConfigured",
        "ScriptError",
    ),
    "agent.events": ("AgentEvent", "OnEvent", "ToolCallFinished", "ToolCallStarted"),
    "agent.loop": ("DENIAL_NOTE", "run_agent"),
    "agent.mcp_connect": ("connect_mcp",),
    "agent.mcp_tools": ("McpToolset", "ToolOutcome", "Toolset"),
    "agent.models": (
        "ChatModel",
        "ChatResponse",
        "FunctionChatModel",
        "Message",
        "OpenAIChatModel",
        "ScriptedChatModel",
        "ToolCall",
        "ToolSpec",
        "Usage",
        "UserMessage",
        "load_script",
        "model_from_spec",
        "reply",
        "tool_turn",
    ),
    "agent.records": (
        "ApprovalRecord",
        "DenialRecord",
        "RunLimits",
        "RunResult",
        "Termination",
        "ToolCallRecord",
    ),
    "agent.steps": ("AwaitApproval", "FinalAnswer", "RunTools", "Step"),
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
