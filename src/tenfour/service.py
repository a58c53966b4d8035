"""The one door for every change: decide -> append -> apply -> publish -> react.

Whoever acts (a dispatcher over HTTP, an officer's MDT, a scenario step, a policy
timer) calls ``Service.handle``. Nothing reaches the journal, the views or the live
feed any other way, so audit, notification and policy reactions cannot be skipped.
The policies' reactions are driven from the journal by ``reactor.Reactor`` and the
status-check deadlines fired by ``timekeeper.Timekeeper``, on one node at a time.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from tenfour.clock import Clock, iso
from tenfour.domain import Command, CommandRejected, Context, State, decide, evolve
from tenfour.domain.commands import parse_command
from tenfour.domain.state import Closure
from tenfour.domain.values import SYSTEM, Location
from tenfour.journal import (
    ConcurrencyError,
    EventStore,
    InvalidEventError,
    NewEvent,
    StoredEvent,
)
from tenfour.journal.lease import Lease
from tenfour.policies import PolicyConfig, Watches
from tenfour.policies.recommend import DriveTimeOracle
from tenfour.reactor import Reactor
from tenfour.timekeeper import Timekeeper
from tenfour.views import Timelines

log = logging.getLogger(__name__)

Subscriber = Callable[[Sequence[StoredEvent]], None]


class Geocoder(Protocol):
    """What the service needs of a map to place addresses (``bootstrap.MapGeocoder``)."""

    def geocode(self, text: str) -> Any: ...
    def reverse_geocode(self, lat: float, lon: float) -> str: ...
    def check_point(self, lat: float, lon: float) -> None:
        """Raise ``ValueError`` (with the reason) for a point off the map."""
        ...


#: Commands whose point must be on the map: an incident or a tip is where it is sent.
ON_MAP_COMMANDS = frozenset(
    {"incident.create", "call.create", "incident.initiate", "incident.update", "tip.promote",
     "tip.submit"}
)  # fmt: skip
#: Commands received even when their place is not found: what was said is kept in the
#: text and the location is left for a person (an officer down, a tip for triage).
NEVER_REFUSED = frozenset({"emergency.declare", "tip.submit"})


@runtime_checkable
class RoadEngine(Protocol):
    """What the service needs of a drive-time oracle to close roads (``bootstrap.MapOracle``)."""

    def place_road(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """``segments``, ``street`` and ``map`` of a ``road.close`` request; raises
        ``ValueError`` (with a ``field`` attribute) when it is nowhere on the map."""
        ...

    def set_closures(self, closures: Sequence[Closure]) -> None:
        """Drive times from now on respect exactly these (active) closures."""
        ...


#: Events after which the oracle's closures are set again.
ROAD_EVENTS = frozenset({"road.closed", "road.reopened"})


@dataclass(frozen=True)
class Handled:
    """The answer to one command: its events (durable), or the same again for a retry."""

    events: tuple[StoredEvent, ...]
    duplicate: bool = False


def new_tracking_code() -> str:
    """Tip tracking codes: unguessable, short enough to read over the phone."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


class Service:
    """Owns the current state, the timers and the views of one dispatch center."""

    def __init__(
        self,
        *,
        store: EventStore,
        clock: Clock,
        oracle: DriveTimeOracle,
        config: PolicyConfig | None = None,
        geocoder: Geocoder | None = None,
        tokens: Callable[[], str] = new_tracking_code,
        react_inline: bool = True,
        lease: Lease | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.oracle = oracle
        self.config = config or PolicyConfig()
        self.geocoder = geocoder
        self.tokens = tokens
        self.state = State()
        self.watches = Watches(self.config)
        self.timelines = Timelines()
        self.policy_failures: list[str] = []
        self._subscribers: list[Subscriber] = []
        self._lock = threading.RLock()
        self.catch_up()
        # Inline (scenarios, tests): policies answer before handle() returns, at the same
        # simulated instant, and this process is the only one. Deferred (the server):
        # handle() returns once the command's own events are durable and published; a
        # reactor thread answers them, on whichever node holds the lease.
        self.timekeeper = Timekeeper(self, clock, lease if not react_inline else None)
        self.reactor = Reactor(self, inline=react_inline)
        if react_inline:
            self.timekeeper.check_lease()
        else:
            self.reactor.start()

    # --- reading --------------------------------------------------------------------
    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold still: no command is applied while the caller reads state (a snapshot
        and its position, taken together, and a subscription starting right after)."""
        with self._lock:
            yield

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with each batch of events after it commits."""
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe

    def follow_journal(self) -> Callable[[], None] | None:
        """On a journal shared by several nodes (PostgreSQL), fold in and publish other
        nodes' events as soon as they commit; returns a function that stops it.
        ``None`` for an embedded journal, which has no other writers."""
        watch = getattr(self.store, "watch", None)
        if watch is None:
            return None

        def on_head(seq: int) -> None:
            if seq < 0 or seq > self.state.seq:
                with self._lock:
                    self.catch_up()
                self.timekeeper.reschedule()
                self.reactor.wake()

        stop: Callable[[], None] = watch(on_head)
        return stop

    # --- the door ---------------------------------------------------------------------
    def handle(self, command: Command) -> Handled:
        """Decide, append durably, apply, publish, then let policies react."""
        with self._lock:
            if command.idempotency_key:
                earlier = self.store.events_for_key(command.idempotency_key)
                if earlier is not None:
                    return Handled(tuple(earlier), duplicate=True)
            handled = self._one(command)
        if self.reactor.inline:
            with self._lock:
                self.reactor.drain()
        else:
            self.reactor.wake()
        self.timekeeper.reschedule()
        return handled

    def settle(self, timeout_s: float = 30.0) -> None:
        """Wait until every event so far has had its policies' reactions."""
        self.reactor.settle(timeout_s)

    def close(self) -> None:
        """Finish pending reactions, save the reactor's position, give up the lease."""
        self.reactor.stop()
        self.timekeeper.release()

    def submit(
        self, do: str, with_: dict[str, Any], actor: Any = SYSTEM, key: str | None = None
    ) -> Handled:
        """Parse and handle a raw ``{do, with}`` pair (scenario files, CLI, tests)."""
        return self.handle(parse_command(do, with_, actor, key))

    def _one(self, command: Command) -> Handled:
        command = self._placed(command)
        for attempt in range(3):
            # Other nodes may share this journal: decide on everything already in it.
            # (A write that lands between this read and our append is caught by the
            # stream versions below.)
            self.catch_up()
            ctx = Context(
                now=iso(self.clock.now()),
                actor=command.actor,
                token=self.tokens,
                duplicates=self.config.duplicates.rules(),
                same_scene_m=self.config.emergency_same_scene_m,
            )
            decided = decide(self.state, command, ctx)
            new = [
                NewEvent(e.type, e.stream, ctx.now, command.actor.by, dict(e.data)) for e in decided
            ]
            expected = {e.stream: self.state.versions.get(e.stream, 0) for e in decided}
            try:
                result = self.store.append(
                    new, expected=expected, idempotency_key=command.idempotency_key
                )
            except InvalidEventError as error:
                # The domain's checks should have caught it; never let it become a 500.
                where, _, why = str(error).partition(": ")
                field_ = (
                    "with." + where.removeprefix("data.") if where.startswith("data") else "with"
                )
                raise CommandRejected.one(field_, why or str(error)) from None
            except ConcurrencyError:
                # Another node wrote first: learn what it wrote (at the top of the
                # loop) and decide again.
                if attempt == 2:
                    raise
                continue
            if result.duplicate:
                return Handled(result.events, duplicate=True)
            self._apply(result.events)
            return Handled(result.events)
        raise AssertionError("unreachable")

    def _apply(self, events: Sequence[StoredEvent]) -> None:
        for event in events:
            evolve(self.state, event)
            self.watches.observe(self.state, event)
            self.timelines.apply(event)
        if any(event.type in ROAD_EVENTS for event in events):
            self._roads_changed()
        for subscriber in list(self._subscribers):
            try:
                subscriber(events)
            except Exception:  # one broken listener must not stop the others
                log.exception("subscriber failed")

    def _roads_changed(self) -> None:
        """Hand the active closures to the drive-time engine (also on replay at start)."""
        if not isinstance(self.oracle, RoadEngine):
            return
        active = [c for c in self.state.closures.values() if c.active]
        try:
            self.oracle.set_closures(active)
        except Exception:  # the event is committed; drive times must not stop working
            log.exception("could not apply %d road closures", len(active))
            self.policy_failures.append("road closures could not be applied to drive times")

    # --- start-up and catch-up -----------------------------------------------------
    def catch_up(self) -> None:
        """Fold in every journaled event this node has not seen (start-up, other nodes)."""
        batch = list(self.store.read(after=self.state.seq))
        if batch:
            self._apply(batch)

    def _placed(self, command: Command) -> Command:
        """Geocode addresses given without a point, before the pure domain sees them."""
        updates: dict[str, Any] = {}
        for name, value in command.payload:
            if not isinstance(value, Location):
                continue
            try:
                if not value.has_point:
                    updates[name] = self._geocode(value, f"with.{name}")
                elif command.do in ON_MAP_COMMANDS:
                    self._on_map(value, f"with.{name}")
            except CommandRejected as rejected:
                if command.do not in NEVER_REFUSED:
                    raise
                # An officer-down call is never refused: what was said is kept in the
                # text, and help goes to the best position known (DOMAIN.md). A tip
                # likewise: received with its text, its place left for triage.
                reason = rejected.problems[0].reason
                said = (
                    f"location given: {value.address!r}, not placed on the map ({reason})"
                    if value.address
                    else f"location given: {value.lat}, {value.lon}, not placed ({reason})"
                )
                text = getattr(command.payload, "text", None)
                updates[name] = None
                updates["text"] = f"{text} ({said})" if text else said
        if command.do == "road.close":
            updates.update(self._placed_road(command.payload, updates))
        if not updates:
            return command
        payload = command.payload.model_copy(update=updates)
        return Command(command.do, payload, command.actor, command.idempotency_key)

    def _placed_road(self, payload: BaseModel, updates: dict[str, Any]) -> dict[str, Any]:
        """Where a closure falls on the map: its road segments (the domain cannot look)."""
        if not isinstance(self.oracle, RoadEngine):
            return {}
        request = payload.model_dump(mode="json")
        for name, value in updates.items():
            request[name] = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        try:
            return self.oracle.place_road(request)
        except ValueError as error:
            field_ = getattr(error, "field", "location")
            reason = getattr(error, "reason", str(error))
            raise CommandRejected.one(f"with.{field_}", reason, "not_found") from None

    def _geocode(self, location: Location, field_: str) -> BaseModel:
        if self.geocoder is None or location.address is None:
            raise CommandRejected.one(field_, "no map is loaded to place an address")
        try:
            found = self.geocoder.geocode(location.address)
        except ValueError as error:
            raise CommandRejected.one(f"{field_}.address", str(error), "not_found") from None
        if found is None:
            raise CommandRejected.one(
                f"{field_}.address",
                f"no street or intersection {location.address!r} on the map",
                "not_found",
            )
        if getattr(found, "ambiguous", False):
            # a bare street, or a name found in several places: a person must choose
            others = [a.address for a in getattr(found, "alternatives", ())]
            choices = f"; it may be {found.address} or {' or '.join(others)}" if others else ""
            reason = getattr(found, "note", "") or f"{location.address!r} is ambiguous"
            raise CommandRejected.one(f"{field_}.address", reason + choices, "not_found")
        return Location(lat=found.lat, lon=found.lon, address=location.address)

    def _on_map(self, location: Location, field_: str) -> None:
        """Refuse a point off the map (``@0,0`` would send units into the ocean)."""
        if self.geocoder is None or location.lat is None or location.lon is None:
            return
        try:
            self.geocoder.check_point(location.lat, location.lon)
        except ValueError as error:
            raise CommandRejected.one(field_, str(error), "not_found") from None
