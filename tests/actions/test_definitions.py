"""Every guarded write is one definition: its MCP tool, its guard action and the eval's write
detection all come from it."""

from __future__ import annotations

from evals.policy_checks import WRITE_ACTIONS, is_write_action
from tools.actions import GUARDED_WRITES
from tools.server.app import ALL_TOOLS

TOOLS = {tool.name: tool for tool in ALL_TOOLS}


def test_each_write_has_its_tool_with_the_writes_own_schema_and_hints() -> None:
    for write in GUARDED_WRITES:
        tool = TOOLS[write.name]
        assert tool.read_only is False
        assert (tool.title, tool.needs) == (write.title, write.needs)
        assert (tool.destructive, tool.open_world) == (write.destructive, write.open_world)
        if write.name != "update_loyalty_memberships":  # its tool adds a points value
            assert tool.args is write.input
            assert tool.description == write.description


def test_the_eval_tells_writes_by_the_read_only_annotation() -> None:
    assert {w.name for w in GUARDED_WRITES} <= WRITE_ACTIONS
    assert {name for name, tool in TOOLS.items() if not tool.read_only} == WRITE_ACTIONS
    assert is_write_action("decide_approval")
    assert is_write_action("renew_loyalty_membership")
    assert not is_write_action("suggest_upsell")  # a read: it writes nothing
    assert not is_write_action("find_members")
    assert not is_write_action("set_points_balance")  # no such tool
