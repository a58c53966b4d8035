"""Every scenario the project ships, and every one in ../shared/scenarios, must pass.

Each runs through the real service, policies and a SQLite journal on disk, and the
journal it leaves must verify.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tenfour.journal import SqliteEventStore
from tenfour.sim import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[2]
OWN = sorted((ROOT / "scenarios").glob("*.yaml"))
SHARED_DIR = ROOT.parent / "shared" / "scenarios"
SHARED = sorted(SHARED_DIR.glob("*.yaml")) if SHARED_DIR.is_dir() else []


def test_the_project_ships_its_scenarios() -> None:
    names = {p.stem for p in OWN}
    assert {"priority-one", "duplicate-911", "unacknowledged-dispatch", "routine-backup"} <= names


@pytest.mark.parametrize("path", OWN + SHARED, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_scenario_passes(path: Path, tmp_path: Path) -> None:
    result = run_scenario(load_scenario(path), tmp_path)
    failures = [line for line in result.lines() if not line.startswith("pass")]
    assert result.passed, "\n".join(failures)
    assert result.verdicts, "a scenario without expectations proves nothing"
    assert not result.policy_failures

    rows = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert all({"seq", "type", "at", "by"} <= r.keys() for r in rows)
    with SqliteEventStore(tmp_path / "journal.db") as store:
        assert store.verify().ok


def test_shared_scenarios_are_found_when_present() -> None:
    if not SHARED_DIR.is_dir():
        pytest.skip("../shared/scenarios is not beside this checkout")
    assert any(p.name == "priority-one.yaml" for p in SHARED)
