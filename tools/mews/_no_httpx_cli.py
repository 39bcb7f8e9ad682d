"""`import httpx` also imports its command line (`httpx._main`: click, rich, pygments), which a
server never runs: a stand-in keeps it out until someone calls `httpx.main` (cold start of
`loyalty serve`, spawned by desktop apps for every session). Imported before httpx."""

from __future__ import annotations

import sys
import types

__all__: list[str] = []


def _install() -> None:
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    stand_in = types.ModuleType("httpx._main")

    def main(*args: object, **kwargs: object) -> object:
        del sys.modules["httpx._main"]
        from httpx._main import main as real_main

        return real_main(*args, **kwargs)

    stand_in.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = stand_in


_install()
