"""The geocoder on the hand-made town (see test_geo_town) with address points and
places: exact points, interpolation on the right side, extrapolation, blocks,
intersections in every form, places, misspellings, ambiguity and off-map refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenfour.geo import GeocodeError, OutsideMapError, RoadMap, haversine_m
from tenfour.geo.addresses import read_csv

from .test_geo_town import NODES, WAYS, osm_xml

# First Street runs west-east along lat 37.000 from node 1 (lon -122.000) to node 3
# (-121.998); even numbers on its north side, odd on its south side, ~11 m off it.
# West Avenue runs south-north from node 1 (lat 37.000) through node 4 (37.001).
ADDRESSES = """LON,LAT,NUMBER,STREET,UNIT,CITY,POSTCODE,KIND
-122.000,37.0001,100,First St,,Town,,
-121.998,37.0001,200,FIRST STREET,,Town,,
-122.000,36.9999,101,First Street,,Town,,
-121.998,36.9999,201,First Street,,Town,,
-122.0001,37.000,10,West Av,,Town,,
-122.0001,37.0005,20,West Av,,Town,,
-121.999,37.002,100,Third St,,Town,,block
-121.999,37.002,,Third St,,Town,,
abc,37.0,5,First Street,,Town,,
-121.999,37.001,7,,,Town,,
"""
PLACES = """NAME,LAT,LON,CATEGORY,ALIASES
Town Hall,37.001,-121.999,amenity=townhall,City Hall;Civic Centre
"""


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> RoadMap:
    folder = tmp_path_factory.mktemp("town")
    osm = folder / "town.osm"
    osm.write_text(osm_xml(NODES, WAYS), encoding="utf-8")
    (folder / "addresses.csv").write_text(ADDRESSES, encoding="utf-8")
    (folder / "places.csv").write_text(PLACES, encoding="utf-8")
    places = read_csv(folder / "addresses.csv").places.merged(
        read_csv(folder / "places.csv").places
    )
    return RoadMap.load(osm, extra_places=lambda: places)


def near(found: object, lat: float, lon: float, metres: float) -> bool:
    assert found is not None
    return float(haversine_m(found.lat, found.lon, lat, lon)) <= metres  # type: ignore[attr-defined]


def test_bad_lines_are_skipped_and_named(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(ADDRESSES, encoding="utf-8")
    read = read_csv(path)
    assert len(read.places) == 7
    assert [str(e) for e in read.errors] == [
        "line 9, NUMBER: is empty",
        "line 10, LON: 'abc' is not a number",
        "line 11, STREET: is empty",
    ]


def test_exact_address_point(town: RoadMap) -> None:
    found = town.locate("100 First St")
    assert (found.kind, found.address, found.confidence) == ("point", "100 First Street", 1.0)
    assert near(found, 37.0001, -122.000, 1)


def test_interpolated_on_the_right_side(town: RoadMap) -> None:
    even = town.locate("150 First Street")
    odd = town.locate("151 First Street")
    assert even.kind == odd.kind == "interpolated"
    assert near(even, 37.0001, -121.999, 2)  # north, with the even numbers
    assert near(odd, 36.9999, -121.99899, 3)  # south, with the odd numbers
    assert "between 100 and 200" in even.note


def test_extrapolated_along_the_street(town: RoadMap) -> None:
    found = town.locate("40 West Ave")
    assert found.kind == "interpolated" and "extrapolated" in found.note
    # 10 numbers per ~55.6 m: 20 numbers past number 20 (at lat 37.0005) is lat 37.0015
    assert near(found, 37.0015, -122.0001, 3)
    assert found.confidence < town.locate("150 First St").confidence


def test_a_number_far_beyond_the_street_is_not_invented(town: RoadMap) -> None:
    west = town.geocoder.gazetteer.street("west avenue")
    assert west is not None
    placed = town.geocoder.numbering.place(west, 900, block=False)
    assert placed == "number 900 is beyond the mapped part of West Avenue"
    found = town.locate("900 West Ave")  # the street, ambiguous, says why
    assert found.ambiguous and found.note == placed


def test_blocks(town: RoadMap) -> None:
    own = town.locate("100 Block of THIRD ST")
    assert (own.kind, own.address) == ("block", "100 block of Third Street")
    assert near(own, 37.002, -121.999, 1)
    from_points = town.locate("1XX First St")
    assert from_points.kind == "block" and near(from_points, 37.0, -122.0, 2)


@pytest.mark.parametrize(
    "text",
    [
        "FIRST ST/WEST AV",
        "First Street & West Avenue",
        "first and west",
        "corner of First and West",
        "1st St @ West Ave",
    ],
)
def test_intersection_in_every_form(town: RoadMap, text: str) -> None:
    found = town.locate(text)
    assert (found.kind, found.address) == ("intersection", "First Street & West Avenue")
    assert (found.lat, found.lon) == NODES[1]


def test_between_two_cross_streets(town: RoadMap) -> None:
    found = town.locate("First St between West Ave and Middle Ave")
    assert found.kind == "block" and near(found, 37.0, -121.9995, 1)


def test_places_by_name_alias_misspelling_and_landmark_phrase(town: RoadMap) -> None:
    for text in ("Town Hall", "city hall", "Twon Hall", "the food truck by the town hall"):
        found = town.locate(text)
        assert (found.kind, found.address) == ("place", "Town Hall"), text
    assert town.locate("Town Hall").confidence > town.locate("Twon Hall").confidence


def test_misspelt_street(town: RoadMap) -> None:
    found = town.locate("150 Frist Street")
    assert found.kind == "interpolated" and found.address == "150 First Street"
    assert found.confidence < town.locate("150 First Street").confidence


def test_a_bare_street_is_ambiguous_with_its_extent(town: RoadMap) -> None:
    found = town.locate("First Street")
    assert found.kind == "street" and found.ambiguous
    assert found.extent is not None
    assert (found.extent.west, found.extent.east) == (-122.000, -121.998)
    assert "give a house number" in found.note


def test_a_parallel_street_lends_its_numbers(town: RoadMap) -> None:
    # East Avenue has no numbers; West Avenue, parallel, has 10 and 20
    found = town.locate("15 East Avenue")
    assert found.kind == "interpolated" and found.note == "across from 15 West Avenue"
    assert near(found, 37.00025, -121.998, 3)


def test_a_number_nobody_can_place_is_ambiguous(town: RoadMap) -> None:
    found = town.locate("5000 Second Street")
    assert found.ambiguous and found.kind == "street"
    assert found.note == "no house numbers are known on Second Street"


def test_off_the_map_is_refused_with_the_reason(town: RoadMap) -> None:
    with pytest.raises(OutsideMapError, match="outside the map"):
        town.locate("@0,0")
    with pytest.raises(OutsideMapError):
        town.geocode("@0,0")
    with pytest.raises(GeocodeError, match="no street 'Nowhere Lane' on the map"):
        town.locate("12 Nowhere Lane")
    with pytest.raises(GeocodeError, match="do not meet"):
        town.locate("First Street & Third Street")
    assert town.geocode("Elm Street") is None


def test_coordinates_on_the_map_are_described(town: RoadMap) -> None:
    found = town.locate("@37.0001, -121.9997")
    assert found.kind == "point" and found.address.startswith("100 First Street, near ")


def test_reverse_geocoding_names_the_address_and_the_corner(town: RoadMap) -> None:
    assert town.describe(37.0001, -121.9997) == "100 First Street, near First Street & West Avenue"
    assert town.describe(37.002, -121.9992).startswith("100 block of Third Street, near ")


def test_suggestions_as_you_type(town: RoadMap) -> None:
    assert [s.address for s in town.suggest("150 Fir")] == ["150 First Street"]
    assert [s.address for s in town.suggest("First & W")] == ["First Street & West Avenue"]
    names = [(s.address, s.kind) for s in town.suggest("Tow")]
    assert ("Town Hall", "place") in names
    assert town.suggest("@0,0") == []
