"""The scenario format's checks: every mistake names its line before anything runs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tenfour.journal import StoredEvent
from tenfour.sim import ScenarioError, load_scenario
from tenfour.sim.expect import judge
from tenfour.sim.labels import Labels
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


def test_a_file_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    # Was a bare UnicodeDecodeError naming neither the file nor the reason.
    path = tmp_path / "latin1.yaml"
    path.write_bytes("scenario: café\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8") as caught:
        load_scenario(path)
    assert caught.value.path == str(path) and caught.value.line == 0


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


# --- match keys are the fields the event type carries ---------------------------------
def _with_expectation(expectation: str) -> str:
    """GOOD with one more expectation appended (lines 21 onwards)."""
    return GOOD + expectation


def test_a_misspelt_no_event_match_key_is_refused_before_the_run(tmp_path: Path) -> None:
    # Unchecked, {untis: ZPD-7} matches no event at all, so this would always pass.
    error = error_of(
        tmp_path,
        _with_expectation("  - no_event: unit.dispatched\n    match: {untis: ZPD-7}\n"),
    )
    assert error.line == 22
    assert "'untis'" in error.message and "unit.dispatched" in error.message
    for allowed in ("unit", "incident", "mode", "seq", "by"):
        assert allowed in error.message
    assert ":22:" in str(error)


def test_a_misspelt_event_match_key_names_its_own_line(tmp_path: Path) -> None:
    error = error_of(
        tmp_path,
        _with_expectation(
            "  - event: alert.raised\n    match:\n      kind: status_check_overdue\n"
            "      membre: hopps\n"
        ),
    )
    assert error.line == 24
    assert "'membre'" in error.message and "alert.raised" in error.message
    assert "member" in error.message and "severity" in error.message


def test_match_keys_the_event_carries_and_its_envelope_load(tmp_path: Path) -> None:
    scenario = load_scenario(
        write(
            tmp_path,
            _with_expectation(
                "  - no_event: unit.dispatched\n    match: {unit: ZPD-7, mode: emergency}\n"
                "  - event: incident.created\n    match: {by: hopps, seq: 9, type: incident.created}\n"
                "  - event: alert.resolved\n    match: {kind: emergency, reason: cleared}\n"
            ),
        )
    )
    assert [e.event for e in scenario.expectations[1:]] == [
        "unit.dispatched",
        "incident.created",
        "alert.resolved",
    ]


def test_only_top_level_match_keys_are_checked(tmp_path: Path) -> None:
    # A location's inner keys are the location's business, compared as they are.
    scenario = load_scenario(
        write(
            tmp_path,
            _with_expectation(
                "  - event: incident.created\n"
                "    match: {location: {lat: 37.79, longitude: -122.39}}\n"
            ),
        )
    )
    assert scenario.expectations[-1].match == {"location": {"lat": 37.79, "longitude": -122.39}}


def _stored(seq: int, type_: str, by: str, data: dict[str, object]) -> StoredEvent:
    return StoredEvent(
        seq, f"x:{seq}", 1, type_, f"2026-11-24T14:00:0{seq}Z", by, data, None, "", ""
    )


def test_expectations_match_on_the_envelope_too(tmp_path: Path) -> None:
    scenario = load_scenario(
        write(
            tmp_path,
            _with_expectation(
                "  - event: incident.created\n    match: {by: hopps, seq: 2}\n"
                "  - no_event: incident.created\n    match: {by: system}\n"
            ),
        )
    )
    events = [
        _stored(1, "incident.noted", "hopps", {"incident": "2026-000001", "text": "hi"}),
        # A data field named like the envelope is shadowed, as in journal.jsonl.
        _stored(2, "incident.created", "hopps", {"incident": "2026-000001", "by": "system"}),
    ]
    verdicts = [judge(e, events, scenario, {}, Labels()) for e in scenario.expectations[1:]]
    assert [v.passed for v in verdicts] == [True, True], [v.line() for v in verdicts]
