"""Resources and prompts of the MCP server.

Resources (JSON, read through `Guard.read`, so role-checked and audited):
`loyalty://policy` (the effective policy and the current mode), `loyalty://rewards` (every
program's catalogue), `loyalty://programs` (the program file), and the member card template
`loyalty://members/{customer_id}` (the member summary; guest data as JSON values).

Prompts, rendered from `prompts/templates/` with jinja2 (`StrictUndefined`):
`answer_member_question`, `draft_win_back_offer`, `review_tier_changes`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mcp_types as types
from mcp.shared.exceptions import MCPError
from pydantic import TypeAdapter

from policies import ApprovalDesk, Controls, Denied
from tools.loyalty import MemberSummary, member_summary
from tools.report import program_report
from tools.server.member import rewards_of
from tools.server.tooling import ToolEnv

__all__ = [
    "PROMPTS",
    "RESOURCES",
    "RESOURCE_NOT_FOUND",
    "RESOURCE_TEMPLATES",
    "get_prompt",
    "read_resource",
]

_JSON = "application/json"
_GUID = r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
_MEMBER_URI = re.compile(rf"^loyalty://members/({_GUID})$")
_CHANNELS = ("email", "sms", "phone", "in_person", "letter")


def _resource(name: str, title: str, description: str) -> types.Resource:
    return types.Resource(
        uri=f"loyalty://{name}", name=name, title=title, description=description, mime_type=_JSON
    )


RESOURCES = [
    _resource(
        "policy", "Effective loyalty policy", "Mode, roles, caps and approval thresholds in force."
    ),
    _resource(
        "rewards",
        "Rewards catalogue",
        "Every program's rewards with base prices and eligible tiers.",
    ),
    _resource(
        "programs",
        "Loyalty programs",
        "Earning rules, tiers, expiry and pricing bounds of each program.",
    ),
    _resource(
        "approvals",
        "Pending approvals",
        "Writes waiting for a manager (managers only); subscribe to follow the queue.",
    ),
    _resource(
        "report",
        "Program health report",
        "The first program over the last 12 months: liability, issued/redeemed/"
        "expired, breakage, members, tiers, rewards, campaigns (get_program_report for others).",
    ),
]
RESOURCE_TEMPLATES = [
    types.ResourceTemplate(
        uri_template="loyalty://members/{customer_id}",
        name="member",
        title="Member card",
        description="A member's summary (memberships, points, stays); names are guest data.",
        mime_type=_JSON,
    )
]


RESOURCE_NOT_FOUND = -32002  # the MCP spec's code, with the URI in `data.uri`


def _not_found(message: str, uri: str) -> MCPError:
    return MCPError(RESOURCE_NOT_FOUND, message, data={"uri": uri})


async def read_resource(env: ToolEnv, uri: str) -> types.ReadResourceResult:
    runtime = env.runtime
    member = _MEMBER_URI.match(uri)

    async def policy() -> dict[str, Any]:
        return {"mode": Controls(runtime.guard).mode().mode, "policy": runtime.policy.to_dict()}

    async def rewards() -> dict[str, Any]:
        return {
            code: rewards_of(program).model_dump(mode="json")
            for code, program in runtime.programs.programs.items()
        }

    async def programs() -> dict[str, Any]:
        return runtime.programs.model_dump(mode="json")

    async def card() -> dict[str, Any]:
        assert member is not None
        customer_id = member.group(1)
        found = await runtime.facts.members([customer_id])
        if customer_id not in found:
            raise _not_found(f"no customer {customer_id!r} in Mews", uri)
        summary = member_summary(
            runtime.programs, found[customer_id], as_of=runtime.clock.now(), tz=env.tz
        )
        data: dict[str, Any] = TypeAdapter(MemberSummary).dump_python(summary, mode="json")
        return data

    async def report() -> dict[str, Any]:
        data: dict[str, Any] = (await program_report(runtime)).model_dump(mode="json")
        return data

    async def pending() -> dict[str, Any]:
        if not env.principal.can("approve"):
            raise MCPError(types.INVALID_REQUEST, "loyalty://approvals is for managers")
        now = runtime.guard.clock.now()
        return {
            "approvals": [
                row.to_dict(now) for row in ApprovalDesk(runtime.guard).approvals(("pending",))
            ]
        }

    readers: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
        "loyalty://policy": policy,
        "loyalty://approvals": pending,
        "loyalty://rewards": rewards,
        "loyalty://programs": programs,
        "loyalty://report": report,
    }
    reader = card if member else readers.get(uri)
    if reader is None:
        raise _not_found(
            f"unknown resource {uri!r}; known: {', '.join(readers)}, loyalty://members/{{customer_id}}",
            uri,
        )
    name = "read_member_card" if member else f"read_{uri.removeprefix('loyalty://')}"
    value = await runtime.guard.read(env.principal, name, {"uri": uri}, reader)
    if isinstance(value, Denied):
        raise MCPError(types.INVALID_REQUEST, f"denied by policy ({value.rule}): {value.reason}")
    text = json.dumps(value, ensure_ascii=False, indent=1)
    return types.ReadResourceResult(
        contents=[types.TextResourceContents(uri=uri, mime_type=_JSON, text=text)]
    )


# ---------------------------------------------------------------------------- prompts
@dataclass(frozen=True)
class PromptDef:
    prompt: types.Prompt
    build: Callable[[ToolEnv, Mapping[str, str]], dict[str, Any]]
    template: str


def _argument(name: str, description: str, *, required: bool) -> types.PromptArgument:
    return types.PromptArgument(name=name, description=description, required=required)


def _customer(args: Mapping[str, str]) -> str:
    value = args.get("customer_id", "").strip()
    if not re.fullmatch(_GUID, value):
        raise MCPError(types.INVALID_PARAMS, "customer_id: must be a Mews customer id (GUID)")
    return value


def _answer(_env: ToolEnv, args: Mapping[str, str]) -> dict[str, Any]:
    question = args.get("question", "").strip()
    if not question:
        raise MCPError(types.INVALID_PARAMS, "question: required")
    customer = _customer(args) if args.get("customer_id", "").strip() else ""
    return {"question": question[:2000], "customer_id": customer}


def _win_back(_env: ToolEnv, args: Mapping[str, str]) -> dict[str, Any]:
    channel = args.get("channel", "").strip() or "email"
    if channel not in _CHANNELS:
        raise MCPError(types.INVALID_PARAMS, f"channel: must be one of {', '.join(_CHANNELS)}")
    return {"customer_id": _customer(args), "channel": channel}


def _tier_review(env: ToolEnv, args: Mapping[str, str]) -> dict[str, Any]:
    code = args.get("program_code", "").strip() or None
    programs = env.runtime.programs.programs
    if code is not None and code not in programs:
        raise MCPError(
            types.INVALID_PARAMS, f"program_code: {code!r} is not one of {', '.join(programs)}"
        )
    program = env.runtime.program(code)
    return {
        "program_code": program.code,
        "tiers": [
            {"code": t.code, "name": t.name, "threshold": t.threshold}
            for t in program.tiers_by_rank()
        ],
        "basis": program.qualification.basis,
        "qualification": program.qualification.summary(),
    }


PROMPTS: dict[str, PromptDef] = {
    "answer_member_question": PromptDef(
        types.Prompt(
            name="answer_member_question",
            title="Answer a member question",
            description="Answer a staff question about a member from the loyalty tools.",
            arguments=[
                _argument("question", "the staff member's question", required=True),
                _argument("customer_id", "the member's Mews customer id, if known", required=False),
            ],
        ),
        _answer,
        "answer_member_question.md.j2",
    ),
    "draft_win_back_offer": PromptDef(
        types.Prompt(
            name="draft_win_back_offer",
            title="Draft a win-back offer",
            description="Prepare a personalised offer draft for a lapsing member (sends nothing).",
            arguments=[
                _argument("customer_id", "the member's Mews customer id", required=True),
                _argument(
                    "channel", "email (default), sms, phone, in_person or letter", required=False
                ),
            ],
        ),
        _win_back,
        "draft_win_back_offer.md.j2",
    ),
    "review_tier_changes": PromptDef(
        types.Prompt(
            name="review_tier_changes",
            title="Review tier changes",
            description="Review upgrades and downgrades due in a program.",
            arguments=[
                _argument("program_code", "Mews program code (default: the first)", required=False)
            ],
        ),
        _tier_review,
        "review_tier_changes.md.j2",
    ),
}


def get_prompt(
    env: ToolEnv, name: str, arguments: Mapping[str, str] | None
) -> types.GetPromptResult:
    definition = PROMPTS.get(name)
    if definition is None:
        raise MCPError(
            types.INVALID_PARAMS, f"unknown prompt {name!r}; known: {', '.join(PROMPTS)}"
        )
    from prompts import render  # jinja2 loads when a prompt is asked for, not at start-up

    text = render(definition.template, **definition.build(env, arguments or {}))
    return types.GetPromptResult(
        description=definition.prompt.description,
        messages=[
            types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))
        ],
    )
