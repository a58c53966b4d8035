"""Benchmark of the geocoder on the demo map with the real SFFD week.

Run: ``.venv/bin/python -m bench.bench_geocoding [--responses PATH]``.

1. Accuracy, leave-one-block-out: every on-map call of the week geocoded with its own
   block's point left out of the address data (``tenfour.geo.evaluation``); shares
   within 100/150/250 m of the recorded point by how each was found (ambiguous and
   not-found calls count as misses). Target: >= 90 % within 150 m.
2. Autocomplete latency: top-5 suggestions for every prefix (4+ characters, at word
   ends and mid-word) of the week's addresses. Target: p99 < 50 ms.
3. Batch throughput: addresses per second for the full geocoder, against a plain
   rapidfuzz scan over all street names (``process.extractOne`` of the street text)
   run in the same process on the same addresses; printed with the check that both
   answered the same question (on how many calls both named the same street).
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from tenfour.geo import GeoError, load_map
from tenfour.geo.evaluation import RADII_M, leave_one_block_out, read_sffd_calls
from tenfour.geo.parsing import normalise

ROOT = Path(__file__).resolve().parents[1]
RESPONSES = (
    ROOT.parent / "shared" / "data" / "sf" / "sffd_unit_responses_2016-12-31_to_2017-01-07.csv"
)
_BLOCK = re.compile(r"^\d+ Block of (.+)$", re.IGNORECASE)


def street_of(address: str) -> str:
    """The (first) street text of an SFFD address: "500 Block of X" -> X, "A/B" -> A."""
    block = _BLOCK.match(address)
    return block.group(1) if block else address.split("/")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=Path, default=RESPONSES)
    args = parser.parse_args()
    roads = load_map("demo")
    started = time.perf_counter()
    geocoder = roads.geocoder
    build_s = time.perf_counter() - started
    calls = read_sffd_calls(args.responses)

    started = time.perf_counter()
    result = leave_one_block_out(roads, calls)
    loo_s = time.perf_counter() - started
    print(f"## Leave-one-block-out on the SFFD week: {result.calls:,} on-map calls\n")
    print("| found as | calls | " + " | ".join(f"<= {r:.0f} m" for r in RADII_M) + " |")
    print("|---|---:|" + "---:|" * len(RADII_M))
    for kind, count, shares in result.table():
        cells = " | ".join(f"{100 * s:.1f} %" for s in shares)
        print(f"| {kind} | {count:,} | {cells} |")
    placed = [e for k, v in result.errors.items() for e in v if np.isfinite(e)]
    print(
        f"\nplaced {len(placed):,} of {result.calls:,} ({100 * len(placed) / result.calls:.1f} %); "
        f"median error of placed {np.median(placed):.0f} m, p90 {np.percentile(placed, 90):.0f} m; "
        f"{result.calls / loo_s:,.0f} calls/s (geocoder built in {build_s:.2f} s)\n"
    )

    texts = sorted({c.address for c in calls})
    prefixes: list[str] = []
    for text in texts:
        cuts = sorted({m.end() for m in re.finditer(r"\S+", text)} | {len(text) - 2})
        prefixes += [text[:cut] for cut in cuts if cut >= 4]
    geocoder.suggest("warm up", 5)
    took = []
    for prefix in prefixes:
        t0 = time.perf_counter()
        geocoder.suggest(prefix, 5)
        took.append(time.perf_counter() - t0)
    ms = np.asarray(took) * 1000
    print(f"## Autocomplete, top 5: {len(prefixes):,} prefixes of the week's addresses\n")
    print("| p50 ms | p90 ms | p99 ms | max ms |\n|---:|---:|---:|---:|")
    print(
        f"| {np.percentile(ms, 50):.2f} | {np.percentile(ms, 90):.2f} | "
        f"{np.percentile(ms, 99):.2f} | {ms.max():.2f} |\n"
    )

    addresses = [c.address for c in calls]
    keys = [s.key for s in geocoder.gazetteer.streets]
    started = time.perf_counter()
    baseline = [
        process.extractOne(normalise(street_of(a)), keys, scorer=fuzz.WRatio) for a in addresses
    ]
    base_s = time.perf_counter() - started
    started = time.perf_counter()
    ours: list[str | None] = []
    for address in addresses:
        try:
            found = geocoder.locate(address)
        except GeoError:
            ours.append(None)
            continue
        ours.append(normalise(found.address.split(" & ")[0].split(" between ")[0]))
    ours_s = time.perf_counter() - started
    same = sum(
        1
        for a, b, o in zip(addresses, baseline, ours, strict=True)
        if b is not None and o is not None and o.endswith(b[0])
    )
    named = sum(1 for o in ours if o is not None)
    print(f"## Batch throughput: {len(addresses):,} addresses, same process\n")
    print("| geocoder | addresses/s | answers |\n|---|---:|---|")
    print(
        f"| rapidfuzz scan of {len(keys)} street names (baseline) | {len(addresses) / base_s:,.0f} "
        "| a street name only |"
    )
    print(
        f"| Ten-Four geocoder | {len(addresses) / ours_s:,.0f} | a point, how found, "
        "confidence, alternatives |"
    )
    print(
        f"\ncheck: on {same:,} of {named:,} calls the geocoder answered, its street is the "
        f"one the baseline scan named ({100 * same / max(named, 1):.1f} %); the scan names "
        f"a street for every text, {len(addresses) - named:,} of which the geocoder refuses "
        "(streets not on the map)"
    )


if __name__ == "__main__":
    main()
