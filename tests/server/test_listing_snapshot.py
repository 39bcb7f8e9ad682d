"""The `member` toolset's `tools/list`, as a client sees it: schema growth shows up in review."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.server.clients import Connect
from tools.server import ALL_TOOLS
from tools.server.app import SERVER_TOOLSETS as ALL_TOOLSETS
from tools.server.tooling import DENSE_TOOLSETS

pytestmark = pytest.mark.anyio


LISTING = Path(__file__).with_name("member_listing.json")


async def test_the_member_toolset_listing(connect: Connect) -> None:
    """The listing is kept as pretty JSON in `member_listing.json`; any difference fails.
    After an intended change, run this file with `LOYALTY_UPDATE_LISTING=1`: it rewrites the
    JSON and fails once more; review the file's diff, then run again without the variable."""
    async with connect("carol", ("member",)) as client:
        listed = await client.list_tools()
    tools = [
        tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in listed.tools
    ]
    kept = json.loads(LISTING.read_text(encoding="utf-8"))
    if tools != kept and os.environ.get("LOYALTY_UPDATE_LISTING") == "1":
        LISTING.write_text(json.dumps(tools, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        pytest.fail(f"{LISTING.name} rewritten: review its diff, then run without the variable")
    assert tools == kept


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
