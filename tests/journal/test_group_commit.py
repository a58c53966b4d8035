"""Group commit at the service (``Service.handle_many``, the writer thread of
``tenfour.groupcommit``), on every journal backend: commands that arrive together
are decided in order, appended in one transaction, each answered with its own
events; one that fails, fails alone; a failed batch answers everybody."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

import pytest

from tenfour.api.idempotency import FingerprintStore
from tenfour.clock import SimClock
from tenfour.domain import CommandRejected
from tenfour.domain.commands import Command, parse_command
from tenfour.groupcommit import Committer, CommitterClosed, Job
from tenfour.journal import Batch, JournalError, StoredEvent
from tenfour.journal.sql import JournalBatch
from tenfour.service import Handled, Prepared, Service

from .support import Backend
from .test_service_on_backends import ADMIN, DESK, START, StraightLine, roster

AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class Commits:
    """Counts the store's durable commits (its head listener hears each one)."""

    def __init__(self) -> None:
        self.heads: list[int] = []

    def note(self, seq: int, hash: str) -> None:
        self.heads.append(seq)

    def close(self) -> None:
        pass


def grouped(backend: Backend) -> tuple[Service, Commits]:
    store = backend.open()
    service = Service(store=store, clock=SimClock(START), oracle=StraightLine(), group_commit=True)
    roster(service)
    commits = Commits()
    store.listen_head(commits)  # type: ignore[attr-defined]
    return service, commits


def given(command: Command) -> Callable[[], Command]:
    return lambda: command


def locate(unit: str, lat: float, key: str | None = None) -> Command:
    return parse_command("unit.locate", {"unit": unit, "lat": lat, "lon": -122.4}, DESK, key)


def test_commands_from_many_threads_get_their_own_events(backend: Backend) -> None:
    service, commits = grouped(backend)
    head = service.store.head()
    answers: dict[tuple[int, int], Handled] = {}
    errors: list[BaseException] = []
    sent = threading.Semaphore(0)

    def desk(k: int) -> None:
        try:
            for n in range(10):
                command = locate(f"ZPD-{3 + k % 2}", 37.7 + k / 100 + n / 10_000)
                if n == 0:  # queued at once; the others through handle(), which queues too
                    future = service.enqueue(given(command))
                    sent.release()
                    answers[(k, n)] = future.result(timeout=60)
                else:
                    answers[(k, n)] = service.handle(command)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=desk, args=(k,)) for k in range(12)]
    with service.locked():  # the first commands queue up behind this: batches
        for t in threads:
            t.start()
        for _ in threads:
            assert sent.acquire(timeout=30)
    for t in threads:
        t.join()
    service.close()
    assert errors == []
    for (k, n), handled in answers.items():
        [event] = handled.events
        assert (event.type, event.data["unit"]) == ("unit.located", f"ZPD-{3 + k % 2}")
        assert event.data["lat"] == pytest.approx(37.7 + k / 100 + n / 10_000)
    seqs = sorted(h.events[0].seq for h in answers.values())
    assert seqs == list(range(head + 1, head + 121))  # each its own, none lost
    assert len(commits.heads) < 120  # fewer transactions than commands
    assert commits.heads[-1] == head + 120
    assert service.store.verify().ok
    assert service.state.seq == head + 120


def test_a_batch_is_decided_in_order_and_a_failing_command_fails_alone(
    backend: Backend,
) -> None:
    service, commits = grouped(backend)
    head = service.store.head()
    create = {"type": "THEFT", "priority": 3, "location": {"lat": 37.792, "lon": -122.395}}
    outcomes = service.handle_many(
        [
            parse_command("shift.end", {"unit": "ZPD-3"}, ADMIN),
            # decided on the state the first left: ZPD-3 is off duty now
            parse_command("shift.end", {"unit": "ZPD-3"}, ADMIN),
            parse_command("incident.create", create, DESK, "desk/1"),
            parse_command("incident.create", create, DESK),  # the next number
            parse_command("incident.create", create, DESK, "desk/1"),  # a retry, same batch
            locate("NOPE-1", 37.7),  # no such unit
            locate("ZPD-4", 37.71),
        ]
    )
    off, again, first, second, retry, unknown, located = outcomes
    assert isinstance(again, CommandRejected) and again.problems[0].field == "with.unit"
    assert isinstance(unknown, CommandRejected)
    kept = [off, first, second, located]
    assert all(isinstance(h, Handled) and not h.duplicate for h in kept)
    events = [e for h in kept if isinstance(h, Handled) for e in h.events]
    assert [e.seq for e in events] == list(range(head + 1, head + 1 + len(events)))
    incidents = [h.events[0].data["incident"] for h in (first, second) if isinstance(h, Handled)]
    assert len(set(incidents)) == 2
    assert isinstance(retry, Handled) and retry.duplicate
    assert isinstance(first, Handled) and retry.events == first.events
    # one transaction for the batch (the policies' reactions, inline, come after it)
    assert commits.heads[0] == head + len(events)
    assert service.state.units["ZPD-3"].status == "offduty"
    assert list(service.store.read(after=head, limit=len(events))) == events


def test_a_failed_batch_answers_every_caller_and_keeps_nothing(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, commits = grouped(backend)
    store: Any = service.store
    head = store.head()
    where = dict(service.state.units["ZPD-4"].location or {})
    heard: list[Sequence[StoredEvent]] = []
    service.subscribe(heard.append)

    def broken(cur: object, seq: int) -> None:
        raise JournalError("disk I/O error (injected at commit)")

    monkeypatch.setattr(store, "_announce", broken)
    futures: list[Future[Handled]] = []
    with service.locked():
        for n in range(8):
            futures.append(service.enqueue(given(locate("ZPD-4", 37.6 + n / 100))))
    for future in futures:
        with pytest.raises(JournalError, match="injected"):
            future.result(timeout=30)
    assert store.head() == head and commits.heads == []
    assert heard == []  # nobody was told of events that never committed
    # the state no longer holds them: it was folded again from the journal
    assert service.state.seq == head
    assert service.state.units["ZPD-4"].location == where

    monkeypatch.undo()
    handled = service.handle(locate("ZPD-4", 37.5))
    assert handled.events[0].seq == head + 1
    assert service.state.units["ZPD-4"].location == {"lat": 37.5, "lon": -122.4}
    service.close()
    assert store.verify().ok


def test_a_broken_batch_function_answers_every_job() -> None:
    release = threading.Event()

    def run(jobs: Sequence[Job]) -> None:
        release.wait(10)
        jobs[0].future.set_result("first")
        raise RuntimeError("a bug in the batch")

    committer = Committer(run)
    futures = [committer.submit(lambda: None) for _ in range(5)]
    release.set()
    outcomes: list[Any] = []
    for future in futures:
        try:
            outcomes.append(future.result(timeout=10))
        except RuntimeError as error:
            outcomes.append(str(error))
    assert outcomes[0] == "first"
    assert set(outcomes[1:]) == {"a bug in the batch"}
    committer.close()
    with pytest.raises(CommitterClosed):
        committer.submit(lambda: None).result(timeout=1)


def test_a_cancelled_job_does_not_run() -> None:
    ran: list[Callable[[], Any]] = []
    gate, entered = threading.Event(), threading.Event()

    def run(jobs: Sequence[Job]) -> None:
        entered.set()
        gate.wait(10)
        for job in jobs:
            ran.append(job.work)
            job.future.set_result(len(jobs))

    committer = Committer(run)
    busy = committer.submit(lambda: "busy")  # holds the writer until the gate opens
    assert entered.wait(10)
    gone = committer.submit(lambda: "gone")
    kept = committer.submit(lambda: "kept")
    assert gone.cancel()
    gate.set()
    assert busy.result(timeout=10) == 1
    assert kept.result(timeout=10) == 1  # its batch: itself alone, the cancelled one dropped
    assert [work() for work in ran] == ["busy", "kept"]
    assert committer.submit(lambda: "alone").result(timeout=10) == 1
    committer.close()


def keyed(service: Service, command: Command, mine: str) -> Callable[[], Prepared]:
    """A job as the API makes it for a keyed command: its key bound in the batch."""

    def check(batch: Batch) -> None:
        assert isinstance(batch, JournalBatch) and command.idempotency_key is not None
        bound = FingerprintStore.claim_in(batch, command.idempotency_key, mine, AT)
        if bound is not None and bound != mine:
            raise CommandRejected.one("idempotency_key", "used for another command", "conflict")

    return lambda: Prepared(command, check)


def test_a_key_is_bound_in_the_batch_itself(backend: Backend) -> None:
    service, commits = grouped(backend)
    head = service.store.head()
    with service.locked():  # all three in one batch
        first = service.enqueue(keyed(service, locate("ZPD-3", 37.7, "desk/k"), "aaa"))
        other = service.enqueue(keyed(service, locate("ZPD-4", 37.7, "desk/k"), "bbb"))
        retry = service.enqueue(keyed(service, locate("ZPD-3", 37.7, "desk/k"), "aaa"))
    done = first.result(timeout=30)
    with pytest.raises(CommandRejected) as refused:
        other.result(timeout=30)
    assert refused.value.code == "conflict"
    again = retry.result(timeout=30)
    assert again.duplicate and again.events == done.events
    # one durable commit for the events and the binding together: no write of its own
    assert commits.heads == [head + 1]
    rows = backend.query("SELECT idem_key, fingerprint FROM command_fingerprints")
    assert [tuple(row) for row in rows] == [("desk/k", "aaa")]
    service.close()


def test_a_failed_batch_leaves_its_keys_unbound(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, _ = grouped(backend)
    store: Any = service.store

    def broken(cur: object, seq: int) -> None:
        raise JournalError("disk I/O error (injected at commit)")

    monkeypatch.setattr(store, "_announce", broken)
    future = service.enqueue(keyed(service, locate("ZPD-3", 37.7, "desk/k"), "aaa"))
    with pytest.raises(JournalError, match="injected"):
        future.result(timeout=30)
    # The command wrote nothing, so its key names nothing yet: it commits with the
    # events or not at all (a binding of its own would have outlived the failure).
    assert backend.query("SELECT idem_key FROM command_fingerprints") == []
    monkeypatch.undo()
    other = service.enqueue(keyed(service, locate("ZPD-4", 37.7, "desk/k"), "bbb"))
    assert not other.result(timeout=30).duplicate
    service.close()


def test_a_check_that_fails_otherwise_fails_the_whole_batch(backend: Backend) -> None:
    service, commits = grouped(backend)
    head = service.store.head()

    def broken(batch: Batch) -> None:
        raise JournalError("the transaction broke (injected)")

    with service.locked():
        alone = service.enqueue(given(locate("ZPD-3", 37.7)))
        checked = service.enqueue(lambda: Prepared(locate("ZPD-4", 37.7), broken))
    for future in (alone, checked):
        with pytest.raises(JournalError, match="injected"):
            future.result(timeout=30)
    assert service.store.head() == head and commits.heads == []
    service.close()


def test_a_batch_writes_beside_the_journal_but_never_into_it(backend: Backend) -> None:
    store = backend.open()
    with store.batch() as batch:
        assert isinstance(batch, JournalBatch)
        with pytest.raises(JournalError, match="append only"):
            batch.execute("DELETE FROM journal_events")
        batch.execute(
            "INSERT INTO command_fingerprints (idem_key, fingerprint, first_at) VALUES (?, ?, ?)",
            ("u/k", "aaa", AT.isoformat()),
        )
    rows = backend.query("SELECT idem_key, fingerprint FROM command_fingerprints")
    assert [tuple(row) for row in rows] == [("u/k", "aaa")]
    assert store.verify().ok
