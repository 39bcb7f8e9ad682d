"""When a tool's input schema is offered to the model in strict mode."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from agent.strict_schema import strict_parameters


def obj(
    properties: dict[str, Any], required: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, **extra}
    schema["required"] = list(properties) if required is None else required
    return schema


STRING = {"type": "string"}


def test_all_required_properties_get_additional_properties_false() -> None:
    schema = obj(
        {"member": STRING, "points": {"type": "integer", "minimum": 1}}, title="awardArguments"
    )

    strict = strict_parameters(schema)

    assert strict == {**schema, "additionalProperties": False}
    assert "additionalProperties" not in schema  # the input is not modified


def test_a_tool_without_parameters_is_strict() -> None:
    assert strict_parameters(obj({})) == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }


def test_nested_objects_arrays_unions_and_refs_are_checked_all_the_way_down() -> None:
    schema = obj(
        {
            "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}, "maxItems": 10},
            "channel": {"anyOf": [{"type": "string", "enum": ["email", "sms"]}, {"type": "null"}]},
        }
    )
    schema["$defs"] = {"Line": obj({"text": STRING, "points": {"type": "integer"}})}

    strict = strict_parameters(schema)

    assert strict is not None
    assert strict["additionalProperties"] is False
    assert strict["$defs"]["Line"]["additionalProperties"] is False


@pytest.mark.parametrize(
    ("case", "schema"),
    [
        ("an optional property", obj({"member": STRING, "note": STRING}, required=["member"])),
        ("a default", obj({"points": {"type": "integer", "default": 10}})),
        ("extra properties allowed", obj({"member": STRING}, additionalProperties=True)),
        ("a schema for extra properties", obj({"member": STRING}, additionalProperties=STRING)),
        ("a free-form object", obj({"filters": {"type": "object", "additionalProperties": True}})),
        ("an object without properties", obj({"filters": {"type": "object"}})),
        ("an unsupported keyword", obj({"member": {"type": "string", "minLength": 1}})),
        ("allOf", obj({"member": {"allOf": [STRING]}})),
        ("a $ref with siblings", obj({"line": {"$ref": "#/$defs/L", "description": "x"}})),
        (
            "an optional nested property",
            obj({"line": obj({"a": STRING, "b": STRING}, required=["a"])}),
        ),
        ("a non-object root", {"type": "array", "items": STRING}),
        ("tuple items", obj({"pair": {"type": "array", "items": [STRING, STRING]}})),
    ],
)
def test_schemas_outside_the_strict_subset_stay_non_strict(
    case: str, schema: dict[str, Any]
) -> None:
    before = copy.deepcopy(schema)

    assert strict_parameters(schema) is None, case
    assert schema == before
