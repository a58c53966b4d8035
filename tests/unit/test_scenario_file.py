"""The scenario format's checks: every mistake names its line before anything runs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tenfour.sim import ScenarioError, load_scenario
from tenfour.sim.scenario_file import parse_duration, parse_offset

GOOD = """\
scenario: tiny
map: demo
start: "2026-11-24T14:00:00Z"
agencies:
  - {id: ZPD, kind: police, name: Zootopia PD}
members:
  - {id: hopps, name: Judy Hopps, agency: ZPD}
units:
  - {id: ZPD-7, agency: ZPD, kind: patrol, members: [hopps], at: {lat: 37.7948573, lon: -122.4014146}}
steps:
  - at: "0:00"
    as: officer:hopps
    name: stop
    do: incident.initiate
    with: {member: hopps, type: TRAFFIC_STOP, priority: 4, location: {lat: 37.7925893, lon: -122.3958821}}
expect:
  - event: incident.created
    match: {incident: "@stop"}
    after: stop
    within: 1s
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path, text))
    return caught.value


def test_a_good_file_loads(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, GOOD))
    assert scenario.name == "tiny"
    assert scenario.steps[0].actor.role == "officer"
    assert scenario.expectations[0].within == timedelta(seconds=1)


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("    name: stop\n", "    name: stop\n    colour: red\n", 14, "unknown key 'colour'"),
        ("do: incident.initiate", "do: incident.teleport", 14, "unknown command"),
        ('at: "0:00"', 'at: "0:75"', 11, "bad time"),
        ("as: officer:hopps", "as: sheriff:hopps", 12, "unknown role"),
        ('match: {incident: "@stop"}', 'match: {incident: "@nowhere"}', 18, "nowhere"),
        ("within: 1s", "within: soon", 20, "bad duration"),
        ("event: incident.created", "event: incident.teleported", 17, "unknown event type"),
        (
            "  - {id: hopps, name: Judy Hopps, agency: ZPD}",
            "  - {id: hopps, nmae: x, agency: ZPD}",
            7,
            "nmae",
        ),
    ],
)
def test_mistakes_name_their_line(
    tmp_path: Path, old: str, new: str, line: int, words: str
) -> None:
    assert old in GOOD
    error = error_of(tmp_path, GOOD.replace(old, new))
    assert words in error.message
    assert error.line == line
    assert f":{line}:" in str(error)


def test_a_label_must_come_from_an_earlier_step(tmp_path: Path) -> None:
    text = GOOD.replace(
        "expect:",
        '  - at: "0:05"\n    as: officer:hopps\n    do: incident.note\n'
        '    with: {incident: "@later", text: hi}\n'
        '  - at: "0:06"\n    as: officer:hopps\n    name: later\n    do: incident.note\n'
        '    with: {incident: "@stop", text: hi}\nexpect:',
    )
    error = error_of(tmp_path, text)
    assert "@later" in error.message


def test_steps_out_of_time_order_are_refused(tmp_path: Path) -> None:
    text = GOOD.replace(
        "expect:",
        '  - at: "0:00"\n    as: officer:hopps\n    do: member.checkin\n    with: {member: hopps}\n'
        "expect:",
    ).replace('at: "0:00"', 'at: "1:00"', 1)
    assert "time order" in error_of(tmp_path, text).message


def test_not_yaml_and_not_a_mapping(tmp_path: Path) -> None:
    assert "YAML" in error_of(tmp_path, "steps: [\n").message
    assert "mapping" in error_of(tmp_path, "- just a list\n").message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("1s", 1), ("2m", 120), ("1h", 3600), ("1m30s", 90), (5, 5)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "1 s", "s", "1d", "-1s", True])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "seconds"), [("0:00", 0), ("7:30", 450), ("1:02:03", 3723), ("0:01.5", 1.5)]
)
def test_offsets(text: str, seconds: float) -> None:
    assert parse_offset(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["7", "1:60", "1:61:00", "a:bc", "1:2:3:4"])
def test_bad_offsets(text: str) -> None:
    with pytest.raises(ValueError):
        parse_offset(text)
