"""The soak's verdict on the rate (``bench.soak.judge``): positions left unsent in the
start-up burst do not fail it, any left unsent after warm-up do, and the whole run's
count is still reported."""

from __future__ import annotations

from bench.soak import Plan, Result, judge


def _rows(behind: list[int], rate: float = 400.0) -> list[dict[str, float]]:
    return [
        {
            "t_s": 10.0 * (n + 1),
            "rss_mb_a": 300.0,
            "rss_mb_b": 180.0,
            "fds_a": 34,
            "fds_b": 26,
            "p99_ms": 30.0,
            "positions_per_s": rate,
            "incidents_per_s": 2.0,
            "behind": count,
        }
        for n, count in enumerate(behind)
    ]


PLAN = Plan(seconds=120.0, warmup_s=30.0)


def test_positions_unsent_during_warm_up_only_still_reach_the_rate() -> None:
    rows = _rows([177, 177, 177, 177, 177, 177, 177, 177, 177, 177, 177, 177])
    verdict = judge(Result(PLAN, rows, 1000, [], [], 177))
    assert verdict["positions_not_sent_after_warmup"] == 0
    assert verdict["rate_reached"] is True
    assert Result(PLAN, rows, 1000, [], [], 177).summary()["positions_not_sent_behind"] == 177


def test_positions_unsent_after_warm_up_miss_the_rate() -> None:
    rows = _rows([177, 177, 177, 177, 177, 177, 177, 177, 177, 180, 180, 180])
    verdict = judge(Result(PLAN, rows, 1000, [], [], 180))
    assert verdict["positions_not_sent_after_warmup"] == 3
    assert verdict["rate_reached"] is False


def test_a_slow_rate_misses_it_whatever_was_sent() -> None:
    verdict = judge(Result(PLAN, _rows([0] * 12, rate=350.0), 1000, [], [], 0))
    assert verdict["rate_reached"] is False
