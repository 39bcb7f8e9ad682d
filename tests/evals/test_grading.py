"""Grading checks that need no world."""

from __future__ import annotations

from agent.records import ToolCallRecord
from evals.grading import _must_not_say, _must_say, _tool_calls, normalize_text
from evals.task_files import ToolCallSpec


def _call(name: str, **arguments: object) -> ToolCallRecord:
    return ToolCallRecord(id="c", name=name, arguments=dict(arguments), status="ok", duration_ms=1)


def test_text_is_compared_without_case_spacing_or_digit_grouping() -> None:
    assert normalize_text("Emma  has 6,240\u00a0POINTS") == "emma has 6240 points"
    assert normalize_text("1,234,567") == "1234567"
    assert normalize_text("a list: 1, 200") == "a list: 1, 200"


def test_phrases_may_offer_alternatives() -> None:
    answers = normalize_text("Emma Novak is Silver with 6,240 points.")
    assert _must_say(["6240", ["silver", "argent"]], answers).passed
    missing = _must_say(["gold"], answers)
    assert not missing.passed
    assert missing.detail == "missing: gold"
    assert not _must_not_say([["platinum", "silver"]], answers).passed


def test_tool_call_expectations() -> None:
    calls = [_call("find_members", query="Emma"), _call("award_points", points=300)]
    assert _tool_calls("any", calls).passed
    assert not _tool_calls("none", calls).passed
    assert _tool_calls("none", []).passed
    wanted = [ToolCallSpec(name="award_points", arguments={"points": 300})]
    assert _tool_calls(wanted, calls).passed
    wrong = [ToolCallSpec(name="award_points", arguments={"points": 500})]
    assert _tool_calls(wrong, calls).detail == "not called: award_points {'points': 500}"
