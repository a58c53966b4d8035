"""Model-based test of officer safety: random command sequences from every role, with
clock jumps, through the real service (SQLite journal in memory, simulated clock,
inline reactions), checking the rules of DOMAIN.md ("Officer safety", "Alerts") after
every step.

The model keeps what it needs from the events the service publishes (who made contact
when, since when an incident is priority 1, ...) and states each rule on its own,
without calling the policies under test. Every command may be refused by the domain:
a refusal is a legal outcome; anything else raised is a bug.

``TENFOUR_LONG=1`` selects the long run (many more and longer sequences).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from tenfour.clock import SimClock, Timer
from tenfour.domain import CommandRejected, State, evolve
from tenfour.domain.rules import UNIT_TRANSITIONS
from tenfour.domain.state import Alert, Emergency
from tenfour.domain.values import Actor
from tenfour.journal import SqliteEventStore, StoredEvent
from tenfour.service import Service

from .domain_support import PLACE, T0, StraightLine, offset

# --- profiles ----------------------------------------------------------------------------------
LONG = os.environ.get("TENFOUR_LONG") == "1"
SETTINGS = settings(
    max_examples=1000 if LONG else 100,
    stateful_step_count=60 if LONG else 40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# --- known bugs ----------------------------------------------------------------------------------
#: Bugs this machine found that are not fixed yet, each pinned by a strict xfail story at
#: the end of this file. The random runs do not send the trigger of one an invariant would
#: catch (``_known_bug``), so they stay green and keep looking for new ones. A fix makes
#: its story pass, which a strict xfail reports as a failure: then remove the entry here.
KNOWN_BUGS: dict[str, str] = {}

# --- the roster ----------------------------------------------------------------------------------
ADMIN = Actor("admin", "root")
DISPATCHER = Actor("dispatcher", "clawhauser")
CALLTAKER = Actor("calltaker", "ursula")
#: The watch supervisor is also the member on the supervisor unit.
SUPERVISOR = Actor("supervisor", "bogo")
HOSPITAL = "ZGH"

#: unit: (agency, kind, members, (metres north, east) of PLACE or None, on duty at 0:00)
UNITS: dict[str, tuple[str, str, list[str], tuple[int, int] | None, bool]] = {
    "P-1": ("ZPD", "patrol", ["hopps", "wilde"], (300, 0), True),
    "P-2": ("ZPD", "patrol", ["fangmeyer", "mchorn"], (-400, 600), True),
    "P-3": ("ZPD", "patrol", ["wolford", "delgato"], (900, -700), True),
    "P-4": ("ZPD", "patrol", ["higgins"], (-1200, 200), True),
    # Logged on with no position known anywhere: an emergency for him has no location.
    "P-5": ("ZPD", "patrol", ["trunkaby"], None, True),
    "P-6": ("ZPD", "patrol", ["swinton"], (1500, 1500), True),
    "P-7": ("ZPD", "patrol", ["finnick"], (-800, -1400), True),
    "P-8": ("ZPD", "patrol", ["otterton", "manchas"], None, False),
    "S-1": ("ZPD", "supervisor", ["bogo"], (200, 900), True),
    "M-1": ("ZFD", "ambulance-als", ["medic1", "medic2"], (-1500, 800), True),
    "M-2": ("ZFD", "ambulance-als", ["medic3"], (1000, 300), True),
}
#: Registered, on no unit at 0:00 (a shift may start with him).
SPARE = ["yax"]
#: Members of whom no position is known until one is reported (logged on without one).
UNPLACED = ["trunkaby", "otterton", "manchas", "yax"]
UNIT_IDS = list(UNITS)
AMBULANCES = ["M-1", "M-2"]
MEMBER_IDS = [m for (_, _, members, _, _) in UNITS.values() for m in members] + SPARE
HOME_UNIT = {m: u for u, (_, _, members, _, _) in UNITS.items() for m in members}
AGENCY_OF = {m: UNITS[u][0] for m, u in HOME_UNIT.items()} | {"yax": "ZPD"}

TYPES = ["NOISE", "THEFT", "ASSAULT", "FIGHT", "MEDICAL", "CARDIAC", "TRAFFIC", "SUSPICIOUS"]
#: What each need of the MAYDAY plan is answered by (DOMAIN.md "Officer emergency").
NEED_KINDS = {
    "police": {"patrol"},
    "ambulance-als": {"ambulance-als"},
    "supervisor": {"supervisor"},
}
RESPONDING = {"dispatched", "enroute", "onscene", "pursuit"}
#: A plan's unit still serves it while carrying the patient (DOMAIN.md's plan counts
#: units "responding"; an ambulance taking the downed officer in is not missing).
SERVING = RESPONDING | {"transporting", "athospital"}
TIMED = {"pursuit", "onscene"}
STATUS_CHECKS = {"status_check_overdue", "member_unresponsive"}
#: Automatic positions are not contact (DOMAIN.md "Status-check timers").
POSITIONS = {"unit.located", "member.located"}

metres = st.integers(-1000, 1000)
nearby = st.integers(-80, 80)
index = st.integers(0, 40)
priorities = st.integers(1, 5)
types = st.sampled_from(TYPES)
members = st.sampled_from(MEMBER_IDS)
units = st.sampled_from(UNIT_IDS)


def officer(member: str) -> Actor:
    return Actor("officer", member)


def pick(items: Sequence[str], i: int) -> str | None:
    return items[i % len(items)] if items else None


def place(north: int, east: int, base: Mapping[str, Any] = PLACE) -> dict[str, float]:
    return offset(north, east, base)


def brief(event: StoredEvent) -> str:
    """One event, short, for the story Hypothesis prints with a counterexample."""
    d = event.data
    keys: tuple[str, ...] = ("incident", "unit", "member", "emergency", "alert", "kind")
    keys += ("from", "to", "diverted_from", "reason", "priority", "incident_type", "count")
    keys += ("urgency",)
    shown: dict[str, Any] = {k: d[k] for k in keys if d.get(k) is not None}
    if d.get("location"):
        shown["at"] = (round(d["location"]["lat"], 4), round(d["location"]["lon"], 4))
    if event.type == "recommendation.made":
        shown["purpose"] = d.get("purpose")
        shown["need"] = d.get("need")
        shown["chosen"] = [c["unit"] for c in d.get("candidates", [])][: int(d.get("count", 0))]
    return f"    #{event.seq} {event.type} by {event.by} {json.dumps(shown)}"


#: More events than this in answer to one step is a loop of reactions, not a story.
RUNAWAY = 3000


class Runaway(BaseException):
    """Raised from the subscriber, past the service's ``except Exception`` guards."""


class GuardedClock(SimClock):
    """The simulated clock, failing (not hanging) when timers re-arm without end."""

    limit = 2000

    def advance_to(self, moment: datetime) -> None:
        self.fired = 0
        super().advance_to(moment)

    def _pop_due(self, now: datetime) -> Timer | None:
        timer = super()._pop_due(now)
        if timer is not None:
            self.fired += 1
            if self.fired > self.limit:
                raise AssertionError(f"{self.fired} timers ran at {now.isoformat()}: a loop")
        return timer


class SafetyModel(RuleBasedStateMachine):
    """The dispatch center, driven at random; the safety rules checked after each step."""

    def __init__(self) -> None:
        super().__init__()
        self.store = SqliteEventStore(":memory:")
        self.clock = GuardedClock(T0)
        self.service = Service(store=self.store, clock=self.clock, oracle=StraightLine())
        self.config = self.service.config
        # --- the model, kept from the published events ----------------------------------
        self.contact_at: dict[str, datetime] = {}  # member -> his last own contact
        self.member_contact_seq: dict[str, int] = {}
        self.unit_contact_seq: dict[str, int] = {}
        self.alert_seq: dict[str, int] = {}  # alert -> seq of its alert.raised
        self.p1_since: dict[str, datetime] = {}  # incident -> since when priority 1
        self.had_unit_as_p1: set[str] = set()
        self.left_by_diversion: set[str] = set()
        #: Rules broken at the instant of an event (checked by the invariants).
        self.raised_wrongly: list[str] = []
        self.candidates_wrongly: list[str] = []
        self.model_errors: list[str] = []
        self.timer_refusals: list[str] = []
        self.noted = 0
        self.avoid_known_bugs = True
        self.told: list[str] = []
        self.in_step = 0
        self.service.subscribe(self._seen)
        self._refusals = _Refusals(self.timer_refusals)
        timekeeper_log = logging.getLogger("tenfour.timekeeper")
        self._level = timekeeper_log.level
        timekeeper_log.setLevel(logging.INFO)
        timekeeper_log.addHandler(self._refusals)
        self._roster()

    def teardown(self) -> None:
        timekeeper_log = logging.getLogger("tenfour.timekeeper")
        timekeeper_log.removeHandler(self._refusals)
        timekeeper_log.setLevel(self._level)
        self.service.close()
        self.store.close()

    # --- set-up ------------------------------------------------------------------------------
    def _roster(self) -> None:
        def admin(do: str, with_: dict[str, Any]) -> None:
            self.service.submit(do, with_, ADMIN)

        admin("agency.register", {"id": "ZPD", "kind": "police", "name": "Zootopia Police"})
        admin("agency.register", {"id": "ZFD", "kind": "ems", "name": "Zootopia Fire and EMS"})
        hospital = {"id": HOSPITAL, "kind": "hospital", "name": "Zootopia General"}
        admin("facility.register", {**hospital, "location": place(-2000, -1500)})
        for member in MEMBER_IDS:
            rank = "chief" if member == "bogo" else "officer"
            with_ = {"id": member, "name": member.title(), "agency": AGENCY_OF[member]}
            admin("member.register", {**with_, "rank": rank})
        for unit, (agency, kind, _, _, _) in UNITS.items():
            admin("unit.register", {"id": unit, "agency": agency, "kind": kind})
        for unit, (_, _, crew, where, on_duty) in UNITS.items():
            if on_duty:
                shift: dict[str, Any] = {"unit": unit, "members": crew}
                if where is not None:
                    shift["location"] = place(*where)
                self.service.submit("shift.start", shift, DISPATCHER)
        self.noted = self.store.head()

    # --- the model -------------------------------------------------------------------------------
    @property
    def state(self) -> State:
        return self.service.state

    def now(self) -> datetime:
        return self.clock.now()

    def _seen(self, events: Sequence[StoredEvent]) -> None:
        self.in_step += len(events)
        if self.in_step > RUNAWAY:
            raise Runaway(f"{self.in_step} events in answer to one step: reactions loop")
        # The service swallows a subscriber's exceptions: keep them for an invariant.
        try:
            for event in events:
                self._observe(event)
        except Exception as error:
            self.model_errors.append(f"{type(error).__name__}: {error}")

    def _observe(self, event: StoredEvent) -> None:
        d, at = event.data, datetime.fromisoformat(event.at)
        kind = event.type
        if kind not in POSITIONS:
            self._contact(event, at)
        if kind == "incident.created":
            if d["priority"] == 1:
                self.p1_since[d["incident"]] = at
                if d.get("unit"):
                    self.had_unit_as_p1.add(d["incident"])
        elif kind == "incident.updated" and "priority" in d["changes"]:
            if d["changes"]["priority"] == 1:
                self.p1_since[d["incident"]] = at
                self.had_unit_as_p1.discard(d["incident"])
            else:
                self.p1_since.pop(d["incident"], None)
        if d.get("diverted_from"):
            self.left_by_diversion.add(d["diverted_from"])
            self._had_unit(d["diverted_from"])
        attaches = kind in ("unit.dispatched", "emergency.declared", "emergency.located")
        if kind == "unit.status_changed":
            attaches = d["to"] not in ("available", "outofservice", "offduty")
        if attaches and d.get("unit") and d.get("incident"):
            self._had_unit(d["incident"])
        if kind == "alert.raised":
            self.alert_seq[d["alert"]] = event.seq
            self._check_raised(event)
        if kind == "recommendation.made":
            self._check_candidates(event)

    def _had_unit(self, incident: str) -> None:
        if incident in self.p1_since:
            self.had_unit_as_p1.add(incident)

    def _contact(self, event: StoredEvent, at: datetime) -> None:
        """DOMAIN.md: contact is any action the member or unit takes itself; when a crew
        splits, only his own actions (or a check-in recorded for him) are his contact."""
        state, d = self.state, event.data
        members: set[str] = set()
        units: set[str] = set()
        if event.by in state.members:
            members.add(event.by)
            if state.members[event.by].unit:
                units.add(str(state.members[event.by].unit))
        if event.type in ("member.checked_in", "member.status_changed", "backup.requested"):
            if d.get("member"):
                members.add(d["member"])
            if d.get("unit"):
                units.add(d["unit"])
        if event.type == "unit.status_changed":
            units.add(d["unit"])  # a new status starts (or ends) the unit's checks
        for member in members:
            self.contact_at[member] = at
            self.member_contact_seq[member] = event.seq
        for unit in units:
            self.unit_contact_seq[unit] = event.seq

    def _check_raised(self, event: StoredEvent) -> None:
        """A status check is owed only by a member or unit on a timed status."""
        d = event.data
        if d["kind"] not in STATUS_CHECKS:
            return
        if d.get("member"):
            status = self.state.members[d["member"]].status
            who = f"member {d['member']}"
        else:
            status = self.state.units[d["unit"]].status
            who = f"unit {d['unit']}"
        if status not in TIMED:
            self.raised_wrongly.append(
                f"{d['kind']} {d['alert']} (seq {event.seq}) raised for {who}, "
                f"whose status is {status}: no status check is owed"
            )

    def _check_candidates(self, event: StoredEvent) -> None:
        """The distressed member's unit is never a candidate for other work."""
        d = event.data
        for candidate in d.get("candidates", []):
            for emergency in self._committed(candidate["unit"]):
                if emergency.incident is not None and emergency.incident != d.get("incident"):
                    self.candidates_wrongly.append(
                        f"recommendation #{event.seq} ({d.get('purpose')} for "
                        f"{d.get('incident')}) lists {candidate['unit']}, the unit of "
                        f"{emergency.id}'s distressed member (on {emergency.incident})"
                    )

    def _committed(self, unit: str) -> list[Emergency]:
        """The open emergencies whose distressed member's unit ``unit`` is."""
        return [e for e in self.state.emergencies.values() if e.open and unit in self._own(e)]

    def _own(self, emergency: Emergency) -> set[str]:
        own = {emergency.unit} if emergency.unit else set()
        member = self.state.members.get(emergency.member or "")
        if member is not None and member.unit:
            own.add(member.unit)
        return own

    def _active(self, kind: str, **about: str | None) -> list[Alert]:
        return [
            a
            for a in self.state.alerts.values()
            if a.resolved_at is None
            and a.kind == kind
            and all(getattr(a, k) == v for k, v in about.items())
        ]

    def _units_on(self, incident: str) -> list[str]:
        return sorted(u.id for u in self.state.units.values() if u.incident == incident)

    def _gaps(self, emergency: Emergency) -> list[str]:
        """What the plan lacks on the emergency's own incident, need by need."""
        own = self._own(emergency)
        incident = self.state.incidents.get(emergency.incident or "")
        gaps = []
        for need, wanted in self.config.mayday.items():
            kinds = NEED_KINDS.get(need, {need})
            found = [
                u.id
                for u in self.state.units.values()
                if incident is not None
                and incident.open
                and u.incident == incident.id
                and u.kind in kinds
                and u.status in SERVING
                and u.id not in own
            ]
            if len(found) < wanted:
                gaps.append(f"{need} {len(found)} of {wanted} {found}")
        return gaps

    # --- acting ---------------------------------------------------------------------------------
    def do(self, actor: Actor, command: str, with_: dict[str, Any]) -> bool:
        """Submit one command; a refusal is a legal outcome. The story is noted."""
        stamp = f"+{int((self.now() - T0).total_seconds())}s"
        line = f"{stamp} {actor} {command} {json.dumps(with_)}"
        known = self._known_bug(command, with_) if self.avoid_known_bugs else None
        if known is not None:
            self.say(f"{line}\n    not sent: it would trigger the known bug {known}")
            return False
        self.in_step = 0
        try:
            self.service.submit(command, with_, actor)
        except CommandRejected as rejected:
            self.say(f"{line}\n    refused: {rejected}")
            return False
        except Runaway as runaway:
            self.say(line)
            self._note_events(limit=60)
            raise AssertionError(str(runaway)) from None
        self.say(line)
        self._note_events()
        return True

    def _known_bug(self, command: str, with_: dict[str, Any]) -> str | None:
        """The entry of ``KNOWN_BUGS`` this command would trigger, if any."""
        # None pinned now; an entry's trigger goes here, e.g.
        # ``if "name" in KNOWN_BUGS and command == "...": return "name"``.
        del command, with_
        return None

    def say(self, line: str) -> None:
        """Tell the story: printed by Hypothesis with a counterexample, and by a replay."""
        self.told.append(line)
        with suppress(InvalidArgument):  # a replay, outside Hypothesis
            note(line)

    def _note_events(self, limit: int | None = None) -> None:
        events = list(self.store.read(after=self.noted, limit=limit))
        for event in events:
            self.say(brief(event))
        if events:
            self.noted = events[-1].seq

    def incident(self, i: int) -> str | None:
        return pick(sorted(self.state.incidents), i)

    def open_incident_id(self, i: int) -> str | None:
        return pick(sorted(k for k, v in self.state.incidents.items() if v.open), i)

    def has_incidents(self) -> bool:
        return bool(self.state.incidents)

    def has_emergencies(self) -> bool:
        return bool(self.state.emergencies)

    def has_alerts(self) -> bool:
        return any(a.resolved_at is None for a in self.state.alerts.values())

    def unit_of(self, member: str) -> str:
        return self.state.members[member].unit or HOME_UNIT.get(member, "P-8")

    def crew(self, unit: str) -> Actor:
        crew = self.state.units[unit].members
        return officer(crew[0]) if crew else DISPATCHER

    # --- rules: calls and incidents -----------------------------------------------------------------
    @rule(
        by=st.sampled_from([CALLTAKER, DISPATCHER]),
        type_=types,
        priority=priorities,
        north=metres,
        east=metres,
    )
    def open_incident(self, by: Actor, type_: str, priority: int, north: int, east: int) -> None:
        with_ = {"type": type_, "priority": priority, "location": place(north, east)}
        self.do(by, "incident.create", with_)

    @rule(
        member=members,
        by_self=st.booleans(),
        type_=types,
        priority=priorities,
        north=metres,
        east=metres,
    )
    def initiate_incident(
        self, member: str, by_self: bool, type_: str, priority: int, north: int, east: int
    ) -> None:
        with_ = {"member": member, "type": type_, "priority": priority}
        with_["location"] = place(north, east)
        self.do(officer(member) if by_self else DISPATCHER, "incident.initiate", with_)

    @rule(type_=types, priority=priorities, north=metres, east=metres)
    def report_call(self, type_: str, priority: int, north: int, east: int) -> None:
        with_ = {"text": "caller reports", "type": type_, "priority": priority}
        self.do(CALLTAKER, "call.create", {**with_, "location": place(north, east)})

    @precondition(has_incidents)
    @rule(
        i=index,
        same_type=st.booleans(),
        type_=types,
        priority=priorities,
        north=nearby,
        east=nearby,
    )
    def report_same_again(
        self, i: int, same_type: bool, type_: str, priority: int, north: int, east: int
    ) -> None:
        """A second caller, close to an incident: maybe a duplicate."""
        incident = self.state.incidents[str(self.incident(i))]
        type_ = incident.type if same_type else type_
        with_ = {"text": "another caller", "type": type_, "priority": priority}
        self.do(
            CALLTAKER, "call.create", {**with_, "location": place(north, east, incident.location)}
        )

    @precondition(has_incidents)
    @rule(i=index, priority=priorities)
    def reprioritize(self, i: int, priority: int) -> None:
        with_ = {"incident": self.open_incident_id(i) or self.incident(i), "priority": priority}
        self.do(DISPATCHER, "incident.update", with_)

    @precondition(has_incidents)
    @rule(i=index, force=st.booleans())
    def close_incident(self, i: int, force: bool) -> None:
        with_: dict[str, Any] = {"incident": self.open_incident_id(i) or self.incident(i)}
        with_["disposition"] = "handled"
        if force:
            with_["force"] = True
        self.do(DISPATCHER, "incident.close", with_)

    # --- rules: units and members ---------------------------------------------------------------
    @precondition(has_incidents)
    @rule(
        i=index,
        chosen=st.lists(units, min_size=1, max_size=2, unique=True),
        reassign=st.booleans(),
        mode=st.sampled_from(["routine", "emergency"]),
    )
    def dispatch(self, i: int, chosen: list[str], reassign: bool, mode: str) -> None:
        with_: dict[str, Any] = {"incident": self.open_incident_id(i) or self.incident(i)}
        with_.update(units=chosen, mode=mode)
        if reassign:
            with_["reassign"] = True
        self.do(DISPATCHER, "unit.dispatch", with_)

    @rule(
        unit=units,
        choice=st.integers(0, 9),
        other=st.none() | index,
        by_crew=st.booleans(),
    )
    def unit_status(self, unit: str, choice: int, other: int | None, by_crew: bool) -> None:
        allowed = UNIT_TRANSITIONS[self.state.units[unit].status] or ("available",)
        with_: dict[str, Any] = {"unit": unit, "status": allowed[choice % len(allowed)]}
        if other is not None and self.state.incidents:
            with_["incident"] = self.open_incident_id(other) or self.incident(other)
        self.do(self.crew(unit) if by_crew else DISPATCHER, "unit.status", with_)

    @rule(
        member=members,
        status=st.sampled_from(["pursuit", "away", "onscene", "with_unit", "pursuit"]),
        by_self=st.booleans(),
        on=st.none() | index,
    )
    def member_status(self, member: str, status: str, by_self: bool, on: int | None) -> None:
        with_: dict[str, Any] = {"member": member, "status": status}
        if on is not None and self.state.incidents:
            with_["incident"] = self.open_incident_id(on) or self.incident(on)
        self.do(officer(member) if by_self else DISPATCHER, "member.status", with_)

    @rule(
        member=members,
        how=st.sampled_from(["self", "desk_for_him", "desk_for_unit", "self_for_unit"]),
    )
    def check_in(self, member: str, how: str) -> None:
        by = officer(member) if how.startswith("self") else DISPATCHER
        if how.endswith("unit"):
            self.do(by, "member.checkin", {"unit": self.unit_of(member)})
        else:
            self.do(by, "member.checkin", {"member": member})

    @precondition(has_incidents)
    @rule(
        i=index,
        member=members,
        for_unit=st.booleans(),
        urgency=st.sampled_from(["routine", "urgent"]),
        count=st.integers(1, 3),
        by_self=st.booleans(),
    )
    def request_backup(
        self, i: int, member: str, for_unit: bool, urgency: str, count: int, by_self: bool
    ) -> None:
        with_: dict[str, Any] = {"incident": self.open_incident_id(i) or self.incident(i)}
        with_.update(urgency=urgency, count=count)
        if for_unit:
            with_["unit"] = self.unit_of(member)
        else:
            with_["member"] = member
        self.do(officer(member) if by_self else DISPATCHER, "backup.request", with_)

    @rule(unit=st.sampled_from(AMBULANCES), by_crew=st.booleans())
    def ambulance_on_scene(self, unit: str, by_crew: bool) -> None:
        """An ambulance arrives (a transport starts on scene)."""
        actor = self.crew(unit) if by_crew else DISPATCHER
        self.do(actor, "unit.status", {"unit": unit, "status": "onscene"})

    @rule(unit=st.sampled_from(AMBULANCES), by_crew=st.booleans())
    def start_transport(self, unit: str, by_crew: bool) -> None:
        with_ = {
            "unit": unit,
            "patient": {"description": "adult, injured"},
            "destination": HOSPITAL,
        }
        self.do(self.crew(unit) if by_crew else DISPATCHER, "transport.start", with_)

    @rule(unit=st.sampled_from(AMBULANCES), by_crew=st.booleans())
    def arrive(self, unit: str, by_crew: bool) -> None:
        self.do(self.crew(unit) if by_crew else DISPATCHER, "transport.arrive", {"unit": unit})

    @rule(unit=units, by_crew=st.booleans())
    def end_shift(self, unit: str, by_crew: bool) -> None:
        self.do(self.crew(unit) if by_crew else DISPATCHER, "shift.end", {"unit": unit})

    @rule(
        unit=units,
        first=index,
        size=st.integers(1, 2),
        where=st.none() | st.tuples(metres, metres),
    )
    def start_shift(self, unit: str, first: int, size: int, where: tuple[int, int] | None) -> None:
        free = sorted(m.id for m in self.state.members.values() if not m.on_duty)
        crew = [free[(first + k) % len(free)] for k in range(size)] if free else ["hopps"]
        with_: dict[str, Any] = {"unit": unit, "members": sorted(set(crew))}
        if where is not None:
            with_["location"] = place(*where)
        self.do(DISPATCHER, "shift.start", with_)

    @rule(unit=units, north=metres, east=metres, by_crew=st.booleans())
    def unit_position(self, unit: str, north: int, east: int, by_crew: bool) -> None:
        """AVL (by system) or the MDT: a position, never contact."""
        point = place(north, east)
        actor = self.crew(unit) if by_crew else Actor("system", "system")
        self.do(actor, "unit.locate", {"unit": unit, **point})

    @rule(member=members, north=metres, east=metres)
    def member_position(self, member: str, north: int, east: int) -> None:
        self.do(
            Actor("system", "system"), "member.locate", {"member": member, **place(north, east)}
        )

    # --- rules: emergencies and alerts -------------------------------------------------------------
    @rule(
        member=members,
        by=st.sampled_from(["self", "partner", "dispatcher", "dispatcher_for_unit", "other"]),
        where=st.none() | st.tuples(metres, metres),
    )
    def declare_emergency(self, member: str, by: str, where: tuple[int, int] | None) -> None:
        with_: dict[str, Any] = {"member": member, "text": "officer down"}
        crew = self.state.units[self.unit_of(member)].members
        partners = [m for m in crew if m != member]
        actor = {
            "self": officer(member),
            "partner": officer(partners[0]) if partners else DISPATCHER,
            "other": officer("finnick" if member != "finnick" else "swinton"),
        }.get(by, DISPATCHER)
        if by == "dispatcher_for_unit":
            with_ = {"unit": self.unit_of(member), "text": "unit in distress"}
        if where is not None:
            with_["location"] = place(*where)
        self.do(actor, "emergency.declare", with_)

    @rule(member=st.sampled_from(UNPLACED), by_self=st.booleans())
    def declare_emergency_unplaced(self, member: str, by_self: bool) -> None:
        """An officer down of whom no position may be known: never refused (DOMAIN.md)."""
        actor = officer(member) if by_self else DISPATCHER
        self.do(actor, "emergency.declare", {"member": member, "text": "officer down"})

    @precondition(has_emergencies)
    @rule(i=index, unlocated_first=st.booleans(), north=metres, east=metres)
    def locate_emergency(self, i: int, unlocated_first: bool, north: int, east: int) -> None:
        pool = sorted(self.state.emergencies)
        unlocated = [e for e in pool if self.state.emergencies[e].location is None]
        emergency = pick(unlocated if unlocated_first and unlocated else pool, i)
        with_ = {"emergency": emergency, "location": place(north, east)}
        self.do(DISPATCHER, "emergency.locate", with_)

    @precondition(has_emergencies)
    @rule(i=index, by=st.sampled_from([SUPERVISOR, SUPERVISOR, DISPATCHER]))
    def clear_emergency(self, i: int, by: Actor) -> None:
        pool = sorted(self.state.emergencies)
        still = [e for e in pool if self.state.emergencies[e].open]
        self.do(by, "emergency.clear", {"emergency": pick(still or pool, i)})

    @precondition(has_alerts)
    @rule(i=index, by=st.sampled_from([DISPATCHER, SUPERVISOR]))
    def acknowledge(self, i: int, by: Actor) -> None:
        active = sorted(a.id for a in self.state.alerts.values() if a.resolved_at is None)
        self.do(by, "alert.acknowledge", {"alert": pick(active, i)})

    # --- rules: time ----------------------------------------------------------------------------------
    @rule(seconds=st.integers(1, 120) | st.integers(121, 900))
    def advance(self, seconds: int) -> None:
        """The clock jumps; the timers due on the way fire."""
        self.say(f"+{int((self.now() - T0).total_seconds())}s advance {seconds} s")
        self.in_step = 0
        try:
            self.clock.advance_to(self.now() + timedelta(seconds=seconds))
        except Runaway as runaway:
            self._note_events(limit=60)
            raise AssertionError(str(runaway)) from None
        self._note_events()

    # --- the invariants ----------------------------------------------------------------------------
    @invariant()
    def i1_every_located_emergency_has_its_plan_or_plan_short(self) -> None:
        for emergency in self.state.emergencies.values():
            if not emergency.open or emergency.location is None:
                continue
            gaps = self._gaps(emergency)
            # One scene, one plan: two emergencies on one incident share its responders,
            # and one plan_short for the scene says what it lacks.
            scene = [
                e.id
                for e in self.state.emergencies.values()
                if e.open and e.incident == emergency.incident
            ]
            if gaps and not any(self._active("plan_short", emergency=e) for e in scene):
                raise AssertionError(
                    f"open emergency {emergency.id} (incident {emergency.incident}, own units "
                    f"{sorted(self._own(emergency))}) lacks {gaps} with no active plan_short"
                )

    @invariant()
    def i2_no_unit_is_on_two_incidents(self) -> None:
        for unit in self.state.units.values():
            listed = sorted(i.id for i in self.state.incidents.values() if unit.id in i.units)
            expected = [unit.incident] if unit.incident else []
            assert listed == expected, (
                f"unit {unit.id} ({unit.status}) says it is on {unit.incident}, "
                f"but is listed on {listed}"
            )

    @invariant()
    def i3_the_distressed_members_unit_stays_with_him(self) -> None:
        for emergency in self.state.emergencies.values():
            if not emergency.open or emergency.incident is None:
                continue
            for unit_id in sorted(self._own(emergency)):
                unit = self.state.units[unit_id]
                # Two of its crew down at two scenes: it can stay with one of them only.
                theirs = {e.incident for e in self._committed(unit_id)}
                assert unit.incident is None or unit.incident in theirs, (
                    f"unit {unit.id} of {emergency.id}'s distressed member "
                    f"{emergency.member} is {unit.status} on {unit.incident}, "
                    f"not on the emergency's incident {emergency.incident}"
                )

    @invariant()
    def i4_a_member_in_pursuit_is_heard_from_or_alerted(self) -> None:
        limit = timedelta(seconds=self.config.timers.pursuit_s)
        for member in self.state.members.values():
            if member.status != "pursuit":
                continue
            last = self.contact_at[member.id]
            alerts = [a for a in self.state.alerts.values() if a.member == member.id]
            alerted = [a for a in alerts if a.kind in STATUS_CHECKS and a.resolved_at is None]
            silent = self.now() - last
            assert silent <= limit or alerted, (
                f"member {member.id} in pursuit: no contact for {silent.total_seconds():.0f} s "
                f"(since {last.isoformat()}), and no active status check alert; his alerts: "
                f"{[(a.id, a.kind, a.resolved_reason) for a in alerts]}"
            )
            # Cross-check: the timekeeper is watching him.
            watch = self.service.watches.pending.get(("member", member.id))
            assert watch is not None, f"member {member.id} in pursuit has no status-check watch"

    @invariant()
    def i5_a_priority_1_incident_has_a_unit_or_an_alert(self) -> None:
        limit = timedelta(seconds=self.config.timers.unassigned_p1_s)
        for incident in self.state.incidents.values():
            if not incident.open or incident.priority != 1:
                continue
            if self._units_on(incident.id):
                self.had_unit_as_p1.add(incident.id)
                continue
            if self._active("incident_unassigned", incident=incident.id):
                continue
            since = self.p1_since.get(incident.id)
            assert since is not None, f"the model missed {incident.id} becoming priority 1"
            young = self.now() - since < limit
            had = incident.id in self.had_unit_as_p1
            assert young and not had, (
                f"priority-1 incident {incident.id} ({incident.type}) has no unit and no "
                f"active incident_unassigned alert: priority 1 for "
                f"{(self.now() - since).total_seconds():.0f} s, "
                f"{'had a unit' if had else 'never had a unit'}"
            )

    @invariant()
    def i6_every_active_alert_still_holds(self) -> None:
        assert not self.raised_wrongly, self.raised_wrongly
        for alert in sorted(self.state.alerts.values(), key=lambda a: a.id):
            if alert.resolved_at is None:
                why = self._ended(alert)
                assert why is None, (
                    f"alert {alert.id} {alert.kind} (member {alert.member}, unit {alert.unit}, "
                    f"incident {alert.incident}, emergency {alert.emergency}) is still "
                    f"active, but {why}"
                )

    def _ended(self, alert: Alert) -> str | None:
        """Why ``alert``'s condition no longer holds (None while it does)."""
        state = self.state
        emergency = state.emergencies.get(alert.emergency or "")
        incident = state.incidents.get(alert.incident or "")
        if alert.kind == "emergency":
            return None if emergency and emergency.open else "its emergency is cleared"
        if alert.kind == "plan_short":
            if emergency is None or not emergency.open:
                return "its emergency is cleared"
            return None if self._gaps(emergency) else "the plan is filled"
        if alert.kind == "incident_unassigned":
            if incident is None or not incident.open:
                return "the incident is closed"
            on = self._units_on(incident.id)
            return f"units {on} are on the incident" if on else None
        if alert.kind == "dispatch_unacknowledged":
            unit = state.units[str(alert.unit)]
            if unit.incident != alert.incident or unit.status != "dispatched":
                return f"unit {unit.id} is {unit.status} on {unit.incident}"
            return None
        if alert.kind in STATUS_CHECKS:
            raised = self.alert_seq[alert.id]
            if alert.member:
                member = state.members[alert.member]
                if member.status in ("offduty", "down"):
                    return f"member {member.id} is {member.status}"
                heard = self.member_contact_seq.get(member.id, 0)
                return f"{member.id} made contact (seq {heard})" if heard > raised else None
            unit = state.units[str(alert.unit)]
            if not unit.logged_on:
                return f"unit {unit.id} is off duty"
            heard = self.unit_contact_seq.get(unit.id, 0)
            return f"{unit.id} made contact (seq {heard})" if heard > raised else None
        if alert.kind == "backup_requested":
            return None if incident and incident.open else "the incident is closed"
        return None  # policy_failed: only a person ends it

    @invariant()
    def i7_one_active_alert_per_condition(self) -> None:
        seen: dict[tuple[str | None, ...], str] = {}
        for alert in sorted(self.state.alerts.values(), key=lambda a: a.id):
            if alert.resolved_at is not None or alert.kind == "policy_failed":
                continue
            key = _condition(alert)
            assert key not in seen, f"alerts {seen[key]} and {alert.id} are both active for {key}"
            seen[key] = alert.id

    @invariant()
    def i8_the_journal_refolds_to_the_live_state(self) -> None:
        fresh = State()
        for event in self.store.read():
            evolve(fresh, event)
        if fresh != self.state:  # as dataclasses.asdict would compare them, only faster
            live, again = dataclasses.asdict(self.state), dataclasses.asdict(fresh)
            differ = {k: (live[k], again[k]) for k in live if live[k] != again[k]}
            raise AssertionError(f"refolded state differs from the live one: {differ}")

    @invariant()
    def i9_no_policy_failed(self) -> None:
        failed = [a.text for a in self.state.alerts.values() if a.kind == "policy_failed"]
        assert not failed, failed
        assert not self.service.policy_failures, self.service.policy_failures
        assert not self.timer_refusals, self.timer_refusals
        assert not self.model_errors, self.model_errors

    # --- further rules of DOMAIN.md "Officer safety" -------------------------------------------------
    @invariant()
    def i10_the_distressed_members_unit_is_no_candidate_for_other_work(self) -> None:
        assert not self.candidates_wrongly, self.candidates_wrongly

    @invariant()
    def i11_an_incident_left_by_a_diversion_is_alerted(self) -> None:
        for incident_id in sorted(self.left_by_diversion):
            incident = self.state.incidents[incident_id]
            if not incident.open or self._units_on(incident_id):
                self.left_by_diversion.discard(incident_id)
                continue
            assert self._active("incident_unassigned", incident=incident_id), (
                f"incident {incident_id} (priority {incident.priority}) lost its last unit "
                "to a diversion and has no active incident_unassigned alert"
            )


def _condition(alert: Alert) -> tuple[str | None, ...]:
    """What an alert is about: the kind and the member, unit, incident or emergency."""
    if alert.kind in STATUS_CHECKS:
        return (alert.kind, "member", alert.member) if alert.member else (alert.kind, alert.unit)
    if alert.kind == "dispatch_unacknowledged":
        return (alert.kind, alert.unit, alert.incident)
    if alert.kind == "incident_unassigned":
        return (alert.kind, alert.incident)
    if alert.kind in ("emergency", "plan_short"):
        return (alert.kind, alert.emergency)
    return (alert.kind, alert.incident, alert.member, alert.unit)


class _Refusals(logging.Handler):
    """The timekeeper logs (and swallows) an alert the domain refused: keep them."""

    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.INFO)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("deadline "):
            self.into.append(record.getMessage())


SafetyModel.TestCase.settings = SETTINGS
TestSafetyModel = SafetyModel.TestCase


# --- the counterexamples found, replayed step by step ---------------------------------------------
CHECKS = sorted(name for name in vars(SafetyModel) if re.match(r"i\d+_", name))


class Story:
    """Rules of the machine called by hand, every invariant checked after each one."""

    def __init__(self) -> None:
        self.machine = SafetyModel()
        self.machine.avoid_known_bugs = False  # a story sends exactly what it says
        self.check()

    def check(self) -> None:
        for name in CHECKS:
            getattr(self.machine, name)()

    def __getattr__(self, rule: str) -> Callable[..., None]:
        def step(**with_: Any) -> None:
            try:
                getattr(self.machine, rule)(**with_)
                self.check()
            except AssertionError as error:
                error.add_note("\n".join(self.machine.told))
                raise

        return step


@contextmanager
def story() -> Iterator[Story]:
    told = Story()
    try:
        yield told
    finally:
        told.machine.teardown()


def test_force_closing_an_emergencys_incident_says_the_plan_is_short() -> None:
    with story() as s:
        s.declare_emergency(by="self", member="hopps", where=None)
        s.close_incident(i=0, force=True)


def test_an_officer_initiated_incident_is_not_left_in_silence_by_shift_end() -> None:
    with story() as s:
        s.initiate_incident(
            member="hopps", by_self=False, type_="NOISE", priority=1, north=0, east=0
        )
        s.end_shift(unit="P-1", by_crew=False)


def test_urgent_backup_does_not_fail_on_an_officer_initiated_incidents_unit() -> None:
    with story() as s:
        s.initiate_incident(
            member="higgins", by_self=False, type_="NOISE", priority=3, north=-1200, east=200
        )
        s.open_incident(by=CALLTAKER, type_="THEFT", priority=3, north=-1200, east=250)
        s.request_backup(
            i=1, member="finnick", for_unit=False, urgency="urgent", count=1, by_self=False
        )


def test_a_responder_going_busy_is_replaced_or_the_plan_said_short() -> None:
    with story() as s:
        s.declare_emergency(by="self", member="hopps", where=None)
        s.unit_status(unit="P-2", choice=3, other=None, by_crew=False)  # dispatched -> busy


def test_a_member_acknowledging_an_alert_has_made_contact() -> None:
    with story() as s:
        s.member_status(member="bogo", status="pursuit", by_self=False, on=None)
        s.advance(seconds=121)
        s.acknowledge(i=0, by=SUPERVISOR)


def test_a_lowered_mayday_incident_still_gets_its_plan_topped_up() -> None:
    with story() as s:
        s.declare_emergency(by="self", member="fangmeyer", where=None)
        s.reprioritize(i=0, priority=2)
        s.unit_status(unit="P-1", choice=2, other=None, by_crew=False)  # dispatched -> available


def test_an_ambulance_transporting_from_a_mayday_scene() -> None:
    with story() as s:
        s.declare_emergency(by="self", member="fangmeyer", where=None)
        s.unit_status(unit="M-1", choice=1, other=None, by_crew=False)  # dispatched -> onscene
        s.start_transport(unit="M-1", by_crew=False)


def test_two_of_a_crew_down_at_two_scenes() -> None:
    with story() as s:
        s.declare_emergency(by="self", member="hopps", where=None)
        s.declare_emergency(by="self", member="wilde", where=(0, 0))
        s.clear_emergency(i=1, by=SUPERVISOR)  # wilde's


def test_two_of_a_crew_down_at_two_scenes_the_first_cleared() -> None:
    with story() as s:
        s.declare_emergency(by="self", member="hopps", where=None)
        s.declare_emergency(by="self", member="wilde", where=(0, 0))
        s.clear_emergency(i=0, by=SUPERVISOR)  # hopps's: P-1 stays on his incident


def test_two_emergencies_on_one_scene_with_different_own_units() -> None:
    with story() as s:
        s.declare_emergency(by="self", member="hopps", where=(1000, 300))  # M-2 is the ALS
        s.declare_emergency(by="self", member="medic3", where=None)  # M-2's medic, same scene
        s.unit_status(unit="M-1", choice=2, other=None, by_crew=False)  # dispatched -> available


def test_a_responder_down_on_the_scene_is_not_counted_for_the_first_emergency() -> None:
    with story() as s:
        s.declare_emergency(by="self", member="hopps", where=(0, 0))  # P-3 among the police
        s.declare_emergency(by="self", member="wolford", where=(0, 0))  # P-3's, on that scene
        s.unit_status(unit="P-2", choice=2, other=None, by_crew=False)  # dispatched -> available


def test_two_lowered_mayday_incidents_do_not_take_units_back_and_forth() -> None:
    with story() as s:
        s.declare_emergency(by="self", member="hopps", where=None)
        s.declare_emergency(by="self", member="swinton", where=None)
        s.reprioritize(i=0, priority=3)
        s.reprioritize(i=1, priority=3)
        s.dispatch(i=1, chosen=["P-2"], reassign=True, mode="emergency")


def test_the_distressed_members_unit_is_not_sent_to_another_emergency() -> None:
    with story() as s:
        s.declare_emergency(by="self", member="hopps", where=None)  # P-1 stays, available
        s.declare_emergency(by="self", member="swinton", where=None)  # few police are left


def test_a_unit_on_its_own_officer_initiated_incident_is_reassigned_explicitly() -> None:
    with story() as s:
        s.initiate_incident(
            member="hopps", by_self=True, type_="SUSPICIOUS", priority=2, north=0, east=0
        )
        s.open_incident(by=CALLTAKER, type_="THEFT", priority=3, north=300, east=0)
        s.dispatch(i=1, chosen=["P-1"], reassign=False, mode="routine")
        taken = [e.data for e in s.machine.store.read() if e.type == "unit.dispatched"]
        assert not taken, f"P-1 taken off hopps's incident without reassign: {taken}"
