"""Group commit: one writer thread takes every job waiting and runs them together.

A durable commit costs the same fsync (SQLite) or WAL flush (PostgreSQL) whether it
holds one command's events or sixteen, so commands that arrive together are
appended in one transaction (``Service._commit``) and each caller is answered when
that transaction is durable. The writer never waits for company: when it is idle,
a job runs at once, alone; while a batch commits, the next jobs queue, and all of
them go in the next batch. So a lone command's latency does not grow, and under
load the batch grows by itself to what arrived during the last commit.

Callers get a ``concurrent.futures.Future``: a thread waits on ``result()``, the
event loop awaits ``asyncio.wrap_future(...)`` (no worker thread per request). A
job whose future was cancelled before its batch began (the HTTP client went away)
is dropped without running. If the batch function itself fails, every job of the
batch not yet answered gets that error: nobody waits for ever.
"""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


class CommitterClosed(RuntimeError):
    """The writer was stopped (the service is closing); the job did not run."""


@dataclass
class Job:
    """One caller's work in a batch: ``work`` is what the batch function is given
    (for the service, a function that returns the command), ``future`` its answer."""

    work: Callable[[], Any]
    future: Future[Any] = field(default_factory=Future)
    #: ``time.perf_counter()`` when the job was queued (for its latency).
    queued: float = field(default_factory=time.perf_counter)
    #: The submitter's context (its request id, ``tenfour.api.logs``): what the writer
    #: thread logs for this job is logged as the submitter's.
    context: contextvars.Context = field(default_factory=contextvars.copy_context)


class Committer:
    """A queue and one daemon thread that hands every waiting job to ``run_batch``.

    ``run_batch(jobs)`` must answer each job's future (result or exception); any it
    leaves unanswered, or all of them if it raises, are answered with an error.
    """

    def __init__(
        self, run_batch: Callable[[Sequence[Job]], None], *, name: str = "tenfour-commit"
    ) -> None:
        self._run_batch = run_batch
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._closed = False
        self._guard = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def waiting(self) -> int:
        """How many jobs are queued for a batch not begun yet (approximately)."""
        return self._queue.qsize()

    def submit(self, work: Callable[[], Any]) -> Future[Any]:
        """Queue ``work`` for the next batch; its future is answered once it is durable."""
        job = Job(work)
        with self._guard:
            if self._closed:
                job.future.set_exception(CommitterClosed("the service is closed"))
                return job.future
            self._queue.put(job)
        return job.future

    def close(self, timeout_s: float = 30.0) -> None:
        """Run what is queued already, then stop the thread (jobs after this fail)."""
        with self._guard:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            jobs = [] if first is None else [first]
            stop = first is None
            # Everything that arrived meanwhile goes in this batch: no waiting for more.
            while not stop:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                else:
                    jobs.append(job)
            live = [job for job in jobs if job.future.set_running_or_notify_cancel()]
            if live:
                self._run(live)
            if stop:
                return

    def _run(self, jobs: Sequence[Job]) -> None:
        try:
            self._run_batch(jobs)
            error: BaseException = RuntimeError("the batch left this command unanswered")
        except BaseException as failure:  # answered below: nobody may hang
            log.exception("a batch of %d command(s) failed", len(jobs))
            error = failure
        for job in jobs:
            if not job.future.done():
                job.future.set_exception(error)
