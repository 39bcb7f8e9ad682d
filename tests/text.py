"""Checks on printed text (command output, rendered prompts)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["assert_contains"]


def assert_contains(text: str, fragments: Iterable[str]) -> None:
    """Fail unless `text` contains every fragment, naming all the absent ones at once (a run of
    `assert fragment in text` stops at the first)."""
    absent = [fragment for fragment in fragments if fragment not in text]
    assert not absent, f"absent from the text: {absent}\n--- text ---\n{text}"
