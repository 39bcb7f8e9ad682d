"""What a `loyalty` command imports, seen in a child process's `sys.modules` (the tests' own
process has imported everything already)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

_CHILD = """
import atexit, json, sys
watched = json.loads(sys.argv[1])
def loaded():
    found = [m for m in watched if any(n == m or n.startswith(m + ".") for n in sys.modules)]
    sys.stderr.write("LOADED " + json.dumps(found) + "\\n")
atexit.register(loaded)
sys.argv = ["loyalty", *json.loads(sys.argv[2])]
from app.cli import main
main()
"""


def loyalty_command(argv: Sequence[str], watched: Sequence[str]) -> list[str]:
    """The command line of a child running `loyalty ARGV` that, as it exits, writes which of
    the `watched` modules (or their submodules) it imported to stderr (see `loaded_modules`)."""
    return [sys.executable, "-c", _CHILD, json.dumps(list(watched)), json.dumps(list(argv))]


def loaded_modules(stderr: str) -> list[str]:
    """The watched modules the child reported in its `stderr`."""
    marker = next(line for line in stderr.splitlines() if line.startswith("LOADED "))
    found: list[str] = json.loads(marker.removeprefix("LOADED "))
    return found
