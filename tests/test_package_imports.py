"""The product's top-level packages import each other in one direction only: no cycle, counting
every import (inside functions and `TYPE_CHECKING` blocks too), and nothing imports `app`, the
composition root."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_PRODUCT = {"tests", "bench"}
PACKAGES = sorted(
    path.parent.name for path in ROOT.glob("*/__init__.py") if path.parent.name not in NOT_PRODUCT
)


def _imported(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module.partition(".")[0]


def package_graph() -> dict[str, set[str]]:
    """Each package and the other packages of ours it imports."""
    graph: dict[str, set[str]] = {}
    for package in PACKAGES:
        used: set[str] = set()
        for source in (ROOT / package).rglob("*.py"):
            used.update(_imported(ast.parse(source.read_text(encoding="utf-8"))))
        graph[package] = (used & set(PACKAGES)) - {package}
    return graph


def test_the_product_is_split_into_packages() -> None:
    assert {"agent", "app", "evals", "policies", "prompts", "storage", "tools", "web"} <= set(
        PACKAGES
    )


def test_no_two_packages_import_each_other_even_through_others() -> None:
    try:
        TopologicalSorter(package_graph()).prepare()
    except CycleError as exc:
        raise AssertionError(f"import cycle between packages: {exc.args[1]}") from None


def test_no_package_imports_the_composition_root() -> None:
    importers = {name for name, uses in package_graph().items() if "app" in uses}
    assert importers == set()
