"""Benchmark of the server: durable commands per second over HTTP, and how fast an
``emergency.declare`` reaches 200 connected live-feed clients.

Run: ``.venv/bin/python -m bench.bench_api [--seconds 10] [--connections 16] [--clients 200]``.
``--fan-out-only`` skips the command load; ``--src DIR`` runs the server from another
source tree (a before/after in the same conditions).

The server runs as its own process (``tenfour serve``) on a temporary SQLite journal
with the demo city. Load comes from ``wrk`` (Debian package ``wrk``) when installed,
else from a Python keep-alive client (slower: it then measures the client too). The
baseline in the same run: the raw SQLite append rate (one row per durable commit,
``synchronous=FULL``) on the same disk, which bounds any durable command rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import websockets

from bench.bench_journal import _journal, _rate, _raw_sqlite
from tenfour.accounts import open_accounts

PASSWORD = "benchmark-password-1"
#: The server's default cap of live feeds per session (``Settings.feed_per_session``).
FEEDS_PER_SESSION = 8
UNITS = ["ZPD-3", "ZPD-4", "ZPD-5", "ZPD-6", "ZPD-8", "ZPD-9", "ZPD-11", "M-51", "M-53"]

WRK_SCRIPT = """
local units = {%(units)s}
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
request = function()
  n = n + 1
  local unit = units[(n %% #units) + 1]
  local body = string.format('{"do":"unit.locate","with":{"unit":"%%s","lat":%%.6f,"lon":-122.4}}',
                             unit, 37.79 + (n %% 1000) * 0.000001)
  return wrk.format(nil, "/api/commands", nil, body)
end
"""


def make_accounts(database: str) -> None:
    """The bench's accounts: bench, sarge, nick, one password."""
    with open_accounts(database) as accounts:
        now = datetime.now(UTC)
        for username, role, member in (
            ("bench", "dispatcher", None),
            ("sarge", "supervisor", None),
            ("nick", "officer", "wilde"),
        ):
            if accounts.get(username) is None:
                accounts.create(username, role, PASSWORD, member=member, now=now)


def start_server(
    database: str, port: int, *extra: str, src: str | None = None
) -> subprocess.Popen[str]:
    """``tenfour serve`` in its own process with the bench's accounts (bench, sarge,
    nick; one password), once its health answers (bench_abuse uses it too). ``src``:
    run the ``tenfour`` package found there instead (another release, for a before/after
    in one run)."""
    tenfour = [str(Path(sys.executable).with_name("tenfour"))]
    env = None
    if src is None:
        make_accounts(database)
    else:
        # That release makes its own database (its schema may be older than ours).
        env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{Path.cwd()}"}
        make = f"from bench.bench_api import make_accounts; make_accounts({database!r})"
        subprocess.run([sys.executable, "-c", make], env=env, check=True)
        tenfour = [sys.executable, "-m", "tenfour.cli"]
    server = subprocess.Popen(
        [*tenfour, "serve", "--port", str(port), "--database", database, *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("server did not start")


def login(base: str, username: str) -> str:
    answer = httpx.post(f"{base}/api/login", json={"username": username, "password": PASSWORD})
    answer.raise_for_status()
    token: str = answer.json()["token"]
    return token


def wrk_load(
    base: str, token: str, seconds: int, connections: int, folder: Path
) -> dict[str, float]:
    script = folder / "locate.lua"
    script.write_text(WRK_SCRIPT % {"units": ", ".join(f'"{u}"' for u in UNITS), "token": token})
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    percent = dict(re.findall(r"^\s+(\d+)%\s+([\d.]+\w+)", out, re.MULTILINE))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(percent["50"]),
        "p99_ms": _ms(percent["99"]),
        "errors": float(non2xx.group(1)) if non2xx else 0.0,
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def python_load(base: str, token: str, seconds: int, connections: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(k: int) -> None:
        nonlocal errors
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
            n = 0
            while time.perf_counter() < stop:
                n += 1
                body = {
                    "do": "unit.locate",
                    "with": {"unit": UNITS[(k + n) % len(UNITS)], "lat": 37.79, "lon": -122.4},
                }
                started = time.perf_counter()
                answer = client.post("/api/commands", json=body)
                took = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(took)
                    errors += answer.status_code != 200

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    latencies.sort()
    return {
        "rate": len(latencies) / took,
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[int(len(latencies) * 0.99)],
        "errors": float(errors),
    }


async def fan_out(
    base: str, desks: list[str], officer: str, boss: str, clients: int, trials: int
) -> list[float]:
    """Delay (ms) from sending emergency.declare to its arrival at each client."""
    url = base.replace("http", "ws") + "/api/live"
    # A session may hold only FEEDS_PER_SESSION live feeds: one session per group.
    sockets = [
        await websockets.connect(
            url,
            additional_headers={"Authorization": f"Bearer {desks[k // FEEDS_PER_SESSION]}"},
            max_size=2**24,
        )
        for k in range(clients)
    ]
    for ws in sockets:
        assert json.loads(await ws.recv())["type"] == "snapshot"
    delays: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for _ in range(trials):
            sent = time.perf_counter()

            async def arrival(ws: Any, sent: float = sent) -> float:
                while True:
                    message = json.loads(await ws.recv())
                    if (
                        message["type"] == "event"
                        and message["event"]["type"] == "emergency.declared"
                    ):
                        return (time.perf_counter() - sent) * 1000

            waiting = [asyncio.create_task(arrival(ws)) for ws in sockets]
            answer = await http.post(
                "/api/commands",
                json={"do": "emergency.declare", "with": {"member": "hopps", "text": "bench"}},
                headers={"Authorization": f"Bearer {officer}"},
            )
            answer.raise_for_status()
            emergency = next(
                e["emergency"] for e in answer.json()["events"] if e["type"] == "emergency.declared"
            )
            delays += await asyncio.gather(*waiting)
            cleared = await http.post(
                "/api/commands",
                json={"do": "emergency.clear", "with": {"emergency": emergency}},
                headers={"Authorization": f"Bearer {boss}"},
            )
            cleared.raise_for_status()
            await asyncio.sleep(0.2)
    for ws in sockets:
        await ws.close()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--src", help="run the server from this source tree (another release's src/)"
    )
    parser.add_argument(
        "--fan-out-only", action="store_true", help="skip the command load; time the live feed"
    )
    args = parser.parse_args()

    raw = _rate(_raw_sqlite, 2000)
    journal = _rate(_journal(1), 2000)
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        folder = Path(tmp)
        server = start_server(str(folder / "tenfour.db"), args.port, src=args.src)
        base = f"http://127.0.0.1:{args.port}"
        try:
            desk = login(base, "bench")
            before = httpx.get(
                f"{base}/api/journal?limit=1", headers={"Authorization": f"Bearer {desk}"}
            ).json()["head"]
            tool = "wrk" if shutil.which("wrk") else "python"
            load = (
                {"rate": 0.0, "p50_ms": 0.0, "p99_ms": 0.0, "errors": 0.0}
                if args.fan_out_only
                else (wrk_load if tool == "wrk" else python_load)(
                    base,
                    desk,
                    args.seconds,
                    args.connections,
                    *((folder,) if tool == "wrk" else ()),
                )
            )
            after = httpx.get(
                f"{base}/api/journal?limit=1", headers={"Authorization": f"Bearer {desk}"}
            ).json()["head"]
            delays = asyncio.run(
                fan_out(
                    base,
                    [login(base, "bench") for _ in range(0, args.clients, FEEDS_PER_SESSION)],
                    login(base, "nick"),
                    login(base, "sarge"),
                    args.clients,
                    args.trials,
                )
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    delays.sort()
    p99 = delays[int(len(delays) * 0.99) - 1 if len(delays) >= 100 else -1]
    print(
        f"## Server benchmark ({os.cpu_count()} cores; load from {tool}, {args.connections} connections, {args.seconds} s)\n"
    )
    print("| measure | value | target |")
    print("|---|---:|---|")
    print(f"| raw SQLite durable appends/s (baseline, 1 row per commit) | {raw:,.0f} | |")
    print(f"| journal appends/s (1 event per commit, hash chain) | {journal:,.0f} | |")
    print(f"| durable commands/s over HTTP (`unit.locate`) | {load['rate']:,.0f} | >= 1,000 |")
    print(
        f"| command latency p50 / p99 ms | {load['p50_ms']:.1f} / {load['p99_ms']:.1f} | p99 < 50 |"
    )
    print(f"| non-2xx answers | {load['errors']:.0f} | 0 |")
    print(f"| events journaled during the load | {after - before:,} | |")
    print(
        f"| emergency.declare -> {args.clients} live clients, p50 / p99 ms ({len(delays)} arrivals) | "
        f"{statistics.median(delays):.1f} / {p99:.1f} | p99 < 100 |"
    )
    print(f"\nHTTP commands / raw SQLite appends: {load['rate'] / raw:.2f}")


if __name__ == "__main__":
    main()
