"""docs/deploy.md run on this machine: nginx with TLS in front of two nodes on PostgreSQL.

The shipped files are what runs: ``deploy/nginx/tenfour.conf`` (ports and certificate
paths changed), the nodes started with ``deploy/systemd/tenfour@.service``'s options
and ``tenfour.env``'s variables, one fresh PostgreSQL database.

- the schema is made as the guide says (``tenfour db upgrade``) before the first start;
- plain HTTP is sent to HTTPS; ``/api/ready`` answers through nginx, ``/metrics`` does
  not (each node's is scraped directly); a login over HTTPS through nginx gets a Secure cookie,
  and its audit names the real client (a forged X-Forwarded-For is not believed);
- the live feed works through nginx (WebSocket upgrade, the page's Origin accepted, a
  foreign one refused) and pinned to node B: a command sent to node A reaches both;
- commands flow through nginx while node A is stopped (SIGTERM), started again, then
  node B is killed (kill -9): nginx sends everything to the node that is up, a client
  that gets a 502 retries with the same idempotency key, and afterwards every
  acknowledged command is in the journal exactly once.

Under CI=true a missing nginx, openssl or PostgreSQL fails the test instead of skipping.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psycopg
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from tests.deploy.nginx import SITE, UNIT, Nginx
from tests.deploy.units import unit_node
from tests.nodes import Node, wait_for
from tests.postgres import fresh_database

pytestmark = pytest.mark.postgres

#: The demo city's on-duty units, whose positions the flowing commands report.
UNITS = ["ZPD-3", "ZPD-4", "ZPD-5", "ZPD-6", "ZPD-8", "ZPD-9"]
#: A client 127.0.0.2 (all of 127/8 is loopback): nginx's own address is 127.0.0.1.
CLIENT = "127.0.0.2"


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_database("tenfour_deploy") as url:
        yield url


def journal_keys(url: str, prefix: str) -> dict[str, int]:
    """Events per idempotency key starting with ``prefix``."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT idempotency_key, count(*) FROM journal_events"
            " WHERE idempotency_key LIKE %s GROUP BY idempotency_key",
            (prefix + "%",),
        ).fetchall()
    return {str(key): int(count) for key, count in rows}


def node_connections(url: str) -> int:
    """Sessions on the test's database other than this one: the nodes'."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert row is not None
    return int(row[0])


def audit_sources(url: str, user: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT data FROM journal_events WHERE event_type = 'audit.login' ORDER BY seq"
        ).fetchall()
    return [json.loads(data)["source"] for (data,) in rows if json.loads(data)["user"] == user]


def receive_until(feed: ClientConnection, wanted: str, timeout_s: float = 15) -> dict[str, Any]:
    """The first event message whose JSON mentions ``wanted``."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no event with {wanted!r} in {timeout_s} s")
        message = json.loads(feed.recv(timeout=left))
        if message["type"] == "event" and wanted in json.dumps(message["event"]):
            found: dict[str, Any] = message["event"]
            return found


class Flow:
    """Commands sent through nginx from a few threads, as fast as answered, until
    stopped: each with its own idempotency key, retried with that same key on a 502,
    503, 504 or a broken connection until acknowledged (or 30 s passed)."""

    def __init__(self, proxy: Nginx, token: str, threads: int = 4) -> None:
        self.proxy = proxy
        self.token = token
        self.acked: dict[str, float] = {}  # key -> when acknowledged (monotonic)
        self.failed: list[str] = []
        self.retries = 0
        self._count = itertools.count()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(threads)]
        for thread in self._threads:
            thread.start()

    def _run(self) -> None:
        with self.proxy.client(timeout=15) as client:
            while not self._stop.is_set():
                n = next(self._count)
                key = f"deploy-{n}"
                body = {
                    "do": "unit.locate",
                    "with": {
                        "unit": UNITS[n % len(UNITS)],
                        "lat": 37.79 + n % 50 * 1e-4,
                        "lon": -122.40,
                    },
                    "idempotency_key": key,
                }
                self._send(client, key, body)

    def _send(self, client: httpx.Client, key: str, body: dict[str, Any]) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        give_up = time.monotonic() + 30
        while time.monotonic() < give_up:
            try:
                answer = client.post("/api/commands", json=body, headers=headers)
            except httpx.TransportError:
                answer = None
            if answer is not None and answer.status_code == 200:
                with self._lock:
                    self.acked[key] = time.monotonic()
                return
            if answer is not None and answer.status_code not in (502, 503, 504):
                with self._lock:
                    self.failed.append(f"{key}: {answer.status_code} {answer.text[:200]}")
                return
            with self._lock:
                self.retries += 1
            time.sleep(0.1)
        with self._lock:
            self.failed.append(f"{key}: not acknowledged in 30 s")

    def __str__(self) -> str:
        with self._lock:
            return (
                f"{len(self.acked)} acknowledged, {self.retries} retries, "
                f"{len(self.failed)} failed: {self.failed[:3]}"
            )

    def acked_after(self, moment: float) -> int:
        with self._lock:
            return sum(1 for at in self.acked.values() if at > moment)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


def tenfour(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tenfour.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_two_nodes_behind_nginx_with_tls_lose_nothing_acknowledged(
    database: str, tmp_path: Path
) -> None:
    upgraded = tenfour("db", "upgrade", "--database", database)
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    status = tenfour("db", "status", "--database", database)
    assert status.returncode == 0, status.stdout + status.stderr

    a = unit_node(database, tmp_path / "a", "a").wait_ready()
    nodes: list[Node] = [a]
    proxy: Nginx | None = None
    try:
        b = unit_node(database, tmp_path / "b", "b").wait_ready()
        nodes.append(b)
        proxy = Nginx(tmp_path, [a.port, b.port])
        password = a.passwords["clawhauser"]

        # Plain HTTP is only ever a redirect to HTTPS.
        plain = httpx.get(f"http://127.0.0.1:{proxy.http_port}/api/health", timeout=5)
        assert plain.status_code == 301
        assert plain.headers["location"].startswith("https://")
        with proxy.client() as public_client:
            assert public_client.get("/api/ready").status_code == 200
            assert public_client.get("/metrics").status_code == 404
        scraped = a.client.get("/metrics")
        assert scraped.status_code == 200 and "tenfour_commands_total" in scraped.text

        # A login through nginx: Secure cookie (X-Forwarded-Proto), the real client's
        # address in the audit (X-Forwarded-For from a trusted proxy), a forged one not.
        with proxy.client(local_address=CLIENT) as browser:
            login = browser.post(
                "/api/login",
                json={"username": "clawhauser", "password": password},
                headers={"X-Forwarded-For": "203.0.113.9"},
            )
            assert login.status_code == 200, login.text
            assert "secure" in login.headers["set-cookie"].lower()
            assert login.headers["strict-transport-security"].startswith("max-age=")
        token = login.json()["token"]
        assert audit_sources(database, "clawhauser") == [CLIENT]

        # The live feed: through nginx (as the console opens it) and pinned to B.
        auth = {"Authorization": f"Bearer {token}"}
        public = f"wss://127.0.0.1:{proxy.https_port}/api/live"
        with (
            connect(
                public,
                ssl=proxy.tls,
                origin=Origin(f"https://127.0.0.1:{proxy.https_port}"),
                additional_headers=auth,
                max_size=None,
                proxy=None,
            ) as through_nginx,
            connect(
                f"ws://127.0.0.1:{b.port}/api/live",
                additional_headers=auth,
                max_size=None,
                proxy=None,
            ) as on_b,
        ):
            for feed in (through_nginx, on_b):
                assert json.loads(feed.recv(timeout=15))["type"] == "snapshot"
            answer = a.command(
                token,
                "incident.create",
                {"type": "DEPLOY", "priority": 2, "location": {"lat": 37.79, "lon": -122.40}},
            )
            incident = next(e for e in answer["events"] if e["type"] == "incident.created")
            for feed in (on_b, through_nginx):
                seen = receive_until(feed, incident["incident"])
                assert seen["seq"] == incident["seq"]

        # A page from a foreign origin is refused by the node behind nginx (4403).
        with connect(
            public,
            ssl=proxy.tls,
            origin=Origin("https://evil.example"),
            additional_headers=auth,
            proxy=None,
        ) as foreign:
            with pytest.raises(ConnectionClosed) as closed:
                foreign.recv(timeout=15)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403

        # The connection budget docs/deploy.md sizes max_connections with: 8 a node.
        assert node_connections(database) <= 8 * 2

        # Commands flow through nginx; node A stops cleanly (SIGTERM) in the middle.
        flow = Flow(proxy, token)
        try:
            wait_for(lambda: len(flow.acked) >= 50, 30, "commands to flow through nginx")
            stopped = time.monotonic()
            a.stop()
            wait_for(lambda: flow.acked_after(stopped) >= 100, 60, "B to take A's share")
            # A comes back on its port; nginx uses it again once its 5 s are up.
            a = unit_node(database, tmp_path / "a", "a", port=a.port).wait_ready()
            nodes.append(a)
            time.sleep(6)
            killed = time.monotonic()
            b.kill9()
            wait_for(lambda: flow.acked_after(killed) >= 100, 60, "A to take B's share")
        except AssertionError as error:
            raise AssertionError(f"{error}; {flow}\nnginx:\n{proxy.errors()[-3000:]}") from None
        finally:
            flow.stop()

        assert flow.failed == []
        in_journal = journal_keys(database, "clawhauser/deploy-")
        acked = {f"clawhauser/{key}" for key in flow.acked}
        missing = sorted(acked - set(in_journal))
        assert missing == [], f"{len(missing)} acknowledged commands not in the journal"
        # Retried commands are journaled once: one unit.located event per key.
        assert {key: in_journal[key] for key in acked if in_journal[key] != 1} == {}
        assert len(acked) >= 250
    finally:
        if proxy is not None:
            proxy.stop()
        for node in nodes:
            node.kill9()
            node.stop()


def test_the_guide_shows_the_shipped_files_as_they_are() -> None:
    """docs/deploy.md shows the site file and the unit without their comments: every
    directive of the shipped files must be in it, so the two cannot drift apart."""
    guide = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()
    shown = {line.strip() for line in guide.splitlines()}
    for shipped in (SITE, UNIT):
        directives = [
            line.strip()
            for line in shipped.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        missing = [line for line in directives if line not in shown]
        assert missing == [], f"{shipped.name} lines not in docs/deploy.md: {missing}"
