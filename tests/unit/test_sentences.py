"""Timeline sentences: every event type reads as a dispatcher would write it.

The timeline once showed "backup.requested" and "ZPD-7 onscene -> pursuit"; these
tests run every scenario the project ships through the real service and check that
each journaled event gets a sentence, not its raw name, and that people are named.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tenfour.domain.events import EVENTS
from tenfour.sim import load_scenario, run_scenario
from tenfour.views.sentences import SENTENCES, Names, sentence
from tests.scenarios.test_scenarios import OWN, SHARED


def test_every_event_type_has_a_sentence() -> None:
    assert set(EVENTS) - {t for t in EVENTS if t.startswith("audit.")} <= set(SENTENCES)


@pytest.mark.parametrize("path", OWN + SHARED, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_journaled_event_reads_as_a_sentence(path: Path) -> None:
    names = Names()
    for event in run_scenario(load_scenario(path)).events:
        names.learn(event.type, event.data)
        if event.type.startswith("audit."):
            continue
        text = sentence(event.type, event.data, names)
        assert text != event.type, f"{event.type} fell back to its raw name: {event.data}"
        assert "->" not in text and "_" not in text.split(":")[0], text


def test_people_are_named_by_rank_and_name() -> None:
    names = Names()
    names.learn(
        "member.registered",
        {"member": "hopps", "name": "Judy Hopps", "agency": "ZPD", "rank": "officer"},
    )
    names.learn(
        "member.registered",
        {"member": "bogo", "name": "Chief Bogo", "agency": "ZPD", "rank": "chief"},
    )
    assert names.member("bogo") == "Chief Bogo"
    names.learn("facility.registered", {"facility": "ZGH", "name": "Zootopia General"})
    assert (
        sentence(
            "member.status_changed",
            {"member": "hopps", "unit": "ZPD-7", "from": "away", "to": "pursuit"},
            names,
        )
        == "Officer Judy Hopps (ZPD-7) in pursuit"
    )
    assert (
        sentence(
            "alert.raised",
            {
                "alert": "A-1",
                "kind": "member_unresponsive",
                "severity": "high",
                "member": "hopps",
                "unit": "ZPD-7",
            },
            names,
        )
        == "ALERT: officer unresponsive, Officer Judy Hopps (ZPD-7)"
    )
    assert (
        sentence(
            "transport.started",
            {
                "unit": "ZFD-M1",
                "incident": "2026-000001",
                "patient": "S-000002",
                "destination": "ZGH",
            },
            names,
        )
        == "ZFD-M1 transporting S-000002 to Zootopia General"
    )


def test_a_type_change_keeps_what_it_was() -> None:
    text = sentence(
        "incident.updated",
        {
            "incident": "2026-000001",
            "changes": {"incident_type": "MAYDAY", "priority": 1},
            "before": {"incident_type": "DRUGS", "priority": 2},
            "emergency": "E-000001",
        },
    )
    assert (
        text
        == "Incident changed: type MAYDAY (was DRUGS), priority 1 (was 2) for emergency E-000001"
    )


def test_an_event_missing_a_field_shows_its_raw_name_rather_than_fail() -> None:
    assert sentence("incident.created", {"incident": "2026-000001"}) == "incident.created"
    assert sentence("something.new", {}) == "something new"
