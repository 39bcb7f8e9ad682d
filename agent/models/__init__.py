"""Chat models: the `ChatModel` protocol, its value types and implementations.

`OpenAIChatModel` is loaded on first use, so that importing this package (and running the
scripted demo or evaluations) does not import the `openai` SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.models.base import ChatModel, collect, events_of
from agent.models.openai_settings import OpenAISettings
from agent.models.script_file import Script, load_script, scripted_model_from_file
from agent.models.scripted import FunctionChatModel, ScriptedChatModel, reply, tool_turn
from agent.models.spec import check_model_spec, model_from_spec
from agent.models.types import (
    ArgumentsError,
    AssistantMessage,
    ChatEvent,
    ChatRequest,
    ChatResponse,
    FinishReason,
    JsonObject,
    Message,
    ResponseDone,
    SystemMessage,
    TextDelta,
    ToolCall,
    ToolCallReady,
    ToolMessage,
    ToolSpec,
    Usage,
    UserMessage,
)

if TYPE_CHECKING:
    from agent.models.openai_model import OpenAIChatModel

__all__ = [
    "ArgumentsError",
    "AssistantMessage",
    "ChatEvent",
    "ChatModel",
    "ChatRequest",
    "ChatResponse",
    "FinishReason",
    "FunctionChatModel",
    "JsonObject",
    "Message",
    "OpenAIChatModel",
    "OpenAISettings",
    "ResponseDone",
    "Script",
    "ScriptedChatModel",
    "SystemMessage",
    "TextDelta",
    "ToolCall",
    "ToolCallReady",
    "ToolMessage",
    "ToolSpec",
    "Usage",
    "UserMessage",
    "check_model_spec",
    "collect",
    "events_of",
    "load_script",
    "model_from_spec",
    "reply",
    "scripted_model_from_file",
    "tool_turn",
]

_LAZY = {"OpenAIChatModel"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from agent.models import openai_model

        return getattr(openai_model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
