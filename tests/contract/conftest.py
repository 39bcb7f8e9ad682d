"""The documented Mews examples: a copy in `tests/contract/mews_examples/` (CI has no `../shared`).

The copy is taken verbatim from `../shared/mews/examples`; `test_vendored_examples.py` fails when
the shared folder is present and has moved on, so the copy cannot silently go stale.
"""

from __future__ import annotations

from pathlib import Path

import pytest

VENDORED = Path(__file__).parent / "mews_examples"


def shared_examples_dir() -> Path:
    """`<parent of the repo>/shared/mews/examples` (tests/contract/conftest.py → 3 levels up)."""
    return Path(__file__).parents[3] / "shared" / "mews" / "examples"


def examples_dir() -> Path:
    return VENDORED


@pytest.fixture(scope="session")
def mews_examples_dir() -> Path:
    assert any(VENDORED.glob("*.json")), f"no documented examples in {VENDORED}"
    return VENDORED
