"""Benchmark of group commit: durable commands per second over HTTP against the raw
one-row-per-commit SQLite rate measured in the same run.

Run: ``.venv/bin/python -m bench.bench_commit [--seconds 10] [--connections 16]
[--no-postgres] [--keyed] [--before SRC] [--log-level warning] [--floors]``
(``--keyed``: every command carries a fresh idempotency key, as the web console's do).
``TENFOUR_BENCH_POSTGRES`` names a PostgreSQL server to create a scratch database on
(default ``postgresql://postgres@127.0.0.1:5432/postgres``).

Cases, each on a fresh journal with the demo city, ``tenfour serve`` in processes of
its own: SQLite; PostgreSQL; PostgreSQL with two server nodes (the connections split
between them). The load is ``unit.locate`` commands (each answered only once its
event is durable) from a Python client in a separate process: plain asyncio sockets,
HTTP/1.1 keep-alive, one request at a time per connection, every request waited for
to the end, so "sent" and "answered" can be compared exactly. After each case the
journal itself is read: the ``unit.located`` events the bench account wrote must be
exactly the 200 answers. (``wrk`` would load harder with less client CPU; this
client needs nothing but Python, and still leaves the server its own core.)

Baselines in the same run: raw SQLite (a bare table, ``BEGIN IMMEDIATE``, one
INSERT, ``COMMIT`` in WAL with ``synchronous=FULL``) on the same disk, the rate the
target is set against; and the same on PostgreSQL (one INSERT per commit) for scale.
With ``--floors``, the same load against servers that write nothing and do no work
(``bench.floor_app``: an empty FastAPI endpoint, a bare ASGI app): how close the HTTP
stack alone comes to the raw rate on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx

from bench.bench_api import UNITS, login, start_server
from bench.bench_journal import _rate, _raw_sqlite
from tenfour.journal import open_store

ADMIN_URL = os.environ.get(
    "TENFOUR_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TARGET_P99_MS = 20.0


# --- the load client (its own process) ------------------------------------------------
async def _connection(
    host: str, port: int, token: str, stop_at: float, k: int, out: dict[str, Any], keyed: bool
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    n = 0
    while time.perf_counter() < stop_at:
        n += 1
        unit = UNITS[(k + n) % len(UNITS)]
        command: dict[str, Any] = {
            "do": "unit.locate",
            "with": {"unit": unit, "lat": 37.79 + n * 1e-7, "lon": -122.4},
        }
        if keyed:  # a fresh key per command, as the web console sends
            command["idempotency_key"] = f"bench-{port}-{k}-{n}"
        body = json.dumps(command).encode()
        request = (
            f"POST /api/commands HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        sent = time.perf_counter()
        writer.write(request)
        out["sent"] += 1
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        out["latencies"].append((time.perf_counter() - sent) * 1000)
        out["status"][status] = out["status"].get(status, 0) + 1
    writer.close()


async def _load(
    targets: list[tuple[str, int, str]], connections: int, seconds: float, keyed: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {"sent": 0, "latencies": [], "status": {}}
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(
        *(
            _connection(*targets[k % len(targets)], stop_at, k, out, keyed)
            for k in range(connections)
        )
    )
    out["seconds"] = time.perf_counter() - started
    out["cpu_s"] = time.process_time()
    return out


def client_main(argv: list[str]) -> None:
    """``python -m bench.bench_commit client SECONDS CONNECTIONS KEYED host:port:token ...``"""
    seconds, connections, keyed, *specs = argv
    targets = []
    for spec in specs:
        host, port, token = spec.split(":", 2)
        targets.append((host, int(port), token))
    out = asyncio.run(_load(targets, int(connections), float(seconds), keyed == "keyed"))
    print(json.dumps(out))


def run_client(
    targets: list[tuple[str, int, str]], connections: int, seconds: float, keyed: bool = False
) -> dict[str, Any]:
    specs = [f"{host}:{port}:{token}" for host, port, token in targets]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.bench_commit",
            "client",
            str(seconds),
            str(connections),
            "keyed" if keyed else "plain",
            *specs,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# --- baselines --------------------------------------------------------------------------
def raw_postgres(url: str, count: int) -> float:
    """One INSERT per committed transaction on PostgreSQL (synchronous_commit on)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = on")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (seq bigint PRIMARY KEY, data text)")
        conn.execute("TRUNCATE bench_raw")
        text = '{"lat":37.79,"lon":-122.41,"speed":12.5,"unit":"ZPD-1"}'
        started = time.perf_counter()
        for i in range(1, count + 1):
            with conn.transaction():
                conn.execute("INSERT INTO bench_raw VALUES (%s, %s)", (i, text))
        took = time.perf_counter() - started
        conn.execute("DROP TABLE bench_raw")
    return count / took


@contextmanager
def scratch_postgres() -> Iterator[str]:
    """A fresh database on the PostgreSQL server, dropped afterwards."""
    import psycopg

    name = f"tenfour_bench_commit_{os.getpid()}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield _as_url(name)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _as_url(name: str) -> str:
    base, _, _ = ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


# --- one case ---------------------------------------------------------------------------
def measure(
    database: str,
    nodes: int,
    connections: int,
    seconds: float,
    port: int,
    src: str | None = None,
    keyed: bool = False,
    options: tuple[str, ...] = (),
) -> dict[str, Any]:
    servers = []
    try:
        for i in range(nodes):  # one after the other: the first seeds the demo city
            servers.append(start_server(database, port + i, *options, src=src))
        bases = [f"http://127.0.0.1:{port + i}" for i in range(nodes)]
        tokens = [login(base, "bench") for base in bases]
        before = journal_facts(database, 0, src)["head"]
        # warm-up: a few commands through each node (imports, caches, connections)
        for base, token in zip(bases, tokens, strict=True):
            for unit in UNITS:
                httpx.post(
                    f"{base}/api/commands",
                    json={"do": "unit.locate", "with": {"unit": unit, "lat": 37.79, "lon": -122.4}},
                    headers={"Authorization": f"Bearer {token}"},
                ).raise_for_status()
        warm = journal_facts(database, 0, src)["head"]
        cpu = [_cpu_s(server.pid) for server in servers]
        load = run_client(
            [("127.0.0.1", port + i, tokens[i]) for i in range(nodes)], connections, seconds, keyed
        )
        cpu = [_cpu_s(server.pid) - was for server, was in zip(servers, cpu, strict=True)]
        time.sleep(0.5)  # the reactor's and the other node's catch-up are not counted
        facts = journal_facts(database, warm, src)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    return {
        **_figures(load, sum(cpu)),
        "journaled": facts["mine"],
        "chain": facts["chain"],
        "before": before,
    }


def _figures(load: dict[str, Any], server_cpu_s: float) -> dict[str, Any]:
    """Rate, latencies, counts and CPU per answer of one load (``run_client``'s)."""
    latencies = sorted(load["latencies"])
    answered = len(latencies)
    ok = load["status"].get("200", 0)
    return {
        "rate": ok / load["seconds"],
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "sent": load["sent"],
        "answered": answered,
        "ok": ok,
        "server_cpu_us": server_cpu_s / max(ok, 1) * 1e6,
        "client_cpu_us": load["cpu_s"] / max(answered, 1) * 1e6,
    }


def measure_floor(kind: str, connections: int, seconds: float, port: int) -> dict[str, Any]:
    """The same load against ``bench.floor_app`` (``kind``: fastapi or asgi), which
    answers every command at once and writes nothing: the HTTP stack's own ceiling."""
    env = {**os.environ, "FLOOR": kind}
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "bench.floor_app:app", "--port", str(port)),
            *("--http", "httptools", "--no-access-log", "--no-proxy-headers"),
            *("--log-level", "warning"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit(f"the {kind} floor did not start")
        for unit in UNITS:  # warm-up, as measure() gives the product
            httpx.post(
                f"http://127.0.0.1:{port}/api/commands",
                json={"do": "unit.locate", "with": {"unit": unit, "lat": 37.79, "lon": -122.4}},
            ).raise_for_status()
        cpu = _cpu_s(server.pid)
        load = run_client([("127.0.0.1", port, "none")], connections, seconds)
        cpu = _cpu_s(server.pid) - cpu
    finally:
        server.terminate()
        server.wait(timeout=30)
    return _figures(load, cpu)


def journal_facts(database: str, after: int, src: str | None) -> dict[str, Any]:
    """The journal's head, the bench's ``unit.located`` events after ``after``, and
    whether the chain verifies; read by the release that wrote it (``src``), in a
    process of its own."""
    env = None if src is None else {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{Path.cwd()}"}
    code = f"from bench.bench_commit import _facts; _facts({database!r}, {after})"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    facts: dict[str, Any] = json.loads(done.stdout)
    return facts


def _facts(database: str, after: int) -> None:
    with open_store(database) as store:
        mine = sum(
            1 for e in store.read(after=after) if e.type == "unit.located" and e.by == "bench"
        )
        print(json.dumps({"head": store.head(), "mine": mine, "chain": store.verify().ok}))


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        client_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--before",
        metavar="SRC",
        help="also run the SQLite case with the tenfour package in SRC (a checkout's src/ "
        "of an earlier commit, e.g. from `git archive`): before and after in one run",
    )
    parser.add_argument(
        "--keyed",
        action="store_true",
        help="every command carries a fresh idempotency key, as the web console's do "
        "(the key is bound in the command's own transaction: api.idempotency)",
    )
    parser.add_argument(
        "--log-level",
        metavar="LEVEL",
        help="also run the SQLite case with `serve --log-level LEVEL` (warning: no line "
        "per request and per command), beside the default info",
    )
    parser.add_argument(
        "--floors",
        action="store_true",
        help="also run the same load against bench.floor_app (an empty FastAPI endpoint, "
        "a bare ASGI app), which write nothing: the HTTP stack's own ceiling here",
    )
    args = parser.parse_args()
    keyed = args.keyed
    tag = ", keyed" if keyed else ""

    raw = _rate(_raw_sqlite, 2000)
    cases: list[tuple[str, dict[str, Any]]] = []
    raw_pg: float | None = None
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        database = str(Path(tmp) / "tenfour.db")
        cases.append(
            (
                f"SQLite, 1 node{tag}",
                measure(database, 1, args.connections, args.seconds, args.port, keyed=keyed),
            )
        )
    if args.log_level:
        with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
            database = str(Path(tmp) / "tenfour.db")
            options = ("--log-level", args.log_level)
            result = measure(
                database, 1, args.connections, args.seconds, args.port, None, keyed, options
            )
            cases.append((f"SQLite, 1 node{tag}, `--log-level {args.log_level}`", result))
    if args.before:
        with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
            database = str(Path(tmp) / "tenfour.db")
            result = measure(
                database, 1, args.connections, args.seconds, args.port, args.before, keyed
            )
            cases.append((f"SQLite, 1 node{tag}, before (`--before`)", result))
    if not args.no_postgres:
        with scratch_postgres() as url:
            raw_pg = raw_postgres(url, 2000)
        for nodes in (1, 2):
            with scratch_postgres() as url:
                label = f"PostgreSQL, {nodes} node{'s' if nodes > 1 else ''}{tag}"
                result = measure(url, nodes, args.connections, args.seconds, args.port, keyed=keyed)
                cases.append((label, result))
    floors = [
        (label, measure_floor(kind, args.connections, args.seconds, args.port))
        for label, kind in (
            ("FastAPI, one empty endpoint", "fastapi"),
            ("bare ASGI under uvicorn", "asgi"),
        )
        if args.floors
    ]
    load = os.getloadavg()
    print(
        f"## Group commit ({os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f}; {args.connections} connections, {args.seconds:g} s per case)\n"
    )
    print(f"raw SQLite, 1 row per durable commit (baseline): {raw:,.0f} commits/s")
    if raw_pg is not None:
        print(f"raw PostgreSQL, 1 row per commit (for scale): {raw_pg:,.0f} commits/s")
    print()
    print(
        "| case | durable commands/s | vs raw SQLite | p50 / p99 ms | sent / answered / 200 "
        "| in the journal | chain | server CPU µs/command |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    failed = False
    for label, r in cases:
        ratio = r["rate"] / raw
        complete = r["sent"] == r["answered"] == r["ok"] == r["journaled"]
        failed |= not complete or not r["chain"]
        print(
            f"| {label} | {r['rate']:,.0f} | {ratio:.2f} | {r['p50']:.1f} / {r['p99']:.1f} | "
            f"{r['sent']:,} / {r['answered']:,} / {r['ok']:,} | {r['journaled']:,} "
            f"{'ok' if complete else 'MISSING'} | {'ok' if r['chain'] else 'BROKEN'} | "
            f"{r['server_cpu_us']:,.0f} |"
        )
    if floors:
        print(
            "\nFloors, the same load and client in the same run: servers that answer every "
            "command at once and write nothing\n"
        )
        print(
            "| floor | answers/s | vs raw SQLite | p50 / p99 ms | sent / answered / 200 "
            "| server CPU µs/answer |"
        )
        print("|---|---:|---:|---:|---:|---:|")
        for label, r in floors:
            complete = r["sent"] == r["answered"] == r["ok"]
            failed |= not complete
            print(
                f"| {label} | {r['rate']:,.0f} | {r['rate'] / raw:.2f} | {r['p50']:.1f} / "
                f"{r['p99']:.1f} | {r['sent']:,} / {r['answered']:,} / {r['ok']:,}"
                f"{'' if complete else ' MISSING'} | {r['server_cpu_us']:,.0f} |"
            )
    print(
        f"\ntargets: ratio >= 1.0 and p99 <= {TARGET_P99_MS:g} ms in every case; "
        "every command answered and in the journal"
    )
    for label, r in cases:
        met = r["rate"] / raw >= 1.0 and r["p99"] <= TARGET_P99_MS
        print(f"- {label}: {'met' if met else 'MISSED'}")
    if failed:
        raise SystemExit("some commands were not answered or not journaled")


if __name__ == "__main__":
    main()
