"""Messages between desk and field and hospital status (``domain/messages.py``): who
may send what to whom, receipts, need to know, the unread-priority alert, contact for
the status-check timer, and the diversion warning on a transport."""

from __future__ import annotations

import json

import pytest

from tenfour.domain.snapshot import state_to_json
from tenfour.domain.state import State
from tenfour.domain.visibility import sight_of
from tenfour.policies import PolicyConfig

from .domain_support import (
    DISPATCHER,
    HOSPITAL,
    PLACE,
    Desk,
    new_incident,
    only,
    put_on,
    rejection,
    roster,
    run,
)

HOPPS, WILDE, FANG = "officer:hopps", "officer:wilde", "officer:fangmeyer"
DESK_ID = DISPATCHER.partition(":")[2]


def test_a_message_to_a_unit_is_for_its_crew() -> None:
    state = roster()
    sent = only(
        run(state, "message.send", {"to": "unit", "unit": "ZPD-1", "canned": "supervisor"}),
        "message.sent",
    )
    assert sent["message"] == "MSG-000001"
    assert sent["text"] == "Need a supervisor"
    assert (sent["recipients"], sent["parties"]) == (["hopps", "wilde"], ["hopps", "wilde"])
    message = state.messages["MSG-000001"]
    assert (message.to, message.target, message.sent_by) == ("unit", "ZPD-1", DESK_ID)


def test_agency_and_all_reach_the_members_on_duty_only() -> None:
    state = roster()
    zfd = only(
        run(state, "message.send", {"to": "agency", "agency": "ZFD", "text": "x"}), "message.sent"
    )
    assert zfd["recipients"] == ["medic1", "medic2"]
    everyone = only(run(state, "message.send", {"to": "all", "text": "x"}), "message.sent")
    assert "trunkaby" not in everyone["recipients"]  # off duty
    assert "hopps" in everyone["recipients"] and "medic1" in everyone["recipients"]


def test_an_officer_writes_to_dispatch_and_is_a_party_to_his_message() -> None:
    state = roster()
    sent = only(
        run(state, "message.send", {"to": "dispatch", "canned": "code4"}, HOPPS), "message.sent"
    )
    assert (sent["recipients"], sent["parties"], sent["from_member"]) == ([], ["hopps"], "hopps")


@pytest.mark.parametrize(
    ("with_", "actor", "field", "code"),
    [
        ({"to": "unit", "unit": "ZPD-1", "text": "x"}, HOPPS, "with.to", "invalid"),
        ({"to": "dispatch", "text": "x"}, DISPATCHER, "with.to", "invalid"),
        ({"to": "unit", "unit": "ZPD-9", "text": "x"}, DISPATCHER, "with.unit", "conflict"),
        ({"to": "unit", "unit": "NOPE", "text": "x"}, DISPATCHER, "with.unit", "not_found"),
        ({"to": "agency", "agency": "NOPE", "text": "x"}, DISPATCHER, "with.agency", "not_found"),
        ({"to": "all", "canned": "pizza"}, DISPATCHER, "with.canned", "not_found"),
        ({"to": "unit", "text": "x"}, DISPATCHER, "with", "invalid"),
        ({"to": "all", "member": "hopps", "text": "x"}, DISPATCHER, "with", "invalid"),
        ({"to": "all"}, DISPATCHER, "with", "invalid"),
        ({"to": "all", "text": "x", "priority": "high"}, DISPATCHER, "with.priority", "invalid"),
    ],
)
def test_bad_messages_are_refused_naming_the_field(
    with_: dict[str, str], actor: str, field: str, code: str
) -> None:
    problem = rejection(roster(), "message.send", with_, actor)
    assert (problem.field, problem.code) == (field, code), problem


def test_receipts_come_from_a_recipient_once_and_reading_implies_delivery() -> None:
    state = roster()
    run(state, "message.send", {"to": "unit", "unit": "ZPD-1", "text": "call me"})
    mid = "MSG-000001"
    assert (
        only(run(state, "message.deliver", {"message": mid}, HOPPS), "message.delivered")["reader"]
        == "hopps"
    )
    again = rejection(state, "message.deliver", {"message": mid}, HOPPS)
    assert (again.field, again.code) == ("with.message", "conflict")
    # Need to know: to an officer it is not addressed to, it does not exist.
    other = rejection(state, "message.read", {"message": mid}, FANG)
    assert (other.field, other.code, other.reason) == (
        "with.message",
        "not_found",
        f"no message {mid}",
    )
    desk = rejection(state, "message.read", {"message": mid}, DISPATCHER)
    assert (desk.field, desk.code) == ("with.message", "conflict")
    events = run(state, "message.read", {"message": mid}, WILDE)
    assert [e.type for e in events] == ["message.delivered", "message.read"]
    message = state.messages[mid]
    assert set(message.delivered) == {"hopps", "wilde"} and set(message.read) == {"wilde"}
    unknown = rejection(state, "message.read", {"message": "MSG-000099"}, WILDE)
    assert (unknown.field, unknown.code) == ("with.message", "not_found")


def test_the_desk_receipts_messages_to_dispatch() -> None:
    state = roster()
    run(state, "message.send", {"to": "dispatch", "text": "10-4"}, HOPPS)
    own = rejection(state, "message.read", {"message": "MSG-000001"}, HOPPS)
    assert (own.field, own.code) == ("with.message", "conflict")  # his own, to dispatch
    run(state, "message.read", {"message": "MSG-000001"})
    assert set(state.messages["MSG-000001"].read) == {"dispatch"}


def test_an_officer_sees_only_his_own_messages() -> None:
    state = roster()
    run(state, "message.send", {"to": "unit", "unit": "ZPD-1", "text": "for ZPD-1"})
    run(state, "message.send", {"to": "unit", "unit": "ZPD-2", "text": "for ZPD-2"})
    whole = json.loads(json.dumps(state_to_json(state)))
    hopps = sight_of("officer", "hopps").state(whole)
    assert [m["text"] for m in hopps["messages"].values()] == ["for ZPD-1"]
    assert "message:MSG-000002" not in hopps["versions"]
    assert len(sight_of("dispatcher").state(whole)["messages"]) == 2
    assert sight_of("officer").state(whole)["messages"] == {}  # an officer with no member
    row = {"type": "message.sent", "seq": 9, **only_sent(state, "MSG-000002")}
    assert sight_of("officer", "fangmeyer").event(row) is not None
    assert sight_of("officer", "hopps").event(row) is None
    assert not sight_of("officer", "hopps").sees("message.sent")  # by type alone: never


def only_sent(state: State, mid: str) -> dict[str, object]:
    message = state.messages[mid]
    return {"message": mid, "parties": message.parties, "recipients": message.recipients}


# --- the unread-priority alert and contact -------------------------------------------------------
def test_an_unread_priority_message_raises_its_alert_and_reading_resolves_it() -> None:
    desk = Desk(config=PolicyConfig.model_validate({"timers": {"message_unread_s": 90}}))
    with_ = {"to": "unit", "unit": "ZPD-2", "text": "call the station", "priority": "priority"}
    desk.run("message.send", with_, now=0)
    desk.run("message.send", {"to": "unit", "unit": "ZPD-2", "text": "fyi"}, now=0)  # normal
    assert desk.due(89) == []
    [raised] = desk.tick(90)
    assert raised.data["kind"] == "message_unread"
    assert (raised.data["message"], raised.data["unit"]) == ("MSG-000001", "ZPD-2")
    assert desk.tick(1000) == []  # once
    recs = desk.run("message.read", {"message": "MSG-000001"}, FANG, now=120, react_too=True)
    resolved = only(recs, "alert.resolved")
    assert (resolved["kind"], resolved["reason"]) == ("message_unread", "message read by fangmeyer")


def test_a_priority_message_read_in_time_raises_nothing() -> None:
    desk = Desk()
    with_ = {"to": "member", "member": "hopps", "text": "x", "priority": "priority"}
    desk.run("message.send", with_, now=0)
    desk.run("message.read", {"message": "MSG-000001"}, HOPPS, now=30)
    assert desk.due(10_000) == []


def test_an_officers_own_message_is_contact_for_his_status_check() -> None:
    desk = Desk()
    desk.run("member.status", {"member": "hopps", "status": "pursuit"}, HOPPS, now=0)
    desk.run("message.send", {"to": "dispatch", "canned": "code4"}, HOPPS, now=50)
    assert desk.due(109) == []
    assert [a["kind"] for a in desk.due(110)] == ["status_check_overdue"]


def test_a_message_to_him_is_not_his_contact() -> None:
    desk = Desk()
    desk.run("member.status", {"member": "hopps", "status": "pursuit"}, HOPPS, now=0)
    desk.run("message.send", {"to": "member", "member": "hopps", "text": "status?"}, now=50)
    assert [a["kind"] for a in desk.due(60)] == ["status_check_overdue"]


# --- hospital status -----------------------------------------------------------------------------
def test_hospital_status_is_recorded_with_who_and_when() -> None:
    state = roster()
    with_ = {
        "facility": HOSPITAL,
        "state": "diversion",
        "services": ["trauma", "burns"],
        "beds": {"icu": 2},
    }
    changed = only(run(state, "facility.status", with_), "facility.status_changed")
    assert changed["from"] == "open"
    hospital = state.facilities[HOSPITAL]
    assert (hospital.status, hospital.diversion, hospital.beds) == (
        "diversion",
        ["trauma", "burns"],
        {"icu": 2},
    )
    assert hospital.status_by == DESK_ID and hospital.status_at is not None


@pytest.mark.parametrize(
    ("with_", "field"),
    [
        ({"facility": HOSPITAL, "state": "diversion"}, "with"),
        ({"facility": HOSPITAL, "state": "open", "services": ["trauma"]}, "with"),
        (
            {"facility": HOSPITAL, "state": "diversion", "services": ["dentistry"]},
            "with.services.0",
        ),
        ({"facility": HOSPITAL, "state": "open", "beds": {"icu": -1}}, "with.beds.icu"),
        ({"facility": HOSPITAL, "state": "full"}, "with.state"),
        ({"facility": "NOPE", "state": "open"}, "with.facility"),
    ],
)
def test_bad_hospital_status_is_refused_naming_the_field(
    with_: dict[str, object], field: str
) -> None:
    assert rejection(roster(), "facility.status", with_).field == field


def test_only_a_hospital_reports_status() -> None:
    state = roster()
    jail = {"id": "ZJL", "kind": "jail", "name": "Jail", "location": PLACE}
    run(state, "facility.register", jail, "admin:root")
    problem = rejection(state, "facility.status", {"facility": "ZJL", "state": "closed"})
    assert (problem.field, problem.code) == ("with.facility", "invalid")


@pytest.mark.parametrize(
    ("status", "need", "warning"),
    [
        (
            {"state": "diversion", "services": ["stroke"]},
            "stroke",
            "Zootopia General is on diversion for stroke",
        ),
        ({"state": "diversion", "services": ["stroke"]}, "trauma", None),
        (
            {"state": "diversion", "services": ["stroke"]},
            None,
            "Zootopia General is on diversion for stroke (patient's need not given)",
        ),
        ({"state": "closed"}, "trauma", "Zootopia General is closed"),
        ({"state": "open"}, "stroke", None),
    ],
)
def test_a_transport_to_a_hospital_on_diversion_for_its_need_is_warned(
    status: dict[str, object], need: str | None, warning: str | None
) -> None:
    state = roster()
    run(state, "facility.status", {"facility": HOSPITAL, **status})
    incident = new_incident(state, "MEDICAL", 2)
    put_on(state, "M-51", incident)
    with_: dict[str, object] = {
        "unit": "M-51",
        "patient": {"description": "a man"},
        "destination": HOSPITAL,
    }
    if need:
        with_["need"] = need
    started = only(run(state, "transport.start", with_, "officer:medic1"), "transport.started")
    assert started.get("warning") == warning
    assert started.get("need") == need
    assert state.units["M-51"].status == "transporting"  # warned, never refused


# --- the hospital's own account --------------------------------------------------------


def _two_hospitals() -> State:
    state = roster()
    other = {"id": "ZMC", "kind": "hospital", "name": "Zootopia Medical", "location": PLACE}
    run(state, "facility.register", other, "admin:root")
    return state


def test_a_hospital_account_sets_its_own_status() -> None:
    state = _two_hospitals()
    with_ = {"facility": HOSPITAL, "state": "diversion", "services": ["stroke"]}
    changed = only(
        run(state, "facility.status", with_, f"hospital:{HOSPITAL}"), "facility.status_changed"
    )
    assert changed["state"] == "diversion"
    assert state.facilities[HOSPITAL].status_by == HOSPITAL  # who set it: the hospital


def test_a_hospital_account_cannot_set_another_facility_status() -> None:
    state = _two_hospitals()
    problem = rejection(
        state, "facility.status", {"facility": "ZMC", "state": "closed"}, f"hospital:{HOSPITAL}"
    )
    assert (problem.field, problem.code) == ("with.facility", "forbidden")
    assert problem.reason == "a hospital account reports only its own facility (ZGH), not ZMC"


@pytest.mark.parametrize(
    ("do", "with_"),
    [
        ("message.send", {"to": "all", "text": "x"}),
        ("unit.dispatch", {"incident": "2026-000001", "units": ["M-51"]}),
        ("incident.note", {"incident": "2026-000001", "text": "x"}),
    ],
)
def test_a_hospital_account_does_nothing_else(do: str, with_: dict[str, object]) -> None:
    state = _two_hospitals()
    new_incident(state, "MEDICAL", 2)
    assert rejection(state, do, with_, f"hospital:{HOSPITAL}").code == "forbidden"


def test_a_hospital_reads_its_own_facility_and_the_transports_to_it_only() -> None:
    state = _two_hospitals()
    incident = new_incident(state, "MEDICAL", 2)
    put_on(state, "M-51", incident)
    put_on(state, "M-52", incident)
    to_us = {"unit": "M-51", "patient": {"description": "a man"}, "destination": HOSPITAL}
    to_them = {"unit": "M-52", "patient": {"description": "a woman"}, "destination": "ZMC"}
    started = only(run(state, "transport.start", to_us, "officer:medic1"), "transport.started")
    other = only(run(state, "transport.start", to_them, "officer:medic2"), "transport.started")
    run(state, "facility.status", {"facility": "ZMC", "state": "closed"})
    sight = sight_of("hospital", HOSPITAL)
    seen = sight.state(state_to_json(state))
    assert set(seen["facilities"]) == {HOSPITAL}
    assert set(seen["units"]) == {"M-51"}  # the ambulance coming here, not the other
    for hidden in ("incidents", "members", "calls", "subjects", "tips", "alerts", "messages"):
        assert seen[hidden] == {}, hidden
    assert set(seen["versions"]) == {f"facility:{HOSPITAL}", "unit:M-51"}
    # events: transports to it and its own facility's, nothing else
    assert sight.event({"type": "transport.started", **started}) is not None
    assert sight.event({"type": "transport.started", **other}) is None
    assert sight.event({"type": "facility.status_changed", "facility": "ZMC"}) is None
    assert sight.event({"type": "facility.status_changed", "facility": HOSPITAL}) is not None
    assert sight.event({"type": "incident.created", "incident": incident}) is None
    assert sight.event({"type": "unit.located", "unit": "M-51"}) is None
    # with no facility (an account made before the rule), nothing at all
    assert sight_of("hospital", None).state(state_to_json(state))["facilities"] == {}
