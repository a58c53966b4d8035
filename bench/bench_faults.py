"""How long officer safety waits on a fault: a cut connection, a dead timekeeper.

1. From the commit of ``emergency.declared`` to the commit of the MAYDAY plan's last
   dispatch, in the server's deferred mode on PostgreSQL, with the journal's session
   terminated (``pg_terminate_backend``) at the commit, against the same run without
   a cut (baseline, same process, same roster, same plan: the check prints that both
   dispatched the same six units).
2. From kill -9 of the node holding the timekeeper's lease to the other node of two
   real servers on one PostgreSQL journal saying it keeps time (``/api/health``).

Run: ``.venv/bin/python -m bench.bench_faults [--rounds 10] [--takeovers 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

import psycopg
from tests.journal.support import PostgresBackend
from tests.journal.test_reactions_survive_faults import cutter, plan_of, roster
from tests.journal.test_service_on_backends import DESK, START, StraightLine
from tests.nodes import Node, wait_for
from tests.postgres import fresh_database

from tenfour.clock import SimClock
from tenfour.journal import open_store
from tenfour.service import Service

SCENE = {"lat": 37.7905, "lon": -122.3975}


def plan_delay(url: str, *, cut: bool) -> tuple[float, list[str]]:
    """Seconds from the emergency's commit to its plan's last dispatch, and the units."""
    backend = PostgresBackend(url)
    backend.reset()
    store, terminate = cutter(backend, open_store(url))
    service = Service(store=store, clock=SimClock(START), oracle=StraightLine(), react_inline=False)
    committed: list[float] = []
    done: list[float] = []
    try:
        roster(service)
        service.settle()

        def on_commit(batch: Any) -> None:
            if any(e.type == "emergency.declared" for e in batch):
                committed.append(time.perf_counter())
                if cut:
                    terminate()
            if sum(e.type == "unit.dispatched" for e in batch) and committed:
                done.append(time.perf_counter())

        service.subscribe(on_commit)
        handled = service.submit("emergency.declare", {"member": "m0", "location": SCENE}, DESK)
        incident = next(
            str(e.data["incident"]) for e in handled.events if e.type == "emergency.declared"
        )
        service.settle()
        units, _ = plan_of(list(service.store.read()), incident)
    finally:
        service.close()
        store.close()
    return done[-1] - committed[0], sorted(units)


def takeover(url: str) -> float:
    """Seconds from kill -9 of the timekeeping node to the other node leading."""
    one = Node(url, name="one").wait_ready()
    two = Node(url, name="two").wait_ready()
    try:
        nodes = [one, two]
        leader = wait_for(
            lambda: next((n for n in nodes if n.health()["timekeeper"]), None), 10, "a leader"
        )
        other = two if leader is one else one
        killed = time.perf_counter()
        leader.kill9()
        wait_for(lambda: other.health()["timekeeper"], 15, "the takeover")
        return time.perf_counter() - killed
    finally:
        one.stop()
        two.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--takeovers", type=int, default=3)
    args = parser.parse_args()
    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()
    except psycopg.OperationalError as error:
        print(f"PostgreSQL not reachable: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    with fresh_database("tenfour_bench_faults") as url:
        plain, cutoff = [], []
        units_plain: list[str] = []
        units_cut: list[str] = []
        for _ in range(args.rounds):
            delay, units_plain = plan_delay(url, cut=False)
            plain.append(delay)
            delay, units_cut = plan_delay(url, cut=True)
            cutoff.append(delay)
        print(
            f"check: same plan with and without the cut: {units_plain == units_cut} ({units_cut})"
        )
        print()
        print("| emergency committed -> plan's last dispatch committed | median ms | max ms |")
        print("|---|---:|---:|")
        print(
            f"| no fault (baseline) | {1000 * statistics.median(plain):.1f} | {1000 * max(plain):.1f} |"
        )
        print(
            f"| journal session terminated at the commit | {1000 * statistics.median(cutoff):.1f} "
            f"| {1000 * max(cutoff):.1f} |"
        )
        print(
            f"\nratio cut / baseline at the median: {statistics.median(cutoff) / statistics.median(plain):.2f}x"
        )
    takeovers = []
    for _ in range(args.takeovers):
        with fresh_database("tenfour_bench_takeover") as url:
            takeovers.append(takeover(url))
    print()
    print("| kill -9 of the timekeeping node -> the other node keeps time | median s | max s |")
    print("|---|---:|---:|")
    print(
        f"| two servers, one PostgreSQL journal (lease tried every 1 s) | {statistics.median(takeovers):.2f} | {max(takeovers):.2f} |"
    )


if __name__ == "__main__":
    main()
