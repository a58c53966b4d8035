"""``geocode_csv``: geocode one column of a CSV file, row by row, into a copy of it.

Each row gets ``lat``, ``lon``, ``match`` (how it was found: point, interpolated,
block, intersection, place, street), ``confidence`` and ``note``. A row that cannot be
placed, or only ambiguously (a bare street), keeps empty coordinates and its ``note``
says why, so a batch never stops at a bad address.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tenfour.geo.errors import GeoError, MapError
from tenfour.geo.roadmap import RoadMap

ADDED: Final = ("lat", "lon", "match", "confidence", "note")
_PROGRESS_EVERY: Final = 200


@dataclass(frozen=True, slots=True)
class BatchResult:
    """How a batch went: rows read, placed, and not placed (ambiguous or not found)."""

    rows: int
    placed: int
    ambiguous: int
    failed: int


def geocode_csv(
    source: str | Path,
    out: str | Path,
    *,
    column: str,
    roads: RoadMap,
    progress: Callable[[int], None] | None = None,
) -> BatchResult:
    """Geocode ``column`` of ``source`` into ``out`` (:class:`MapError` names a file that
    cannot be read, or a column it does not have)."""
    source, out = Path(source), Path(out)
    if not source.is_file():
        raise MapError(source, "file not found" if not source.exists() else "not a file")
    rows = placed = ambiguous = failed = 0
    try:
        with source.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            fields = list(reader.fieldnames or [])
            wanted = next((f for f in fields if f.strip().lower() == column.strip().lower()), None)
            if wanted is None:
                raise MapError(source, f"no column {column!r} (columns: {', '.join(fields)})")
            out.parent.mkdir(parents=True, exist_ok=True)
            partial = out.with_name(out.name + ".part")
            with partial.open("w", encoding="utf-8", newline="") as target:
                names = fields + [a for a in ADDED if a not in fields]
                writer = csv.DictWriter(target, fieldnames=names, extrasaction="ignore")
                writer.writeheader()
                for row in reader:
                    rows += 1
                    added = _geocoded(roads, row.get(wanted) or "")
                    if added["lat"]:
                        placed += 1
                    elif added["match"] == "street" or "ambiguous" in added["note"]:
                        ambiguous += 1
                    else:
                        failed += 1
                    writer.writerow({**row, **added})
                    if progress is not None and rows % _PROGRESS_EVERY == 0:
                        progress(rows)
            partial.replace(out)
    except UnicodeDecodeError as exc:
        raise MapError(source, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise MapError(source, f"not a CSV file ({exc})") from None
    if progress is not None:
        progress(rows)
    return BatchResult(rows, placed, ambiguous, failed)


def _geocoded(roads: RoadMap, text: str) -> dict[str, str]:
    empty = {"lat": "", "lon": "", "match": "", "confidence": ""}
    try:
        found = roads.locate(text)
    except GeoError as error:
        return {**empty, "note": str(error)}
    if found.ambiguous:
        others = "; ".join(a.address for a in found.alternatives)
        why = found.note or f"ambiguous: {found.address}" + (f" or {others}" if others else "")
        return {**empty, "match": found.kind, "note": f"ambiguous: {why}"}
    return {
        "lat": f"{found.lat:.7f}",
        "lon": f"{found.lon:.7f}",
        "match": found.kind,
        "confidence": f"{found.confidence:.2f}",
        "note": found.note,
    }
