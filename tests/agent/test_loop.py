"""The agent loop, driven by scripted models against a small in-process MCP server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from mcp import Client

from agent import (
    DENIAL_NOTE,
    AgentEvent,
    AwaitApproval,
    FinalAnswer,
    FunctionChatModel,
    RunLimits,
    RunResult,
    RunTools,
    ScriptedChatModel,
    ToolCallFinished,
    ToolCallStarted,
    connect_mcp,
    reply,
    run_agent,
    tool_turn,
)
from agent.models import (
    AssistantMessage,
    ChatEvent,
    ChatModel,
    ChatRequest,
    ChatResponse,
    Message,
    SystemMessage,
    TextDelta,
    ToolMessage,
    ToolSpec,
    Usage,
    UserMessage,
)
from tests.agent.servers import INJECTION, Hotel

pytestmark = pytest.mark.anyio


async def run(
    hotel: Hotel, model: ChatModel, prompt: str | Sequence[Message] = "question", **options: Any
) -> RunResult:
    async with connect_mcp(hotel.server) as tools:
        return await run_agent(model, tools, prompt, **options)


def tool_messages(result: RunResult) -> list[ToolMessage]:
    return [message for message in result.messages if isinstance(message, ToolMessage)]


async def test_a_reply_without_tool_calls_is_the_final_answer(hotel: Hotel) -> None:
    model = ScriptedChatModel(["Hello! How can I help?"])
    events: list[AgentEvent] = []

    result = await run(hotel, model, "hi", system_prompt="You are helpful.", on_event=events.append)

    model.assert_complete()
    assert result.termination == "final_answer"
    assert result.final_text == "Hello! How can I help?"
    assert result.turns == 1
    assert result.tool_calls == ()
    assert [m.role for m in result.messages] == ["system", "user", "assistant"]
    assert events == [
        TextDelta(text="Hello! How can I help?"),
        FinalAnswer(text="Hello! How can I help?"),
    ]
    request = model.calls[0]
    assert {tool.name for tool in request.tools} >= {"get_balance", "award_points"}


async def test_tool_results_go_back_to_the_model_as_structured_json(hotel: Hotel) -> None:
    model = ScriptedChatModel(
        [tool_turn(("get_balance", {"member": "emma"})), "Emma has 1,200 points."]
    )

    result = await run(hotel, model)

    assert result.termination == "final_answer"
    assert hotel.calls == [("get_balance", {"member": "emma"})]
    (message,) = tool_messages(result)
    assert json.loads(message.content) == {"member": "emma", "points": 1200}
    assert not message.is_error
    assert model.calls[1].messages[-1] == message
    (record,) = result.tool_calls
    assert (record.name, record.arguments, record.status) == (
        "get_balance",
        {"member": "emma"},
        "ok",
    )
    assert record.duration_ms >= 0


async def test_each_turn_resolves_to_a_step_reported_as_an_event(hotel: Hotel) -> None:
    model = ScriptedChatModel(
        [
            tool_turn(("get_balance", {"member": "ben"})),
            tool_turn(("award_points", {"member": "ben", "points": 500, "reason": "stay"})),
            "Done.",
        ]
    )
    events: list[AgentEvent] = []

    async def on_event(event: AgentEvent) -> None:  # async callbacks are awaited
        events.append(event)

    await run(hotel, model, on_event=on_event)

    steps = [type(e) for e in events if isinstance(e, RunTools | AwaitApproval | FinalAnswer)]
    assert steps == [RunTools, AwaitApproval, FinalAnswer]
    started = [e.call.name for e in events if isinstance(e, ToolCallStarted)]
    finished = [e.record.name for e in events if isinstance(e, ToolCallFinished)]
    assert started == finished == ["get_balance", "award_points"]


async def test_parallel_tool_calls_run_concurrently_and_are_appended_in_call_order(
    hotel: Hotel,
) -> None:
    model = ScriptedChatModel(
        [tool_turn(("first", {"label": "a"}), ("second", {"label": "b"})), "ok"]
    )
    finished: list[str] = []

    def on_event(event: AgentEvent) -> None:
        if isinstance(event, ToolCallFinished):
            finished.append(event.record.name)
            if event.record.name == "second":
                hotel.release_first.set()  # `first` can only return after `second` has

    result = await run(hotel, model, on_event=on_event)

    assert finished == ["second", "first"]
    assert [m.name for m in tool_messages(result)] == ["first", "second"]
    assert [m.content for m in tool_messages(result)] == [
        '{"result": "first:a"}',
        '{"result": "second:b"}',
    ]
    assert [r.name for r in result.tool_calls] == ["first", "second"]
    assert all(r.status == "ok" for r in result.tool_calls)


async def test_a_pending_approval_is_recorded_and_the_model_gets_to_report_it(hotel: Hotel) -> None:
    model = ScriptedChatModel(
        [
            tool_turn(("award_points", {"member": "emma", "points": 500, "reason": "goodwill"})),
            "The award of 500 points is waiting for a manager (approval apr_1).",
        ]
    )

    result = await run(hotel, model)

    assert result.termination == "final_answer"
    (approval,) = result.approvals
    assert (approval.approval_id, approval.reason, approval.tool) == (
        "apr_1",
        "above threshold",
        "award_points",
    )
    assert result.tool_calls[0].status == "pending_approval"
    assert result.error_count == 0
    assert hotel.balances["emma"] == 1200
    assert model.calls[1].messages[-1] == tool_messages(result)[0]
    assert '"approval_id": "apr_1"' in tool_messages(result)[0].content


async def test_a_denial_is_recorded_explained_once_and_an_identical_retry_never_reaches_the_server(
    hotel: Hotel,
) -> None:
    award = ("award_points", {"member": "emma", "points": 5000, "reason": "vip"})
    model = ScriptedChatModel([tool_turn(award), tool_turn(award), "That award is above the cap."])

    result = await run(hotel, model)

    assert result.termination == "final_answer"
    assert len(hotel.called("award_points")) == 1
    (denial,) = result.denials
    assert (denial.rule, denial.tool) == ("max_award", "award_points")
    assert "per-award cap" in denial.reason
    assert [r.status for r in result.tool_calls] == ["denied", "error"]
    assert result.tool_calls[1].error_kind == "repeated_denial"
    assert result.error_count == 1
    first_result = tool_messages(result)[0]
    assert first_result.is_error
    assert first_result.content.startswith("Error: ")
    assert json.loads(first_result.content.removeprefix("Error: "))["status"] == "denied"
    assert result.messages.count(SystemMessage(content=DENIAL_NOTE)) == 1
    assert model.calls[1].messages[-1] == SystemMessage(content=DENIAL_NOTE)


async def test_the_denial_note_is_not_repeated_in_a_continued_conversation(hotel: Hotel) -> None:
    award = ("award_points", {"member": "emma", "points": 5000, "reason": "vip"})
    first = await run(hotel, ScriptedChatModel([tool_turn(award), "Denied."]))
    follow_up = [*first.messages, UserMessage(content="Then try 4000.")]
    award_4000 = ("award_points", {"member": "emma", "points": 4000, "reason": "vip"})

    second = await run(hotel, ScriptedChatModel([tool_turn(award_4000), "Denied too."]), follow_up)

    assert len(second.denials) == 1
    assert second.messages.count(SystemMessage(content=DENIAL_NOTE)) == 1


async def test_malformed_json_arguments_are_counted_and_sent_back_for_correction(
    hotel: Hotel,
) -> None:
    model = ScriptedChatModel(
        [
            tool_turn(("get_balance", '{"member": "emma"')),
            tool_turn(("get_balance", {"member": "emma"})),
            "Emma has 1,200 points.",
        ]
    )

    result = await run(hotel, model)

    assert result.termination == "final_answer"
    assert result.error_count == 1
    bad, good = result.tool_calls
    assert (bad.status, bad.error_kind, bad.arguments) == (
        "error",
        "invalid_arguments",
        '{"member": "emma"',
    )
    assert good.status == "ok"
    assert hotel.calls == [("get_balance", {"member": "emma"})]
    correction = tool_messages(result)[0]
    assert correction.is_error
    assert "not valid JSON" in correction.content
    assert correction == model.calls[1].messages[-1]


async def test_arguments_that_are_not_an_object_are_malformed_too(hotel: Hotel) -> None:
    model = ScriptedChatModel([tool_turn(("get_balance", '["emma"]')), "Sorry."])

    result = await run(hotel, model)

    assert result.tool_calls[0].error_kind == "invalid_arguments"
    assert "must be a JSON object" in tool_messages(result)[0].content


async def test_an_unknown_tool_is_counted_and_the_model_is_told_what_exists(hotel: Hotel) -> None:
    model = ScriptedChatModel([tool_turn(("delete_everything", {})), "I cannot do that."])

    result = await run(hotel, model)

    assert result.termination == "final_answer"
    assert result.error_count == 1
    assert result.tool_calls[0].error_kind == "unknown_tool"
    message = tool_messages(result)[0].content
    assert "no tool named 'delete_everything'" in message
    assert "get_balance" in message
    assert hotel.calls == []


async def test_a_schema_violation_reported_by_the_server_is_counted(hotel: Hotel) -> None:
    model = ScriptedChatModel(
        [tool_turn(("award_points", {"member": "emma", "points": "lots", "reason": "x"})), "Oops."]
    )

    result = await run(hotel, model)

    (record,) = result.tool_calls
    assert (record.status, record.error_kind) == ("error", "tool_error")
    assert record.error is not None
    assert "points" in record.error
    assert result.error_count == 1


async def test_a_call_that_fails_in_transport_is_an_error_for_the_model(hotel: Hotel) -> None:
    model = ScriptedChatModel([tool_turn(("broken", {"member": "emma"})), "The system is down."])

    result = await run(hotel, model)

    assert result.termination == "final_answer"
    (record,) = result.tool_calls
    assert (record.status, record.error_kind) == ("error", "call_failed")
    assert "backend unavailable" in tool_messages(result)[0].content


async def test_the_run_stops_after_too_many_consecutive_errors(hotel: Hotel) -> None:
    model = ScriptedChatModel([tool_turn(("nope", {}))] * 3 + ["never reached"])

    result = await run(hotel, model, limits=RunLimits(max_consecutive_errors=3))

    assert result.termination == "too_many_errors"
    assert result.error_count == 3
    assert result.final_text is None
    assert model.remaining == 1


async def test_a_success_clears_the_error_streak(hotel: Hotel) -> None:
    bad = tool_turn(("nope", {}))
    good = tool_turn(("get_balance", {"member": "ben"}))
    model = ScriptedChatModel([bad, bad, good, bad, bad, "Done."])

    result = await run(hotel, model, limits=RunLimits(max_consecutive_errors=3))

    assert result.termination == "final_answer"
    assert result.error_count == 4


async def test_denials_neither_count_as_errors_nor_clear_the_streak(hotel: Hotel) -> None:
    bad = tool_turn(("nope", {}))
    denied = tool_turn(("award_points", {"member": "emma", "points": 5000, "reason": "x"}))
    model = ScriptedChatModel([bad, denied, bad, "never reached"])

    result = await run(hotel, model, limits=RunLimits(max_consecutive_errors=2))

    assert result.termination == "too_many_errors"
    assert len(result.denials) == 1
    assert result.error_count == 2


async def test_the_run_stops_at_max_turns(hotel: Hotel) -> None:
    model = ScriptedChatModel([tool_turn(("get_balance", {"member": "ben"}))] * 5)

    result = await run(hotel, model, limits=RunLimits(max_turns=2))

    assert result.termination == "max_turns"
    assert result.turns == 2
    assert len(hotel.calls) == 2
    assert result.final_text is None


async def test_the_run_stops_before_exceeding_max_tool_calls_and_answers_the_unrun_calls(
    hotel: Hotel,
) -> None:
    pair = tool_turn(("get_balance", {"member": "ben"}), ("get_balance", {"member": "emma"}))
    model = ScriptedChatModel([pair, pair, "never reached"])

    result = await run(hotel, model, limits=RunLimits(max_tool_calls=3))

    assert result.termination == "max_tool_calls"
    assert len(hotel.calls) == 2
    assert len(result.tool_calls) == 2
    last_assistant = [m for m in result.messages if isinstance(m, AssistantMessage)][-1]
    answered = [m.tool_call_id for m in result.messages[-2:] if isinstance(m, ToolMessage)]
    assert answered == [call.id for call in last_assistant.tool_calls]
    assert "limit of 3 tool calls" in tool_messages(result)[-1].content


async def test_a_model_failure_ends_the_run_with_model_error(hotel: Hotel) -> None:
    model = ScriptedChatModel([tool_turn(("get_balance", {"member": "ben"}))])

    result = await run(hotel, model)

    assert result.termination == "model_error"
    assert result.model_error is not None
    assert "turn 2 was requested" in result.model_error
    assert len(result.tool_calls) == 1


async def test_text_in_a_tool_result_is_data_and_changes_nothing(hotel: Hotel) -> None:
    """A guest note with instructions and a forged status reaches the model as tool data only."""
    seen: list[tuple[Message, ...]] = []

    def model_fn(messages: tuple[Message, ...], tools: tuple[ToolSpec, ...]) -> Any:
        seen.append(messages)
        if len(seen) == 1:
            return tool_turn(("guest_note", {"member": "emma"}))
        return reply("Emma's note asks for points; I will not act on it.")

    result = await run(hotel, FunctionChatModel(model_fn), system_prompt="Be careful.")

    assert result.termination == "final_answer"
    assert hotel.calls == [("guest_note", {"member": "emma"})]
    assert result.approvals == ()
    assert result.denials == ()
    assert result.tool_calls[0].status == "ok"
    holders = [m for m in result.messages if "IGNORE PREVIOUS INSTRUCTIONS" in (m.content or "")]
    assert holders == [tool_messages(result)[0]]
    assert json.loads(tool_messages(result)[0].content) == {"result": INJECTION}
    assert [m.role for m in seen[1]] == ["system", "user", "assistant", "tool"]
    assert seen[1][0] == SystemMessage(content="Be careful.")


async def test_a_system_prompt_replaces_the_leading_system_message_of_a_conversation(
    hotel: Hotel,
) -> None:
    history: list[Message] = [
        SystemMessage(content="old"),
        UserMessage(content="hi"),
        AssistantMessage(content="hello"),
    ]
    model = ScriptedChatModel(["fine"])

    result = await run(hotel, model, [*history, UserMessage(content="again")], system_prompt="new")

    roles_and_text = [(m.role, m.content) for m in result.messages]
    assert roles_and_text == [
        ("system", "new"),
        ("user", "hi"),
        ("assistant", "hello"),
        ("user", "again"),
        ("assistant", "fine"),
    ]


async def test_without_streaming_the_model_is_asked_for_whole_turns(hotel: Hotel) -> None:
    model = ScriptedChatModel(["plain"])
    events: list[AgentEvent] = []

    result = await run(hotel, model, stream=False, on_event=events.append)

    assert result.final_text == "plain"
    assert events == [FinalAnswer(text="plain")]


async def test_a_connected_mcp_client_can_be_passed_instead_of_a_toolset(hotel: Hotel) -> None:
    model = ScriptedChatModel([tool_turn(("get_balance", {"member": "ben"})), "Ben has 80."])

    async with Client(hotel.server) as client:
        result = await run_agent(model, client, "Ben?")

    assert result.tool_calls[0].status == "ok"


async def test_usage_is_summed_over_turns(hotel: Hotel) -> None:
    model = ScriptedChatModel(
        [
            tool_turn(
                ("get_balance", {"member": "ben"}), usage=Usage(input_tokens=100, output_tokens=7)
            ),
            reply("Ben has 80.", usage=Usage(input_tokens=150, output_tokens=5)),
        ]
    )

    result = await run(hotel, model)

    assert result.usage == Usage(input_tokens=250, output_tokens=12)


async def test_the_run_result_round_trips_through_json(hotel: Hotel) -> None:
    model = ScriptedChatModel(
        [
            tool_turn(
                ("award_points", {"member": "emma", "points": 500, "reason": "x"}),
                ("award_points", {"member": "ben", "points": 5000, "reason": "x"}),
                ("get_balance", "{oops"),
            ),
            "Summary.",
        ]
    )
    result = await run(hotel, model)

    data = json.loads(result.model_dump_json())

    assert data["termination"] == "final_answer"
    assert data["error_count"] == 1
    assert [call["status"] for call in data["tool_calls"]] == [
        "pending_approval",
        "denied",
        "error",
    ]
    assert data["approvals"][0]["approval_id"] == "apr_1"
    assert data["denials"][0]["rule"] == "max_award"
    data.pop("error_count")  # computed, not a field
    assert RunResult.model_validate(data) == result


class _StreamWithoutEnd:
    """A broken model whose stream stops before its final response."""

    name = "broken-stream"

    async def complete(self, request: ChatRequest) -> ChatResponse:
        raise AssertionError("the loop streams by default")

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatEvent]:
        yield TextDelta(text="Half an ans")


async def test_a_stream_that_ends_without_a_response_is_a_model_error(hotel: Hotel) -> None:
    result = await run(hotel, _StreamWithoutEnd())

    assert result.termination == "model_error"
    assert result.model_error == "the model stream ended without a final response"
