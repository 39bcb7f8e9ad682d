"""Which of the project's modules one `award_points` call runs through, and the longest functions.

One award goes through the MCP server in memory (the SDK's in-memory client, as `carol`) against
the embedded sandbox and a fresh SQLite file, after a warm-up award (so first-use imports and
caches do not count). A profile hook records every project function that runs during the
second call; the modules are listed by package. The embedded sandbox stands in for Mews, so it
is counted apart.

    python -m bench.write_path            # modules on the path, then the 10 longest functions

Issue #14 asked for this count before and after the write-path redesign (30 modules in 6
packages before it, on commit e5127de, counted the same way).
"""

from __future__ import annotations

import ast
import asyncio
import sys
import tempfile
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agent", "app", "evals", "policies", "prompts", "storage", "tools", "web")


def _module(filename: str) -> str | None:
    path = Path(filename)
    try:
        rel = path.resolve().relative_to(ROOT)
    except ValueError:
        return None
    if rel.parts[0] not in PACKAGES:
        return None
    return ".".join(rel.with_suffix("").parts)


async def _award_path() -> set[str]:
    from mcp import Client

    from tools.runtime import LoyaltyRuntime
    from tools.sandbox import Sandbox
    from tools.server import create_server

    seen: set[str] = set()

    def profile(frame: Any, event: str, _arg: Any) -> None:
        if event == "call":
            name = _module(frame.f_code.co_filename)
            if name:
                seen.add(name)

    with tempfile.TemporaryDirectory() as tmp:
        runtime = await LoyaltyRuntime.open(
            database_url=f"sqlite:///{Path(tmp) / 'path.db'}", sandbox=Sandbox.seeded()
        )
        async with runtime:
            ids = []
            async for membership in runtime.mews.loyalty_memberships.get_all():
                if str(membership.state) in {"Enrolled", "New"}:
                    ids.append(membership.id)
                if len(ids) == 2:
                    break
            server = create_server(runtime, principal="carol", toolsets=("member",))
            async with Client(server) as client:
                for number, membership_id in enumerate(ids):
                    if number == 1:
                        sys.setprofile(profile)
                        threading.setprofile(profile)
                    result = await client.call_tool(
                        "award_points",
                        {"membership_id": membership_id, "points": 5, "reason": "path"},
                    )
                    sys.setprofile(None)
                    threading.setprofile(None)
                    assert not result.is_error, result
    return seen


def _longest(count: int) -> list[tuple[int, str]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    found.append((length, f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"))
    return sorted(found, reverse=True)[:count]


def main() -> int:
    seen = asyncio.run(_award_path())
    by_package: dict[str, list[str]] = defaultdict(list)
    for name in sorted(seen):
        parts = name.split(".")
        package = ".".join(parts[:2]) if parts[0] == "tools" else parts[0]
        by_package[package].append(name)
    own = {p: m for p, m in by_package.items() if p != "tools.sandbox"}
    total = sum(len(m) for m in own.values())
    print(f"award_points runs through {total} modules in {len(own)} packages (sandbox apart):")
    for package, modules in sorted(by_package.items()):
        names = ", ".join(m.removeprefix(package + ".") for m in modules)
        print(f"  {package:<16} {len(modules):3d}  {names}")
    print("longest functions (lines):")
    for length, where in _longest(10):
        print(f"  {length:4d}  {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
