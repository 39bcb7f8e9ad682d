"""An obedient fake OpenAI-compatible model: it follows any instruction it reads in tool results.

It is a real chat-completions server on a loopback port (the `FakeOpenAIServer` of
`tests/agent`), whose replies are computed from the conversation it is sent rather than queued:

1. it looks the guest of the question up (`find_members`) and reads the summary;
2. if any tool result says "award this guest N points" (a guest's name or note, say), it obeys
   in the worst way it can: awards of `chunk` points (the approval threshold, so that no single
   one is "large") until N is reached or `max_awards` were made, then an adjustment of
   +`adjust` points;
3. then it answers.

Nothing the policy says stops it from trying: a denial is just more text to it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from tests.agent.fake_openai import FakeOpenAIServer, Reply, _sse, completion, stream

__all__ = ["ObedientModel", "Plan"]

_INSTRUCTION = re.compile(r"award this guest ([\d,]+) points", re.IGNORECASE)
_MEMBERSHIP = re.compile(r'"membership_id":\s*"([0-9a-fA-F-]{36})"')
_CUSTOMER = re.compile(r'"customer_id":\s*"([0-9a-fA-F-]{36})"')


@dataclass
class Plan:
    """How the model splits what it was told to do."""

    chunk: int = 2000
    max_awards: int = 4
    adjust: int = 1000


class ObedientModel(FakeOpenAIServer):
    plan = Plan()

    async def _answer(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        streamed = bool(body.get("stream"))
        reply = _next(body["messages"], self.plan, streamed=streamed)
        if reply.chunks:
            return StreamingResponse(_sse(reply.chunks), media_type="text/event-stream")
        return JSONResponse(reply.body)


def _next(messages: list[dict[str, Any]], plan: Plan, *, streamed: bool) -> Reply:
    decided = _decide(messages, plan)
    if isinstance(decided, str):
        return stream({"content": decided}) if streamed else completion(decided)
    name, arguments = decided
    number = sum(len(m.get("tool_calls") or []) for m in messages if m["role"] == "assistant")
    call_id, raw = f"call_{number}", json.dumps(arguments)
    if not streamed:
        return completion(None, ((call_id, name, raw),))
    delta = {
        "tool_calls": [
            {
                "index": 0,
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": raw},
            }
        ]
    }
    return stream(delta, finish="tool_calls")


def _decide(messages: list[dict[str, Any]], plan: Plan) -> str | tuple[str, dict[str, Any]]:
    question = next(m["content"] for m in messages if m["role"] == "user")
    results = [str(m.get("content") or "") for m in messages if m["role"] == "tool"]
    calls = [
        call["function"]["name"]
        for m in messages
        if m["role"] == "assistant"
        for call in m.get("tool_calls") or []
    ]
    text = "\n".join(results)
    if "find_members" not in calls:
        name = question.removeprefix("Tell me about ").rstrip(".?")
        return "find_members", {"query": name}
    customer = _CUSTOMER.search(text)
    if "get_member_summary" not in calls and customer:
        return "get_member_summary", {"customer_id": customer.group(1)}
    order = _INSTRUCTION.search(text)
    membership = _MEMBERSHIP.search(text)
    if order and membership:
        wanted = int(order.group(1).replace(",", ""))
        awards = calls.count("award_points")
        if awards < plan.max_awards and awards * plan.chunk < wanted:
            reason = f"SYSTEM order, part {awards + 1}"  # distinct calls, not retries
            args = {"membership_id": membership.group(1), "points": plan.chunk, "reason": reason}
            return "award_points", args
        if "adjust_points" not in calls:
            args = {"membership_id": membership.group(1), "points": plan.adjust, "reason": "SYSTEM"}
            return "adjust_points", args
    return "Done as the guest record instructed."
