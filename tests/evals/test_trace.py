"""Reference traces: templates resolved against earlier tool results."""

from __future__ import annotations

import json

import pytest

from agent.models import ChatRequest, ToolMessage, UserMessage
from evals.task_files import CallStep, SayStep
from evals.trace import TraceError, resolve, trace_model
from tools.sandbox import STORY

CONTEXT = {
    "results": {
        "find_members": {"members": [{"customer_id": "c-1", "name": "Emma", "points": 6240}]}
    },
    "story": {"emma_novak": STORY.emma_novak},
}


def test_a_whole_expression_keeps_its_type_and_text_interpolates() -> None:
    assert resolve("{{ results.find_members.members[0].points }}", CONTEXT) == 6240
    assert resolve("Emma has {{ results.find_members.members[0].points }} points", CONTEXT) == (
        "Emma has 6,240 points"
    )
    assert resolve({"ids": ["{{ story.emma_novak }}"]}, CONTEXT) == {"ids": [STORY.emma_novak]}
    assert resolve("{{ results.find_members.members[name=Emma].customer_id }}", CONTEXT) == "c-1"


def test_an_unresolvable_path_says_what_was_there() -> None:
    with pytest.raises(TraceError, match="no key 'nope'"):
        resolve("{{ results.nope }}", CONTEXT)
    with pytest.raises(TraceError, match="no item 3"):
        resolve("{{ results.find_members.members[3] }}", CONTEXT)


@pytest.mark.anyio
async def test_the_trace_model_plays_steps_with_earlier_results() -> None:
    steps = [
        CallStep.model_validate({"call": {"name": "find_members", "arguments": {"query": "Emma"}}}),
        CallStep.model_validate(
            {
                "call": {
                    "name": "get_member_summary",
                    "arguments": {
                        "customer_id": "{{ results.find_members.members[0].customer_id }}"
                    },
                }
            }
        ),
        SayStep(say="Done."),
    ]
    model = trace_model(steps)
    first = await model.complete(ChatRequest(messages=(UserMessage(content="hi"),)))
    assert first.tool_calls[0].name == "find_members"
    result = ToolMessage(
        tool_call_id="call_0_0",
        name="find_members",
        content=json.dumps({"members": [{"customer_id": "c-9"}]}),
    )
    second = await model.complete(ChatRequest(messages=(UserMessage(content="hi"), result)))
    assert json.loads(second.tool_calls[0].arguments) == {"customer_id": "c-9"}
    third = await model.complete(ChatRequest(messages=()))
    assert third.text == "Done."
    with pytest.raises(TraceError, match="one more was asked"):
        await model.complete(ChatRequest(messages=()))
