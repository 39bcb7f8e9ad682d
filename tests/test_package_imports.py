"""The product's top-level packages import each other in one direction only: no cycle, counting
every import (inside functions and `TYPE_CHECKING` blocks too), and nothing imports `app`, the
composition root. A package's `__init__` exports what other packages import from it, no more."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from functools import cache
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_PRODUCT = {"tests", "bench"}
PACKAGES = sorted(
    path.parent.name for path in ROOT.glob("*/__init__.py") if path.parent.name not in NOT_PRODUCT
)


NARROWED = ("policies", "tools.actions", "tools.loyalty", "tools.mews")
"""Packages whose `__all__` is exactly their public surface (httpx's `__init__` is the model)."""


@cache
def _sources() -> tuple[tuple[str, str, ast.AST], ...]:
    """(package, path relative to the root, syntax tree) of every module of the product."""
    return tuple(
        (package, source.relative_to(ROOT).as_posix(), ast.parse(source.read_text("utf-8")))
        for package in PACKAGES
        for source in (ROOT / package).rglob("*.py")
    )


def _imported(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module.partition(".")[0]


def package_graph() -> dict[str, set[str]]:
    """Each package and the other packages of ours it imports."""
    graph: dict[str, set[str]] = {package: set() for package in PACKAGES}
    for package, _path, tree in _sources():
        graph[package].update(_imported(tree))
    return {package: (used & set(PACKAGES)) - {package} for package, used in graph.items()}


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


def _names_imported_from(package: str) -> set[str]:
    """Names other product packages import with `from PACKAGE import ...`."""
    own = package.replace(".", "/")
    names: set[str] = set()
    for _package, path, tree in _sources():
        if path.startswith(own + "/"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == package and not node.level:
                names.update(alias.name for alias in node.names)
    return names


def test_a_package_exports_only_what_other_packages_import() -> None:
    unused = {
        package: sorted(
            set(importlib.import_module(package).__all__) - _names_imported_from(package)
        )
        for package in NARROWED
    }
    assert unused == {package: [] for package in NARROWED}
