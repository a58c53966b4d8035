"""Shared fixtures: slices of the real SFFD week, and one replay of them.

The slices (the first 400 rows of each file in ../shared/data/sf) are kept in
``tests/replay/data`` (PROVENANCE.md there), so these tests run on any checkout.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tenfour.sim.replay.cli import replay_app

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
RAW = DATA / "sffd_raw_first400.csv"
NORMALISED = DATA / "sffd_normalised_first400.csv"
#: The first 400 rows: New Year's Eve 20:23 to 23:58, 187 calls, 82 of them on the map.
SLICE_ROWS = 400


def write_slice(source: Path, target: Path, rows: int = SLICE_ROWS) -> Path:
    """The header and the first ``rows`` rows of ``source`` (no field spans lines)."""
    with source.open(encoding="utf-8") as handle:
        lines = [next(handle) for _ in range(rows + 1)]
    target.write_text("".join(lines), encoding="utf-8")
    return target


@pytest.fixture(scope="session")
def raw_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_slice(RAW, tmp_path_factory.mktemp("csv") / "raw.csv")


@pytest.fixture(scope="session")
def normalised_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_slice(NORMALISED, tmp_path_factory.mktemp("csv") / "normalised.csv")


def replay(csv_file: Path, out: Path, *extra: str) -> str:
    result = CliRunner().invoke(replay_app, ["sffd", str(csv_file), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="session")
def replayed(raw_slice: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The raw slice replayed with Ten-Four's recommended units: (out dir, output)."""
    out = tmp_path_factory.mktemp("replay")
    return out, replay(raw_slice, out)
