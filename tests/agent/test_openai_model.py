"""`OpenAIChatModel` through the real `openai` client against a fake server on a loopback port."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agent import connect_mcp, run_agent
from agent.errors import ModelHTTPError, ModelResponseError, ModelTimeoutError
from agent.models import (
    AssistantMessage,
    ChatEvent,
    ChatRequest,
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
from agent.models.openai_model import OpenAIChatModel
from agent.models.openai_settings import OpenAISettings
from tests.agent.fake_openai import FakeOpenAIServer, Reply, completion, error, held, stream
from tests.agent.servers import Hotel

pytestmark = pytest.mark.anyio

BALANCE_TOOL = ToolSpec(
    name="get_balance",
    description="The member's balance.",
    parameters={
        "type": "object",
        "properties": {"member": {"type": "string"}},
        "required": ["member"],
        "additionalProperties": False,
    },
    strict=True,
)


def request(*tools: ToolSpec, parallel: bool = True) -> ChatRequest:
    return ChatRequest(
        messages=(SystemMessage(content="sys"), UserMessage(content="Balances of Emma and Ben?")),
        tools=tools,
        parallel_tool_calls=parallel,
    )


@pytest.fixture
async def model(fake_openai: FakeOpenAIServer) -> AsyncIterator[OpenAIChatModel]:
    settings = OpenAISettings(model="fake-model", api_key="sk-test", base_url=fake_openai.base_url)
    async with OpenAIChatModel(settings, timeout=5.0, max_retries=2) as chat_model:
        yield chat_model


async def drain(events: AsyncIterator[ChatEvent]) -> list[ChatEvent]:
    return [event async for event in events]


async def test_parallel_tool_calls_and_usage_come_back_from_a_completion(
    model: OpenAIChatModel, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.queue(
        completion(
            tool_calls=(
                ("call_a", "get_balance", '{"member": "emma"}'),
                ("call_b", "get_balance", '{"member": "ben"}'),
            ),
            usage=(42, 17),
        )
    )

    response = await model.complete(request(BALANCE_TOOL))

    assert response.tool_calls == (
        ToolCall(id="call_a", name="get_balance", arguments='{"member": "emma"}'),
        ToolCall(id="call_b", name="get_balance", arguments='{"member": "ben"}'),
    )
    assert response.usage == Usage(input_tokens=42, output_tokens=17)
    assert response.finish_reason == "tool_calls"
    sent = fake_openai.requests[0]
    assert sent["model"] == "fake-model"
    assert sent["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_balance",
                "description": "The member's balance.",
                "parameters": BALANCE_TOOL.parameters,
                "strict": True,
            },
        }
    ]
    assert "parallel_tool_calls" not in sent  # the server default (on) is left alone
    assert fake_openai.headers[0]["authorization"] == "Bearer sk-test"


async def test_a_conversation_with_tool_results_is_sent_in_the_wire_format(
    model: OpenAIChatModel, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.queue(completion("Emma has 1,200 points."))
    call = ToolCall(id="call_a", name="get_balance", arguments='{"member": "emma"}')
    conversation = ChatRequest(
        messages=(
            UserMessage(content="Emma?"),
            AssistantMessage(content=None, tool_calls=(call,)),
            ToolMessage(tool_call_id="call_a", name="get_balance", content='{"points": 1200}'),
        ),
        tools=(BALANCE_TOOL,),
        parallel_tool_calls=False,
    )

    response = await model.complete(conversation)

    assert response.text == "Emma has 1,200 points."
    assert response.finish_reason == "stop"
    sent = fake_openai.requests[0]
    assert sent["messages"] == [
        {"role": "user", "content": "Emma?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_a",
                    "type": "function",
                    "function": {"name": "get_balance", "arguments": '{"member": "emma"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_a", "content": '{"points": 1200}'},
    ]
    assert sent["parallel_tool_calls"] is False


async def test_a_stream_yields_text_deltas_assembles_tool_calls_and_reports_usage(
    model: OpenAIChatModel, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.queue(
        stream(
            {"role": "assistant", "content": "Checking "},
            {"content": "both."},
            {"tool_calls": [_delta(0, "call_a", "get_balance", "")]},
            {"tool_calls": [_delta(1, "call_b", "get_balance", '{"mem')]},
            {"tool_calls": [_delta(0, None, None, '{"member": ')]},
            {"tool_calls": [_delta(1, None, None, 'ber": "ben"}')]},
            {"tool_calls": [_delta(0, None, None, '"emma"}')]},
            finish="tool_calls",
            usage=(30, 12),
        )
    )

    events = await drain(model.stream(request(BALANCE_TOOL)))

    emma = ToolCall(id="call_a", name="get_balance", arguments='{"member": "emma"}')
    ben = ToolCall(id="call_b", name="get_balance", arguments='{"member": "ben"}')
    assert events[:4] == [
        TextDelta(text="Checking "),
        TextDelta(text="both."),
        ToolCallReady(call=emma),
        ToolCallReady(call=ben),
    ]
    done = events[4]
    assert isinstance(done, ResponseDone)
    assert done.response.text == "Checking both."
    assert done.response.tool_calls == (emma, ben)
    assert done.response.usage == Usage(input_tokens=30, output_tokens=12)
    assert done.response.finish_reason == "tool_calls"
    assert fake_openai.requests[0]["stream_options"] == {"include_usage": True}


async def test_a_rate_limit_is_retried_and_then_succeeds(
    model: OpenAIChatModel, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.queue(error(429, "slow down", retry_after_ms=1), completion("fine"))

    response = await model.complete(request())

    assert response.text == "fine"
    assert len(fake_openai.requests) == 2


async def test_server_errors_beyond_the_retry_budget_are_a_model_error(
    model: OpenAIChatModel, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.queue(*[error(503, "overloaded", retry_after_ms=1)] * 3)

    with pytest.raises(ModelHTTPError, match="overloaded") as raised:
        await model.complete(request())

    assert raised.value.status == 503
    assert len(fake_openai.requests) == 3  # the first try and max_retries=2 retries


async def test_a_client_error_is_not_retried(
    model: OpenAIChatModel, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.queue(error(400, "unknown parameter"), completion("never"))

    with pytest.raises(ModelHTTPError) as raised:
        await model.complete(request())

    assert raised.value.status == 400
    assert len(fake_openai.requests) == 1


async def test_a_completion_without_choices_is_a_model_error(
    model: OpenAIChatModel, fake_openai: FakeOpenAIServer
) -> None:
    body = {**(completion("x").body or {}), "choices": []}
    fake_openai.queue(Reply(body=body))

    with pytest.raises(ModelResponseError, match="without choices"):
        await model.complete(request())


async def test_malformed_tool_call_json_is_passed_on_untouched(
    model: OpenAIChatModel, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.queue(
        completion(tool_calls=(("call_x", "get_balance", '{"member": "emma",'),)),
        stream(
            {"tool_calls": [_delta(0, "call_y", "get_balance", "{member: emma}")]},
            finish="tool_calls",
        ),
    )

    completed = await model.complete(request(BALANCE_TOOL))
    streamed = await drain(model.stream(request(BALANCE_TOOL)))

    assert completed.tool_calls[0].arguments == '{"member": "emma",'
    assert isinstance(streamed[-1], ResponseDone)
    assert streamed[-1].response.tool_calls[0].arguments == "{member: emma}"


async def test_a_model_that_does_not_answer_in_time_times_out(
    fake_openai: FakeOpenAIServer,
) -> None:
    fake_openai.queue(held())
    settings = OpenAISettings(model="fake-model", api_key="sk-test", base_url=fake_openai.base_url)

    async with OpenAIChatModel(settings, timeout=0.2, max_retries=0) as slow:
        with pytest.raises(ModelTimeoutError):
            await slow.complete(request())


async def test_the_loop_runs_end_to_end_on_the_fake_server(
    model: OpenAIChatModel, fake_openai: FakeOpenAIServer, hotel: Hotel
) -> None:
    """Streaming, a malformed call counted and corrected, parallel calls, then an answer."""
    fake_openai.queue(
        stream(
            {"tool_calls": [_delta(0, "c1", "get_balance", '{"member": ')]}, finish="tool_calls"
        ),
        stream(
            {"tool_calls": [_delta(0, "c2", "get_balance", '{"member": "emma"}')]},
            {"tool_calls": [_delta(1, "c3", "get_balance", '{"member": "ben"}')]},
            finish="tool_calls",
        ),
        stream({"content": "Emma has 1,200 and Ben 80."}, usage=(100, 9)),
    )
    deltas: list[str] = []

    async with connect_mcp(hotel.server) as tools:
        result = await run_agent(
            model,
            tools,
            "Balances of Emma and Ben?",
            on_event=lambda e: deltas.append(e.text) if isinstance(e, TextDelta) else None,
        )

    assert result.termination == "final_answer"
    assert result.final_text == "Emma has 1,200 and Ben 80."
    assert deltas == ["Emma has 1,200 and Ben 80."]
    assert [r.status for r in result.tool_calls] == ["error", "ok", "ok"]
    assert result.error_count == 1
    assert result.usage == Usage(input_tokens=120, output_tokens=19)
    assert result.model == "openai:fake-model"
    last_sent = fake_openai.requests[-1]["messages"]
    assert [m["role"] for m in last_sent] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "tool",
    ]
    assert json.loads(last_sent[-1]["content"]) == {"member": "ben", "points": 80}


async def test_a_timeout_inside_a_run_ends_it_with_model_error(
    fake_openai: FakeOpenAIServer, hotel: Hotel
) -> None:
    fake_openai.queue(held())
    settings = OpenAISettings(model="fake-model", api_key="sk-test", base_url=fake_openai.base_url)

    async with (
        OpenAIChatModel(settings, timeout=0.2, max_retries=0) as slow,
        connect_mcp(hotel.server) as tools,
    ):
        result = await run_agent(slow, tools, "Emma?")

    assert result.termination == "model_error"
    assert result.model_error is not None
    assert "did not answer in time" in result.model_error


def _delta(index: int, call_id: str | None, name: str | None, arguments: str) -> dict[str, Any]:
    delta: dict[str, Any] = {"index": index, "function": {"arguments": arguments}}
    if call_id is not None:
        delta["id"] = call_id
        delta["type"] = "function"
    if name is not None:
        delta["function"]["name"] = name
    return delta
