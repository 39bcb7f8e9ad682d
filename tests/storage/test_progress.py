"""Counted progress: the work reports n of total to whoever counts, and costs nothing otherwise."""

from __future__ import annotations

from storage.progress import STEPS_SHOWN, counted, counting, step


def test_counted_reports_from_none_to_all_of_the_items() -> None:
    seen: list[tuple[int, int | None, str]] = []
    with counting(lambda done, total, what: seen.append((done, total, what))):
        taken = list(counted(["a", "b", "c"], "letters read"))
    assert taken == ["a", "b", "c"]
    assert seen == [(0, 3, "letters read"), (1, 3, "letters read"), (2, 3, "letters read"),
                    (3, 3, "letters read")]  # fmt: skip


def test_a_long_sequence_reports_a_bounded_number_of_steps_ending_with_the_total() -> None:
    seen: list[int] = []
    with counting(lambda done, total, what: seen.append(done)):
        for _ in counted(range(100_000), "guests"):
            pass
    assert len(seen) <= STEPS_SHOWN + 2
    assert seen[0] == 0
    assert seen[-1] == 100_000
    assert seen == sorted(seen)


def test_steps_go_nowhere_when_nobody_counts_and_the_sink_is_scoped() -> None:
    seen: list[int] = []
    step(1, 2, "unheard")
    assert list(counted([1, 2], "unheard")) == [1, 2]
    with counting(lambda done, total, what: seen.append(done)):
        step(5, None, "heard")
    step(6, None, "unheard again")
    assert seen == [5]
