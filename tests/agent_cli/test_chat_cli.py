"""`loyalty chat`: the REPL, driven through its input, on the real in-memory server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from tests.agent_cli.test_ask_cli import AWARD, write_script
from tests.text import assert_contains

runner = CliRunner()


def chat(folder: Path, lines: list[str], *options: str, turns: list[object] | None = None):  # type: ignore[no-untyped-def]
    model = write_script(folder, turns or ["(unused)"])
    return runner.invoke(app, ["chat", "--model", model, *options], input="\n".join(lines) + "\n")


def request_award(folder: Path, principal: str) -> str:
    """Ask for an award above the threshold as `principal` (no model: a model's writes are
    proposals); the id of the pending approval."""
    result = runner.invoke(app, ["call", "award_points", json.dumps(AWARD), "--as", principal])
    assert result.exit_code == 0, result.output
    approval_id: str = json.loads(result.stdout)["approval_id"]
    return approval_id


def test_chat_answers_questions_and_shows_tool_calls_compactly(cli_env: Path) -> None:
    turns: list[object] = [
        {"tool_calls": [{"name": "find_members", "arguments": {"query": "Emma Novak"}}]},
        "Emma Novak is a Silver member.",
        "She has an upcoming stay.",
    ]

    result = chat(cli_env, ["Who is Emma Novak?", "", "Anything else?", "/quit"], turns=turns)

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert_contains(
        out,
        [
            "loyalty chat · model scripted:",
            "acting as carol (staff)",
            'find_members(query="Emma Novak") → ok',
            "Emma Novak is a Silver member.",
            "She has an upcoming stay.",
        ],
    )


def test_a_manager_lists_and_approves_a_request_and_sees_the_new_balance(cli_env: Path) -> None:
    approval_id = request_award(cli_env, "carol")

    result = chat(
        cli_env,
        [
            "/pending",
            f"/approve {approval_id} spa closure, agreed",
            "/pending",
            "/member Emma Novak",
        ],
        "--as",
        "alice",
    )

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert re.search(
        rf"{approval_id}\s+Award 2,500 points to Emma Novak \(Silver, PC-1000001\) .*"
        r"— requested by carol, just now",
        out,
    )
    assert f"{approval_id}: status=posted" in out
    assert "no pending approval requests" in out
    assert "Silver tier, 8,740 points" in out  # 6,240 in Mews before, 2,500 approved


def test_staff_are_not_offered_the_approval_tools(cli_env: Path) -> None:
    approval_id = request_award(cli_env, "carol")

    result = chat(cli_env, ["/pending", f"/approve {approval_id}"], "--as", "carol")

    assert result.exit_code == 0, result.output
    assert "does not offer list_pending_approvals to carol (staff)" in result.stdout
    assert "does not offer decide_approval to carol (staff)" in result.stdout


def test_a_manager_cannot_approve_their_own_request_but_another_can(cli_env: Path) -> None:
    approval_id = request_award(cli_env, "alice")

    own = chat(cli_env, [f"/approve {approval_id}"], "--as", "alice")
    other = chat(cli_env, [f"/reject {approval_id} not this time"], "--as", "bob")

    assert own.exit_code == 0, own.output
    assert "⛔ denied by approvals.four_eyes: nobody may decide their own" in own.stdout
    assert f"{approval_id}: status=posted" not in own.stdout
    assert f"{approval_id}: status=" in other.stdout
    assert "denied" not in other.stdout


def test_chat_commands_help_reset_member_and_unknown(cli_env: Path) -> None:
    result = chat(
        cli_env,
        [
            "/help",
            "/member John Smith",
            "/member Nobody Atall",
            "/member",
            "/approve",
            "/frobnicate",
            "/reset",
        ],
    )

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert_contains(
        out,
        [
            "/approve ID [COMMENT]",
            "2 members match 'John Smith'; which one is meant?",
            "no member matches 'Nobody Atall'",
            "usage: /member NAME",
            "usage: /approve ID [COMMENT]",
            "unknown command /frobnicate; /help lists the commands",
            "conversation forgotten",
        ],
    )


def test_a_bad_approval_id_is_a_clear_message(cli_env: Path) -> None:
    result = chat(cli_env, ["/approve nope"], "--as", "alice")

    assert result.exit_code == 0, result.output
    assert "invalid arguments for decide_approval: approval_id" in result.stdout


def test_an_offer_the_assistant_drafts_is_shown_as_checked_copy(cli_env: Path) -> None:
    from tools.sandbox import STORY

    draft = {
        "customer_id": STORY.emma_novak,
        "reward_id": "spa-credit",
        "valid_from": "2030-03-01",
        "valid_until": "2030-03-31",
        "channel": "email",
        "rationale": "She books the spa at every stay.",
    }
    turns: list[object] = [
        {"tool_calls": [{"name": "draft_offer", "arguments": draft}]},
        "Drafted; nothing was sent.",
    ]

    result = chat(
        cli_env,
        ["Draft a spa offer for Emma", "/confirm prop_1", "/offer nope", "/offer"],
        "--brand",
        "Hotel Aurora",
        "--tone",
        "formal",
        turns=turns,
    )

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "nothing is written until you /confirm prop_1" in out
    offer_id = re.search(r"── email copy of offer (ofr_\w+) \(checked against the draft\) ──", out)
    assert offer_id, out
    assert_contains(
        out,
        [
            "Dear Emma Novak,",
            "**Spa credit, 30 GBP**, yours for ",
            "Valid from 1 March 2030 until 31 March 2030.",
            "Yours sincerely,",
            "no offer draft nope among the latest 100",
            "usage: /offer ID [email|sms|app]",
        ],
    )

    again = chat(cli_env, [f"/offer {offer_id.group(1)} sms"])

    assert f"── sms copy of offer {offer_id.group(1)}" in again.stdout
    assert "Spa credit, 30 GBP for " in again.stdout
    assert "valid until 31 March 2030. Reply STOP to opt out." in again.stdout


def test_a_brand_with_digits_is_refused_before_anything_opens(cli_env: Path) -> None:
    result = chat(cli_env, [], "--brand", "Hotel 21")

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: --brand: Value error, must not contain digits (numbers come from the offer draft)"
    )


def test_chat_without_a_model_still_runs_the_slash_commands(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LOYALTY_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    result = runner.invoke(app, ["chat"], input="/member Emma Novak\nHow is Emma?\n/quit\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "model none (slash commands only)" in out
    assert "Emma Novak (" in out  # /member needs no model
    assert "Silver tier, 6,240 points" in out  # one number format
    # dates on the enterprise's clock (the policy's Europe/Prague), the zone named; not UTC
    assert re.search(r"membership expires \d{1,2} \w{3} \d{4}, \d\d:\d\d CES?T", out), out
    assert "(times in Europe/Prague)" in out
    assert "T00:00:00Z" not in out
    assert "No model is configured, so questions go unanswered" in out
