"""Benchmark of the server under abuse: a dispatcher's console commands while a login
flood and a tip flood hit the server, and ``/api/health`` while a command waits on a
locked table.

Run: ``.venv/bin/python -m bench.bench_abuse [--seconds 10] [--flood-connections 8]``.

1. ``tenfour serve --trusted-proxies 127.0.0.1`` in its own process on a temporary
   SQLite journal with the demo city. A console (one dispatcher session, keep-alive)
   sends 20 commands a second (``incident.note`` and ``unit.locate``, each with its own
   idempotency key, as the web console does) and times each answer: first alone (the
   baseline, in the same run), then while two floods run for as long:
   - logins with wrong passwords, each from a new source address (``X-Forwarded-For``
     through the trusted proxy, so the per-source throttle never catches them), half
     for the dispatcher's own account, half for unknown names;
   - tips from 500 source addresses: valid ones, junk with 1,000 unknown keys, and
     100 KB bodies (over the 64 KB cap).
   The floods come from ``wrk`` (Debian package ``wrk``) when installed, else from
   Python threads (slower, and their own CPU then weighs on the server more).
2. On PostgreSQL (``TENFOUR_BENCH_POSTGRES``, default the local server as postgres;
   skipped when unreachable): a fresh database, the server on it, another session
   holding ``LOCK TABLE journal_events IN ACCESS EXCLUSIVE MODE`` while a command waits
   on it; ``/api/health`` is polled meanwhile, against the same polls with no lock.
   Once with the lock released after 1 s (the command then succeeds), once held 12 s,
   past the 5 s ``lock_timeout`` (the command gets 503, the next one 200).

All traffic goes to 127.0.0.1, bounded in time (``--seconds``) and connections.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx

from bench.bench_api import PASSWORD, start_server

UNITS = ["ZPD-3", "ZPD-4", "ZPD-5", "ZPD-6", "ZPD-8", "ZPD-9", "ZPD-11", "M-51", "M-53"]
CONSOLE_RATE = 20  # commands a second: a busy dispatcher's console and then some
# Longer than two lock timeouts: the reactor's own read may be waiting on the same
# connection first, and the command's turn comes after it gives up.
LONG_HOLD_S = 12.0
ADMIN_URL = os.environ.get(
    "TENFOUR_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)

# Status counts of every answer, printed by wrk at the end.
_COUNTS = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counts = {} end
function response(status, headers, body) counts[status] = (counts[status] or 0) + 1 end
function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("counts")) do io.write(string.format("status %d %d\\n", status, n)) end
  end
end
"""

LOGIN_FLOOD = (
    """
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local source = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  wrk.headers["X-Forwarded-For"] = source
  local user = "bench"
  if n % 2 == 1 then user = string.format("nobody-%d", n) end
  local body = string.format('{"username":"%s","password":"wrong-password-%d"}', user, n)
  return wrk.format(nil, "/api/login", nil, body)
end
"""
    + _COUNTS
)

TIP_FLOOD = (
    """
local n = 0
local junk = {}
for i = 1, 1000 do junk[i] = string.format('"k%d":1', i) end
local junk_body = '{"text":"junk",' .. table.concat(junk, ",") .. '}'
local big_body = '{"text":"' .. string.rep("x", 100000) .. '"}'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  wrk.headers["X-Forwarded-For"] = string.format("203.0.%d.%d", math.random(0, 1), math.random(1, 250))
  local body
  if n % 10 < 7 then body = string.format('{"text":"tip %d: a van with no plates"}', n)
  elseif n % 10 < 9 then body = junk_body
  else body = big_body end
  return wrk.format(nil, "/api/tips", nil, body)
end
"""
    + _COUNTS
)


# -- the server -----------------------------------------------------------------------


def login(base: str) -> str:
    answer = httpx.post(f"{base}/api/login", json={"username": "bench", "password": PASSWORD})
    answer.raise_for_status()
    token: str = answer.json()["token"]
    return token


# -- the console -----------------------------------------------------------------------


class Console:
    """A dispatcher's console: commands at a steady pace, each answer timed (ms)."""

    def __init__(self, base: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        created = self.client.post(
            "/api/commands",
            json={
                "do": "incident.create",
                "with": {
                    "type": "THEFT",
                    "priority": 3,
                    "location": {"lat": 37.7925893, "lon": -122.3958821},
                },
            },
        )
        created.raise_for_status()
        self.incident = created.json()["events"][0]["incident"]
        self.n = 0

    def run(self, seconds: float) -> tuple[list[float], int]:
        latencies: list[float] = []
        errors = 0
        started = time.perf_counter()
        count = int(seconds * CONSOLE_RATE)
        for i in range(count):
            wait = started + i / CONSOLE_RATE - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            self.n += 1
            if self.n % 2:
                body = {
                    "do": "incident.note",
                    "with": {"incident": self.incident, "text": f"n{self.n}"},
                }
            else:
                unit = UNITS[self.n % len(UNITS)]
                body = {"do": "unit.locate", "with": {"unit": unit, "lat": 37.79, "lon": -122.4}}
            body["idempotency_key"] = secrets.token_hex(16)
            sent = time.perf_counter()
            answer = self.client.post("/api/commands", json=body)
            latencies.append((time.perf_counter() - sent) * 1000)
            errors += answer.status_code != 200
        return latencies, errors


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50": statistics.median(ordered),
        "p95": ordered[int(len(ordered) * 0.95) - 1],
        "p99": ordered[int(len(ordered) * 0.99) - 1],
        "max": ordered[-1],
    }


# -- the floods ------------------------------------------------------------------------


class Flood:
    """One flood in the background: wrk with a Lua script, or Python threads."""

    def __init__(self, name: str, base: str, script: str, seconds: float, connections: int) -> None:
        self.name = name
        self.counts: Counter[int] = Counter()
        self.rate = 0.0
        self._thread = threading.Thread(
            target=self._wrk if shutil.which("wrk") else self._python,
            args=(base, script, seconds, connections),
        )
        self._thread.start()

    def join(self) -> None:
        self._thread.join()

    def _wrk(self, base: str, script: str, seconds: float, connections: int) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
            file.write(script)
        try:
            out = subprocess.run(
                ["wrk", "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "-s", file.name, base],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        finally:
            os.unlink(file.name)
        for status, n in re.findall(r"^status (\d+) (\d+)$", out, re.MULTILINE):
            self.counts[int(status)] += int(n)
        found = re.search(r"Requests/sec:\s+([\d.]+)", out)
        self.rate = float(found.group(1)) if found else 0.0

    def _python(self, base: str, script: str, seconds: float, connections: int) -> None:
        make = _login_request if script is LOGIN_FLOOD else _tip_request
        deadline = time.perf_counter() + seconds
        lock = threading.Lock()
        total = 0

        def worker(k: int) -> None:
            nonlocal total
            with httpx.Client(base_url=base, timeout=30) as client:
                n = k
                while time.perf_counter() < deadline and n < 200_000:
                    n += connections
                    path, body, headers = make(n)
                    status = client.post(path, content=body, headers=headers).status_code
                    with lock:
                        self.counts[status] += 1
                        total += 1

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.rate = total / (time.perf_counter() - started)


_JSON = {"content-type": "application/json"}
_JUNK = ("{" + '"text":"junk",' + ",".join(f'"k{i}":1' for i in range(1000)) + "}").encode()
_BIG = ('{"text":"' + "x" * 100_000 + '"}').encode()


def _login_request(n: int) -> tuple[str, bytes, dict[str, str]]:
    user = "bench" if n % 2 == 0 else f"nobody-{n}"
    source = f"10.{n % 256}.{(n // 256) % 256}.{1 + (n // 65536) % 254}"
    body = f'{{"username":"{user}","password":"wrong-password-{n}"}}'.encode()
    return "/api/login", body, {**_JSON, "x-forwarded-for": source}


def _tip_request(n: int) -> tuple[str, bytes, dict[str, str]]:
    source = f"203.0.{n % 2}.{1 + n % 250}"
    body = f'{{"text":"tip {n}"}}'.encode() if n % 10 < 7 else _JUNK if n % 10 < 9 else _BIG
    return "/api/tips", body, {**_JSON, "x-forwarded-for": source}


# -- PostgreSQL: health while a command waits on a locked table --------------------------


@contextmanager
def fresh_postgres() -> Iterator[str | None]:
    try:
        import psycopg
        from psycopg import sql

        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as error:  # no server here: that part is skipped
        print(f"\n(PostgreSQL part skipped: {ADMIN_URL} not reachable: {error})")
        yield None
        return
    name = f"tenfour_bench_{secrets.token_hex(4)}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def health_polls(base: str, until: Callable[[], bool], at_most_s: float) -> list[float]:
    """Poll /api/health every 20 ms until ``until()`` or ``at_most_s``; latencies in ms."""
    times: list[float] = []
    deadline = time.perf_counter() + at_most_s
    with httpx.Client(base_url=base, timeout=30) as client:
        while not until() and time.perf_counter() < deadline:
            sent = time.perf_counter()
            client.get("/api/health").raise_for_status()
            times.append((time.perf_counter() - sent) * 1000)
            time.sleep(0.02)
    return times


def locked_trial(base: str, url: str, token: str, hold_s: float) -> dict[str, Any]:
    """Hold the journal table locked ``hold_s`` while a command waits; poll health."""
    import psycopg

    result: dict[str, Any] = {}

    def send() -> None:
        sent = time.perf_counter()
        answer = httpx.post(
            f"{base}/api/commands",
            json={"do": "unit.locate", "with": {"unit": "ZPD-3", "lat": 37.79, "lon": -122.4}},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        result["status"] = answer.status_code
        result["took_s"] = time.perf_counter() - sent

    with psycopg.connect(url) as other:
        other.execute("LOCK TABLE journal_events IN ACCESS EXCLUSIVE MODE")
        command = threading.Thread(target=send)
        command.start()
        released = time.perf_counter() + hold_s
        times = health_polls(base, lambda: time.perf_counter() >= released, hold_s)
        other.rollback()
    times += health_polls(base, lambda: not command.is_alive(), 30)
    command.join()
    result["health"] = times
    return result


def postgres_part(port: int) -> None:
    with fresh_postgres() as url:
        if url is None:
            return
        server = start_server(url, port)
        base = f"http://127.0.0.1:{port}"
        try:
            token = login(base)
            httpx.post(  # warm: the first command pays for catching up
                f"{base}/api/commands",
                json={"do": "unit.locate", "with": {"unit": "ZPD-4", "lat": 37.79, "lon": -122.4}},
                headers={"Authorization": f"Bearer {token}"},
            ).raise_for_status()
            quiet = health_polls(base, lambda: False, 1.0)
            short = locked_trial(base, url, token, 1.0)
            long = locked_trial(base, url, token, LONG_HOLD_S)
            after = httpx.post(
                f"{base}/api/commands",
                json={"do": "unit.locate", "with": {"unit": "ZPD-5", "lat": 37.79, "lon": -122.4}},
                headers={"Authorization": f"Bearer {token}"},
            ).status_code
        finally:
            server.terminate()
            server.wait(timeout=30)
    print("\n## /api/health while a command waits on a locked table (PostgreSQL)\n")
    print("| case | health polls | p50 ms | p99 ms | max ms | the command |")
    print("|---|---:|---:|---:|---:|---|")
    for name, times, outcome in (
        ("no lock (baseline)", quiet, "-"),
        (
            "`journal_events` locked 1 s",
            short["health"],
            f"{short['status']} after {short['took_s']:.2f} s",
        ),
        (
            f"locked {LONG_HOLD_S:.0f} s (past the 5 s `lock_timeout`)",
            long["health"],
            f"{long['status']} after {long['took_s']:.2f} s; the next one {after}",
        ),
    ):
        s = summary(times)
        print(
            f"| {name} | {len(times)} | {s['p50']:.1f} | {s['p99']:.1f} | {s['max']:.1f} | {outcome} |"
        )


# -- main ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--flood-connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    tool = "wrk" if shutil.which("wrk") else "python"
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        database = str(Path(tmp) / "tenfour.db")
        server = start_server(database, args.port, "--trusted-proxies", "127.0.0.1")
        base = f"http://127.0.0.1:{args.port}"
        try:
            console = Console(base, login(base))
            console.run(1.0)  # warm-up
            quiet, quiet_errors = console.run(args.seconds)
            floods = [
                Flood("logins", base, LOGIN_FLOOD, args.seconds + 1, args.flood_connections),
                Flood("tips", base, TIP_FLOOD, args.seconds + 1, args.flood_connections),
            ]
            time.sleep(0.5)
            flooded, flooded_errors = console.run(args.seconds)
            for flood in floods:
                flood.join()
        finally:
            server.terminate()
            server.wait(timeout=30)

    print(
        f"## Console commands under a login and a tip flood ({os.cpu_count()} cores; floods "
        f"from {tool}, {args.flood_connections} connections each, {args.seconds:.0f} s)\n"
    )
    print("| console, 20 commands/s | commands | p50 ms | p95 ms | p99 ms | max ms | non-200 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, times, errors in (
        ("no flood (baseline)", quiet, quiet_errors),
        ("login + tip flood", flooded, flooded_errors),
    ):
        s = summary(times)
        print(
            f"| {name} | {len(times)} | {s['p50']:.1f} | {s['p95']:.1f} | {s['p99']:.1f} "
            f"| {s['max']:.1f} | {errors} |"
        )
    print(
        f"\np99 under flood: {summary(flooded)['p99']:.1f} ms (target <= 50 ms); "
        f"{summary(flooded)['p99'] / summary(quiet)['p99']:.2f}x the baseline's p99\n"
    )
    print("| flood | requests/s | answers by status |")
    print("|---|---:|---|")
    for flood in floods:
        statuses = ", ".join(f"{status}: {n:,}" for status, n in sorted(flood.counts.items()))
        print(f"| {flood.name} | {flood.rate:,.0f} | {statuses} |")
    if not args.no_postgres:
        postgres_part(args.port + 1)


if __name__ == "__main__":
    main()
