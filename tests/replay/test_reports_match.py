"""One implementation: for the same replayed journal, the replay's interval figures and
``tenfour report``'s are equal (both fold it with ``tenfour.reports.intervals``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tenfour.cli import app


def _replay_and_report(out: Path, folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The replay's summary and `tenfour report`'s figures for the replay's journal."""
    result = CliRunner().invoke(
        app, ["report", "--database", str(out / "journal.db"), "--out", str(folder)]
    )
    assert result.exit_code == 0, result.output
    replay = json.loads((out / "summary.json").read_text())
    return replay, json.loads((folder / "report.json").read_text())


def test_the_replay_and_the_report_give_the_same_figures(
    replayed: tuple[Path, str], tmp_path: Path
) -> None:
    replay, report = _replay_and_report(replayed[0], tmp_path)

    # every replayed call became one incident, and nothing else did
    assert report["incidents"]["count"] == replay["calls_replayed"] > 50
    # first unit on scene: travel (en route to on scene), 90th percentile
    travel = replay["travel_p90_s"]
    assert travel["replayed_first_unit_travel"] is not None
    assert report["overall"]["travel_s"]["p90_s"] == travel["replayed_first_unit_travel"]
    # every unit response, per unit kind: the same responses and the same 90th percentile
    replayed_kinds = {
        kind: (k["replayed_n"], k["replayed_p90_s"])
        for kind, k in travel["by_kind"].items()
        if k["replayed_n"]
    }
    report_kinds = {
        kind: (k["travel_n"], k["travel_p90_s"])
        for kind, k in report["units"]["by_kind"].items()
        if k["travel_n"]
    }
    assert report_kinds == replayed_kinds
    # the share within NFPA 1710's 240 s, first unit
    assert (
        report["overall"]["travel_s"]["share_within_target"]
        == (travel["nfpa_share_within_240s_replayed"])
    )


def test_the_replay_page_shows_the_report_figures_from_the_same_fold(
    replayed: tuple[Path, str], tmp_path: Path
) -> None:
    replay, report = _replay_and_report(replayed[0], tmp_path)
    intervals = replay["intervals"]
    for part in ("incidents", "overall", "units", "problems", "targets"):
        assert intervals[part] == report[part], part
    page = (replayed[0] / "report.html").read_text()
    assert "<h2 id='intervals'>Interval times" in page
    assert f"{report['incidents']['count']:,} incidents" in page
