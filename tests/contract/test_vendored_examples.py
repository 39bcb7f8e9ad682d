"""The vendored copy of the documented examples is the shared one, file for file."""

from __future__ import annotations

import pytest

from tests.contract.conftest import VENDORED, shared_examples_dir


def test_the_vendored_examples_match_the_shared_ones() -> None:
    shared = shared_examples_dir()
    if not shared.is_dir():
        pytest.skip(f"{shared} is not checked out beside the repository; nothing to compare")
    ours = {
        str(p.relative_to(VENDORED)): p.read_bytes() for p in VENDORED.rglob("*") if p.is_file()
    }
    theirs = {str(p.relative_to(shared)): p.read_bytes() for p in shared.rglob("*") if p.is_file()}
    assert sorted(ours) == sorted(theirs)
    changed = [name for name in ours if ours[name] != theirs[name]]
    assert not changed, f"copy {shared} into {VENDORED} again: {changed} changed"
