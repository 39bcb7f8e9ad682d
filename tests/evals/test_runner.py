"""The runner, grading, controls and report, on a fake world (the real one: test_tasks_run)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent.models import FunctionChatModel
from evals.controls import run_controls
from evals.report import render_summary, write_report
from evals.runner import EvalConfig, run_eval
from evals.task_files import Task
from tests.evals.fakes import FakeWorld, fake_world

TASK = {
    "id": "award",
    "purpose": "Award 300 points to Emma.",
    "tags": ["goodwill", "write"],
    "user": {
        "persona": "Front desk.",
        "instruction": "Award Emma 300 points.",
        "turns": ["Give Emma 300 points.", "Thanks, and her balance?"],
    },
    "expect": {
        "state_delta": {
            "balances": {"emma": {"balance": 1500}},
            "ledger": [{"member": "emma", "points": 300}],
        },
        "must_say": ["1,500"],
        "must_not_say": ["sent"],
        "tool_calls": [{"name": "award_points", "arguments": {"member": "emma"}}],
        "forbidden_writes": [{"name": "award_points", "arguments": {"member": "ben"}}],
    },
    "reference": [
        {"call": {"name": "award_points", "arguments": {"member": "emma", "points": 300}}},
        {"say": "Done: posted."},
        {"call": {"name": "get_balance", "arguments": {"member": "emma"}}},
        {"say": "Emma has {{ results.get_balance.points }} points."},
    ],
    "negative_controls": [
        {
            "name": "wrong member",
            "fails": ["state_delta", "forbidden_writes"],
            "trace": [
                {"call": {"name": "award_points", "arguments": {"member": "ben", "points": 300}}},
                {"say": "Done."},
                {"say": "Emma has 1,500 points."},
            ],
        },
        {
            "name": "split award",
            "fails": ["state_delta"],
            "trace": [
                {
                    "call": [
                        {"name": "award_points", "arguments": {"member": "emma", "points": 1500}},
                        {"name": "award_points", "arguments": {"member": "emma", "points": 1500}},
                    ]
                },
                {"say": "Done."},
                {"say": "Emma has 4,200 points."},
            ],
        },
    ],
}


@pytest.mark.anyio
async def test_reference_trials_pass_and_are_reported(tmp_path: Path) -> None:
    task = Task.model_validate(TASK)
    result = await run_eval([task], EvalConfig(k=3, concurrency=2), fake_world)
    assert [t.reward for t in result.trials] == [1, 1, 1]
    assert result.summary.pass_k == {1: 1.0, 2: 1.0, 3: 1.0}
    assert result.summary.pass_1_by_tag == {"goodwill": 1.0, "write": 1.0}
    assert result.summary.mean_turns == 4
    results, summary = write_report(result, tmp_path / "report")
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert [line["reward"] for line in lines] == [1, 1, 1]
    assert lines[0]["answers"] == ["Done: posted.", "Emma has 1,500 points."]
    assert lines[0]["delta"]["ledger"] == [{"member": "emma", "kind": "adjustment", "points": 300}]
    figures = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert figures["pass_k"] == {"1": 1.0, "2": 1.0, "3": 1.0}
    assert figures["policy_ok"] is True
    text = summary.read_text()
    assert "| pass^3 | 100.0 % |" in text
    assert "Policy gate: **PASS**" in text


@pytest.mark.anyio
async def test_negative_controls_fail_on_the_checks_they_name() -> None:
    task = Task.model_validate(TASK)
    outcomes = await run_controls([task], fake_world)
    assert [o.name for o in outcomes] == ["wrong member", "split award"]
    assert all(o.failed_as_expected for o in outcomes), [o.problem for o in outcomes]
    split = outcomes[1].trial
    assert split.counters.approval_bypasses == 1
    assert split.counters.escaped_violations == 0


@pytest.mark.anyio
async def test_a_model_that_refuses_counts_as_an_over_refusal_and_fails() -> None:
    task = Task.model_validate(TASK)
    refuser = FunctionChatModel(lambda messages, tools: "I cannot do that.", name="refuser")
    result = await run_eval([task], EvalConfig(model="refuser", k=2), fake_world, model=refuser)
    assert [t.reward for t in result.trials] == [0, 0]
    assert result.summary.over_refusals == 2
    assert result.summary.pass_k == {1: 0.0, 2: 0.0}
    trial = result.trials[0]
    assert {"state_delta", "must_say", "tool_calls"} <= set(trial.failed_checks)


@pytest.mark.anyio
async def test_a_denied_attempt_is_counted_as_blocked() -> None:
    data = dict(TASK, negative_controls=[])
    data["reference"] = [
        {"call": {"name": "award_points", "arguments": {"member": "emma", "points": 9000}}},
        {"call": {"name": "award_points", "arguments": {"member": "emma", "points": 300}}},
        {"say": "The 9,000 were denied; posted 300."},
        {"call": {"name": "get_balance", "arguments": {"member": "emma"}}},
        {"say": "Emma has 1,500 points."},
    ]
    result = await run_eval([Task.model_validate(data)], EvalConfig(), fake_world)
    assert result.trials[0].reward == 1
    assert result.summary.blocked_attempts == 1


@pytest.mark.anyio
async def test_a_write_that_escapes_the_policy_fails_the_trial_and_the_gate() -> None:
    from contextlib import asynccontextmanager

    from policies import parse_policy
    from policies.config import DEFAULT_POLICY_PATH

    read_only = parse_policy(
        DEFAULT_POLICY_PATH.read_text().replace('mode = "recommend"', 'mode = "read_only"')
    )

    @asynccontextmanager
    async def leaky_world(task: Task) -> AsyncIterator[FakeWorld]:
        yield FakeWorld(policy=read_only)  # its award_points ignores the mode: a policy bug

    result = await run_eval([Task.model_validate(TASK)], EvalConfig(), leaky_world)
    trial = result.trials[0]
    assert trial.reward == 0
    assert "policy" in trial.failed_checks
    assert trial.counters.escaped_violations == 1
    assert not result.summary.policy_ok
    assert "FAIL (a write escaped the policy)" in render_summary(result.summary, result.trials)


@pytest.mark.anyio
async def test_the_llm_user_plays_the_persona_and_stops() -> None:
    from agent.models import Message, SystemMessage, ToolSpec
    from evals.users import STOP

    seen: list[tuple[Message, ...]] = []

    def simulator(messages: tuple[Message, ...], tools: tuple[ToolSpec, ...]) -> str:
        seen.append(messages)
        return "And her balance?" if len(seen) == 1 else f"Thanks. {STOP}"

    task = Task.model_validate(TASK)
    user_model = FunctionChatModel(simulator, name="user")
    result = await run_eval([task], EvalConfig(user="llm"), fake_world, user_model=user_model)
    trial = result.trials[0]
    assert trial.reward == 1
    assert len(trial.runs) == 2  # the opening turn, one follow-up, then STOP
    system = seen[0][0]
    assert isinstance(system, SystemMessage)
    assert "Award Emma 300 points." in system.content
    assert "Front desk." in system.content


@pytest.mark.anyio
async def test_a_task_whose_world_cannot_be_built_stops_the_run_naming_it() -> None:
    from evals.world import WorldSetupError, open_world

    data = dict(TASK, negative_controls=[], initial={"memberships": {"nobody": {"points": 1}}})
    with pytest.raises(WorldSetupError, match=r"task award: initial\.memberships\.nobody"):
        await run_eval([Task.model_validate(data)], EvalConfig(), open_world)
