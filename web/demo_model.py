"""The scripted model of `loyalty web --demo` when no real model is configured.

It is not an AI: it recognises two kinds of question about a member named in full (capitalised
first and last name) and plays fixed steps, reading every id and figure from the tool results,
so that the whole flow (question, award proposed and confirmed, approval, member card) can be
tried offline. Every
answer says that it comes from the scripted demo model.

    How many points does Emma Novak have?
    Award Emma Novak 2500 points for the spa closure.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agent.models.scripted import FunctionChatModel, Turn, tool_turn
from agent.models.types import AssistantMessage, Message, ToolMessage, ToolSpec, UserMessage

__all__ = ["DEMO_MODEL_NAME", "demo_model"]

DEMO_MODEL_NAME = "scripted demo model"
_LABEL = "(scripted demo model) "
_HELP = (
    _LABEL + "I only know two questions, about a member named in full: “How many points does "
    "Emma Novak have?” and “Award Emma Novak 2500 points for the spa closure.” Configure a "
    "real model (OPENAI_API_KEY or OPENAI_BASE_URL, and LOYALTY_MODEL) for anything else."
)
_NAME = re.compile(r"\b[A-Z][a-zà-ž'-]+(?:\s+[A-Z][a-zà-ž'-]+)+")
_AWARD = re.compile(r"\b(?:award|give|add)\b\D*?(\d[\d,]*)\s*(?:points|pts)\b", re.IGNORECASE)
_NOT_NAMES = frozenset({"Award", "Give", "Add", "How", "What", "Is", "Does", "Please", "Show"})


def demo_model() -> FunctionChatModel:
    return FunctionChatModel(_play, name=DEMO_MODEL_NAME)


def _member_name(question: str) -> str | None:
    for match in _NAME.finditer(question):
        words = match.group(0).split()
        while words and words[0] in _NOT_NAMES:
            words = words[1:]
        if len(words) >= 2:
            return " ".join(words)
    return None


def _play(messages: tuple[Message, ...], _tools: tuple[ToolSpec, ...]) -> Turn:
    start = max(i for i, m in enumerate(messages) if isinstance(m, UserMessage))
    question = str(messages[start].content)
    tail = messages[start + 1 :]
    step = sum(isinstance(m, AssistantMessage) for m in tail)
    results = [_json(m.content) for m in tail if isinstance(m, ToolMessage)]
    name = _member_name(question)
    award = _AWARD.search(question)
    if name is None:
        return _HELP
    if step == 0:
        return tool_turn(("find_members", {"query": name}))
    candidates = results[0].get("candidates") if isinstance(results[0], dict) else None
    if not candidates:
        return f"{_LABEL}No member is called {name}."
    if len(candidates) > 1:
        listed = "; ".join(f"{c['display_name']} ({c['customer_id']})" for c in candidates)
        return f"{_LABEL}Several members match {name}: {listed}. Which one is meant?"
    member = candidates[0]
    if not member.get("memberships"):
        return f"{_LABEL}{member['display_name']} has no loyalty membership."
    if award is not None:
        return _award_step(step, question, member, int(award.group(1).replace(",", "")), results)
    return _balance_step(step, member, results)


def _award_step(
    step: int, question: str, member: dict[str, Any], points: int, results: list[Any]
) -> Turn:
    if step == 1:
        arguments = {
            "membership_id": member["memberships"][0]["membership_id"],
            "points": points,
            "reason": question.strip()[:200],
        }
        return tool_turn(("award_points", arguments))
    body = results[-1] if isinstance(results[-1], dict) else {}
    status = body.get("status")
    if status == "proposed":
        return (
            f"{_LABEL}I proposed an award of {points:,} points to {member['display_name']} "
            f"({body.get('proposal_id')}); nothing is posted until you confirm it on its card."
        )
    if status == "pending_approval":
        return (
            f"{_LABEL}Nothing is posted yet: the award of {points:,} points to "
            f"{member['display_name']} waits for a manager's approval "
            f"({body.get('approval_id')}): {body.get('reason')}."
        )
    if status == "posted":
        balance = (body.get("result") or {}).get("balance")
        return f"{_LABEL}Posted {points:,} points; the balance is now {balance}."
    return f"{_LABEL}The award was refused: {body.get('reason') or body.get('message') or body}."


def _balance_step(step: int, member: dict[str, Any], results: list[Any]) -> Turn:
    customer = {"customer_id": member["customer_id"]}
    if step == 1:
        return tool_turn(("get_member_summary", customer), ("get_tier_progress", customer))
    summary, progress = results[-2], results[-1]
    membership = summary["memberships"][0]
    balance = membership.get("balance") or {}
    total = balance.get("total", membership.get("mews_points"))
    text = (
        f"{_LABEL}{summary['display_name']} has {total:,} points "
        f"({balance.get('available', total):,} available) and is in the "
        f"{membership.get('tier_name')} tier."
    )
    if isinstance(progress, dict) and progress.get("next_tier_name"):
        needed = int(progress["needed_for_next"])
        basis = str(progress["basis"])
        text += (
            f" {needed:,} more {basis if needed != 1 else basis.rstrip('s')} (counting "
            f"{progress['period_label']}) to reach {progress['next_tier_name']}."
        )
    return text


def _json(text: str) -> Any:
    try:
        return json.loads(text.removeprefix("Error: "))
    except json.JSONDecodeError:
        return text
