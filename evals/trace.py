"""Reference traces: a scripted model whose tool arguments may use earlier results.

A trace is a list of steps (`evals.task_files`): `call` steps ask for tool calls, `say` steps
answer the user. Strings in call arguments and in `say` may hold `{{ path }}` expressions,
resolved when the step is played:

    {{ results.find_members.members[0].customer_id }}   the last result of a tool
    {{ history.award_points[1].balance }}               the second result of a tool
    {{ results.list_rewards.rewards[code=SPA].points }} the first list item whose key matches
    {{ story.emma_novak }}                              a fixed id of the seeded sandbox

A string that is exactly one expression takes the value's type (a number stays a number);
otherwise values are interpolated as text. A path that does not resolve is a `TraceError` that
ends the trial with `model_error`, saying which expression failed and what was there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

from agent.errors import ModelError
from agent.models import (
    ChatResponse,
    FunctionChatModel,
    Message,
    ToolMessage,
    ToolSpec,
    reply,
    tool_turn,
)
from evals.task_files import CallStep, JsonValue, SayStep, Step
from tools.sandbox import STORY

__all__ = ["TraceError", "resolve", "story_ids", "trace_model"]

_EXPRESSION = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_PART = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[(-?\d+)\]|\[([A-Za-z_][A-Za-z0-9_]*)=([^\]]*)\]")


class TraceError(ModelError):
    """A reference trace cannot be played: a template did not resolve, or it ran out."""


def story_ids() -> dict[str, str]:
    """The seeded sandbox's fixed ids by name (`emma_novak` → customer id)."""
    return {f.name: getattr(STORY, f.name) for f in fields(STORY)}


def trace_model(steps: Sequence[Step], *, name: str = "reference") -> FunctionChatModel:
    """A model that plays `steps` in order, one per request, resolving templates as it goes."""
    story = story_ids()
    position = {"next": 0}

    def play(messages: tuple[Message, ...], _tools: tuple[ToolSpec, ...]) -> ChatResponse:
        index = position["next"]
        if index >= len(steps):
            raise TraceError(f"{name}: the trace has {len(steps)} steps and one more was asked")
        position["next"] = index + 1
        context = {"story": story, **_results(messages)}
        step = steps[index]
        try:
            if isinstance(step, SayStep):
                return reply(str(resolve(step.say, context)))
            return _call_turn(step, context)
        except TraceError as exc:
            raise TraceError(f"{name}, step {index + 1}: {exc}") from None

    return FunctionChatModel(play, name=name)


def _call_turn(step: CallStep, context: Mapping[str, Any]) -> ChatResponse:
    calls = [(call.name, resolve(call.arguments, context)) for call in step.call]
    return tool_turn(*calls, text=step.text)


def _results(messages: Sequence[Message]) -> dict[str, dict[str, Any]]:
    """Tool results so far, by tool name: the last (`results`) and all (`history`)."""
    history: dict[str, list[JsonValue]] = {}
    for message in messages:
        if isinstance(message, ToolMessage):
            history.setdefault(message.name, []).append(_decode(message.content))
    return {"history": dict(history), "results": {k: v[-1] for k, v in history.items()}}


def _decode(content: str) -> JsonValue:
    text = content.removeprefix("Error: ")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def resolve(value: JsonValue, context: Mapping[str, Any]) -> JsonValue:
    """`value` with every `{{ path }}` in its strings replaced (recursively)."""
    if isinstance(value, str):
        whole = _EXPRESSION.fullmatch(value.strip())
        if whole:
            return _lookup(whole.group(1), context)
        return _EXPRESSION.sub(lambda m: _text(_lookup(m.group(1), context)), value)
    if isinstance(value, list):
        return [resolve(item, context) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, context) for key, item in value.items()}
    return value


def _text(value: JsonValue) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return value if isinstance(value, str) else json.dumps(value)


def _lookup(path: str, context: Mapping[str, Any]) -> JsonValue:
    current: Any = context
    consumed = 0
    for match in _PART.finditer(path):
        if match.start() != consumed:
            break
        consumed = match.end()
        current = _step(current, match, path)
    if consumed != len(path):
        raise TraceError(f"{{{{ {path} }}}}: cannot parse at {path[consumed:]!r}")
    return current


def _step(current: Any, match: re.Match[str], path: str) -> Any:
    key, index, field, wanted = match.groups()
    where = f"{{{{ {path} }}}} at {match.group(0)!r}"
    if key is not None:
        if isinstance(current, Mapping) and key in current:
            return current[key]
        raise TraceError(f"{where}: no key {key!r} in {_preview(current)}")
    if index is not None:
        if isinstance(current, list) and -len(current) <= int(index) < len(current):
            return current[int(index)]
        raise TraceError(f"{where}: no item {index} in {_preview(current)}")
    if isinstance(current, list):
        for item in current:
            if isinstance(item, Mapping) and str(item.get(field)) == wanted.strip():
                return item
    raise TraceError(f"{where}: no item with {field}={wanted} in {_preview(current)}")


def _preview(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 300 else text[:300] + "..."
