"""How a tool submits a write, and the shape of a write's result.

`WriteOutcome[R]` is the output schema of every write tool: `{"status": "posted", "result": R}`
or `{"status": "pending_approval", "approval_id", "rule", "reason", "expires_at"}` (the shapes of
`policies.Outcome.to_dict()`). A denial is not in it: it is a tool error whose structured body
is `{"status": "denied", "rule", "reason"}`.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from policies import Outcome
from policies.canonical import JSONObject
from tools.server.tooling import ToolEnv

__all__ = ["WriteOutcome", "submit"]

R = TypeVar("R")


class WriteOutcome(BaseModel, Generic[R]):
    status: Literal["posted", "pending_approval"]
    result: R | None = None
    approval_id: str | None = None
    rule: str | None = None
    reason: str | None = None
    expires_at: str | None = None


async def submit(
    env: ToolEnv, action: str, args: dict[str, Any], idempotency_key: str | None = None
) -> Outcome:
    payload: JSONObject = args
    return await env.runtime.guard.submit(env.principal, action, payload, idempotency_key)
