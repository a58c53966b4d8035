"""Address data stored with a map: `tenfour map import` keeps an OSM extract's
``addr:*`` points and named places, `tenfour places import` adds CSV files (versioned,
bad lines named), and `tenfour geocode` geocodes a CSV column in bulk."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tenfour.cli import app
from tenfour.geo import MapError, RoadMap, import_map
from tenfour.geo.mapfile import read_map
from tenfour.geo.ordering import geometric_order
from tenfour.geo.placeimport import import_places

from .test_geo_geocoder import ADDRESSES, PLACES
from .test_geo_town import NODES, WAYS, osm_xml


def town_with_places() -> str:
    """The town, with a house (addr:* on a node) and a named shop (a closed way)."""
    xml = osm_xml(NODES, WAYS)
    extra = """
  <node id="900" lat="37.0001" lon="-121.9995">
    <tag k="addr:housenumber" v="150"/><tag k="addr:street" v="First Street"/>
  </node>
  <node id="901" lat="37.0012" lon="-121.9988"/><node id="902" lat="37.0012" lon="-121.9984"/>
  <node id="903" lat="37.0016" lon="-121.9984"/><node id="904" lat="37.0016" lon="-121.9988"/>
  <way id="950"><nd ref="901"/><nd ref="902"/><nd ref="903"/><nd ref="904"/><nd ref="901"/>
    <tag k="shop" v="bakery"/><tag k="name" v="Corner Bakery"/><tag k="alt_name" v="Bread Shop"/>
  </way>
</osm>"""
    return xml.replace("</osm>", extra)


@pytest.fixture
def maps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "maps"
    monkeypatch.setenv("TENFOUR_MAPS", str(folder))
    return folder


@pytest.fixture
def town_map(maps: Path, tmp_path: Path) -> Path:
    osm = tmp_path / "town.osm"
    osm.write_text(town_with_places(), encoding="utf-8")
    return import_map(osm, name="town", order=geometric_order).path


def test_map_import_keeps_the_extracts_addresses_and_places(town_map: Path) -> None:
    stored = read_map(town_map)
    assert stored.meta["version"] == 2 and stored.meta["places_revision"] == 1
    assert list(stored.places.number) == [150] and stored.places.street == ("First Street",)
    (bakery,) = stored.places.named
    assert (bakery.name, bakery.category, bakery.aliases) == (
        "Corner Bakery", "shop=bakery", ("Bread Shop",),
    )  # fmt: skip
    roads = RoadMap.load(town_map)
    assert roads.locate("150 First St").kind == "point"
    assert roads.locate("bread shop").address == "Corner Bakery"


def test_places_import_adds_replaces_and_counts_versions(town_map: Path, tmp_path: Path) -> None:
    addresses = tmp_path / "addresses.csv"
    addresses.write_text(ADDRESSES, encoding="utf-8")
    done = import_places(addresses, map_name="town")
    assert (done.kept, done.error_count, done.revision) == (7, 3, 2)
    assert str(done.errors[0]) == "line 9, NUMBER: is empty"
    places = tmp_path / "places.csv"
    places.write_text(PLACES, encoding="utf-8")
    assert import_places(places, map_name="town").revision == 3
    again = import_places(addresses, map_name="town")  # the same file again: replaced
    stored = read_map(town_map)
    assert again.revision == 4 and len(stored.places) == 1 + 7
    assert {p.name for p in stored.places.named} == {"Corner Bakery", "Town Hall"}
    files = [s["file"] for s in stored.meta["places_sources"]]
    assert files == ["town.osm", "addresses.csv", "places.csv"]
    roads = RoadMap.load(town_map)
    assert roads.locate("151 First Street").kind == "interpolated"
    assert roads.locate("city hall").address == "Town Hall"


def test_rows_off_the_map_are_left_out(town_map: Path, tmp_path: Path) -> None:
    far = tmp_path / "far.csv"
    far.write_text("lon,lat,number,street\n0,0,1,Null Island Road\n", encoding="utf-8")
    done = import_places(far, map_name="town")
    assert (done.kept, done.off_map) == (0, 1)


def test_bad_files_say_why(town_map: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,x\n", encoding="utf-8")
    with pytest.raises(MapError, match="no LON, LAT, NUMBER, STREET column"):
        import_places(bad, map_name="town")
    with pytest.raises(MapError, match="file not found"):
        import_places(tmp_path / "missing.csv", map_name="town")
    with pytest.raises(MapError, match="no imported map of that name"):
        import_places(bad, map_name="atlantis")


def test_a_version_1_map_file_still_loads(town_map: Path, tmp_path: Path) -> None:
    with np.load(town_map) as archive:
        arrays = {k: archive[k] for k in archive.files if not k.startswith(("addr_", "places"))}
    meta = json.loads(arrays["meta"].tobytes())
    arrays["meta"] = np.frombuffer(json.dumps(dict(meta, version=1)).encode(), np.uint8)
    old = tmp_path / "old.tenfour-map"
    with old.open("wb") as handle:
        np.savez(handle, **arrays)
    stored = read_map(old)
    assert len(stored.places) == 0 and stored.places.named == ()


def test_cli_places_import_and_batch_geocode(town_map: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    addresses = tmp_path / "addresses.csv"
    addresses.write_text(ADDRESSES, encoding="utf-8")
    result = runner.invoke(app, ["places", "import", str(addresses), "--map", "town"])
    assert result.exit_code == 0, result.output
    assert "imported 7 addresses of 10 rows" in result.output
    assert "line 10, LON: 'abc' is not a number" in result.output
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "id,where\n1,151 First Street\n2,FIRST ST/WEST AV\n3,First Street\n4,12 Elm Street\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app, ["geocode", str(calls), "--column", "WHERE", "--map", "town", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "2 placed, 1 ambiguous, 1 not found" in result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["match"] for r in rows] == ["interpolated", "intersection", "street", ""]
    assert rows[0]["lat"] and rows[1]["lon"] and not rows[2]["lat"] and not rows[3]["lat"]
    assert rows[2]["note"].startswith("ambiguous: the whole of First Street")
    assert rows[3]["note"] == "no street 'Elm Street' on the map"
    missing = runner.invoke(
        app, ["geocode", str(calls), "--column", "nope", "--map", "town", "--out", str(out)]
    )
    assert missing.exit_code == 2 and "no column 'nope'" in missing.output
