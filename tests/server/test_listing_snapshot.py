# ruff: noqa: E501  (the snapshot keeps the descriptions as clients receive them)
"""The `member` toolset's `tools/list`, as a client sees it: schema growth shows up in review."""

from __future__ import annotations

import pytest
from inline_snapshot import snapshot

from tests.server.conftest import Connect

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
                "description": "The chain's loyalty programs (tiers, qualification, expiry), the policy mode and who you are.",
                "inputSchema": {"type": "object", "additionalProperties": False, "properties": {}},
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "chain_id": {"type": "string"},
                        "mode": {"type": "string"},
                        "you": {"type": "string"},
                        "programs": {"type": "array"},
                    },
                },
                "annotations": {"readOnlyHint": True},
            },
            {
                "name": "find_members",
                "description": "Find guests; if several match, ask which one is meant.",
                "inputSchema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "query": {
                            "description": "name, e-mail, membership number or id",
                            "maxLength": 100,
                            "minLength": 2,
                            "type": "string",
                        },
                        "limit": {"default": 10, "maximum": 25, "minimum": 1, "type": "integer"},
                    },
                    "required": ["query"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "candidates": {"type": "array"},
                        "ambiguous": {"type": "boolean"},
                    },
                },
                "annotations": {"readOnlyHint": True},
            },
            {
                "name": "get_member_summary",
                "description": "A member's memberships, tier, points, expiry, stays, nights and spend.",
                "inputSchema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "customer_id": {"pattern": "^[0-9a-fA-F-]{36}$", "type": "string"}
                    },
                    "required": ["customer_id"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "customer_id": {"type": "string"},
                        "display_name": {"type": "string"},
                        "email_on_file": {"type": "boolean"},
                        "memberships": {"type": "array"},
                        "stays": {"type": "integer"},
                        "nights": {"type": "integer"},
                        "first_stay": {"type": ["string", "null"]},
                        "last_stay": {"type": ["string", "null"]},
                        "upcoming_stays": {"type": "integer"},
                        "spend_by_currency": {"type": "object"},
                        "inputs": {"type": "object"},
                        "reasoning": {"type": "string"},
                    },
                },
                "annotations": {"readOnlyHint": True},
            },
            {
                "name": "get_points_history",
                "description": "Ledger entries, newest first, with the balance after each.",
                "inputSchema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "membership_id": {"pattern": "^[0-9a-fA-F-]{36}$", "type": "string"},
                        "limit": {"default": 20, "maximum": 100, "minimum": 1, "type": "integer"},
                        "before_sequence": {"minimum": 1, "type": ["integer", "null"]},
                    },
                    "required": ["membership_id"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "membership_id": {"type": "string"},
                        "entries": {"type": "array"},
                        "next_before_sequence": {"type": ["integer", "null"]},
                        "note": {"type": "string"},
                    },
                },
                "annotations": {"readOnlyHint": True, "openWorldHint": False},
            },
            {
                "name": "get_tier_progress",
                "description": "What a member needs for the next tier; whether a downgrade is due.",
                "inputSchema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "customer_id": {"pattern": "^[0-9a-fA-F-]{36}$", "type": "string"},
                        "program_code": {"maxLength": 50, "type": ["string", "null"]},
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
                        "window_months": {"type": "integer"},
                        "value": {"type": "integer"},
                        "current_tier": {"type": ["string", "null"]},
                        "qualified_tier": {"type": ["string", "null"]},
                        "next_tier": {"type": ["string", "null"]},
                        "next_threshold": {"type": ["integer", "null"]},
                        "needed_for_next": {"type": ["integer", "null"]},
                        "progress_percent": {"type": ["string", "null"]},
                        "downgrade_due": {"type": "boolean"},
                        "downgrade_to": {"type": ["string", "null"]},
                        "grace_until": {"type": ["string", "null"]},
                        "inputs": {"type": "object"},
                        "reasoning": {"type": "string"},
                    },
                },
                "annotations": {"readOnlyHint": True},
            },
            {
                "name": "recommend_rewards",
                "description": "Rewards the member can redeem at today's price, best fit first, with reasons.",
                "inputSchema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "customer_id": {"pattern": "^[0-9a-fA-F-]{36}$", "type": "string"},
                        "program_code": {"maxLength": 50, "type": ["string", "null"]},
                        "on": {
                            "format": "date",
                            "type": ["string", "null"],
                            "description": "default today",
                        },
                        "limit": {"default": 5, "maximum": 10, "minimum": 1, "type": "integer"},
                    },
                    "required": ["customer_id"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "customer_id": {"type": "string"},
                        "program_code": {"type": "string"},
                        "on": {"type": "string"},
                        "recommended": {"type": "array"},
                        "not_eligible": {"type": "array"},
                        "inputs": {"type": "object"},
                        "reasoning": {"type": "string"},
                    },
                },
                "annotations": {"readOnlyHint": True},
            },
            {
                "name": "find_member_segment",
                "description": "Members lapsing, near the next tier, or high spenders with no recent redemption.",
                "inputSchema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "segment": {
                            "enum": ["lapsing", "near_next_tier", "high_spend_no_redemption"],
                            "type": "string",
                        },
                        "program_code": {"maxLength": 50, "type": ["string", "null"]},
                        "limit": {"default": 25, "maximum": 100, "minimum": 1, "type": "integer"},
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
                        "members": {"type": "array"},
                        "inputs": {"type": "object"},
                        "reasoning": {"type": "string"},
                    },
                },
                "annotations": {"readOnlyHint": True},
            },
            {
                "name": "list_rewards",
                "description": "The rewards catalogue of a program, optionally for a tier or category.",
                "inputSchema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "program_code": {"maxLength": 50, "type": ["string", "null"]},
                        "tier_code": {"maxLength": 50, "minLength": 1, "type": ["string", "null"]},
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
                            "type": ["string", "null"],
                        },
                    },
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "program_code": {"type": "string"},
                        "rewards": {"type": "array"},
                    },
                },
                "annotations": {"readOnlyHint": True, "openWorldHint": False},
            },
            {
                "name": "quote_points",
                "description": "Price a reward on a day, or value a stay bonus for a member. Writes nothing.",
                "inputSchema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "kind": {
                            "description": "redemption: a reward's price; bonus: a stay bonus",
                            "enum": ["redemption", "bonus"],
                            "type": "string",
                        },
                        "program_code": {"maxLength": 50, "type": ["string", "null"]},
                        "reward_id": {
                            "maxLength": 64,
                            "minLength": 1,
                            "type": ["string", "null"],
                            "description": "for redemption",
                        },
                        "on": {
                            "format": "date",
                            "type": ["string", "null"],
                            "description": "default today",
                        },
                        "customer_id": {
                            "pattern": "^[0-9a-fA-F-]{36}$",
                            "type": ["string", "null"],
                            "description": "for bonus",
                        },
                        "base_points": {
                            "maximum": 1000000,
                            "minimum": 0,
                            "type": ["integer", "null"],
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
                },
                "annotations": {"readOnlyHint": True},
            },
            {
                "name": "award_points",
                "description": "Add points to a membership: posted, pending_approval (do not retry) or denied.",
                "inputSchema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "membership_id": {"pattern": "^[0-9a-fA-F-]{36}$", "type": "string"},
                        "points": {"exclusiveMinimum": 0, "maximum": 1000000, "type": "integer"},
                        "reason": {
                            "description": "no personal data",
                            "maxLength": 500,
                            "minLength": 3,
                            "type": "string",
                        },
                        "goodwill": {"default": False, "type": "boolean"},
                        "idempotency_key": {
                            "maxLength": 200,
                            "minLength": 1,
                            "type": ["string", "null"],
                        },
                    },
                    "required": ["membership_id", "points", "reason"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "status": {"enum": ["posted", "pending_approval"]},
                        "result": {"type": ["object", "null"]},
                        "approval_id": {"type": ["string", "null"]},
                        "rule": {"type": ["string", "null"]},
                        "reason": {"type": ["string", "null"]},
                        "expires_at": {"type": ["string", "null"]},
                    },
                },
                "annotations": {
                    "destructiveHint": False,
                    "idempotentHint": True,
                    "openWorldHint": False,
                },
            },
            {
                "name": "adjust_points",
                "description": "Correct a membership's points by a signed amount.",
                "inputSchema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "membership_id": {"pattern": "^[0-9a-fA-F-]{36}$", "type": "string"},
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
                            "maxLength": 200,
                            "minLength": 1,
                            "type": ["string", "null"],
                        },
                    },
                    "required": ["membership_id", "points", "reason"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "status": {"enum": ["posted", "pending_approval"]},
                        "result": {"type": ["object", "null"]},
                        "approval_id": {"type": ["string", "null"]},
                        "rule": {"type": ["string", "null"]},
                        "reason": {"type": ["string", "null"]},
                        "expires_at": {"type": ["string", "null"]},
                    },
                },
                "annotations": {
                    "destructiveHint": False,
                    "idempotentHint": True,
                    "openWorldHint": False,
                },
            },
            {
                "name": "redeem_reward",
                "description": "Redeem a reward at the day's price; the hotel gets a task to fulfil it.",
                "inputSchema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "membership_id": {"pattern": "^[0-9a-fA-F-]{36}$", "type": "string"},
                        "reward_id": {"maxLength": 64, "minLength": 1, "type": "string"},
                        "on": {
                            "format": "date",
                            "type": ["string", "null"],
                            "description": "default today",
                        },
                        "idempotency_key": {
                            "maxLength": 200,
                            "minLength": 1,
                            "type": ["string", "null"],
                        },
                    },
                    "required": ["membership_id", "reward_id"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "status": {"enum": ["posted", "pending_approval"]},
                        "result": {"type": ["object", "null"]},
                        "approval_id": {"type": ["string", "null"]},
                        "rule": {"type": ["string", "null"]},
                        "reason": {"type": ["string", "null"]},
                        "expires_at": {"type": ["string", "null"]},
                    },
                },
                "annotations": {
                    "destructiveHint": False,
                    "idempotentHint": True,
                    "openWorldHint": False,
                },
            },
            {
                "name": "reverse_points_entry",
                "description": "Undo one ledger entry (from get_points_history) exactly.",
                "inputSchema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "membership_id": {"pattern": "^[0-9a-fA-F-]{36}$", "type": "string"},
                        "entry_id": {
                            "description": "from get_points_history",
                            "exclusiveMinimum": 0,
                            "type": "integer",
                        },
                        "reason": {
                            "description": "no personal data",
                            "maxLength": 500,
                            "minLength": 3,
                            "type": "string",
                        },
                        "idempotency_key": {
                            "maxLength": 200,
                            "minLength": 1,
                            "type": ["string", "null"],
                        },
                    },
                    "required": ["membership_id", "entry_id", "reason"],
                },
                "outputSchema": {
                    "type": "object",
                    "properties": {
                        "status": {"enum": ["posted", "pending_approval"]},
                        "result": {"type": ["object", "null"]},
                        "approval_id": {"type": ["string", "null"]},
                        "rule": {"type": ["string", "null"]},
                        "reason": {"type": ["string", "null"]},
                        "expires_at": {"type": ["string", "null"]},
                    },
                },
                "annotations": {"idempotentHint": True, "openWorldHint": False},
            },
            {
                "name": "draft_offer",
                "description": "Store an offer draft for staff to review. Sends nothing.",
                "inputSchema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "customer_id": {"pattern": "^[0-9a-fA-F-]{36}$", "type": "string"},
                        "membership_id": {
                            "pattern": "^[0-9a-fA-F-]{36}$",
                            "type": ["string", "null"],
                        },
                        "reward_id": {
                            "maxLength": 64,
                            "minLength": 1,
                            "type": ["string", "null"],
                            "description": "offer a catalogue reward",
                        },
                        "bonus_points": {
                            "exclusiveMinimum": 0,
                            "maximum": 1000000,
                            "type": ["integer", "null"],
                            "description": "or offer bonus points",
                        },
                        "valid_from": {"format": "date", "type": "string"},
                        "valid_until": {"format": "date", "type": "string"},
                        "channel": {
                            "enum": ["email", "sms", "phone", "in_person", "letter"],
                            "type": "string",
                        },
                        "rationale": {"maxLength": 1000, "minLength": 10, "type": "string"},
                        "idempotency_key": {
                            "maxLength": 200,
                            "minLength": 1,
                            "type": ["string", "null"],
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
                        "result": {"type": ["object", "null"]},
                        "approval_id": {"type": ["string", "null"]},
                        "rule": {"type": ["string", "null"]},
                        "reason": {"type": ["string", "null"]},
                        "expires_at": {"type": ["string", "null"]},
                    },
                },
                "annotations": {
                    "destructiveHint": False,
                    "idempotentHint": True,
                    "openWorldHint": False,
                },
            },
            {
                "name": "list_offer_drafts",
                "description": "Offer drafts, newest first, optionally for one customer.",
                "inputSchema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "customer_id": {
                            "pattern": "^[0-9a-fA-F-]{36}$",
                            "type": ["string", "null"],
                        },
                        "limit": {"default": 20, "maximum": 100, "minimum": 1, "type": "integer"},
                    },
                },
                "outputSchema": {"type": "object", "properties": {"offers": {"type": "array"}}},
                "annotations": {"readOnlyHint": True, "openWorldHint": False},
            },
        ]
    )


async def test_the_member_toolset_listing_stays_under_12_kb(connect: Connect) -> None:
    async with connect("carol", ("member",)) as client:
        listed = await client.list_tools()
    assert len(listed.model_dump_json(by_alias=True, exclude_none=True)) < 12_000
