"""The soak (bench/soak.py) for two minutes, as ``make test`` runs it.

Two nodes on a fresh PostgreSQL database, 2,000 units reporting every 5 s and two new
incidents a second through their whole life, after the units are set up. Checked: no
errors, every acknowledged command in the journal, each node's memory growth after
the warm-up under the soak's bound and no growth of its open file handles. Latency
and the rate reached depend on the machine: the soak reports them (``make soak``,
bench/RESULTS.md) and this test does not judge them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.soak import FD_SLACK, MEMORY_GROWTH_MB, Plan, run

pytestmark = pytest.mark.postgres


def test_two_minutes_at_ten_times_a_large_citys_peak(tmp_path: Path) -> None:
    plan = Plan(seconds=120, sample_s=10, warmup_s=40)
    result = run(plan, tmp_path / "soak")
    assert result.errors == []
    assert result.missing == [], f"{len(result.missing)} acknowledged commands not journaled"
    verdict = result.verdict
    assert verdict["samples_after_warmup"] >= 6
    assert result.acknowledged > 500
    for node in "ab":
        assert verdict[f"memory_growth_mb_{node}"] <= MEMORY_GROWTH_MB, verdict
        assert verdict[f"fds_last_half_{node}"] <= verdict[f"fds_first_half_{node}"] + FD_SLACK
    assert verdict["ok"], verdict
    assert (tmp_path / "soak.csv").read_text().startswith("t_s,rss_mb_a,")
    assert (tmp_path / "soak.png").stat().st_size > 10_000
