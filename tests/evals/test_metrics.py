"""pass^k and the run summary."""

from __future__ import annotations

import pytest

from evals.metrics import Price, PriceTable, TrialStats, pass_hat_k, percentile, summarize


def _trial(
    task: str, reward: int, *, latency: float = 1.0, tags: tuple[str, ...] = ()
) -> TrialStats:
    return TrialStats(
        task_id=task,
        tags=tags,
        reward=reward,
        turns=2,
        tool_calls=3,
        input_tokens=1000,
        output_tokens=100,
        latency_s=latency,
        terminations=("final_answer",),
    )


def test_pass_hat_k_matches_a_hand_computed_example() -> None:
    # Task A: 4 trials, 3 successes; task B: 4 trials, 4 successes; task C: 4 trials, 1 success.
    # pass^1 = (3/4 + 4/4 + 1/4) / 3 = 2/3
    # pass^2 = (C(3,2)/C(4,2) + 1 + 0) / 3 = (3/6 + 1 + 0) / 3 = 1/2
    # pass^3 = (C(3,3)/C(4,3) + 1 + 0) / 3 = (1/4 + 1) / 3 = 5/12
    # pass^4 = (0 + 1 + 0) / 3 = 1/3
    rewards = {"a": [1, 1, 0, 1], "b": [1, 1, 1, 1], "c": [0, 0, 1, 0]}
    trials = [_trial(task, r) for task, values in rewards.items() for r in values]
    summary = summarize("m", trials, PriceTable())
    assert summary.trials_per_task == 4
    assert summary.pass_k[1] == pytest.approx(2 / 3)
    assert summary.pass_k[2] == pytest.approx(1 / 2)
    assert summary.pass_k[3] == pytest.approx(5 / 12)
    assert summary.pass_k[4] == pytest.approx(1 / 3)
    assert summary.failed_tasks == {"a": "3/4", "c": "1/4"}


def test_pass_hat_k_is_one_only_when_all_trials_succeed() -> None:
    assert pass_hat_k(5, 5, 5) == 1.0
    assert pass_hat_k(4, 5, 5) == 0.0
    assert pass_hat_k(0, 3, 1) == 0.0
    with pytest.raises(ValueError, match="0 < k <= n"):
        pass_hat_k(1, 2, 3)


def test_summary_reports_tags_tokens_cost_and_latency() -> None:
    trials = [
        _trial("a", 1, latency=1.0, tags=("balance", "read")),
        _trial("b", 0, latency=3.0, tags=("read",)),
    ]
    prices = PriceTable(models={"m": Price(input_per_mtok=2.0, output_per_mtok=8.0)})
    summary = summarize("m", trials, prices)
    assert summary.pass_1_by_tag == {"balance": 1.0, "read": 0.5}
    assert (summary.input_tokens, summary.output_tokens) == (2000, 200)
    assert summary.cost_usd == pytest.approx((2000 * 2.0 + 200 * 8.0) / 1e6)
    assert summary.latency_mean_s == pytest.approx(2.0)
    assert summary.latency_p95_s == pytest.approx(2.9)
    assert summary.terminations == {"final_answer": 2}
    assert summarize("other", trials, prices).cost_usd is None


def test_percentile_interpolates() -> None:
    assert percentile([], 95) == 0.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([10.0], 95) == 10.0
