"""The console's command line: the parser and completion (run in the browser, where
they live), and the fast paths typed into a live console, errors included."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Site, logged_in, wait_for, watch

CONTEXT = {
    "units": ["M-51", "ZPD-3", "ZPD-4", "ZPD-7", "ZPD-S1"],
    "incidents": ["2026-000012", "2026-000003"],
    "allIncidents": ["2026-000003", "2026-000012", "2025-000012"],
    "alerts": ["A-000002", "A-000001"],
    "tips": ["T-000004"],
    "closures": ["RC-000001"],
    "statuses": ["available", "dispatched", "enroute", "onscene", "busy", "outofservice"],
    "types": ["ASSAULT", "THEFT", "TRAFFIC"],
    "roles": ["suspect", "victim", "witness", "patient", "officer", "other"],
    "selected": "2026-000003",
}


@pytest.fixture(scope="module")
def console(browser: Any, site: Site) -> Any:
    site.account("claw", "dispatcher")
    page = logged_in(browser, site, "claw", "/console")
    yield page
    page.context.close()


def parse(page: Any, text: str) -> dict[str, Any]:
    """Parse in the page; an error comes back as {error, token}."""
    answer: dict[str, Any] = page.evaluate(
        """async ([text, context]) => {
          const line = await import('/static/js/commandline.js');
          try {
            const parsed = line.parse(text, context);
            return {do: parsed.do, local: parsed.local, fields: parsed.fields, args: parsed.args};
          } catch (error) {
            return {error: error.message, token: error.token ? error.token.text : null};
          }
        }""",
        [text, CONTEXT],
    )
    return {key: value for key, value in answer.items() if value is not None}


def complete(page: Any, text: str) -> list[str]:
    choices: list[str] = page.evaluate(
        """async ([text, context]) => {
          const line = await import('/static/js/commandline.js');
          return line.completions(text, text.length, context).choices;
        }""",
        [text, CONTEXT],
    )
    return choices


def test_the_fast_paths_parse_into_commands(console: Any) -> None:
    assert parse(console, "new theft p3 Main Street & Mission Street") == {
        "do": "incident.create",
        "fields": {
            "type": "THEFT",
            "priority": 3,
            "location": {"address": "Main Street & Mission Street"},
        },
    }
    assert parse(console, "new ASSAULT 1 @37.79, -122.40")["fields"]["location"] == {
        "lat": 37.79,
        "lon": -122.4,
    }
    # an incident by its number, units in any case, emergency mode
    assert parse(console, "d 12 zpd-3 ZPD-4 emergency")["fields"] == {
        "incident": "2026-000012",
        "units": ["ZPD-3", "ZPD-4"],
        "mode": "emergency",
    }
    assert parse(console, "dispatch . ZPD-7")["fields"] == {
        "incident": "2026-000003",
        "units": ["ZPD-7"],
    }
    assert parse(console, "st ZPD-3 en-route")["fields"] == {"unit": "ZPD-3", "status": "enroute"}
    assert parse(console, "st ZPD-3 onscene 3")["fields"]["incident"] == "2026-000003"
    assert parse(console, "note 2026-000003 caller says  the van left north")["fields"] == {
        "incident": "2026-000003",
        "text": "caller says  the van left north",
    }
    assert parse(console, "ack")["fields"] == {"alert": "A-000002"}  # the top one
    assert parse(console, "ack a-000001")["fields"] == {"alert": "A-000001"}
    assert parse(console, "promote 4 traffic p4")["fields"] == {
        "tip": "T-000004",
        "type": "TRAFFIC",
        "priority": 4,
    }
    assert parse(console, "close . report taken")["fields"] == {
        "incident": "2026-000003",
        "disposition": "report taken",
    }
    assert parse(console, "pri 12 p1")["fields"] == {"incident": "2026-000012", "priority": 1}
    assert parse(console, "sel 12")["local"] == "select"
    assert parse(console, "em")["local"] == "emergency"


def test_refusals_read_as_words_not_field_paths(console: Any) -> None:
    said: list[str] = console.evaluate(
        """async () => {
          const line = await import('/static/js/commandline.js');
          const words = (problems, token) => line.refusal({problems}, token);
          return [
            words([{field: "with.units.1", reason: "unknown unit 'ZPD-99'", code: "not_found"}]),
            words([{field: "with.incident", reason: 'unknown incident "2026-000009"',
                    code: "not_found"}]),
            words([{field: "with.units.0", code: "conflict",
                    reason: "unit ZPD-3 is enroute on incident 2026-000001: dispatch with "
                            + "reassign: true to take it off"}]),
            words([{field: "with.status", code: "transition", allowed: ["enroute", "onscene"],
                    reason: "unit ZPD-3 cannot go from available to athospital"}]),
            words([{field: "with.priority", code: "invalid",
                    reason: "Input should be less than or equal to 5"}], {text: "9"}),
            line.refusal(new Error("the server cannot be reached; check the network")),
          ];
        }"""
    )
    assert said == [
        "No unit ZPD-99",
        "No incident 2026-000009",
        "Unit ZPD-3 is enroute on incident 2026-000001: dispatch with reassign: true to take it off",
        "Unit ZPD-3 cannot go from available to athospital (allowed: enroute, onscene)",
        "Priority '9': Input should be less than or equal to 5",
        "The server cannot be reached; check the network",
    ]


def test_mistakes_are_named_before_anything_is_sent(console: Any) -> None:
    wrong = parse(console, "st ZPD-3 flying")
    assert wrong["token"] == "flying"
    assert "not a unit status (allowed: available, dispatched" in wrong["error"]
    assert parse(console, "new THEFT p9 Main Street")["token"] == "p9"
    assert "needs UNIT" in parse(console, "d 2026-000003")["error"]
    assert "usage" not in parse(console, "d 2026-000003")["error"].lower()
    unknown = parse(console, "launch ZPD-3")
    assert unknown["token"] == "launch" and "unknown command 'launch'" in unknown["error"]
    assert parse(console, "pri 12 p1 now")["token"] == "now"
    assert "too many words" in parse(console, "pri 12 p1 now")["error"]


def test_tab_completes_words_ids_and_statuses(console: Any) -> None:
    assert complete(console, "") == [
        "new",
        "call",
        "d",
        "st",
        "note",
        "subj",
        "ack",
        "promote",
        "dismiss",
        "close",
        "slow",
        "reopen",
        "pri",
        "checkin",
        "bolo",
        "sel",
        "em",
        "help",
    ]
    assert complete(console, "pro") == ["promote"]
    assert complete(console, "d 2026-00001") == ["2026-000012"]
    assert complete(console, "d 12") == ["2026-000012"]  # by number
    assert complete(console, "d 2026-000012 zpd-") == ["ZPD-3", "ZPD-4", "ZPD-7", "ZPD-S1"]
    # a unit already on the line is not offered again; after one, "emergency" is
    assert "ZPD-3" not in complete(console, "d 2026-000012 ZPD-3 ")
    assert "emergency" in complete(console, "d 2026-000012 ZPD-3 ")
    assert complete(console, "st ZPD-3 en") == ["enroute"]
    assert complete(console, "ack ") == ["A-000002", "A-000001"]
    assert complete(console, "new T") == ["THEFT", "TRAFFIC"]
    assert complete(console, "new THEFT ") == ["p1", "p2", "p3", "p4", "p5"]
    assert complete(console, "reopen RC") == ["RC-000001"]
    assert complete(console, "subj 12 ") == CONTEXT["roles"]
    assert complete(console, "subj . w") == ["witness"]


def test_calls_and_road_closures_parse(console: Any) -> None:
    assert parse(console, "call assault p2 Main Street & Mission Street -- two men fighting") == {
        "do": "call.create",
        "fields": {
            "source": "911",
            "type": "ASSAULT",
            "priority": 2,
            "location": {"address": "Main Street & Mission Street"},
            "text": "two men fighting",
        },
    }
    fields = parse(console, "call THEFT 3 caller=Ann_Lee @37.79,-122.40 -- bike -- gone")["fields"]
    assert fields["caller"] == "Ann Lee" and fields["text"] == "bike -- gone"
    assert fields["location"] == {"lat": 37.79, "lon": -122.4}
    assert "needs TEXT" in parse(console, "call THEFT p3 Main Street")["error"]
    # close with an incident closes the incident; with a street, the road
    assert parse(console, "close 12 arrest")["do"] == "incident.close"
    assert parse(console, "close Market Street -- parade") == {
        "do": "road.close",
        "fields": {"street": "Market Street", "reason": "parade"},
    }
    assert parse(console, "close @37.79,-122.40")["fields"] == {
        "location": {"lat": 37.79, "lon": -122.4}
    }
    assert parse(console, "slow Market Street x2 -- roadworks")["fields"] == {
        "street": "Market Street",
        "factor": 2,
        "reason": "roadworks",
    }
    assert "needs a FACTOR" in parse(console, "slow Market Street")["error"]
    assert parse(console, "reopen 1")["fields"] == {"closure": "RC-000001"}


def test_subjects_parse(console: Any) -> None:
    assert parse(console, "subj 12 Suspect -- black fox, silver patches -- on foot") == {
        "do": "subject.add",
        "fields": {
            "incident": "2026-000012",
            "role": "suspect",
            "description": "black fox, silver patches -- on foot",
        },
    }
    assert parse(console, "subject . witness -- the baker")["fields"]["incident"] == "2026-000003"
    wrong = parse(console, "subj 12 thief -- a fox")
    assert wrong["token"] == "thief"
    assert wrong["error"] == (
        "'thief' is not a subject role (allowed: suspect, victim, witness, patient, officer, other)"
    )
    assert 'subj needs DESCRIPTION after " -- "' in parse(console, "subj 12 victim")["error"]
    assert "subj needs ROLE" in parse(console, "subj 12 -- a fox")["error"]


def test_typed_commands_run_and_server_errors_point_at_the_word(
    console: Any, site: Site, errors: list[str]
) -> None:
    watch(console, errors)
    line = console.locator("#command")
    result = console.locator("#command-result")

    def run(text: str) -> str:
        line.fill(text)
        line.press("Enter")
        wait_for(lambda: result.get_attribute("data-kind") in ("ok", "error"))
        answer: str = result.inner_text()
        return answer

    def selected() -> str:
        picked: str = console.evaluate(
            "() => { const i = document.getElementById('command');"
            " return i.value.slice(i.selectionStart, i.selectionEnd); }"
        )
        return picked

    # an address the map does not know: the server's reason in words, the address selected
    said = run("new THEFT p3 Nowhere Street & Neverland Avenue")
    unknown = "'Nowhere Street & Neverland Avenue'"
    assert said == f"✗ No street or intersection {unknown} on the map", said
    assert selected() == "Nowhere Street & Neverland Avenue"
    assert line.get_attribute("aria-invalid") == "true"

    said = run("new THEFT p3 Main Street & Mission Street")
    assert said.startswith("✓ incident 2026-") or said.startswith("✓ incident 20"), said
    incident = said.split()[2].rstrip(":")
    wait_for(lambda: console.locator("#panel-title").text_content() == f"Incident {incident}")
    assert line.input_value() == ""

    # a status the unit cannot go to: the server names the rule and what is allowed
    said = run("st ZPD-3 onscene")
    assert said == "✗ Onscene needs an incident: the unit is on none", said
    said = run("st ZPD-3 onscene .")
    assert said == "✓ ZPD-3: Available → On scene", said
    said = run("st ZPD-3 athospital")
    assert said.startswith("✗ Unit ZPD-3 cannot go from onscene to athospital"), said
    assert "(allowed: enroute" in said, said
    assert selected() == "athospital"
    # a unit that does not exist: the refusal in words, not the field path ("units 2");
    # the field still points at the word, which is selected
    said = run(f"d {incident} ZPD-4 ZPD-99")
    assert said == "✗ No unit ZPD-99", said
    assert selected() == "ZPD-99"
    # a validation message that does not say what it is about keeps its field
    said = run("new THEFT p3 @95,-122.4")
    assert said.startswith("✗ Location lat '@95,-122.4': "), said
    said = run("d . ZPD-4 ZPD-7")
    assert said == f"✓ ZPD-4, ZPD-7 dispatched to {incident}"
    said = run("note . suspect left on foot towards the bay")
    assert said == f"✓ note added to {incident}"
    console.locator("#d-timeline li", has_text="suspect left on foot").wait_for()
    said = run("st ZPD-4 enroute")
    assert said == "✓ ZPD-4: Dispatched → En route"
    console.locator('#units tr[data-unit="ZPD-4"][data-status="enroute"]').wait_for()
    # up arrow brings the last command back
    line.press("ArrowUp")
    assert line.input_value() == "st ZPD-4 enroute"
    line.press("Escape")
    assert line.input_value() == ""
    said = run("help")
    assert "commands and keys shown" in said
    assert "d INCIDENT UNIT" in console.locator("#help").inner_text()
    console.keyboard.press("Escape")
    console.locator("#help").wait_for(state="hidden")
    assert "no open alert" in run("ack").lower()
    assert errors == []
    assert json.loads(json.dumps(site.get("claw", "/api/units/ZPD-7")))["status"] == "dispatched"
