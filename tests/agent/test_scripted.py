"""Scripted and function models, script files, and `model_from_spec`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from agent import (
    FunctionChatModel,
    ModelNotConfigured,
    ScriptedChatModel,
    load_script,
    model_from_spec,
)
from agent.errors import ScriptError, ScriptExhaustedError
from agent.models import (
    ChatRequest,
    ChatResponse,
    Message,
    ResponseDone,
    TextDelta,
    ToolCall,
    ToolCallReady,
    ToolSpec,
    Usage,
    UserMessage,
    collect,
    reply,
    tool_turn,
)
from agent.models.openai_model import OpenAIChatModel
from agent.models.openai_settings import DEFAULT_HOSTED_MODEL

pytestmark = pytest.mark.anyio

REQUEST = ChatRequest(messages=(UserMessage(content="hi"),))


async def test_a_scripted_model_plays_its_turns_in_order_and_records_requests() -> None:
    model = ScriptedChatModel([tool_turn(("a", {"x": 1}), ("b", "{bad")), "done"])

    first = await model.complete(REQUEST)
    second = await model.complete(REQUEST)

    assert first.tool_calls == (
        ToolCall(id="call_0_0", name="a", arguments='{"x": 1}'),
        ToolCall(id="call_0_1", name="b", arguments="{bad"),
    )
    assert first.finish_reason == "tool_calls"
    assert second == reply("done")
    assert model.calls == [REQUEST, REQUEST]
    model.assert_complete()


async def test_unplayed_turns_fail_assert_complete() -> None:
    model = ScriptedChatModel(["one", "two"])
    await model.complete(REQUEST)

    with pytest.raises(AssertionError, match="1 of 2 scripted turns were not played"):
        model.assert_complete()


async def test_asking_past_the_end_of_the_script_is_a_model_error() -> None:
    model = ScriptedChatModel(["only"], name="scripted:demo.yaml")
    await model.complete(REQUEST)

    with pytest.raises(
        ScriptExhaustedError, match=re.escape("demo.yaml: the script has 1 turns and turn 2")
    ):
        await model.complete(REQUEST)


async def test_streaming_a_scripted_turn_gives_the_same_response() -> None:
    model = ScriptedChatModel([tool_turn(("a", {}), text="Looking.")])

    events = [event async for event in model.stream(REQUEST)]

    response = ChatResponse(
        text="Looking.",
        tool_calls=(ToolCall(id="call_0_0", name="a", arguments="{}"),),
        finish_reason="tool_calls",
    )
    assert events == [
        TextDelta(text="Looking."),
        ToolCallReady(call=response.tool_calls[0]),
        ResponseDone(response=response),
    ]


async def test_a_function_model_answers_from_the_messages_and_tools() -> None:
    def answer(messages: tuple[Message, ...], tools: tuple[ToolSpec, ...]) -> str:
        return f"{len(messages)} message(s), tools: {[tool.name for tool in tools]}"

    async def answer_async(
        messages: tuple[Message, ...], tools: tuple[ToolSpec, ...]
    ) -> ChatResponse:
        return tool_turn(("echo", {"text": messages[-1].content}))

    request = ChatRequest(messages=(UserMessage(content="hi"),), tools=(ToolSpec(name="echo"),))

    plain = await FunctionChatModel(answer).complete(request)
    asynchronous = FunctionChatModel(answer_async)
    called = await collect(asynchronous.stream(request))

    assert plain.text == "1 message(s), tools: ['echo']"
    assert called.tool_calls == (ToolCall(id="call_0_0", name="echo", arguments='{"text": "hi"}'),)
    assert asynchronous.calls == [request]


SCRIPT = {
    "description": "balance question",
    "turns": [
        {"tool_calls": [{"name": "find_members", "arguments": {"query": "Emma Novak"}}]},
        {
            "text": "Looking her up.",
            "tool_calls": [
                {"name": "get_member_summary", "arguments": {"customer_id": "c-1"}},
                {
                    "name": "get_tier_progress",
                    "arguments": {"customer_id": "c-1"},
                    "id": "call-tier",
                },
            ],
        },
        {"tool_calls": [{"name": "award_points", "arguments": '{"points": 50'}]},
        {
            "text": "Emma Novak has 1,250 points.",
            "usage": {"input_tokens": 812, "output_tokens": 24},
        },
        "Plain strings are final answers too.",
    ],
}


def check_script_turns(responses: list[ChatResponse]) -> None:
    assert [len(r.tool_calls) for r in responses] == [1, 2, 1, 0, 0]
    assert responses[0].tool_calls[0] == ToolCall(
        id="", name="find_members", arguments='{"query": "Emma Novak"}'
    )
    assert responses[1].text == "Looking her up."
    assert responses[1].tool_calls[1].id == "call-tier"
    assert responses[2].tool_calls[0].arguments == '{"points": 50'
    assert responses[3].usage == Usage(input_tokens=812, output_tokens=24)
    assert responses[4] == ChatResponse(text="Plain strings are final answers too.")


def test_a_json_script_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(SCRIPT))

    script = load_script(path)

    assert script.description == "balance question"
    check_script_turns(script.responses())


def test_a_yaml_script_is_loaded(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    path = tmp_path / "script.yaml"
    path.write_text(yaml.safe_dump(SCRIPT["turns"]))

    check_script_turns(load_script(path).responses())


def test_a_script_can_be_a_bare_list_of_turns(tmp_path: Path) -> None:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(["Only an answer."]))

    assert load_script(path).responses() == [ChatResponse(text="Only an answer.")]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("s.json", "[", "is not valid JSON"),
        ("s.json", "[]", "turns: List should have at least 1 item"),
        ("s.json", json.dumps([{"txt": "typo"}]), "turns.0"),
        (
            "s.json",
            json.dumps([{"usage": {"input_tokens": 1}}]),
            "a turn needs `text`, `tool_calls`, or both",
        ),
        ("s.json", json.dumps([{"tool_calls": [{"arguments": {}}]}]), "name"),
        ("s.txt", "[]", "must end in .json, .yaml or .yml"),
    ],
)
def test_a_bad_script_is_refused_with_the_file_and_the_problem(
    tmp_path: Path, name: str, content: str, problem: str
) -> None:
    path = tmp_path / name
    path.write_text(content)

    with pytest.raises(ScriptError) as raised:
        load_script(path)

    assert str(path) in str(raised.value)
    assert problem in str(raised.value)


def test_a_missing_script_is_a_script_error(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="cannot be read"):
        load_script(tmp_path / "absent.json")


async def test_a_scripted_spec_replays_the_file(tmp_path: Path) -> None:
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(["Hello."]))

    model = model_from_spec(f"scripted:{path}")

    assert isinstance(model, ScriptedChatModel)
    assert model.name == f"scripted:{path}"
    assert (await model.complete(REQUEST)).text == "Hello."


@pytest.mark.parametrize(
    ("spec", "env", "expected"),
    [
        ("openai:gpt-test", {"OPENAI_API_KEY": "sk"}, "openai:gpt-test"),
        ("llama3.1:8b", {"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}, "openai:llama3.1:8b"),
        (
            None,
            {"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1", "LOYALTY_MODEL": "qwen"},
            "openai:qwen",
        ),
        ("", {"OPENAI_API_KEY": "sk"}, f"openai:{DEFAULT_HOSTED_MODEL}"),
    ],
)
async def test_other_specs_name_a_model_on_the_configured_server(
    spec: str | None, env: dict[str, str], expected: str
) -> None:
    model = model_from_spec(spec, env=env)

    assert isinstance(model, OpenAIChatModel)
    assert model.name == expected
    assert model.settings.base_url == env.get("OPENAI_BASE_URL")
    await model.aclose()


@pytest.mark.parametrize(
    ("env", "variables"),
    [
        ({}, ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LOYALTY_MODEL")),
        ({"LOYALTY_MODEL": "gpt-test"}, ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LOYALTY_MODEL")),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"}, ("LOYALTY_MODEL",)),
    ],
)
def test_without_configuration_the_error_names_the_variables_to_set(
    env: dict[str, Any], variables: tuple[str, ...]
) -> None:
    with pytest.raises(ModelNotConfigured) as raised:
        model_from_spec(None, env=env)

    assert raised.value.variables == variables
    for variable in variables:
        assert variable in str(raised.value)
