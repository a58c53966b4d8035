"""Benchmark of AVL ingestion: device positions per second into the journal through
HTTP (the OsmAnd / Traccar protocol) and through MQTT (OwnTracks via the Mosquitto
broker on 127.0.0.1:1883), with a dispatcher console's command latency measured in
the same run, under that load and without it.

Run: ``.venv/bin/python -m bench.bench_avl [--seconds 10] [--devices 200]
[--connections 16] [--mqtt-rate 5000] [--profile]``.

Layers, each measured in this run so the ratios say what each one costs:

1. Baselines in this process on the same disk: a bare SQLite durable insert (one row
   per commit), a journal append (one event per commit), ``unit.locate`` through the
   service (decide, append, fold), and ``Avl.ingest`` (device lookup, checks, then
   the same ``unit.locate``): the ceiling every transport sits under.
2. ``tenfour serve --mqtt mqtt://127.0.0.1:1883`` in its own process on a temporary
   SQLite journal with the demo city (so the load generators do not share its GIL),
   the devices registered for the on-duty units. Then, one phase after another:
   - console alone: ``incident.note`` at 20/s with idempotency keys, as the web
     console sends them (the latency baseline);
   - HTTP: ``--connections`` keep-alive connections from a separate process, each
     posting OsmAnd positions for its own devices as fast as they are answered,
     while the console sends as before;
   - MQTT: a separate process publishes OwnTracks locations (QoS 1, as the app
     does) at ``--mqtt-rate`` for its devices while the console sends as before;
     what the server journals is counted until it has drained.
3. The check: what each path's clients were told was accepted, what the server
   counted accepted (``/api/avl/stats``), and the ``unit.located`` events of that
   source in the journal (read from the file after the server stopped) must agree.

``--profile`` adds a cProfile of ``Avl.ingest`` in this process (the server's threads
are not visible to cProfile, and py-spy is not installed here).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import io
import json
import multiprocessing
import os
import pstats
import secrets
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx

# Ten-Four itself is imported inside the functions that use it: the load generators'
# processes import this module too, and must be connected and sending within a second
# or two, not after the map and the whole server have loaded on a busy machine.

BROKER = ("127.0.0.1", 1883)
#: The console's pace (commands/s), as in bench_abuse.
CONSOLE_RATE = 20
#: Positions stay around the demo city's centre (inside the map's box).
CENTRE = (37.7925, -122.4050)
#: Stop waiting for the server to drain the broker's queue after this long.
DRAIN_S = 30.0


# -- layers in this process ----------------------------------------------------------------


def _rate_of(run: Callable[[int], None], count: int, settle: Callable[[], None]) -> Any:
    """Positions per second (wall) and CPU µs per position (this process's threads,
    the policies' reactions included: ``settle`` waits for them)."""
    started, cpu = time.perf_counter(), time.process_time()
    run(count)
    settle()
    return (
        count / (time.perf_counter() - started),
        (time.process_time() - cpu) / count * 1e6,
    )


def in_process(folder: Path, count: int, profile: bool) -> dict[str, Any]:
    """``unit.locate`` through the service and ``Avl.ingest``, on a fresh demo journal."""
    from tenfour.accounts import Passwords, open_accounts
    from tenfour.api.app import load_demo
    from tenfour.bootstrap import build_service
    from tenfour.clock import RealClock
    from tenfour.domain.commands import parse_command
    from tenfour.geo import load_map
    from tenfour.interop.avl import AVL, Avl, Fix
    from tenfour.interop.devices import DeviceStore
    from tenfour.journal import open_store

    path = str(folder / "inproc.db")
    store = open_store(path)
    accounts = open_accounts(path, passwords=Passwords.fast())
    service = build_service(store=store, clock=RealClock(), react_inline=False)
    load_demo(service, accounts)
    units = [u.id for u in service.state.units.values() if u.status != "offduty"]
    devices = DeviceStore(path)
    now = datetime.now(UTC)
    for k, unit in enumerate(units):
        devices.add(f"inproc-{k}", "osmand", unit=unit, now=now)
    roads = load_map("demo")
    avl = Avl(service, devices, Passwords.fast(), roads.bounds if roads else None)
    base = now - timedelta(hours=1)

    def locate(n: int) -> None:
        for i in range(n):
            payload = {"unit": units[i % len(units)], **_point(i), "source": "osmand"}
            service.handle(parse_command("unit.locate", payload, AVL))

    def ingest(n: int, offset: int = 0) -> None:
        for i in range(offset, offset + n):
            device = avl.device(f"inproc-{i % len(units)}", "osmand")
            spot = _point(i)
            fix = Fix(spot["lat"], spot["lon"], base + timedelta(milliseconds=i), speed=5.0)
            avl.ingest(device, fix, "osmand")

    result: dict[str, Any] = {"units": len(units)}
    result["locate"] = _rate_of(locate, count, service.settle)
    result["ingest"] = _rate_of(ingest, count, service.settle)
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        ingest(count, offset=count)
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(14)
        result["profile"] = text.getvalue()
    service.settle()
    service.close()
    devices.close()
    accounts.close()
    store.close()
    return result


def _point(i: int) -> dict[str, float]:
    """A position near the centre, a little different each time."""
    return {
        "lat": round(CENTRE[0] + (i * 37 % 1000) * 2e-6, 7),
        "lon": round(CENTRE[1] + (i * 53 % 1000) * 2e-6, 7),
    }


# -- load generators (separate processes) ---------------------------------------------------


def http_load(
    port: int, devices: list[str], connections: int, seconds: float, sync: Any, out: Any
) -> None:
    """OsmAnd positions over ``connections`` keep-alive connections, each for its own
    devices (so one device's positions arrive in order), as fast as answered, for
    ``seconds`` once ``sync`` (ready, go) says go. Written on bare asyncio streams: a
    full HTTP client would be the bottleneck on 2 cores."""
    out.put(asyncio.run(_http_load(port, devices, connections, seconds, sync)))


async def _http_load(
    port: int, devices: list[str], connections: int, seconds: float, sync: Any
) -> dict[str, Any]:
    base_ms = int((time.time() - 3600) * 1000)
    counts = {"sent": 0, "accepted": 0, "refused": 0, "errors": 0}
    latencies: list[float] = []
    streams = [await asyncio.open_connection("127.0.0.1", port) for _ in range(connections)]
    ready, go = sync
    ready.set()
    await asyncio.to_thread(go.wait)
    stop = time.perf_counter() + seconds

    async def worker(mine: list[str], reader: Any, writer: Any) -> None:
        n = 0
        while time.perf_counter() < stop:
            device = mine[n % len(mine)]
            spot = _point(n)
            query = (
                f"id={device}&lat={spot['lat']}&lon={spot['lon']}&timestamp={base_ms + n}"
                "&speed=9.7&bearing=90&accuracy=8&batt=80"
            )
            request = f"GET /api/avl/osmand?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            sent = time.perf_counter()
            writer.write(request.encode())
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            length = int(head.split("content-length:")[1].split("\r\n")[0])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - sent) * 1000)
            counts["sent"] += 1
            if not head.startswith("http/1.1 200"):
                counts["errors"] += 1
            elif "x-tenfour-rejected" in head:
                counts["refused"] += 1
            else:
                counts["accepted"] += 1
            n += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(
        *(worker(devices[k::connections], *streams[k]) for k in range(connections))
    )
    return {**counts, "seconds": time.perf_counter() - started, **_percentiles(latencies)}


def mqtt_load(devices: list[str], rate: int, seconds: float, sync: Any, out: Any) -> None:
    """OwnTracks locations at ``rate`` per second, QoS 1, round-robin over the devices
    (``USER/DEVICE`` ids, published on ``owntracks/USER/DEVICE``), for ``seconds`` once
    ``sync`` (ready, go) says go."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    acked = 0
    lock = threading.Lock()

    def on_publish(*_: Any) -> None:
        nonlocal acked
        with lock:
            acked += 1

    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{secrets.token_hex(6)}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.on_publish = on_publish
    client.connect(*BROKER)
    client.loop_start()
    base = time.time() - 3600
    topics = [f"owntracks/{device}" for device in devices]
    tick = 0.01
    ready, go = sync
    ready.set()
    go.wait()
    started = time.perf_counter()
    n = 0
    while (elapsed := time.perf_counter() - started) < seconds:
        due = int(elapsed * rate)
        while n < due:
            spot = _point(n)
            message = {
                "_type": "location",
                **spot,
                "tst": round(base + n * 0.001, 3),
                "vel": 35,
                "cog": 90,
                "acc": 8,
                "tid": "BN",
            }
            client.publish(topics[n % len(topics)], json.dumps(message), qos=1)
            n += 1
        time.sleep(tick)
    publishing = time.perf_counter() - started
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with lock:
            if acked >= n:
                break
        time.sleep(0.05)
    client.loop_stop()
    client.disconnect()
    out.put({"sent": n, "acked": acked, "seconds": publishing})


# -- the console and the server's counts ----------------------------------------------------


class Console:
    """A dispatcher's console: ``incident.note`` at a steady pace, each answer timed."""

    def __init__(self, base: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        created = self.client.post(
            "/api/commands",
            json={
                "do": "incident.create",
                "with": {"type": "THEFT", "priority": 3, "location": {"lat": 37.79, "lon": -122.4}},
            },
        )
        created.raise_for_status()
        self.incident = created.json()["events"][0]["incident"]
        self.n = 0

    def run(self, seconds: float) -> dict[str, Any]:
        latencies: list[float] = []
        errors = 0
        started = time.perf_counter()
        for i in range(int(seconds * CONSOLE_RATE)):
            wait = started + i / CONSOLE_RATE - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            self.n += 1
            body = {
                "do": "incident.note",
                "with": {"incident": self.incident, "text": f"bench note {self.n}"},
                "idempotency_key": secrets.token_hex(16),
            }
            sent = time.perf_counter()
            answer = self.client.post("/api/commands", json=body)
            latencies.append((time.perf_counter() - sent) * 1000)
            errors += answer.status_code != 200
        return {"commands": len(latencies), "errors": errors, **_percentiles(latencies)}


class Server:
    """The server process: its AVL counts and its CPU time."""

    def __init__(self, base: str, admin: str, pid: int) -> None:
        self.client = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {admin}"}, timeout=30
        )
        self.pid = pid

    def totals(self) -> tuple[int, int]:
        """Positions accepted, and refused for any reason, since the server started."""
        body = self.client.get("/api/avl/stats").json()
        return body["accepted"], sum(body["rejected"].values())

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def drained(self, quiet_s: float = 1.5) -> tuple[tuple[int, int], float]:
        """Wait until the counts stop moving (the broker's queue is empty); returns the
        counts and when they last moved (``perf_counter``)."""
        last, moved = self.totals(), time.perf_counter()
        deadline = moved + DRAIN_S
        while time.perf_counter() < deadline:
            time.sleep(0.25)
            now = self.totals()
            if now != last:
                last, moved = now, time.perf_counter()
            elif time.perf_counter() - moved > quiet_s:
                break
        return last, moved


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    ordered = sorted(values)
    return {
        "p50": statistics.median(ordered),
        "p99": ordered[max(0, int(len(ordered) * 0.99) - 1)],
        "max": ordered[-1],
    }


def _broker_up() -> bool:
    try:
        socket.create_connection(BROKER, timeout=1).close()
    except OSError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _in_background(call: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """Run ``call`` in a thread; the returned function waits for its result."""
    box: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: box.update(result=call()), daemon=True)
    thread.start()

    def join() -> dict[str, Any]:
        thread.join()
        result: dict[str, Any] = box["result"]
        return result

    return join


# -- the run -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="length of each phase")
    parser.add_argument("--devices", type=int, default=200, help="devices per path")
    parser.add_argument("--connections", type=int, default=16, help="HTTP connections")
    parser.add_argument("--mqtt-rate", type=int, default=5000, help="MQTT positions/s sent")
    parser.add_argument("--baseline-events", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="cProfile Avl.ingest")
    args = parser.parse_args()
    from bench.bench_api import PASSWORD, login, start_server
    from bench.bench_journal import _journal, _rate, _raw_sqlite
    from tenfour.accounts import Passwords, open_accounts
    from tenfour.interop.devices import DeviceStore
    from tenfour.journal.sqlite import SqliteEventStore

    if not _broker_up():
        raise SystemExit("no MQTT broker at 127.0.0.1:1883 (apt-get install mosquitto)")
    # The load generators are this module's functions run in fresh interpreters; under
    # ``bench.run_all`` this file runs as ``__main__``, which they could not import.
    me = importlib.import_module("bench.bench_avl")
    spawn = multiprocessing.get_context("spawn")
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        folder = Path(tmp)
        raw = _rate(_raw_sqlite, args.baseline_events)
        journal = _rate(_journal(1), args.baseline_events)
        inproc = in_process(folder, args.baseline_events, args.profile)

        database = str(folder / "tenfour.db")
        with open_accounts(database) as accounts:
            accounts.create("avl-admin", "admin", PASSWORD, now=datetime.now(UTC))
        port = _free_port()
        process = start_server(database, port, "--mqtt", f"mqtt://{BROKER[0]}:{BROKER[1]}")
        base = f"http://127.0.0.1:{port}"
        run = secrets.token_hex(3)  # this run's device names: runs side by side never mix
        try:
            server = Server(base, login(base, "avl-admin"), process.pid)
            desk = login(base, "bench")
            listed = httpx.get(f"{base}/api/units", headers={"Authorization": f"Bearer {desk}"})
            units = [u["id"] for u in listed.json() if u["status"] != "offduty"]
            # Registered straight in the registry (the server reads it per position):
            # one secret hashed once, not one argon2 hash per device through the API.
            http_devices = [f"osm-{run}-{k}" for k in range(args.devices)]
            mqtt_devices = [f"b{run}/d{k}" for k in range(args.devices)]
            secret = Passwords().hash(secrets.token_urlsafe(12))
            registry = DeviceStore(database)
            now = datetime.now(UTC)
            for k, device in enumerate(http_devices):
                registry.add(device, "osmand", unit=units[k % len(units)], now=now)
            for k, device in enumerate(mqtt_devices):
                registry.add(
                    device, "owntracks", unit=units[k % len(units)], secret_hash=secret, now=now
                )
            registry.close()
            console = Console(base, desk)
            console.run(1)  # warm-up, not counted
            time.sleep(1)  # let the subscription settle

            phases: dict[str, dict[str, Any]] = {}
            cpu0 = server.cpu_s()
            phases["alone"] = {"console": console.run(args.seconds)}
            phases["alone"]["cpu_s"] = server.cpu_s() - cpu0

            def side_by_side(target: Any, *load: Any) -> tuple[Any, ...]:
                """Start a load generator; once it is connected, let it go and run the
                console for as long. Returns the console's figures, the load's, the
                server's counts before, at the end of the window and its CPU then, and
                when the window started."""
                out, ready, go = spawn.Queue(), spawn.Event(), spawn.Event()
                child = spawn.Process(target=target, args=(*load, (ready, go), out))
                child.start()
                if not ready.wait(120):
                    child.kill()
                    raise SystemExit(f"{target.__name__} never connected")
                before, cpu0 = server.totals(), server.cpu_s()
                started = time.perf_counter()
                go.set()
                probe = console.run(args.seconds)
                at_end = server.totals()
                result = out.get(timeout=args.seconds + 120)
                child.join()
                return probe, result, before, at_end, cpu0, started

            # HTTP: closed-loop clients and the console side by side.
            probe, http, before, _, cpu0, _ = side_by_side(
                me.http_load, port, http_devices, args.connections, args.seconds
            )
            (accepted, refused), _ = server.drained(quiet_s=0.5)
            phases["http"] = {
                "console": probe,
                "load": http,
                "accepted": accepted - before[0],
                "refused": refused - before[1],
                "cpu_s": server.cpu_s() - cpu0,
            }

            # MQTT: the publisher and the console side by side; then the drain.
            probe, sent, before, at_end, cpu0, started = side_by_side(
                me.mqtt_load, mqtt_devices, args.mqtt_rate, args.seconds
            )
            (accepted, refused), last_moved = server.drained()
            phases["mqtt"] = {
                "console": probe,
                "load": sent,
                "accepted": accepted - before[0],
                "refused": refused - before[1],
                "in_window": (at_end[0] - before[0]) / args.seconds,
                "span_s": last_moved - started,
                "cpu_s": server.cpu_s() - cpu0,
            }
        finally:
            process.terminate()
            process.wait(timeout=60)
        journaled = {"osmand": 0, "owntracks": 0}
        with SqliteEventStore(database, read_only=True) as store:
            for event in store.read():
                # A fresh journal: every located event with a source is the bench's.
                source = event.data.get("source") if event.type == "unit.located" else None
                if source in journaled:
                    journaled[source] += 1
    report(args, raw, journal, inproc, phases, journaled, load_before, os.getloadavg())


def report(
    args: argparse.Namespace,
    raw: float,
    journal: float,
    inproc: dict[str, Any],
    phases: dict[str, dict[str, Any]],
    journaled: dict[str, int],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    http, mqtt = phases["http"], phases["mqtt"]
    http_rate = http["accepted"] / http["load"]["seconds"]
    mqtt_rate = mqtt["accepted"] / mqtt["span_s"]
    print(
        f"## AVL ingestion ({os.cpu_count()} cores, load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after; {args.devices} devices per path, "
        f"{args.seconds:g} s phases)\n"
    )
    print("| layer | positions/s | vs raw SQLite | CPU µs per position |")
    print("|---|---:|---:|---:|")
    locate, locate_cpu = inproc["locate"]
    ingest, ingest_cpu = inproc["ingest"]
    http_cpu = http["cpu_s"] / max(1, http["accepted"]) * 1e6
    mqtt_cpu = mqtt["cpu_s"] / max(1, mqtt["accepted"]) * 1e6
    rows = [
        ("bare SQLite insert, 1 row per durable commit (baseline)", raw, None),
        ("journal append, 1 event per commit", journal, None),
        (
            f"`unit.locate` through the service, in process ({inproc['units']} units)",
            locate,
            locate_cpu,
        ),
        ("`Avl.ingest` in process (device lookup, checks, `unit.locate`)", ingest, ingest_cpu),
        (f"HTTP OsmAnd, {args.connections} connections, into the journal", http_rate, http_cpu),
        (
            f"MQTT OwnTracks sent at {args.mqtt_rate:,}/s, into the journal (until drained)",
            mqtt_rate,
            mqtt_cpu,
        ),
    ]
    for name, rate, cpu in rows:
        spent = f"{cpu:,.0f}" if cpu is not None else ""
        print(f"| {name} | {rate:,.0f} | {rate / raw:.2f}x | {spent} |")
    print("\nTarget: 5,000 positions/s with console p99 < 50 ms.\n")

    print("| console `incident.note` at 20/s | commands | p50 ms | p99 ms | max ms | non-200 |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, key in (
        ("no AVL load (baseline)", "alone"),
        ("under HTTP AVL load", "http"),
        ("under MQTT AVL load", "mqtt"),
    ):
        c = phases[key]["console"]
        print(
            f"| {name} | {c['commands']} | {c['p50']:.1f} | {c['p99']:.1f} | {c['max']:.1f} "
            f"| {c['errors']} |"
        )

    load = http["load"]
    print(
        f"\nHTTP: {load['sent']:,} positions sent in {load['seconds']:.1f} s "
        f"({load['sent'] / load['seconds']:,.0f}/s), answers p50 {load['p50']:.1f} ms, "
        f"p99 {load['p99']:.1f} ms; told accepted {load['accepted']:,}, refused "
        f"{load['refused']:,}, errors {load['errors']:,}; server CPU {http['cpu_s']:.1f} s."
    )
    sent = mqtt["load"]
    arrived = mqtt["accepted"] + mqtt["refused"]
    print(
        f"MQTT: {sent['sent']:,} published in {sent['seconds']:.1f} s "
        f"({sent['sent'] / sent['seconds']:,.0f}/s), {sent['acked']:,} acknowledged by the "
        f"broker; {arrived:,} reached the server ({sent['acked'] - arrived:,} dropped on "
        f"the way), journaled at {mqtt['in_window']:,.0f}/s while publishing, all done "
        f"{mqtt['span_s']:.1f} s after the first; server CPU {mqtt['cpu_s']:.1f} s."
    )
    print(f"Console alone: server CPU {phases['alone']['cpu_s']:.2f} s over {args.seconds:g} s.")

    checks = [
        (
            "HTTP: told accepted == server accepted == journaled (osmand)",
            (load["accepted"], http["accepted"], journaled["osmand"]),
        ),
        (
            "MQTT: server accepted == journaled (owntracks)",
            (mqtt["accepted"], journaled["owntracks"]),
        ),
    ]
    print()
    for name, values in checks:
        ok = len(set(values)) == 1
        print(f"check {'OK' if ok else 'FAILED'}: {name}: {' / '.join(f'{v:,}' for v in values)}")
    refused = http["refused"] + mqtt["refused"]
    print(f"positions refused by the server (any reason): {refused:,}")
    if "profile" in inproc:
        print("\n`Avl.ingest` in process, cProfile by own time:\n")
        print("```")
        print(inproc["profile"].strip())
        print("```")
    if not all(len(set(v)) == 1 for _, v in checks):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
