"""Real server processes crashing and sharing a journal: reactions and timers survive.

- kill -9 of the server between ``emergency.declared`` committing and its response
  plan (the plan is held back by holding the timekeeper's lease from the test, exactly
  as a node that has not taken over yet would): the next server dispatches the plan,
  exactly once, and a third start repeats nothing.
- Two servers on one PostgreSQL journal: a pursuit with no check-ins gives exactly one
  ``status_check_overdue`` and one ``member_unresponsive``; killing the timekeeping node
  mid-interval still gives both, once, from the other node.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tenfour.journal import StoredEvent, open_store
from tenfour.journal.lease import PostgresLease
from tests.nodes import Node, wait_for
from tests.postgres import fresh_database

SCENE = {"lat": 37.7925893, "lon": -122.3958821}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "tenfour.db")
    else:
        with fresh_database("tenfour_nodes") as url:
            yield url


@contextmanager
def lease_held(database: str) -> Iterator[None]:
    """Hold the timekeeper's lease from the test: servers start, none may react."""
    if database.startswith("postgresql://"):
        lease = PostgresLease(database, "timekeeper")
        assert lease.try_hold()
        try:
            yield
        finally:
            lease.release()
        return
    fd = os.open(f"{database}.timekeeper.lease", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def journal(database: str) -> list[StoredEvent]:
    with open_store(database) as store:
        return list(store.read())


def plan_of(events: list[StoredEvent], incident: str) -> tuple[list[str], list[str]]:
    units = [
        str(e.data["unit"])
        for e in events
        if e.type == "unit.dispatched" and e.data["incident"] == incident
    ]
    needs = [
        str(e.data["need"])
        for e in events
        if e.type == "recommendation.made"
        and e.data.get("purpose") == "emergency"
        and e.data.get("incident") == incident
    ]
    return units, needs


def test_kill_9_after_the_emergency_commits_still_dispatches_the_plan_once(database: str) -> None:
    with lease_held(database):
        first = Node(database, name="first").wait_ready()
        try:
            desk = first.login("clawhauser", first.passwords["clawhauser"])
            answer = first.command(
                desk, "emergency.declare", {"member": "hopps", "location": SCENE, "text": "down"}
            )
            declared = next(e for e in answer["events"] if e["type"] == "emergency.declared")
            incident = declared["incident"]
            time.sleep(1.5)  # the node cannot react while the lease is held: nothing yet
            assert plan_of(journal(database), incident) == ([], [])
        finally:
            first.kill9()
            first.stop()  # (its log file)
    passwords = first.passwords
    second = Node(database, name="second").wait_ready()
    try:
        units, needs = wait_for(
            lambda: (found := plan_of(journal(database), incident))[0] and found,
            30,
            "the plan to be dispatched after the crash",
        )
        time.sleep(1.0)  # let anything that would be repeated be repeated
        units, needs = plan_of(journal(database), incident)
        assert sorted(needs) == ["ambulance-als", "police", "supervisor"]
        assert len(units) == len(set(units)) == 6 and "ZPD-7" not in units
        assert second.login("clawhauser", passwords["clawhauser"])
    finally:
        second.stop()
    third = Node(database, name="third").wait_ready()
    try:
        wait_for(lambda: third.health()["timekeeper"], 10, "the third node to lead")
        time.sleep(1.0)
        assert plan_of(journal(database), incident) == (units, needs)
    finally:
        third.stop()


def _alerts(database: str, member: str) -> list[dict[str, Any]]:
    return [
        {"kind": e.data["kind"], "at": e.at}
        for e in journal(database)
        if e.type == "alert.raised"
        and e.data.get("member") == member
        and e.data["kind"] in ("status_check_overdue", "member_unresponsive")
    ]


@pytest.mark.postgres
def test_two_nodes_raise_each_status_check_alert_once_and_survive_the_timekeepers_death(
    tmp_path: Path,
) -> None:
    config = tmp_path / "policy.yaml"
    config.write_text("timers: {pursuit_s: 3}\n")
    with fresh_database("tenfour_two_nodes") as url:
        one = Node(url, config=config, name="one").wait_ready()
        two = Node(url, config=config, name="two").wait_ready()
        nodes = [one, two]
        try:
            leader = wait_for(
                lambda: next((n for n in nodes if n.health()["timekeeper"]), None),
                10,
                "one node to keep time",
            )
            assert sum(bool(n.health()["timekeeper"]) for n in nodes) == 1
            passwords = one.passwords
            hopps = two.login("hopps", passwords["hopps"])
            two.command(hopps, "member.status", {"member": "hopps", "status": "pursuit"})
            time.sleep(3 * 2 + 2.5)  # two missed intervals, and time for a duplicate to show
            assert [a["kind"] for a in _alerts(url, "hopps")] == [
                "status_check_overdue",
                "member_unresponsive",
            ]

            # Now the timekeeper dies 0.5 s into wilde's pursuit.
            other = two if leader is one else one
            wilde = other.login("wilde", passwords["wilde"])
            other.command(wilde, "member.status", {"member": "wilde", "status": "pursuit"})
            time.sleep(0.5)
            killed_at = time.monotonic()
            leader.kill9()
            wait_for(lambda: other.health()["timekeeper"], 10, "the other node to take over")
            takeover_s = time.monotonic() - killed_at
            time.sleep(3 * 2 + 2.5 - 0.5)
            assert [a["kind"] for a in _alerts(url, "wilde")] == [
                "status_check_overdue",
                "member_unresponsive",
            ], f"takeover took {takeover_s:.2f} s"
            assert takeover_s < 5
            with psycopg.connect(url) as conn:
                row = conn.execute("SELECT count(*) FROM journal_events").fetchone()
                assert row is not None and row[0] == len(journal(url))
        finally:
            for node in nodes:
                node.stop()
