"""Drive a week of real calls through the real service and journal on a simulated clock.

For each call, at its real received time, a calltaker creates it (``call.create``);
the recommendation policy answers with ``recommendation.made``, every eligible unit
ranked by road drive time. Each real unit response ("slot") is then dispatched at its
real dispatch time: the best-ranked unit of the same kind still available (or, with
``as_dispatched``, the real unit, when it is on the roster and available). The unit
goes en route at once and drives its route (``sim.movement``) at the map's speeds;
on arrival it is on scene for as long as the real unit was, transports to the nearest
hospital when the real unit did, stays there as long as the real unit did, comes
back ``available`` and drives home; an ambulance drives to its post instead
(``posts``: configured, or estimated from the calls before that moment). A unit the real dispatchers cancelled before it
arrived is cancelled after the same time. Once every slot of a call is done the
incident is closed with the real disposition.

With ``plans`` (``replay sffd --plans``) Ten-Four chooses the kinds and counts too:
at the call's first real dispatch time the units its response plan recommended (one
``recommendation.made`` per need, nearest first) are dispatched together, the best
ranked still available. Each takes the real times of a real unit of its kind on the
call (the first to arrive first); a unit of a kind the real call did not get takes the
times of the call's first unit that did not transport, and real units beyond the plan
are not replayed. ``ReplayRun.choices`` keeps, per call, the kinds sent and the
plan's needs, for the report's comparison with the real assignment.

Everything goes through ``Service.handle``; future steps are clock timers, so the
scenario runner's clock and this replay's are one engine. Everything up to one call's
arrival is one journal transaction (``grouped``): the same journal as one commit per
command, with a twentieth of the fsyncs.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from tenfour.bootstrap import build_service
from tenfour.clock import SimClock
from tenfour.domain.commands import parse_command
from tenfour.domain.errors import CommandRejected
from tenfour.domain.values import Actor, distance_m
from tenfour.journal import EventStore, SqliteEventStore, StoredEvent
from tenfour.service import Handled
from tenfour.sim.movement import Movement
from tenfour.sim.replay.calls import Call, Slot
from tenfour.sim.replay.grouped import GroupedStore
from tenfour.sim.replay.plan import Hospital, ReplayPlan, on_map
from tenfour.sim.replay.posts import AMBULANCE_KINDS, PostEstimator
from tenfour.sim.roster import apply_roster

CALLTAKER = Actor("calltaker", "replay")
DISPATCHER = Actor("dispatcher", "replay")
AVL = Actor("system", "avl")
JOURNAL = "journal.db"

Progress = Callable[[int, int, datetime], None]


@dataclass(frozen=True)
class ReplayOptions:
    as_dispatched: bool = False
    speed: float | None = None  # None: as fast as possible; N: N times real time
    locate_every_s: float = 60.0
    plans: bool = False  # Ten-Four's response plans choose kinds and counts
    #: One journal transaction per step (grouped.py); False: one per command, as a
    #: server commits them (the benchmark's baseline).
    group_steps: bool = True
    #: Local days whose calls the report's travel-model evaluation holds out (heldout.py).
    held_out_days: tuple[str, ...] = ()

    @property
    def mode(self) -> str:
        if self.as_dispatched:
            return "as-dispatched"
        return "planned" if self.plans else "recommended"


@dataclass
class ReplayRun:
    """What a replay did: the journal it wrote and how it went."""

    plan: ReplayPlan
    options: ReplayOptions
    journal: Path
    start: datetime
    end: datetime
    wall_s: float = 0.0
    events: int = 0
    commands: int = 0
    commits: int = 0  # journal transactions of the replay's steps (see grouped.py)
    transactions_asked: int = 0  # by the service, one per command: the commits without steps
    routes: int = 0
    slots: Counter[str] = field(default_factory=Counter)
    rejected: list[str] = field(default_factory=list)
    policy_failures: list[str] = field(default_factory=list)
    #: Where units drove after clearing: ambulances to a post (configured or estimated).
    returns: Counter[str] = field(default_factory=Counter)
    #: With plans: per call, the unit kinds sent and the needs the plan recommended.
    choices: list[tuple[Call, dict[str, int], dict[str, int]]] = field(default_factory=list)


@dataclass
class _Open:
    """A call being replayed."""

    call: Call
    incident: str
    point: tuple[float, float]
    pending: int
    ranking: Sequence[Mapping[str, Any]] = ()


def open_journal(out_dir: Path) -> SqliteEventStore:
    """A fresh durable journal in ``out_dir`` (an earlier one is replaced)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in (JOURNAL, f"{JOURNAL}-wal", f"{JOURNAL}-shm"):
        (out_dir / stale).unlink(missing_ok=True)
    return SqliteEventStore(out_dir / JOURNAL)


def run_replay(
    plan: ReplayPlan,
    out_dir: Path,
    options: ReplayOptions | None = None,
    progress: Progress | None = None,
    store: EventStore | None = None,
) -> ReplayRun:
    """Replay ``plan`` into ``out_dir/journal.db`` (or ``store``); see the module."""
    options = options or ReplayOptions()
    own_store = store is None
    journal = store or open_journal(out_dir)
    grouped = GroupedStore(journal)
    started = time.perf_counter()
    try:
        replay = _Replay(plan, options, grouped)
        run = replay.run(progress)
        run.journal = out_dir / JOURNAL
        run.events = journal.head()
        run.commits = grouped.groups
        run.transactions_asked = grouped.asked
    finally:
        if own_store:
            journal.close()
    run.wall_s = time.perf_counter() - started
    return run


class _Replay:
    def __init__(self, plan: ReplayPlan, options: ReplayOptions, store: GroupedStore) -> None:
        calls = plan.kept
        first = calls[0].received if calls else datetime(2000, 1, 1, tzinfo=UTC)
        self.start = first - timedelta(minutes=1)
        self.plan = plan
        self.options = options
        self.clock = SimClock(self.start)
        self.store = store
        rng = random.Random(plan.source)
        oracle = None
        if plan.travel_model is not None:  # rank on the calibrated map (tenfour.travel)
            from tenfour.travel.oracle import TravelModelOracle

            oracle = TravelModelOracle(plan.roads, plan.travel_model)
        self.service = build_service(
            store=store,
            clock=self.clock,
            map_name=plan.map_name,
            config=plan.config,
            tokens=lambda: f"{rng.randrange(16**8):08X}",
            oracle=oracle,
        )
        self.moves = Movement(self.clock, plan.roads, self._locate, every_s=options.locate_every_s)
        self.run_info = ReplayRun(plan, options, Path(), self.start, self.start)
        self.posts = PostEstimator(plan.calls)  # from every call of the file, on the map or not
        self._reachable: dict[tuple[float, float], bool] = {}
        self.ranking: dict[str, Sequence[Mapping[str, Any]]] = {}
        self.planned: dict[str, list[Mapping[str, Any]]] = {}  # incident -> its needs
        self.active = 0
        self._wall0 = 0.0
        self.service.subscribe(self._heard)
        # one vectorised snap of every call, station and hospital instead of one each
        places = [c.point for c in calls]
        places += [(h.lat, h.lon) for h in plan.homes.values()]
        places += [(h.lat, h.lon) for h in plan.hospitals]
        self.moves.prime(places)

    # --- the loop ----------------------------------------------------------------------
    def run(self, progress: Progress | None) -> ReplayRun:
        # One journal transaction per step (see grouped.py): the roster, then everything
        # up to and including one call's arrival, then each later clock step.
        with self._step():
            apply_roster(self.service, self.plan.roster)
        for home in self.plan.homes.values():
            self.moves.place(home.unit, (home.lat, home.lon))
        self._wall0 = time.perf_counter()
        calls = self.plan.kept
        for i, call in enumerate(calls, 1):
            with self._step():
                self._advance(call.received)
                self._open(call)
            if progress is not None:
                progress(i, len(calls), self.clock.now())
        # let every unit finish its work and drive home
        while self.active or self.moves.moving():
            deadline = self.clock.next_deadline()
            if deadline is None:
                break
            with self._step():
                self._advance(deadline)
        info = self.run_info
        info.end = self.clock.now()
        info.routes = self.moves.routes_computed
        info.policy_failures = list(self.service.policy_failures)
        return info

    def _step(self) -> AbstractContextManager[None]:
        """A step's journal group; paced replays commit every command as it happens
        (someone may be watching the journal in real time)."""
        if self.options.speed is not None or not self.options.group_steps:
            return nullcontext()
        return self.store.group()

    def _advance(self, moment: datetime) -> None:
        """Move the clock to ``moment``: at once, or paced at ``speed`` x real time."""
        speed = self.options.speed
        if speed is None or not math.isfinite(speed):
            self.clock.advance_to(max(moment, self.clock.now()))
            return
        step_s = max(1.0, speed / 10)  # about ten clock steps per wall-clock second
        while self.clock.now() < moment:
            step = min(moment, self.clock.now() + timedelta(seconds=step_s))
            due = self._wall0 + (step - self.start).total_seconds() / speed
            time.sleep(max(0.0, due - time.perf_counter()))
            self.clock.advance_to(step)

    # --- commands ------------------------------------------------------------------------
    def _do(self, do: str, with_: dict[str, Any], actor: Actor = DISPATCHER) -> Handled | None:
        self.run_info.commands += 1
        try:
            return self.service.handle(parse_command(do, with_, actor))
        except CommandRejected as error:
            self.run_info.rejected.append(f"{self.clock.now().isoformat()} {do}: {error}")
            return None

    def _heard(self, events: Sequence[StoredEvent]) -> None:
        for event in events:
            if event.type == "recommendation.made" and event.data.get("purpose") == "initial":
                self.ranking[str(event.data["incident"])] = event.data["candidates"]
                self.planned.setdefault(str(event.data["incident"]), []).append(event.data)

    def _locate(self, unit: str, lat: float, lon: float) -> None:
        self._do("unit.locate", {"unit": unit, "lat": round(lat, 7), "lon": round(lon, 7)}, AVL)

    # --- one call ------------------------------------------------------------------------
    def _open(self, call: Call) -> None:
        lat, lon = call.point
        location: dict[str, Any] = {"lat": lat, "lon": lon}
        if call.address:
            location["address"] = call.address[:300]
        text = f"SFFD call {call.number}: {call.call_type}"
        if call.address:
            text += f" at {call.address}"
        handled = self._do(
            "call.create",
            {
                "source": "911",
                "text": text[:5000],
                "type": call.type_code,
                "priority": call.priority,
                "location": location,
            },
            CALLTAKER,
        )
        incident = None
        for event in handled.events if handled else ():
            if event.type in ("incident.created", "incident.linked"):
                incident = str(event.data["incident"])
                if event.type == "incident.linked":
                    self.run_info.slots["call linked to another incident"] += len(call.slots)
        if incident is None:
            self.run_info.slots["call not created"] += len(call.slots)
            return
        job = _Open(call, incident, (lat, lon), len(call.slots), self.ranking.get(incident, ()))
        self.active += 1
        if self.options.plans and not self.options.as_dispatched:
            job.pending = 0  # set by the plan's dispatch
            first = min(s.dispatch for s in call.slots)
            self.clock.call_at(max(first, self.clock.now()), partial(self._dispatch_plan, job))
            return
        waves: dict[datetime, list[Slot]] = {}
        for slot in call.slots:
            waves.setdefault(max(slot.dispatch, self.clock.now()), []).append(slot)
        for when, slots in sorted(waves.items()):
            self.clock.call_at(when, partial(self._dispatch, job, slots))

    def _dispatch(self, job: _Open, slots: list[Slot]) -> None:
        # the real first unit's slot chooses first, so it gets the best-ranked unit
        ordered = sorted(
            slots, key=lambda s: (s.on_scene is None, s.on_scene or s.dispatch, s.line)
        )
        chosen: list[tuple[Slot, str]] = []
        for slot in ordered:
            unit, why = self._pick(job, slot, [u for _, u in chosen])
            if unit is None:
                self.run_info.slots[why] += 1
                self._slot_done(job)
            else:
                chosen.append((slot, unit))
        if not chosen:
            return
        mode = "emergency" if job.call.priority <= 2 else "routine"
        units = [u for _, u in chosen]
        if (
            self._do("unit.dispatch", {"incident": job.incident, "units": units, "mode": mode})
            is None
        ):
            for _ in chosen:
                self._slot_done(job)
            return
        for slot, unit in chosen:
            self.run_info.slots["replayed"] += 1
            self._enroute(job, slot, unit)

    def _dispatch_plan(self, job: _Open) -> None:
        """Send what the response plan recommended (see the module)."""
        units = self.service.state.units
        needs = self.planned.pop(job.incident, [])
        chosen: list[str] = []
        wanted: Counter[str] = Counter()
        for rec in needs:
            count, got = int(rec["count"]), 0
            wanted[str(rec["need"])] += count
            for candidate in rec["candidates"]:
                unit = str(candidate["unit"])
                if got == count:
                    break
                if unit not in chosen and units[unit].status == "available":
                    chosen.append(unit)
                    got += 1
            if got < count:
                self.run_info.slots[f"plan short: no {rec['need']} left"] += count - got
        real = sorted(
            job.call.slots, key=lambda s: (s.on_scene is None, s.on_scene or s.dispatch, s.line)
        )
        stand_in = next((s for s in real if s.transport is None), real[0])
        if stand_in.transport is not None:  # every unit transported: leave at transport
            stand_in = replace(stand_in, available=stand_in.transport)
        stand_in = replace(stand_in, transport=None, hospital=None)
        pairs: list[tuple[Slot, str]] = []
        for unit in chosen:
            kind = units[unit].kind
            slot = next((s for s in real if s.kind == kind), None)
            if slot is None:
                slot = replace(stand_in, unit=unit, kind=kind)
                self.run_info.slots["planned unit beyond the real call"] += 1
            else:
                real.remove(slot)
            pairs.append((slot, unit))
        if real:
            self.run_info.slots["real unit beyond Ten-Four's plan"] += len(real)
        sent = Counter(units[u].kind for u in chosen)
        self.run_info.choices.append((job.call, dict(sent), dict(wanted)))
        mode = "emergency" if job.call.priority <= 2 else "routine"
        job.pending = len(pairs) or 1
        if not pairs or (
            self._do("unit.dispatch", {"incident": job.incident, "units": chosen, "mode": mode})
            is None
        ):
            for _ in range(job.pending):
                self._slot_done(job)
            return
        for slot, unit in pairs:
            self.run_info.slots["replayed"] += 1
            self._enroute(job, slot, unit)

    def _pick(self, job: _Open, slot: Slot, taken: list[str]) -> tuple[str | None, str]:
        units = self.service.state.units
        if self.options.as_dispatched:
            if slot.unit not in self.plan.homes:
                return None, "real unit not on the map's roster"
            if slot.unit in taken or units[slot.unit].status != "available":
                return None, "real unit busy in the replay"
            return slot.unit, ""
        for candidate in job.ranking:
            unit = str(candidate["unit"])
            if candidate.get("kind") != slot.kind or unit in taken:
                continue
            if units[unit].status == "available":
                return unit, ""
        return None, f"no {slot.kind} left in the recommendation"

    # --- a unit's response -----------------------------------------------------------------
    def _enroute(self, job: _Open, slot: Slot, unit: str) -> None:
        self.moves.stop(unit)
        self._do("unit.status", {"unit": unit, "status": "enroute", "incident": job.incident})
        if slot.on_scene is None:  # the real unit was cancelled before it got there
            self.moves.drive(unit, job.point)
            after = _seconds(slot.dispatch, slot.available)
            self._later(after, lambda: self._clear(job, unit))
        else:
            self.moves.drive(unit, job.point, lambda at: self._on_scene(job, slot, unit, at))

    def _on_scene(self, job: _Open, slot: Slot, unit: str, at: tuple[float, float]) -> None:
        where = {"lat": at[0], "lon": at[1]}
        self._do(
            "unit.status",
            {"unit": unit, "status": "onscene", "incident": job.incident, "location": where},
        )
        if slot.transport is not None:
            self._later(
                _seconds(slot.on_scene, slot.transport), lambda: self._transport(job, slot, unit)
            )
        else:
            self._later(_seconds(slot.on_scene, slot.available), lambda: self._clear(job, unit))

    def _transport(self, job: _Open, slot: Slot, unit: str) -> None:
        hospital = self._nearest_hospital(job.point)
        if hospital is None:  # a map without hospitals: the unit clears from the scene
            self._clear(job, unit)
            return
        self._do(
            "transport.start",
            {
                "unit": unit,
                "incident": job.incident,
                "patient": {"role": "patient", "description": f"patient of call {job.call.number}"},
                "destination": hospital.id,
            },
        )
        point = (hospital.lat, hospital.lon)
        self.moves.drive(unit, point, lambda at: self._at_hospital(job, slot, unit, hospital))

    def _at_hospital(self, job: _Open, slot: Slot, unit: str, hospital: Hospital) -> None:
        self._do("transport.arrive", {"unit": unit, "destination": hospital.id})
        stay = _seconds(slot.hospital or slot.transport, slot.available)
        self._later(stay, lambda: self._clear(job, unit))

    def _clear(self, job: _Open, unit: str) -> None:
        here = self.moves.stop(unit)
        payload: dict[str, Any] = {"unit": unit, "status": "available"}
        if here is not None:
            payload["location"] = {"lat": round(here[0], 7), "lon": round(here[1], 7)}
        self._do("unit.status", payload)
        self.moves.drive(unit, self._post(unit, here), lambda at: self._locate(unit, *at))
        self._slot_done(job)

    def _post(self, unit: str, here: tuple[float, float] | None) -> tuple[float, float]:
        """Where ``unit`` waits for its next call: an ambulance at its post (posts.py),
        known from the posts file or the real calls dispatched before now; any other
        unit (and an ambulance with no post yet) at its home."""
        home = self.plan.homes[unit]
        if home.kind not in AMBULANCE_KINDS:
            return (home.lat, home.lon)
        post, how = None, ""
        if self.plan.posts is not None:
            post = self.plan.posts.post_for(home.agency, unit, here or (home.lat, home.lon))
            how = "configured post"
        if post is None:
            post = self.posts.post(unit, self.clock.now())
            how = "post estimated from earlier calls"
        if post is None or not self._on_map(post):
            self.run_info.returns["home (no post known yet)"] += 1
            return (home.lat, home.lon)
        self.run_info.returns[how] += 1
        return post

    def _on_map(self, point: tuple[float, float]) -> bool:
        known = self._reachable.get(point)
        if known is None:
            known = self._reachable[point] = on_map(self.plan.roads, *point)
        return known

    def _slot_done(self, job: _Open) -> None:
        job.pending -= 1
        if job.pending == 0:
            disposition = (job.call.disposition or "replayed")[:40]
            self._do("incident.close", {"incident": job.incident, "disposition": disposition})
            self.active -= 1

    # --- helpers ------------------------------------------------------------------------
    def _later(self, seconds: float, action: Callable[[], None]) -> None:
        self.clock.call_at(self.clock.now() + timedelta(seconds=seconds), action)

    def _nearest_hospital(self, point: tuple[float, float]) -> Hospital | None:
        hospitals = self.plan.hospitals
        if not hospitals:
            return None
        return min(hospitals, key=lambda h: distance_m(point, (h.lat, h.lon)))


def _seconds(start: datetime | None, end: datetime | None) -> float:
    """Real seconds from ``start`` to ``end``; 0 when either is missing or out of order."""
    if start is None or end is None:
        return 0.0
    return max(0.0, (end - start).total_seconds())
