"""The reactor: policies driven from the journal, so no committed event goes unanswered.

The reactor reads committed events in journal order from its own durable position
(``journal_positions``), asks the policies what the system should do about each, and
sends those commands through the one door with an idempotency key made of the
causing event's ``seq`` (``react:<seq>:<step>:<n>``). Hence:

- a crash, kill -9 or dropped database connection after an event commits loses
  nothing: on restart, reconnect or takeover the reactor resumes from its position;
- nothing is done twice: a reaction that did commit before the crash is found by its
  key and not repeated, whatever the policies would decide now;
- a failure is never silent: a database that stays away is retried with backoff and,
  past a few tries, an alert ``policy_failed`` is raised for a person; a command the
  system issues and the domain refuses (a unit taken a moment earlier) raises one too.

It reads the events just published (committed, in seq order) from memory when they
follow on from its position without a gap, and the journal itself otherwise: after a
gap, on taking over, and at least once a second whatever it heard, so an event whose
news was lost (a dropped LISTEN connection) waits a second at most, as before. Reading
back every event it had just been handed was a twentieth of the server's CPU under
load (bench/RESULTS.md, group commit).

Only the node holding the timekeeper's lease reacts (``timekeeper.Timekeeper``).
In scenarios and unit tests the reactor runs inline: ``Service.handle`` drains it
before returning, at the same simulated instant. In the server a thread of its own
drains it, so a command is answered as soon as its own events are durable.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tenfour.domain.commands import Command, parse_command
from tenfour.domain.errors import CommandRejected
from tenfour.domain.values import SYSTEM
from tenfour.journal import StoredEvent
from tenfour.policies import steps

if TYPE_CHECKING:
    from tenfour.service import Service

log = logging.getLogger(__name__)

#: The reactor's name for its position in ``journal_positions``.
POSITION = "policies"
#: Events kept as published, for the reactor to take without reading them back (a
#: node that does not hold the lease keeps only the last ones: it reads on takeover).
FRESH_KEPT = 2_000
#: The journal is read at least this often (seconds) while draining, heard or not.
READ_EVERY_S = 1.0
#: Events answered per read.
PAGE = 500


class Backoff:
    """Waits between tries while the database is away: doubling, capped."""

    def __init__(self, first_s: float = 0.05, cap_s: float = 2.0, alert_after: int = 5) -> None:
        self.first_s, self.cap_s, self.alert_after = first_s, cap_s, alert_after

    def delay(self, failures: int) -> float:
        return float(min(self.cap_s, self.first_s * 2 ** max(0, failures - 1)))


def reaction_key(seq: int, step: int, index: int) -> str:
    """The idempotency key of the ``index``-th command of a policy ``step`` answering
    event ``seq``: the same on every node and after every restart."""
    return f"react:{seq}:{step}:{index}"


def is_moot(command: Command, rejected: CommandRejected) -> bool:
    """An alert refused because its condition already has one open, an end already
    recorded, an emergency already placed (by the desk, or an answer repeated after a
    restart): nothing was lost, nothing to tell."""
    if command.do not in ("alert.raise", "alert.resolve", "emergency.locate"):
        return False
    settled = ("already open", "already resolved", "already has a location")
    return any(
        p.code == "conflict" and any(words in p.reason for words in settled)
        for p in rejected.problems
    )


class Reactor:
    """Feeds committed events to the policies, from a durable position, exactly once."""

    def __init__(
        self,
        service: Service,
        *,
        inline: bool,
        backoff: Backoff | None = None,
        save_every_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.service = service
        self.store = service.store
        self.inline = inline
        self.backoff = backoff or Backoff()
        self.save_every_s = save_every_s
        self.sleep = sleep
        saved = self.store.position(POSITION)
        head = self.store.head()
        if saved is None:
            # First start on this journal (new, or written before reactions were
            # durable, when they were all answered at once): answer what comes next.
            saved = head
            self.store.save_position(POSITION, saved)
        elif saved > head:
            # A journal restored from an older copy: never skip what is appended next.
            log.warning("reactor position %s is past the journal's head %s", saved, head)
            saved = head
        self.position = saved
        self._saved = self.position
        self._saved_at = time.monotonic()
        self._draining = False
        self._failures = 0
        #: When the database started failing the reactor (monotonic), while it does.
        self._stuck_since: float | None = None
        self._stuck_told = False
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Committed events as published, in seq order (appended on the writer thread).
        self._fresh: deque[StoredEvent] = deque(maxlen=FRESH_KEPT)
        #: The last seq published (the newest committed event this node knows of).
        self._heard_seq = 0
        self._read_at = -READ_EVERY_S
        service.subscribe(self._heard)

    def _heard(self, events: Sequence[StoredEvent]) -> None:
        if events:
            self._fresh.extend(events)
            self._heard_seq = max(self._heard_seq, events[-1].seq)

    # --- running --------------------------------------------------------------------
    def start(self) -> None:
        """Deferred mode: one thread keeps the lease and drains whenever woken."""
        self._thread = threading.Thread(target=self._run, name="tenfour-reactor", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        if self._thread is not None:
            self._wake.set()

    def stop(self) -> None:
        """Finish what is pending (deferred mode), save the position, stop the thread."""
        if self._thread is not None:
            self._stop.set()
            self._wake.set()
            self._thread.join(timeout=30)
            self._thread = None
        self._save(force=True)

    def settle(self, timeout_s: float = 30.0) -> None:
        """Wait until every event journaled so far has had its reactions (deferred mode)."""
        if self._thread is None:
            return
        deadline = time.monotonic() + timeout_s
        target = self.service.state.seq  # no database call: it may be the thing that is down
        self._wake.set()
        with self._idle:
            while self.position < target and time.monotonic() < deadline:
                self._idle.wait(timeout=0.05)
                target = max(target, self.service.state.seq)

    def _run(self) -> None:
        keeper = self.service.timekeeper
        next_lease_check = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_lease_check:
                was = keeper.leading
                try:
                    keeper.check_lease()
                except Exception:  # a lease that cannot even be asked is not held
                    log.exception("timekeeper lease check failed")
                if keeper.leading and not was:
                    # Taking over: the last leader's position is the one to resume from.
                    self._resume_from_store()
                next_lease_check = now + 1.0
            if keeper.leading:
                done = self.drain()
                # Events of other processes came in with the drain: their deadlines too.
                keeper.reschedule()
                if not done:  # the database is away: back off (only stopping cuts it short)
                    self._stop.wait(self.backoff.delay(self._failures))
                    continue
            self._wake.wait(timeout=max(0.0, next_lease_check - time.monotonic()))
            self._wake.clear()
        if keeper.leading:
            self.drain()
        keeper.release()

    def _resume_from_store(self) -> None:
        try:
            stored = self.store.position(POSITION)
        except Exception:
            log.exception("could not read the reactor's position")
            return
        if stored is None:
            return
        with self.service.locked():
            self.position = self._saved = stored

    # --- draining ---------------------------------------------------------------------
    def drain(self) -> bool:
        """React to every event after the position, in order, until none is left
        (reactions' own events included). False if the database failed meanwhile:
        the position stays on the first unanswered event, to be tried again."""
        if self._draining:  # a reaction's own command, handled inline: the loop below
            return True  # picks its events up
        self._draining = True
        try:
            while True:
                try:
                    batch = self._next()
                    if not batch:
                        self._failures = 0
                        self._caught_up()
                        self._save()
                        with self._idle:
                            self._idle.notify_all()
                        return True
                    for event in batch:
                        self._answer(event)
                        self.position = event.seq
                    self._failures = 0
                except Exception as error:
                    self._failures += 1
                    log.warning(
                        "reactions after seq %s failed (%s time(s)): %s",
                        self.position,
                        self._failures,
                        error,
                    )
                    if self._failures == 1:
                        self._stuck_since = time.monotonic()
                    if self._failures == self.backoff.alert_after:
                        self._raise_stuck(error)
                    if self.inline and self._failures < self.backoff.alert_after * 2:
                        self.sleep(self.backoff.delay(self._failures))
                        continue
                    return False
        finally:
            self._draining = False

    def _next(self) -> list[StoredEvent]:
        """The events after the position: those just published when they follow on
        from it, else (after a gap, and once a second in any case) the journal's."""
        fresh = self._fresh
        while fresh and fresh[0].seq <= self.position:
            fresh.popleft()  # answered already (or before a takeover)
        if time.monotonic() - self._read_at < READ_EVERY_S:
            taken: list[StoredEvent] = []
            while fresh and len(taken) < PAGE and fresh[0].seq == self.position + 1 + len(taken):
                taken.append(fresh.popleft())
            if taken:
                return taken
            if not fresh and self.position >= self._heard_seq:
                return []  # nothing committed past the position that this node heard of
        read = list(self.store.read(after=self.position, limit=PAGE))
        self._read_at = time.monotonic()  # after: a failed read is tried again at once
        return read

    def _answer(self, event: StoredEvent) -> None:
        """Issue the policies' commands for one event, step by step, each under its key."""
        service = self.service
        with service.locked():
            if event.seq > service.state.seq:
                service.catch_up()
            for number, step in enumerate(
                steps(event, service.config, service.oracle, service.watches)
            ):
                try:
                    commands = step(service.state)
                except Exception as error:
                    # A policy that breaks must be seen by a person, not end the reactor.
                    log.exception("policy failed on %s (seq %s)", event.type, event.seq)
                    commands = [self._failed(event, f"{type(error).__name__}: {error}")]
                for index, command in enumerate(commands):
                    self._issue(event, command, reaction_key(event.seq, number, index))

    def _issue(self, event: StoredEvent, command: Command, key: str) -> None:
        service = self.service
        try:
            service.handle(command.with_key(key))
        except CommandRejected as rejected:
            if is_moot(command, rejected):
                return
            message = f"{command.do} by system rejected: {rejected}"
            log.warning("%s (answering seq %s)", message, event.seq)
            service.policy_failures.append(message)
            alert = self._failed(event, message)
            try:
                service.handle(alert.with_key(f"{key}:rejected"))
            except CommandRejected:
                log.exception("could not raise policy_failed for seq %s", event.seq)

    def _failed(self, event: StoredEvent, why: str) -> Command:
        """A ``policy_failed`` alert about the answer to ``event`` (high for emergencies)."""
        state = self.service.state
        incident = event.data.get("incident")
        emergency = isinstance(incident, str) and any(
            e.open and e.incident == incident for e in state.emergencies.values()
        )
        payload: dict[str, object] = {
            "kind": "policy_failed",
            "severity": "high" if emergency or event.type.startswith("emergency.") else "normal",
            "text": f"answering {event.type} (seq {event.seq}): {why}"[:5000],
            "cause_seq": event.seq,
        }
        if isinstance(incident, str) and incident in state.incidents:
            payload["incident"] = incident
        return parse_command("alert.raise", payload, SYSTEM)

    def _raise_stuck(self, error: Exception) -> None:
        """The database has failed several times running: tell a person (if it lets us;
        if not, ``_caught_up`` tells once it is back)."""
        message = f"reactions to the journal are stuck at seq {self.position + 1}: {error}"
        self.service.policy_failures.append(message)
        self._stuck_told = self._tell(message, "stuck")

    def _caught_up(self) -> None:
        """Back after failures long enough to matter: say how long answers were held up."""
        if self._stuck_since is None:
            return
        held = time.monotonic() - self._stuck_since
        told, self._stuck_since = self._stuck_told, None
        self._stuck_told = False
        if told or held >= self.backoff.cap_s:
            self._tell(
                f"reactions were held up {held:.1f} s by journal failures; caught up at "
                f"seq {self.position}",
                "caught-up",
            )

    def _tell(self, message: str, what: str) -> bool:
        payload: dict[str, object] = {
            "kind": "policy_failed",
            "severity": "high",
            "text": message[:5000],
            "cause_seq": self.position + 1,
        }
        try:
            command = parse_command("alert.raise", payload, SYSTEM)
            self.service.handle(command.with_key(f"react:{self.position + 1}:{what}"))
        except Exception:
            log.exception("could not raise policy_failed (%s)", what)
            return False
        return True

    def _save(self, force: bool = False) -> None:
        """Keep the position durable; at most once a second (keys make a repeat harmless)."""
        if self.position == self._saved:
            return
        if not force and time.monotonic() - self._saved_at < self.save_every_s:
            return
        try:
            self.store.save_position(POSITION, self.position)
            self._saved, self._saved_at = self.position, time.monotonic()
        except Exception:
            log.warning("could not save the reactor's position", exc_info=True)
