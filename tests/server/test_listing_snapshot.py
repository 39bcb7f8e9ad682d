# ruff: noqa: E501  (the snapshot keeps the descriptions as clients receive them)
"""The `member` toolset's `tools/list`, as a client sees it: schema growth shows up in review."""

from __future__ import annotations

import json
from typing import Any

import pytest
from inline_snapshot import snapshot

from tests.server.clients import Connect
from tools.server import ALL_TOOLS
from tools.server.app import SERVER_TOOLSETS as ALL_TOOLSETS
from tools.server.tooling import DENSE_TOOLSETS

pytestmark = pytest.mark.anyio


async def test_the_member_toolset_listing(connect: Connect) -> None:
    async with connect("carol", ("member",)) as client:
        listed = await client.list_tools()
    tools = [
        tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in listed.tools
    ]
    assert tools == snapshot(
        [
            {
                "name": "get_chain_configuration",
                "title": "Chain configuration",
                "description": "Programs (tiers, qualification, expiry), policy mode, and who you are.",
                "inputSchema": {"type": "object", "properties": {}},
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "chain_id": {"type": "string"},
                        "mode": {"type": "string"},
                        "you": {"type": "string"},
                        "programs": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": [
                                    "code",
                                    "name",
                                    "currency",
                                    "qualification",
                                    "tiers",
                                    "rewards",
                                ],
                            },
                        },
                    },
                    "required": ["chain_id", "mode", "you", "programs"],
                },
                "annotations": {"readOnlyHint": True},
            },
            {
                "name": "find_members",
                "title": "Find members",
                "description": "Find guests; if several match, ask which one is meant.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "query": {
                            "description": "name, e-mail, membership number or id",
                            "minLength": 2,
                            "type": "string",
                        },
                        "limit": {
                            "default": 10,
                            "maximum": 25,
                            "minimum": 1,
                            "type": "integer",
                            "description": "max items",
                        },
                    },
                    "required": ["query"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "candidates": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": [
                                    "customer_id",
                                    "display_name",
                                    "email_on_file",
                                    "marketing_channels",
                                    "memberships",
                                ],
                            },
                        },
                        "ambiguous": {"type": "boolean"},
                    },
                    "required": ["candidates", "ambiguous"],
                },
                "annotations": {"readOnlyHint": True},
            },
            {
                "name": "get_member_summary",
                "title": "Member summary",
                "description": "Memberships, tier, points, expiry, stays, spend, consent.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "customer_id": {
                            "type": "string",
                            "description": "guest's customer id (find_members)",
                        }
                    },
                    "required": ["customer_id"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "customer_id": {"type": "string"},
                        "display_name": {"type": "string"},
                        "email_on_file": {"type": "boolean"},
                        "consent": {"type": "object", "additionalProperties": {"type": "boolean"}},
                        "memberships": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": [
                                    "membership_id",
                                    "program_code",
                                    "state",
                                    "is_primary",
                                ],
                            },
                        },
                        "stays": {"type": "integer"},
                        "nights": {"type": "integer"},
                        "first_stay": {"type": ["string", "null"]},
                        "last_stay": {"type": ["string", "null"]},
                        "upcoming_stays": {"type": "integer"},
                        "spend_by_currency": {
                            "type": "object",
                            "additionalProperties": {"type": "object"},
                        },
                        "inputs": {"type": "object"},
                        "reasoning": {"type": "string"},
                    },
                    "required": [
                        "customer_id",
                        "display_name",
                        "email_on_file",
                        "consent",
                        "memberships",
                        "stays",
                        "nights",
                        "upcoming_stays",
                        "spend_by_currency",
                        "inputs",
                        "reasoning",
                    ],
                },
                "annotations": {"readOnlyHint": True},
            },
            {
                "name": "get_points_history",
                "title": "Points history",
                "description": "Ledger entries, newest first, with the balance after each.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "membership_id": {
                            "type": "string",
                            "description": "membership id (get_member_summary)",
                        },
                        "limit": {
                            "default": 20,
                            "maximum": 100,
                            "minimum": 1,
                            "type": "integer",
                            "description": "max items",
                        },
                        "before_sequence": {
                            "minimum": 1,
                            "type": "integer",
                            "description": "for the next page",
                        },
                    },
                    "required": ["membership_id"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "membership_id": {"type": "string"},
                        "entries": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": [
                                    "entry_id",
                                    "sequence",
                                    "kind",
                                    "points",
                                    "balance_after",
                                    "reason",
                                    "actor",
                                    "source",
                                    "created_at",
                                ],
                            },
                        },
                        "next_before_sequence": {"type": ["integer", "null"]},
                        "note": {"type": "string"},
                    },
                    "required": ["membership_id", "entries"],
                },
                "annotations": {"readOnlyHint": True, "openWorldHint": False},
            },
            {
                "name": "get_tier_progress",
                "title": "Tier progress",
                "description": "What a member needs for the next tier; whether a downgrade is due.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "customer_id": {
                            "type": "string",
                            "description": "guest's customer id (find_members)",
                        },
                        "program_code": {"type": "string", "description": "default: the member's"},
                    },
                    "required": ["customer_id"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "customer_id": {"type": "string"},
                        "membership_id": {"type": "string"},
                        "program_code": {"type": "string"},
                        "basis": {"enum": ["nights", "points"]},
                        "value": {"type": "integer"},
                        "period_label": {"type": "string"},
                        "current_tier": {"type": ["string", "null"]},
                        "qualified_tier": {"type": ["string", "null"]},
                        "next_tier": {"type": ["string", "null"]},
                        "next_tier_name": {"type": ["string", "null"]},
                        "next_threshold": {"type": ["integer", "null"]},
                        "needed_for_next": {"type": ["integer", "null"]},
                        "progress_percent": {"type": ["string", "null"]},
                        "downgrade_due": {"type": "boolean"},
                        "downgrade_to": {"type": ["string", "null"]},
                        "grace_until": {"type": ["string", "null"]},
                        "inputs": {"type": "object"},
                        "reasoning": {"type": "string"},
                    },
                    "required": [
                        "customer_id",
                        "membership_id",
                        "program_code",
                        "basis",
                        "value",
                        "period_label",
                        "downgrade_due",
                        "inputs",
                        "reasoning",
                    ],
                },
                "annotations": {"readOnlyHint": True},
            },
            {
                "name": "recommend_rewards",
                "title": "Recommend rewards",
                "description": "Rewards the member can redeem now, best fit first, with reasons.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "customer_id": {
                            "type": "string",
                            "description": "guest's customer id (find_members)",
                        },
                        "program_code": {"type": "string", "description": "default: the member's"},
                        "on": {
                            "format": "date",
                            "type": "string",
                            "description": "default today",
                        },
                        "limit": {
                            "default": 5,
                            "maximum": 10,
                            "minimum": 1,
                            "type": "integer",
                            "description": "max items",
                        },
                    },
                    "required": ["customer_id"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "customer_id": {"type": "string"},
                        "program_code": {"type": "string"},
                        "on": {"type": "string"},
                        "recommended": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": [
                                    "rank",
                                    "reward_id",
                                    "reward_name",
                                    "category",
                                    "price_points",
                                    "spend_share",
                                    "reason",
                                ],
                            },
                        },
                        "not_eligible": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": [
                                    "reward_id",
                                    "eligible",
                                    "price_points",
                                    "checks",
                                    "reasoning",
                                ],
                            },
                        },
                        "inputs": {"type": "object"},
                        "reasoning": {"type": "string"},
                    },
                    "required": [
                        "customer_id",
                        "program_code",
                        "on",
                        "recommended",
                        "not_eligible",
                        "inputs",
                        "reasoning",
                    ],
                },
                "annotations": {"readOnlyHint": True},
            },
            {
                "name": "find_member_segment",
                "title": "Find member segment",
                "description": "Members lapsing, near the next tier, or spending but not redeeming.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "segment": {
                            "enum": ["lapsing", "near_next_tier", "high_spend_no_redemption"],
                            "description": "which members",
                        },
                        "program_code": {"type": "string", "description": "default: the member's"},
                        "limit": {
                            "default": 25,
                            "maximum": 100,
                            "minimum": 1,
                            "type": "integer",
                            "description": "max items",
                        },
                    },
                    "required": ["segment"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string"},
                        "program_code": {"type": "string"},
                        "as_of": {"type": "string"},
                        "scanned": {"type": "integer"},
                        "members": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": [
                                    "customer_id",
                                    "display_name",
                                    "membership_id",
                                    "metrics",
                                    "reason",
                                ],
                            },
                        },
                        "inputs": {"type": "object"},
                        "reasoning": {"type": "string"},
                    },
                    "required": [
                        "kind",
                        "program_code",
                        "as_of",
                        "scanned",
                        "members",
                        "inputs",
                        "reasoning",
                    ],
                },
                "annotations": {"readOnlyHint": True},
            },
            {
                "name": "list_rewards",
                "title": "List rewards",
                "description": "A program's rewards, optionally for a tier or category.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "program_code": {"type": "string", "description": "default: the member's"},
                        "tier_code": {"type": "string", "description": "only this tier's rewards"},
                        "category": {
                            "enum": [
                                "late_checkout",
                                "upgrade",
                                "spa_credit",
                                "drink",
                                "breakfast",
                                "parking",
                                "other",
                            ],
                            "description": "only this category",
                        },
                    },
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "program_code": {"type": "string"},
                        "rewards": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": [
                                    "reward_id",
                                    "name",
                                    "category",
                                    "base_points",
                                    "eligible_tiers",
                                ],
                            },
                        },
                    },
                    "required": ["program_code", "rewards"],
                },
                "annotations": {"readOnlyHint": True, "openWorldHint": False},
            },
            {
                "name": "quote_points",
                "title": "Quote points",
                "description": "Price a reward on a day, or value a member's stay bonus. Writes nothing.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "kind": {
                            "description": "redemption: a reward's price; bonus: a stay bonus",
                            "enum": ["redemption", "bonus"],
                        },
                        "program_code": {"type": "string", "description": "default: the member's"},
                        "reward_id": {
                            "type": "string",
                            "description": "for redemption",
                        },
                        "on": {
                            "format": "date",
                            "type": "string",
                            "description": "default today",
                        },
                        "customer_id": {"type": "string", "description": "for bonus"},
                        "base_points": {
                            "maximum": 1000000,
                            "minimum": 0,
                            "type": "integer",
                            "description": "for bonus",
                        },
                    },
                    "required": ["kind"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string"},
                        "redemption": {"type": ["object", "null"]},
                        "bonus": {"type": ["object", "null"]},
                    },
                    "required": ["kind"],
                },
                "annotations": {"readOnlyHint": True},
            },
            {
                "name": "award_points",
                "title": "Award points",
                "description": "Add points to a membership (pending_approval: do not retry).",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "membership_id": {
                            "type": "string",
                            "description": "membership id (get_member_summary)",
                        },
                        "points": {
                            "maximum": 1000000,
                            "type": "integer",
                            "description": "points to add",
                            "minimum": 1,
                        },
                        "reason": {
                            "description": "no personal data",
                            "maxLength": 500,
                            "minLength": 3,
                            "type": "string",
                        },
                        "goodwill": {
                            "default": False,
                            "type": "boolean",
                            "description": "a gesture: goodwill budget, no tier credit",
                        },
                        "idempotency_key": {
                            "type": "string",
                            "description": "never posts twice; default: from arguments",
                        },
                    },
                    "required": ["membership_id", "points", "reason"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "status": {"enum": ["posted", "pending_approval"]},
                        "replayed": {"type": "boolean"},
                        "result": {
                            "type": "object",
                            "required": [
                                "membership_id",
                                "entry_id",
                                "kind",
                                "points",
                                "balance",
                                "available",
                            ],
                        },
                        "approval_id": {"type": "string"},
                        "rule": {"type": "string"},
                        "reason": {"type": "string"},
                        "expires_at": {"type": "string"},
                    },
                    "required": ["status"],
                },
                "annotations": {"destructiveHint": False, "idempotentHint": True},
            },
            {
                "name": "adjust_points",
                "title": "Adjust points",
                "description": "Correct a membership's points by a signed amount.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "membership_id": {
                            "type": "string",
                            "description": "membership id (get_member_summary)",
                        },
                        "points": {
                            "description": "signed correction, not zero",
                            "maximum": 1000000,
                            "minimum": -1000000,
                            "type": "integer",
                        },
                        "reason": {
                            "description": "no personal data",
                            "maxLength": 500,
                            "minLength": 3,
                            "type": "string",
                        },
                        "idempotency_key": {
                            "type": "string",
                            "description": "never posts twice; default: from arguments",
                        },
                    },
                    "required": ["membership_id", "points", "reason"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "status": {"enum": ["posted", "pending_approval"]},
                        "replayed": {"type": "boolean"},
                        "result": {
                            "type": "object",
                            "required": [
                                "membership_id",
                                "entry_id",
                                "kind",
                                "points",
                                "balance",
                                "available",
                            ],
                        },
                        "approval_id": {"type": "string"},
                        "rule": {"type": "string"},
                        "reason": {"type": "string"},
                        "expires_at": {"type": "string"},
                    },
                    "required": ["status"],
                },
                "annotations": {"destructiveHint": False, "idempotentHint": True},
            },
            {
                "name": "redeem_reward",
                "title": "Redeem reward",
                "description": "Redeem a reward at the day's price; the hotel gets a task and an order.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "membership_id": {
                            "type": "string",
                            "description": "membership id (get_member_summary)",
                        },
                        "reward_id": {"type": "string", "description": "from list_rewards"},
                        "on": {
                            "format": "date",
                            "type": "string",
                            "description": "default today",
                        },
                        "idempotency_key": {
                            "type": "string",
                            "description": "never posts twice; default: from arguments",
                        },
                    },
                    "required": ["membership_id", "reward_id"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "status": {"enum": ["posted", "pending_approval"]},
                        "replayed": {"type": "boolean"},
                        "result": {
                            "type": "object",
                            "required": [
                                "membership_id",
                                "entry_id",
                                "kind",
                                "points",
                                "balance",
                                "available",
                                "reward_id",
                                "reward_name",
                                "on",
                                "fulfilment",
                            ],
                        },
                        "approval_id": {"type": "string"},
                        "rule": {"type": "string"},
                        "reason": {"type": "string"},
                        "expires_at": {"type": "string"},
                    },
                    "required": ["status"],
                },
                "annotations": {"destructiveHint": False, "idempotentHint": True},
            },
            {
                "name": "reverse_points_entry",
                "title": "Reverse points entry",
                "description": "Undo one ledger entry exactly.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "membership_id": {
                            "type": "string",
                            "description": "membership id (get_member_summary)",
                        },
                        "entry_id": {
                            "description": "from get_points_history",
                            "type": "integer",
                            "minimum": 1,
                        },
                        "reason": {
                            "description": "no personal data",
                            "maxLength": 500,
                            "minLength": 3,
                            "type": "string",
                        },
                        "idempotency_key": {
                            "type": "string",
                            "description": "never posts twice; default: from arguments",
                        },
                    },
                    "required": ["membership_id", "entry_id", "reason"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "status": {"enum": ["posted", "pending_approval"]},
                        "replayed": {"type": "boolean"},
                        "result": {
                            "type": "object",
                            "required": [
                                "membership_id",
                                "entry_id",
                                "kind",
                                "points",
                                "balance",
                                "available",
                            ],
                        },
                        "approval_id": {"type": "string"},
                        "rule": {"type": "string"},
                        "reason": {"type": "string"},
                        "expires_at": {"type": "string"},
                    },
                    "required": ["status"],
                },
                "annotations": {"idempotentHint": True},
            },
            {
                "name": "draft_offer",
                "title": "Draft offer",
                "description": "Store an offer draft for staff to review. Sends nothing.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "customer_id": {
                            "type": "string",
                            "description": "guest's customer id (find_members)",
                        },
                        "membership_id": {
                            "type": "string",
                            "description": "membership id (get_member_summary)",
                        },
                        "reward_id": {
                            "type": "string",
                            "description": "offer a catalogue reward",
                        },
                        "bonus_points": {
                            "maximum": 1000000,
                            "type": "integer",
                            "description": "or offer bonus points",
                            "minimum": 1,
                        },
                        "valid_from": {
                            "format": "date",
                            "type": "string",
                            "description": "first valid day",
                        },
                        "valid_until": {
                            "format": "date",
                            "type": "string",
                            "description": "last valid day",
                        },
                        "channel": {
                            "enum": ["email", "sms", "phone", "in_person", "letter"],
                            "description": "how staff will send it",
                        },
                        "rationale": {
                            "maxLength": 1000,
                            "minLength": 10,
                            "type": "string",
                            "description": "why, for the reviewing staff",
                        },
                        "idempotency_key": {
                            "type": "string",
                            "description": "never posts twice; default: from arguments",
                        },
                    },
                    "required": [
                        "customer_id",
                        "valid_from",
                        "valid_until",
                        "channel",
                        "rationale",
                    ],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "status": {"enum": ["posted", "pending_approval"]},
                        "replayed": {"type": "boolean"},
                        "result": {
                            "type": "object",
                            "required": [
                                "offer_id",
                                "customer_id",
                                "valid_from",
                                "valid_until",
                                "channel",
                                "rationale",
                                "drafted_by",
                                "created_at",
                            ],
                        },
                        "approval_id": {"type": "string"},
                        "rule": {"type": "string"},
                        "reason": {"type": "string"},
                        "expires_at": {"type": "string"},
                    },
                    "required": ["status"],
                },
                "annotations": {
                    "destructiveHint": False,
                    "idempotentHint": True,
                    "openWorldHint": False,
                },
            },
            {
                "name": "list_offer_drafts",
                "title": "List offer drafts",
                "description": "Offer drafts, newest first, optionally for one customer.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "customer_id": {
                            "type": "string",
                            "description": "guest's customer id (find_members)",
                        },
                        "limit": {
                            "default": 20,
                            "maximum": 100,
                            "minimum": 1,
                            "type": "integer",
                            "description": "max items",
                        },
                    },
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "offers": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": [
                                    "offer_id",
                                    "customer_id",
                                    "valid_from",
                                    "valid_until",
                                    "channel",
                                    "rationale",
                                    "drafted_by",
                                    "created_at",
                                ],
                            },
                        }
                    },
                    "required": ["offers"],
                },
                "annotations": {"readOnlyHint": True, "openWorldHint": False},
            },
        ]
    )


async def test_the_member_toolset_listing_averages_at_most_975_bytes_per_tool(
    connect: Connect,
) -> None:
    """The reference filesystem server's density: what a model reads on every turn."""
    async with connect("carol", ("member",)) as client:
        listed = await client.list_tools()
    size = len(listed.model_dump_json(by_alias=True, exclude_none=True))
    assert size <= 975 * len(listed.tools), size / len(listed.tools)


async def test_every_tool_sends_its_title_and_describes_every_parameter(
    connect: Connect,
) -> None:
    async with connect("alice", ALL_TOOLSETS) as client:
        listed = await client.list_tools()
    assert listed.tools
    for tool in listed.tools:
        assert tool.title, tool.name
        for name, schema in _parameters(tool.input_schema):
            assert schema.get("description"), f"{tool.name}.{name} has no description"


def _parameters(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = list(schema.get("properties", {}).items())
    for shape in schema.get("$defs", {}).values():
        found.extend(shape.get("properties", {}).items())
    return found


async def test_output_schemas_type_every_field_and_list_the_required_ones(
    connect: Connect,
) -> None:
    async with connect("alice", ALL_TOOLSETS) as client:
        listed = await client.list_tools()
    for tool in listed.tools:
        schema = tool.output_schema
        assert schema is not None, tool.name
        assert schema.get("required"), f"{tool.name}: {{}} would validate"
        for name, field in schema["properties"].items():
            assert _typed(field), (tool.name, name)
            if field.get("type") == "array":
                assert _typed(field["items"]), (tool.name, name)


def _typed(field: dict[str, Any]) -> bool:
    return any(key in field for key in ("type", "enum", "const", "anyOf", "$ref"))


async def test_outside_the_member_toolset_output_schemas_are_typed_at_every_depth(
    connect: Connect,
) -> None:
    """Below the first level every object lists its properties (shared shapes as `$defs`);
    the `member` toolset stays dense, within its byte budget."""
    async with connect("alice", ALL_TOOLSETS) as client:
        listed = await client.list_tools()
    member = {t.name for t in ALL_TOOLS if t.toolset in DENSE_TOOLSETS}
    nested = [tool for tool in listed.tools if tool.name not in member]
    assert nested
    deep = 0
    for tool in nested:
        schema = tool.output_schema or {}
        defs = schema.get("$defs", {})
        for path, node in _nodes(schema, defs, tool.name):
            assert _typed(node), path
            if node.get("type") == "object" or "properties" in node:
                assert "properties" in node or "additionalProperties" in node, path
            deep += path.count("/") > 2
    assert deep, "some result has objects below its first level"


def _nodes(
    schema: dict[str, Any], defs: dict[str, Any], path: str, seen: frozenset[str] = frozenset()
) -> list[tuple[str, dict[str, Any]]]:
    """Every subschema with its path, `$ref`s followed once per branch."""
    found = [(path, schema)]
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        assert name in defs, f"{path}: {ref} is not defined"
        if name not in seen:
            found += _nodes(defs[name], defs, f"{path}/{name}", seen | {name})
        return found
    for name, sub in schema.get("properties", {}).items():
        found += _nodes(sub, defs, f"{path}/{name}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found += _nodes(schema[key], defs, f"{path}/{key}", seen)
    for option in schema.get("anyOf", ()):
        found += _nodes(option, defs, f"{path}/anyOf", seen)
    return found


async def test_a_result_shape_is_a_def_only_when_shared_or_recursive(connect: Connect) -> None:
    """A `$defs` entry costs its name twice (key and reference): one used once is inlined."""
    async with connect("alice", ALL_TOOLSETS) as client:
        listed = await client.list_tools()
    shared = 0
    for tool in listed.tools:
        schema = tool.output_schema or {}
        text = json.dumps(schema)
        for name, shape in schema.get("$defs", {}).items():
            uses = text.count(f'"#/$defs/{name}"')
            recursive = f'"#/$defs/{name}"' in json.dumps(shape)
            assert uses >= 2 or recursive, (tool.name, name, uses)
            shared += 1
    assert shared, "some result shares a shape"
