"""Decide whether a tool's input schema can be offered to the model in strict mode.

Strict function calling makes the provider constrain the generated arguments to the schema,
which removes a whole class of malformed calls, but it accepts only a subset of JSON Schema
and requires that every object lists all its properties as required and forbids others.
We never rewrite a schema to fit (making an optional field required would change what the
tool means); we only add `additionalProperties: false` where it is absent, which forbids
keys the tool would ignore anyway. Anything else outside the subset is sent non-strict, as is.
"""

from __future__ import annotations

import copy
from typing import Any

from agent.models.types import JsonObject

_ALLOWED_KEYWORDS = frozenset(
    {
        # structure
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "anyOf",
        "enum",
        "const",
        "$ref",
        "$defs",
        "definitions",
        # annotations
        "title",
        "description",
        # constraints the strict subset supports
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    }
)


def strict_parameters(schema: JsonObject) -> JsonObject | None:
    """A strict-mode copy of `schema`, or `None` when the schema does not allow strict mode.

    Allowed: the root is an object; every object (at any depth, in `$defs` too) has
    `properties`, lists all of them in `required`, and has `additionalProperties` false or
    absent; only keywords of the strict subset appear (no `default`, `allOf`, `oneOf`,
    `minLength`, `patternProperties`, ...); a `$ref` stands alone.
    """
    if schema.get("type") != "object":
        return None
    strict = copy.deepcopy(schema)
    return strict if _make_strict(strict) else None


def _make_strict(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    if not set(node) <= _ALLOWED_KEYWORDS:
        return False
    if "$ref" in node:
        return len(node) == 1  # the strict subset rejects siblings of $ref
    if _is_object(node) and not _close_object(node):
        return False
    return all(_make_strict(child) for child in _children(node))


def _is_object(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    return kind == "object" or (isinstance(kind, list) and "object" in kind) or "properties" in node


def _close_object(node: dict[str, Any]) -> bool:
    properties = node.get("properties")
    if not isinstance(properties, dict):
        return False  # a free-form object: nothing to constrain the model to
    if set(node.get("required", ())) != set(properties):
        return False
    if node.get("additionalProperties", False) is not False:
        return False
    node["additionalProperties"] = False
    return True


def _children(node: dict[str, Any]) -> list[Any]:
    children: list[Any] = []
    for key in ("properties", "$defs", "definitions"):
        value = node.get(key, {})
        # A malformed container is passed on as a child, which then fails the check.
        children.extend(value.values() if isinstance(value, dict) else [value])
    if "items" in node:
        children.append(node["items"])
    variants = node.get("anyOf", [])
    children.extend(variants if isinstance(variants, list) else [variants])
    return children
