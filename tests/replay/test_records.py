"""Reading the DataSF CSV: both layouts agree; bad input names the line and column."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tenfour.sim.replay.cli import replay_app
from tenfour.sim.replay.records import RecordError, local_to_utc, read_responses


def test_raw_and_normalised_files_read_the_same(raw_slice: Path, normalised_slice: Path) -> None:
    raw, normalised = read_responses(raw_slice), read_responses(normalised_slice)
    assert len(raw) == len(normalised) == 400
    for a, b in zip(raw, normalised, strict=True):
        # the normalised file rounds the points to 7 decimals
        assert a.lat == pytest.approx(b.lat, abs=1e-6) and a.lon == pytest.approx(b.lon, abs=1e-6)
        assert dataclasses.replace(a, lat=0.0, lon=0.0) == dataclasses.replace(b, lat=0.0, lon=0.0)


def test_local_times_become_utc() -> None:
    # San Francisco is UTC-8 in winter, UTC-7 in summer
    assert local_to_utc("12/31/2016 11:57:56 PM", "raw") == datetime(
        2017, 1, 1, 7, 57, 56, tzinfo=UTC
    )
    assert local_to_utc("2016-07-04T12:00:00", "normalised") == datetime(2016, 7, 4, 19, tzinfo=UTC)


def _broken(raw_slice: Path, tmp_path: Path, line: int, old: str, new: str) -> Path:
    lines = raw_slice.read_text().splitlines(keepends=True)
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path = tmp_path / "broken.csv"
    path.write_text("".join(lines))
    return path


def test_a_missing_column_is_named(raw_slice: Path, tmp_path: Path) -> None:
    path = _broken(raw_slice, tmp_path, 1, "Dispatch DtTm", "Dispatched")
    with pytest.raises(RecordError, match=r"line 1, column 'Dispatch DtTm': missing column"):
        read_responses(path)


def test_a_bad_timestamp_names_the_line_and_column(raw_slice: Path, tmp_path: Path) -> None:
    path = _broken(raw_slice, tmp_path, 3, "12/31/2016 11:55:20 PM", "12/31/2016 25:55:20 PM")
    with pytest.raises(RecordError) as caught:
        read_responses(path)
    message = str(caught.value)
    assert "line 3, column 'Dispatch DtTm'" in message
    assert "bad time '12/31/2016 25:55:20 PM' (expected MM/DD/YYYY hh:mm:ss AM)" in message


def test_an_empty_required_time_and_a_bad_point_are_named(raw_slice: Path, tmp_path: Path) -> None:
    path = _broken(raw_slice, tmp_path, 2, "12/31/2016 11:57:56 PM,", ",")
    with pytest.raises(RecordError, match=r"line 2, column 'Received DtTm': empty"):
        read_responses(path)
    path = _broken(raw_slice, tmp_path, 4, '"(37.', '"(north')
    with pytest.raises(RecordError, match=r"line 4, column 'Location': bad point"):
        read_responses(path)


def test_a_file_of_something_else_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("id,name\n1,x\n")
    with pytest.raises(RecordError, match="not a Fire Department Calls for Service file"):
        read_responses(path)


def test_the_command_exits_2_with_the_reason(raw_slice: Path, tmp_path: Path) -> None:
    path = _broken(raw_slice, tmp_path, 3, "12/31/2016 11:55:20 PM", "yesterday")
    result = CliRunner().invoke(replay_app, ["sffd", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "line 3, column 'Dispatch DtTm': bad time 'yesterday'" in result.output
    missing = CliRunner().invoke(replay_app, ["sffd", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "cannot open" in missing.output
    speed = CliRunner().invoke(replay_app, ["sffd", str(raw_slice), "--speed", "fast"])
    assert speed.exit_code == 2 and "'max'" in speed.output
