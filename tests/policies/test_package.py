"""The package's shape: imports flow one way, and `__all__` lists what exists, sorted."""

from __future__ import annotations

import ast
from pathlib import Path

import policies

PACKAGE = Path(policies.__file__).parent
FORBIDDEN = ("tools", "agent", "prompts")


def _isort_style(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then Classes, then functions."""
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_policy_layer_imports_nothing_from_tools_agent_or_prompts() -> None:
    offenders = {
        f"{path.name}: {name}"
        for path in PACKAGE.glob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert offenders == set()


def test_the_package_exports_a_sorted_all_of_names_it_has() -> None:
    assert list(policies.__all__) == sorted(policies.__all__, key=_isort_style)
    assert len(set(policies.__all__)) == len(policies.__all__)
    assert all(hasattr(policies, name) for name in policies.__all__)


def test_the_default_policy_file_ships_with_the_package() -> None:
    assert (PACKAGE / "default_policy.toml").is_file()
