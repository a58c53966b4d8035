"""Ranking through the service on Porto: the recommendation policy, kind after kind,
beside the bare index.

Run: ``.venv/bin/python -m bench.bench_ranking [--units 3000] [--rounds 100] [--pbf PATH]``.

``bench_city`` times the index alone, with every unit placed once. The product asks
differently: the recommendation policy (``policies.recommend``, what the reactor calls
for a new incident or a MAYDAY plan) hands the service's oracle (``bootstrap.MapOracle``)
the positions of the eligible units of ONE kind, and a MAYDAY plan asks for police,
then an ambulance, then a supervisor. Here, in one run:

1. import the map (``tenfour map import``'s code) and build a service on it through
   ``build_service`` (the journal in memory), register a fleet of ``--units`` units
   (90% patrol cars, 6% ambulances, 4% supervisors) at random road positions, each by
   ``unit.register`` and ``shift.start`` commands;
2. for random incidents, rank police, ambulance and supervisor in turn with the policy
   on the service's state and oracle (the journal write of the result is left out:
   it is the same for any oracle), and the same units of the same kind with a bare
   ``DriveTimeIndex`` holding every unit (``bench_city``'s way);
3. then the same with 50 units moving (``unit.locate`` through the service) before
   each round, as AVL does.

Every question is checked: the oracle's ETAs and metres for the units of that kind
equal the bare index's (to 1e-9), and the policy's first candidate is the index's
fastest unit. Median and p99 per kind; the ratio service/bare index is printed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.bench_city import PORTO, on_roads
from tenfour.bootstrap import build_service
from tenfour.clock import SimClock
from tenfour.domain.values import Actor
from tenfour.geo import RoadMap, import_map
from tenfour.journal import SqliteEventStore
from tenfour.policies.recommend import recommend
from tenfour.service import Service

ADMIN = Actor("admin", "setup")
#: need -> (unit kind, agency, share of the fleet)
FLEET = (
    ("police", "patrol", "PSP", 0.90),
    ("ambulance", "ambulance-als", "INEM", 0.03),
    ("ambulance", "ambulance-bls", "INEM", 0.03),
    ("supervisor", "supervisor", "PSP", 0.04),
)
NEEDS = ("police", "ambulance", "supervisor")


def ms(samples: Sequence[float]) -> tuple[float, float]:
    """Median and p99 in milliseconds."""
    return statistics.median(samples) * 1e3, float(np.percentile(samples, 99)) * 1e3


def build_city(path: Path, count: int, rng: np.random.Generator) -> tuple[Service, RoadMap]:
    """A service on the map file at ``path`` with ``count`` units on shift."""
    service = build_service(
        store=SqliteEventStore(":memory:"),
        clock=SimClock(datetime(2026, 3, 1, tzinfo=UTC)),
        map_name=str(path),
    )
    roads = service.oracle.roads  # type: ignore[attr-defined]
    service.submit("agency.register", {"id": "PSP", "kind": "police", "name": "PSP"}, ADMIN)
    service.submit("agency.register", {"id": "INEM", "kind": "ems", "name": "INEM"}, ADMIN)
    points = on_roads(roads, count, rng)
    kinds = [kind for _, kind, _, share in FLEET for _ in range(round(share * count))]
    agencies = {kind: agency for _, kind, agency, _ in FLEET}
    kinds += ["patrol"] * (count - len(kinds))
    for i, (kind, (lat, lon)) in enumerate(zip(kinds, points.tolist(), strict=True)):
        unit = f"{kind[:3].upper()}-{i}"
        service.submit("unit.register", {"id": unit, "agency": agencies[kind], "kind": kind}, ADMIN)
        location = {"lat": lat, "lon": lon}
        service.submit("shift.start", {"unit": unit, "location": location}, ADMIN)
    return service, roads


def question(service: Service, need: str) -> tuple[list[str], list[tuple[float, float]]]:
    """The units the policy ranks for ``need`` (all available here), in its order."""
    kinds = service.config.kinds_for(need)
    units = [u for u in service.state.units.values() if u.logged_on and u.kind in kinds]
    return [u.id for u in units], [
        (float(u.location["lat"]), float(u.location["lon"])) for u in units if u.location
    ]


def run_rounds(
    service: Service,
    roads: RoadMap,
    targets: np.ndarray,
    rng: np.random.Generator,
    moving: int,
) -> tuple[dict[str, list[float]], dict[str, list[float]], float, int]:
    """Policy and bare-index times per need, the largest ETA/metre gap, wrong firsts."""
    index = roads.index()
    ids = list(service.state.units)
    index.place_many(ids, _positions(service, ids))
    policy: dict[str, list[float]] = {n: [] for n in NEEDS}
    bare: dict[str, list[float]] = {n: [] for n in NEEDS}
    worst, wrong = 0.0, 0
    oracle: Any = service.oracle
    for lat, lon in targets.tolist():
        if moving:
            moved = rng.choice(len(ids), size=moving, replace=False).tolist()
            spots = on_roads(roads, moving, rng).tolist()
            for i, (mlat, mlon) in zip(moved, spots, strict=True):
                service.submit("unit.locate", {"unit": ids[i], "lat": mlat, "lon": mlon}, ADMIN)
            index.place_many([ids[i] for i in moved], spots)
        location = {"lat": lat, "lon": lon}
        for need in NEEDS:
            started = time.perf_counter()
            ranked = recommend(
                service.state,
                location=location,
                need=need,
                count=1,
                purpose="initial",
                incident=None,
                oracle=oracle,
                config=service.config,
            )
            policy[need].append(time.perf_counter() - started)
            keys, origins = question(service, need)
            started = time.perf_counter()
            best = index.ranking((lat, lon), keys)
            bare[need].append(time.perf_counter() - started)
            # the same question to both: exact ETAs and metres, the same fastest unit
            etas, metres = oracle.rank((lat, lon), origins)
            times = index.drive_times((lat, lon), keys)
            worst = max(worst, _gap(etas, times.eta_s), _gap(metres, times.distance_m))
            first = ranked.payload["candidates"][0]
            fastest = float(best.eta_s[0])
            wrong += not (first["unit"] == best.keys[0] or first["eta_s"] == round(fastest, 1))
    return policy, bare, worst, wrong


def _positions(service: Service, ids: Sequence[str]) -> list[tuple[float, float]]:
    out = []
    for unit in ids:
        location = service.state.units[unit].location or {}
        out.append((float(location["lat"]), float(location["lon"])))
    return out


def _gap(ours: Sequence[float], theirs: np.ndarray) -> float:
    a = np.asarray(ours, dtype=np.float64)
    both_inf = np.isinf(a) & np.isinf(theirs)
    if not np.array_equal(np.isinf(a), np.isinf(theirs)):
        return float("inf")
    return float(np.max(np.abs(np.where(both_inf, 0.0, a - theirs)), initial=0.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pbf", type=Path, default=PORTO, help="OSM extract (default: Porto)")
    parser.add_argument("--units", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=100, help="incidents, 3 rankings each")
    parser.add_argument("--moving", type=int, default=50, help="units moved per round (phase 2)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    with tempfile.TemporaryDirectory(prefix="tenfour-bench-") as folder:
        path = Path(folder) / "city.tenfour-map"
        import_map(args.pbf, out=path)
        started = time.perf_counter()
        service, roads = build_city(path, args.units, rng)
        built_s = time.perf_counter() - started
    sizes = {n: len(question(service, n)[0]) for n in NEEDS}
    print(f"map: {args.pbf.name}: {roads.node_count:,} nodes; engine {roads.index().engine}")
    print(f"{args.units:,} units on shift ({', '.join(f'{n} {k:,}' for n, k in sizes.items())})")
    print(f"fleet registered through the service in {built_s:.1f} s\n")
    print("| ranking (one kind after another) | median ms | p99 ms | runs |")
    print("|---|---:|---:|---:|")
    summary = []
    for moving in (0, args.moving):
        targets = on_roads(roads, args.rounds, rng)
        policy, bare, worst, wrong = run_rounds(service, roads, targets, rng, moving)
        when = f", {moving} units moved before each round" if moving else ""
        for need in NEEDS:
            label = f"{need} ({sizes[need]:,} units{when})"
            for name, samples in (
                ("policy via the service's oracle", policy),
                ("bare index", bare),
            ):
                med, p99 = ms(samples[need])
                print(f"| {label}: {name} | {med:.2f} | {p99:.2f} | {len(samples[need])} |")
        every_policy = [s for n in NEEDS for s in policy[n]]
        every_bare = [s for n in NEEDS for s in bare[n]]
        summary.append((when or ", no unit moving", every_policy, every_bare, worst, wrong))
    print()
    for when, every_policy, every_bare, worst, wrong in summary:
        (pm, pp), (bm, bp) = ms(every_policy), ms(every_bare)
        print(
            f"all kinds{when}: policy p50 {pm:.2f} / p99 {pp:.2f} ms, bare index p50 {bm:.2f} / "
            f"p99 {bp:.2f} ms (service/index {pm / bm:.1f}x at p50, {pp / bp:.1f}x at p99); "
            f"largest ETA/metre gap {worst:.1e}, wrong first candidates {wrong}"
        )


if __name__ == "__main__":
    main()
