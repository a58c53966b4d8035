"""The one door for every change: decide -> append -> apply -> publish -> react.

Whoever acts (a dispatcher over HTTP, an officer's MDT, a scenario step, a policy
timer) calls ``Service.handle`` (or, from the event loop, ``Service.enqueue``).
Commands that arrive together are decided one after the other and appended in one
transaction (group commit, ``tenfour.groupcommit``). Nothing reaches the journal, the
views or the live feed any other way, so audit, notification and policy reactions
cannot be skipped.
The policies' reactions are driven from the journal by ``reactor.Reactor`` and the
status-check deadlines fired by ``timekeeper.Timekeeper``, on one node at a time.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from tenfour.clock import Clock, iso
from tenfour.domain import Command, CommandRejected, Context, State, decide, evolve
from tenfour.domain.commands import parse_command
from tenfour.domain.state import Closure
from tenfour.domain.values import SYSTEM, Location
from tenfour.groupcommit import Committer, Job
from tenfour.journal import (
    Batch,
    ConcurrencyError,
    EventStore,
    InvalidEventError,
    JournalError,
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


@dataclass(frozen=True)
class Outcome:
    """What became of one command at the door, for whoever watches it (metrics, logs).
    Names and codes only: never the command's content."""

    do: str
    #: ``accepted``, ``duplicate`` (a retry answered again), ``rejected`` or ``failed``
    #: (the journal could not be reached).
    outcome: str
    #: The rejection's code (``transition``, ``invalid``, ...), or the failure's class.
    code: str | None
    seconds: float
    #: The journal position of the command's last event, when it has one.
    seq: int | None = None


@dataclass(frozen=True)
class Prepared:
    """A command for ``Service.enqueue`` with what must hold for it inside its batch's
    transaction: ``check(batch)`` runs there just before the command is decided (even
    if the command then fails), and may raise ``CommandRejected`` to refuse it alone;
    what it writes through the batch commits with the batch. Any other error fails
    the whole batch (its transaction can no longer be trusted)."""

    command: Command
    check: Callable[[Batch], None]


#: Called after every command, on the thread that ran it; must be quick and not raise.
CommandObserver = Callable[[Outcome], None]
#: Called with the seconds one journal append took and how many events it wrote.
AppendObserver = Callable[[float, int], None]


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
        group_commit: bool | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.oracle = oracle
        self.config = config or PolicyConfig()
        self.geocoder = geocoder
        self.tokens = tokens
        self.state = State()
        self.watches = Watches(self.config)
        self.timelines = Timelines(self._event_at)
        self.policy_failures: list[str] = []
        self._subscribers: list[Subscriber] = []
        #: Watchers of the door (``tenfour.api.metrics``, ``tenfour.api.logs``).
        self.on_command: list[CommandObserver] = []
        self.on_append: list[AppendObserver] = []
        #: Given every queued job's ``work`` before the writer runs them (the API looks
        #: up a batch's sessions there in one query); its failure fails no command:
        #: each job's own work then does what it skipped.
        self.before_batch: Callable[[Sequence[Callable[[], Any]]], None] | None = None
        self._lock = _DoorLock()
        # Group commit (``tenfour.groupcommit``): commands from other threads queue for
        # one writer thread, which appends all those waiting in one transaction. On by
        # default in the server; inline (scenarios, tests) commands run on the caller.
        self.group_commit = (not react_inline) if group_commit is None else group_commit
        self._committer: Committer | None = None
        self._committer_guard = threading.Lock()
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
        return self._handle(command)

    def _observe(self, command: Command, outcome: Handled | Exception, started: float) -> None:
        """Tell the door's watchers (``on_command``) what became of one command."""
        if not self.on_command:
            return
        took = _since(started)
        if isinstance(outcome, CommandRejected):
            self._observed(Outcome(command.do, "rejected", outcome.code, took))
        elif isinstance(outcome, Exception):
            self._observed(Outcome(command.do, "failed", type(outcome).__name__, took))
        else:
            seq = outcome.events[-1].seq if outcome.events else None
            kind = "duplicate" if outcome.duplicate else "accepted"
            self._observed(Outcome(command.do, kind, None, took, seq))

    def _observed(self, outcome: Outcome) -> None:
        for observer in list(self.on_command):
            try:
                observer(outcome)
            except Exception:  # watching the door must never fail a command
                log.exception("command observer failed")

    def _appended(self, seconds: float, events: int) -> None:
        for observer in list(self.on_append):
            try:
                observer(seconds, events)
            except Exception:  # the events are durable; a watcher's failure changes nothing
                log.exception("append observer failed")

    def _handle(self, command: Command) -> Handled:
        # A thread already holding the lock (a policy's reaction, issued by the reactor
        # while it reads state) must not queue behind a writer that needs that lock.
        if self.group_commit and not self._lock.held():
            answer: Handled = self.enqueue(lambda: command).result()
            return answer
        [outcome] = self._commit([command])
        self._after_commit()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def handle_many(self, commands: Sequence[Command]) -> list[Handled | Exception]:
        """Run ``commands`` as one batch on this thread: each decided on the state the
        ones before it left, all appended in one transaction; one answer (or the
        error it alone failed with) per command, in order."""
        outcomes = self._commit(commands)
        self._after_commit()
        return outcomes

    def enqueue(self, prepare: Callable[[], Command | Prepared]) -> Future[Handled]:
        """Queue a command for the writer thread's next batch; the future is answered
        once its events are durable (or with its error). ``prepare`` runs on the
        writer thread, just before the batch, and returns the command (or raises, for
        this command alone): what the API does there, a session lookup and binding
        the idempotency key, waits on the database and must not stall the event loop."""
        committer = self._committer
        if committer is None:
            with self._committer_guard:
                if self._committer is None:
                    self._committer = Committer(self._run_jobs, name="tenfour-commit")
                committer = self._committer
        future: Future[Handled] = committer.submit(prepare)
        return future

    def queued(self) -> int:
        """Commands waiting for the writer thread's next batch."""
        committer = self._committer
        return 0 if committer is None else committer.waiting()

    def _run_jobs(self, jobs: Sequence[Job]) -> None:
        """The writer thread's batch: prepare each job's command, commit them together,
        then answer each caller (once its events are durable)."""
        commands: list[Command] = []
        checks: list[Callable[[Batch], None] | None] = []
        ready: list[Job] = []
        if self.before_batch is not None:
            try:
                self.before_batch([job.work for job in jobs])
            except Exception:
                log.exception("preparing a batch of %d command(s) failed", len(jobs))
        for job in jobs:
            try:
                made = job.context.run(job.work)
            except BaseException as error:  # this command's own failure (401, 409 ...)
                job.future.set_exception(error)
                continue
            if isinstance(made, Prepared):
                commands.append(made.command)
                checks.append(made.check)
            else:
                commands.append(made)
                checks.append(None)
            ready.append(job)
        outcomes = self._commit(commands, observe=False, checks=checks)
        for job, outcome in zip(ready, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                job.future.set_exception(outcome)
            else:
                job.future.set_result(outcome)
        # The watchers (metrics, a log line per command) after the answers: they cost
        # CPU on this thread, and the callers need not wait for them. Each is watched
        # in its submitter's context (its request id, ``tenfour.api.logs``).
        for job, command, outcome in zip(ready, commands, outcomes, strict=True):
            job.context.run(self._observe, command, outcome, job.queued)
        self._after_commit()

    def _after_commit(self) -> None:
        if self.reactor.inline:
            with self._lock:
                self.reactor.drain()
        else:
            self.reactor.wake()
        self.timekeeper.reschedule()

    def settle(self, timeout_s: float = 30.0) -> None:
        """Wait until every event so far has had its policies' reactions."""
        self.reactor.settle(timeout_s)

    def close(self) -> None:
        """Finish queued commands and pending reactions, save the reactor's position,
        give up the lease."""
        if self._committer is not None:
            self._committer.close()
        self.reactor.stop()
        self.timekeeper.release()

    def submit(
        self, do: str, with_: dict[str, Any], actor: Any = SYSTEM, key: str | None = None
    ) -> Handled:
        """Parse and handle a raw ``{do, with}`` pair (scenario files, CLI, tests)."""
        return self.handle(parse_command(do, with_, actor, key))

    def _commit(
        self,
        commands: Sequence[Command],
        *,
        observe: bool = True,
        checks: Sequence[Callable[[Batch], None] | None] = (),
    ) -> list[Handled | Exception]:
        """Decide each command in order on the state the ones before it left, append
        them all in ONE transaction, and only then publish: group commit.

        A command the domain rejects (or that conflicts three times) fails alone. If
        the batch itself fails (the database), every command that had not failed on
        its own gets that error and none of their events is kept; the state, which
        already held them, is rebuilt from the journal (``_rebuild``).
        """
        started = time.perf_counter()
        outcomes: list[Handled | Exception | None] = [None] * len(commands)
        staged: list[StoredEvent] = []
        with self._lock:
            placed: list[Command | None] = []
            for index, command in enumerate(commands):
                try:
                    placed.append(self._placed(command))
                except Exception as error:  # not placed on the map: this one fails alone
                    if not isinstance(error, CommandRejected):
                        log.exception("placing %s failed", command.do)
                    outcomes[index] = error
                    placed.append(None)
            appending = time.perf_counter()
            try:
                with self.store.batch() as batch:
                    # Other nodes may share this journal: decide on everything in it.
                    # Nobody can append while the batch holds the journal's write lock.
                    self._catch_up_in(batch)
                    for index, ready in enumerate(placed):
                        check = checks[index] if checks else None
                        if check is not None:
                            try:
                                check(batch)  # before anything else of this command
                            except CommandRejected as error:
                                outcomes[index] = error
                                continue
                        if ready is None:
                            continue
                        try:
                            outcomes[index] = self._decide_into(batch, ready, staged)
                        except (CommandRejected, ConcurrencyError) as error:
                            outcomes[index] = error
                        except JournalError:
                            raise  # the database: the whole batch fails
                        except Exception as error:  # a bug in one command's decision
                            log.exception("%s failed in a batch", ready.do)
                            outcomes[index] = error
            except Exception as error:
                if staged:
                    self._rebuild()
                for index, outcome in enumerate(outcomes):
                    if outcome is None or isinstance(outcome, Handled):
                        outcomes[index] = error
            else:
                if staged:
                    self._appended(_since(appending), len(staged))
                    self._publish(staged)
        answers: list[Handled | Exception] = []
        for command, outcome in zip(commands, outcomes, strict=True):
            assert outcome is not None
            if observe:
                self._observe(command, outcome, started)
            answers.append(outcome)
        return answers

    def _decide_into(self, batch: Batch, command: Command, staged: list[StoredEvent]) -> Handled:
        """Decide one command on the current state and append it to ``batch``; its
        events go into the state at once (the next command of the batch sees them)."""
        key = command.idempotency_key
        if key:
            earlier = batch.events_for_key(key)
            if earlier is not None:
                return Handled(tuple(earlier), duplicate=True)
        for attempt in range(3):
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
                result = batch.append(new, expected=expected, idempotency_key=key)
            except InvalidEventError as error:
                # The domain's checks should have caught it; never let it become a 500.
                where, _, why = str(error).partition(": ")
                field_ = (
                    "with." + where.removeprefix("data.") if where.startswith("data") else "with"
                )
                raise CommandRejected.one(field_, why or str(error)) from None
            except ConcurrencyError:
                # Our state missed a write (it cannot happen while the batch holds the
                # lock, unless the state fell behind): learn it and decide again.
                if attempt == 2:
                    raise
                self._catch_up_in(batch)
                continue
            if result.duplicate:
                return Handled(result.events, duplicate=True)
            self._fold(result.events)
            staged.extend(result.events)
            return Handled(result.events)
        raise AssertionError("unreachable")

    def _catch_up_in(self, batch: Batch) -> None:
        """Fold in (and publish: they are durable) events other nodes committed."""
        behind = batch.read(after=self.state.seq)
        if behind:
            self._apply(behind)

    def _rebuild(self) -> None:
        """After a failed batch: the state holds events that may never have committed,
        so it is folded again from the journal (as at start-up)."""
        log.warning("a batch failed after deciding; rebuilding the state from the journal")
        self.state = State()
        self.watches = Watches(self.config)
        self.timelines = Timelines(self._event_at)
        try:
            # Folded without publishing: subscribers heard these events already.
            self._fold(list(self.store.read(after=0)))
        except Exception:  # the database is away: the next batch catches up from here
            log.exception("could not rebuild the state; it will catch up later")
        self._roads_changed()

    def _apply(self, events: Sequence[StoredEvent]) -> None:
        self._fold(events)
        self._publish(events)

    def _event_at(self, seq: int) -> StoredEvent | None:
        """One journaled event by seq: an old closed incident's timeline is read back
        from the journal (``views.timeline``), not kept in memory."""
        found = list(self.store.read(after=seq - 1, limit=1))
        return found[0] if found else None

    def _fold(self, events: Sequence[StoredEvent]) -> None:
        """Into the state and the views (not yet told to anyone)."""
        for event in events:
            evolve(self.state, event)
            self.watches.observe(self.state, event)
            self.timelines.apply(event)

    def _publish(self, events: Sequence[StoredEvent]) -> None:
        """Durable events: to the drive-time engine (closures) and the subscribers."""
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


def _since(started: float) -> float:
    return time.perf_counter() - started


class _DoorLock:
    """The service's re-entrant lock, which can tell whether this thread holds it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._owner: int | None = None
        self._depth = 0

    def __enter__(self) -> None:
        self._lock.acquire()
        self._owner = threading.get_ident()
        self._depth += 1

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
        self._lock.release()

    def held(self) -> bool:
        # Only this thread ever sets the owner to its own id, so no lock is needed.
        return self._owner == threading.get_ident()
