"""Map files: ``tenfour map import``, loading by name or path, and clear errors."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tenfour.geo import MAP_SUFFIX, MapError, RoadMap, import_map, load_map
from tenfour.geo.cli import map_app
from tenfour.geo.mapfile import VERSION, read_map, sha256_of
from tenfour.geo.maps import default_name, find_map, maps_dirs
from tenfour.geo.ordering import geometric_order

from .test_geo_town import NODES, WAYS, between, osm_xml


@pytest.fixture
def maps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "maps"
    monkeypatch.setenv("TENFOUR_MAPS", str(folder))
    return folder


@pytest.fixture
def town_osm(tmp_path: Path) -> Path:
    path = tmp_path / "town.osm"
    path.write_text(osm_xml(NODES, WAYS), encoding="utf-8")
    return path


def test_import_writes_a_named_map_that_loads_like_the_osm_file(maps: Path, town_osm: Path) -> None:
    done = import_map(town_osm, name="town")
    assert done.path == maps / f"town{MAP_SUFFIX}" and done.path.is_file()
    assert find_map("town") == done.path
    direct = RoadMap.load(town_osm)
    loaded = load_map("town")
    for field in ("node_id", "lat", "lon", "arc_from", "arc_to", "arc_time_s", "arc_length_m"):
        assert np.array_equal(getattr(loaded.network, field), getattr(direct.network, field))
    assert loaded.network.names == direct.network.names
    assert loaded.meta["source_sha256"] == sha256_of(town_osm)
    assert loaded.meta["version"] == VERSION and "OpenStreetMap" in loaded.meta["attribution"]
    assert loaded.fingerprint == direct.fingerprint
    assert loaded.geocode("First St & West Ave") == direct.geocode("First St & West Ave")
    index = loaded.index()
    index.place("u", between(1, 2, 0.4))
    expected = direct.drive_times(between(8, 9, 0.5), [between(1, 2, 0.4)])
    assert index.drive_times(between(8, 9, 0.5)).eta_s[0] == pytest.approx(expected.eta_s[0])


def test_a_name_not_found_as_a_path_is_tried_as_a_map_name(
    maps: Path, town_osm: Path, tmp_path: Path
) -> None:
    import_map(town_osm, name="town", order=geometric_order)
    # a scenario's "map: town" becomes <scenario folder>/town before it reaches load_map
    assert load_map(tmp_path / "scenarios" / "town").network.node_count == 9
    assert maps in maps_dirs()
    with pytest.raises(MapError, match="nor an imported map"):
        load_map(tmp_path / "nowhere")


def test_import_default_name_and_output_path(maps: Path, town_osm: Path, tmp_path: Path) -> None:
    assert default_name(Path("porto_portugal.osm.pbf")) == "porto_portugal"
    assert default_name(Path("my city!.osm")) == "my-city-"
    out = tmp_path / "elsewhere" / "x.tenfour-map"
    done = import_map(town_osm, out=out)
    assert done.name == "town" and done.path == out and out.is_file()
    with pytest.raises(MapError, match="map name"):
        import_map(town_osm, name="../evil")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "file is empty"),
        ("<osm", "truncated"),
        ("this is not a map", "not an OSM file"),
    ],
)
def test_import_of_a_bad_file_says_why(
    maps: Path, tmp_path: Path, content: str, reason: str
) -> None:
    bad = tmp_path / "bad.osm"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(MapError, match=reason):
        import_map(bad)
    assert not maps.exists() or not list(maps.iterdir())


def test_truncated_or_foreign_map_files_are_refused(
    maps: Path, town_osm: Path, tmp_path: Path
) -> None:
    done = import_map(town_osm, name="town", order=geometric_order)
    data = done.path.read_bytes()
    cut = tmp_path / f"cut{MAP_SUFFIX}"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(MapError, match="truncated or corrupt"):
        RoadMap.load(cut)
    foreign = tmp_path / f"foreign{MAP_SUFFIX}"
    with zipfile.ZipFile(foreign, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(MapError, match="no meta record"):
        RoadMap.load(foreign)


def test_a_newer_format_version_asks_for_a_new_import(
    maps: Path, town_osm: Path, tmp_path: Path
) -> None:
    done = import_map(town_osm, name="town", order=geometric_order)
    with np.load(done.path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    meta = json.loads(arrays["meta"].tobytes())
    meta["version"] = VERSION + 1
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    newer = tmp_path / f"newer{MAP_SUFFIX}"
    with newer.open("wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(MapError, match=f"version {VERSION + 1}.*import"):
        read_map(newer)
    arrays["meta"] = np.frombuffer(json.dumps(dict(meta, version=VERSION)).encode(), np.uint8)
    arrays["arc_to"] = arrays["arc_to"] + 1000
    broken = tmp_path / f"broken{MAP_SUFFIX}"
    with broken.open("wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(MapError, match="node that does not exist"):
        read_map(broken)


def test_cli_import_list_and_info(maps: Path, town_osm: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(map_app, ["import", str(town_osm), "--name", "town"])
    assert result.exit_code == 0, result.output
    assert "imported town: 9 nodes" in result.output
    assert "tenfour serve --map town" in result.output
    listed = runner.invoke(map_app, ["list"])
    assert listed.exit_code == 0 and "town" in listed.output
    info = runner.invoke(map_app, ["info", "town"])
    assert info.exit_code == 0 and "source_sha256" in info.output
    missing = runner.invoke(map_app, ["import", str(tmp_path / "nope.osm.pbf")])
    # Rich wraps to the terminal width: compare the words, not the line breaks.
    assert missing.exit_code == 2 and "file not found" in " ".join(missing.output.split())
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all")
    refused = runner.invoke(map_app, ["import", str(bad)])
    assert refused.exit_code == 2 and "error" in refused.output
    assert runner.invoke(map_app, ["info", "nothing-here"]).exit_code == 2
