"""One district for the report tests: "Central", a square around the demo city's
financial district (37.79-37.80 N, 122.39-122.40 W), as a districts GeoJSON file."""

from __future__ import annotations

import json
from pathlib import Path

SQUARE = [
    [[-122.40, 37.79], [-122.39, 37.79], [-122.39, 37.80], [-122.40, 37.80], [-122.40, 37.79]]
]


def write_central(folder: Path) -> Path:
    """``folder/districts.geojson`` holding the one district "Central"; its path."""
    path = folder / "districts.geojson"
    feature = {
        "type": "Feature",
        "properties": {"name": "Central"},
        "geometry": {"type": "Polygon", "coordinates": SQUARE},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return path
