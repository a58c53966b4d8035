"""Reading OSM files and interpreting road tags (`tenfour.geo.osm`, `tenfour.geo.tags`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenfour.geo import GeoError, MapError, RoadMap, load_map, load_network
from tenfour.geo.tags import DEFAULT_SPEED_KMH, directions, is_drivable, parse_maxspeed, speed_kmh

SQUARE = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="10.000" lon="20.000"/>
  <node id="2" lat="10.001" lon="20.000"/>
  <node id="3" lat="10.001" lon="20.001"/>
  <node id="4" lat="10.000" lon="20.001"/>
  <way id="7">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="highway" v="residential"/><tag k="name" v="Ring Road"/>
  </way>
</osm>
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_loads_a_small_file(tmp_path: Path) -> None:
    network = load_network(write(tmp_path, "square.osm", SQUARE))
    assert network.node_count == 4
    assert network.arc_count == 8
    assert set(network.names) == {"Ring Road"}


def test_unknown_extension_is_sniffed(tmp_path: Path) -> None:
    assert load_network(write(tmp_path, "square.xml", SQUARE)).node_count == 4


def test_missing_way_nodes_split_the_way(tmp_path: Path) -> None:
    # node 9 is not in the extract: 1-2 and 3-4 stay, nothing joins 2 to 3
    text = SQUARE.replace('<nd ref="2"/><nd ref="3"/>', '<nd ref="2"/><nd ref="9"/><nd ref="3"/>')
    network = load_network(write(tmp_path, "gap.osm", text))
    # the ring is now a path 3-4-1-2: still strongly connected as two-way streets
    assert network.node_count == 4
    assert network.arc_count == 6


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.osm", "", "file is empty"),
        ("truncated.osm", SQUARE[: len(SQUARE) // 2], "truncated"),
        ("truncated-at-tag.osm", SQUARE.replace("</osm>\n", ""), "truncated"),
        ("text.osm", "this is not a map\n", "not an OSM file"),
        ("page.osm", "<?xml version='1.0'?><html><body/></html>", "not an OSM file"),
        ("binary.pbf", b"\x00\x01\x02garbage" * 10, "OSM file"),
        (
            "footways.osm",
            SQUARE.replace('v="residential"', 'v="footway"'),
            "no drivable roads",
        ),
        ("nodes.osm", SQUARE.split("  <way")[0] + "</osm>\n", "no drivable roads"),
    ],
)
def test_bad_files_raise_map_error(
    tmp_path: Path, name: str, content: str | bytes, reason: str
) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(MapError, match=reason) as caught:
        RoadMap.load(path)
    assert name in str(caught.value)
    assert isinstance(caught.value, GeoError) and isinstance(caught.value, ValueError)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MapError, match=r"nowhere\.osm.*file not found"):
        load_network(tmp_path / "nowhere.osm")
    with pytest.raises(MapError, match="file not found"):
        load_map(str(tmp_path / "nowhere.osm"))


def test_directory_is_not_a_map(tmp_path: Path) -> None:
    with pytest.raises(MapError, match="not a file"):
        load_network(tmp_path)


# ---- tags ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0),
        ("30 km/h", 30.0),
        ("25 mph", 25 * 1.609344),
        ("25mph", 25 * 1.609344),
        ("none", None),
        ("signals", None),
        ("25;35", 25.0),
        ("none;35 mph", 35 * 1.609344),
        ("PT:urban", 50.0),
        ("DE:zone30", 30.0),
        ("walk", 7.0),
        ("0", None),
        ("999", None),
        ("fast", None),
        (None, None),
    ],
)
def test_parse_maxspeed(value: str | None, kmh: float | None) -> None:
    assert parse_maxspeed(value) == (pytest.approx(kmh) if kmh is not None else None)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "residential"}, (True, True)),
        ({"highway": "residential", "oneway": "yes"}, (True, False)),
        ({"highway": "residential", "oneway": "true"}, (True, False)),
        ({"highway": "residential", "oneway": "1"}, (True, False)),
        ({"highway": "residential", "oneway": "-1"}, (False, True)),
        ({"highway": "residential", "oneway": "reverse"}, (False, True)),
        ({"highway": "primary", "junction": "roundabout"}, (True, False)),
        ({"highway": "motorway"}, (True, False)),
        ({"highway": "motorway", "oneway": "no"}, (True, True)),
    ],
)
def test_directions(tags: dict[str, str], expected: tuple[bool, bool]) -> None:
    assert directions(tags) == expected


@pytest.mark.parametrize(
    ("tags", "drivable"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "motorway_link"}, True),
        ({"highway": "living_street"}, True),
        ({"highway": "service"}, True),
        ({"highway": "footway"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "path"}, False),
        ({"highway": "steps"}, False),
        ({"highway": "pedestrian"}, False),
        ({"highway": "track"}, False),
        ({"highway": "construction"}, False),
        ({"highway": "proposed"}, False),
        ({"building": "yes"}, False),
        ({"highway": "residential", "access": "no"}, False),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "residential", "motor_vehicle": "no"}, False),
        ({"highway": "residential", "access": "no", "motor_vehicle": "yes"}, True),
        ({"highway": "residential", "access": "destination"}, True),
    ],
)
def test_is_drivable(tags: dict[str, str], drivable: bool) -> None:
    assert is_drivable(tags) is drivable


def test_speed_defaults_and_directional_maxspeed() -> None:
    assert speed_kmh({"highway": "residential"}) == DEFAULT_SPEED_KMH["residential"] == 25.0
    tags = {"highway": "primary", "maxspeed": "30 mph", "maxspeed:backward": "20 mph"}
    assert speed_kmh(tags, forward=True) == pytest.approx(30 * 1.609344)
    assert speed_kmh(tags, forward=False) == pytest.approx(20 * 1.609344)
    assert speed_kmh({"highway": "trunk", "maxspeed": "none"}) == DEFAULT_SPEED_KMH["trunk"]
    # every default is an urban speed a car can actually hold
    assert all(5 <= kmh <= 90 for kmh in DEFAULT_SPEED_KMH.values())
