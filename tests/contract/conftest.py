"""Where the documented Mews examples live: `../shared/mews/examples` beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest


def examples_dir() -> Path:
    """`<parent of the repo>/shared/mews/examples` (tests/contract/conftest.py → 3 levels up)."""
    return Path(__file__).parents[3] / "shared" / "mews" / "examples"


@pytest.fixture(scope="session")
def mews_examples_dir() -> Path:
    folder = examples_dir()
    if not folder.is_dir():
        pytest.skip(
            f"the documented Mews examples are missing: expected {folder} "
            "(the shared material is checked out beside the repository as ../shared)"
        )
    return folder
