"""Model script files: what `--model scripted:PATH` and evaluation reference solutions replay.

A script is JSON or YAML (chosen by the file suffix: `.json`, or `.yaml`/`.yml`). It is a list
of turns, or a mapping with a `turns` list and an optional `description`. Each turn is one
model response, played in order, one per model request:

    description: Answer a balance question            # optional
    turns:
      - tool_calls:                                    # a turn that calls tools
          - name: find_members
            arguments: {query: Emma Novak}             # a JSON object ...
      - tool_calls:                                    # several calls = parallel calls
          - {name: get_member_summary, arguments: {customer_id: c-1}}
          - {name: get_tier_progress, arguments: {customer_id: c-1}, id: call-tier}
        text: Looking her up.                          # optional text alongside the calls
      - tool_calls:
          - name: award_points
            arguments: '{"points": 50'                 # ... or raw text, sent as-is
      - text: Emma Novak has 1,250 points.             # a final answer
        usage: {input_tokens: 812, output_tokens: 24}  # optional, reported as token usage
      - Plain strings are final answers too.

Tool-call `id`s are optional; missing ones become `call_<turn>_<index>`. Unknown keys are
errors, so a typo in a script fails loudly instead of replaying something else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from agent.errors import ScriptError
from agent.models.scripted import ScriptedChatModel
from agent.models.types import ChatResponse, JsonObject, ToolCall, Usage


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScriptToolCall(_Strict):
    name: str = Field(min_length=1)
    arguments: JsonObject | str = Field(default_factory=dict)
    id: str = ""

    def to_call(self) -> ToolCall:
        raw = self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)
        return ToolCall(id=self.id, name=self.name, arguments=raw)


class ScriptTurn(_Strict):
    text: str | None = None
    tool_calls: list[ScriptToolCall] = Field(default_factory=list)
    usage: Usage = Usage()

    @model_validator(mode="after")
    def _says_something(self) -> ScriptTurn:
        if self.text is None and not self.tool_calls:
            raise ValueError("a turn needs `text`, `tool_calls`, or both")
        return self

    def to_response(self) -> ChatResponse:
        return ChatResponse(
            text=self.text,
            tool_calls=tuple(call.to_call() for call in self.tool_calls),
            usage=self.usage,
            finish_reason="tool_calls" if self.tool_calls else "stop",
        )


class Script(_Strict):
    description: str = ""
    turns: list[ScriptTurn] = Field(min_length=1)

    @field_validator("turns", mode="before")
    @classmethod
    def _expand_plain_text(cls, turns: Any) -> Any:
        if not isinstance(turns, list):
            return turns
        return [{"text": turn} if isinstance(turn, str) else turn for turn in turns]

    def responses(self) -> list[ChatResponse]:
        return [turn.to_response() for turn in self.turns]


def load_script(path: str | Path) -> Script:
    """Read and validate a script file; raises `ScriptError` naming the file and the problem."""
    path = Path(path)
    data = _read(path)
    if isinstance(data, list):
        data = {"turns": data}
    try:
        return Script.model_validate(data)
    except ValidationError as exc:
        raise ScriptError(str(path), _first_problem(exc)) from None


def scripted_model_from_file(path: str | Path) -> ScriptedChatModel:
    """A `ScriptedChatModel` replaying the script at `path`."""
    return ScriptedChatModel(load_script(path).responses(), name=f"scripted:{path}")


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScriptError(str(path), f"cannot be read ({exc.strerror})") from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScriptError(str(path), f"is not valid JSON: {exc}") from None
    if suffix in (".yaml", ".yml"):
        return _read_yaml(path, text)
    raise ScriptError(str(path), "must end in .json, .yaml or .yml")


def _read_yaml(path: Path, text: str) -> Any:
    try:
        import yaml  # a declared dependency, imported here so JSON scripts never need it
    except ImportError:
        raise ScriptError(str(path), "YAML scripts need PyYAML; install it or use JSON") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScriptError(str(path), f"is not valid YAML: {exc}") from None


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "the file"
    more = len(exc.errors()) - 1
    return f"{where}: {error['msg']}" + (f" (and {more} more problem(s))" if more else "")
