"""The small shared helpers of the storage base: stored times and statement-sized slices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from storage.clock import naive_utc
from storage.store import chunks


def test_stored_times_are_naive_utc() -> None:
    prague = timezone(timedelta(hours=1))
    assert naive_utc(datetime(2026, 3, 16, 10, 30, tzinfo=prague)) == datetime(2026, 3, 16, 9, 30)
    assert naive_utc(datetime(2026, 3, 16, 9, 30, tzinfo=UTC)) == datetime(2026, 3, 16, 9, 30)
    assert naive_utc(datetime(2026, 3, 16, 9, 30)) == datetime(2026, 3, 16, 9, 30)


def test_chunks_slice_in_order_and_nothing_gives_no_slice() -> None:
    assert list(chunks([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(chunks([], 500)) == []
