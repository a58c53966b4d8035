"""Street and intersection names: normalising, looking up, and naming a point.

Names are matched on a normalised key: lower case, accents and punctuation dropped,
common abbreviations spelled out ("St" -> "street", "Ave" -> "avenue", a leading
"St" -> "saint"), so "main st", "Main Street" and "MAIN STREET." are one street. A
key without its street type ("Main") matches when the map has such a street, which is
how dispatchers write intersections ("Main/Mission").
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from tenfour.geo.errors import GeocodeError
from tenfour.geo.osm import RoadNetwork

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

_ABBREVIATIONS: Final[dict[str, str]] = {
    "st": "street",
    "str": "street",
    "ave": "avenue",
    "av": "avenue",
    "avenida": "avenue",  # Portuguese maps: "Av. da Boavista" is "Avenida da Boavista"
    "blvd": "boulevard",
    "bl": "boulevard",
    "dr": "drive",
    "rd": "road",
    "ln": "lane",
    "ct": "court",
    "pl": "place",
    "ter": "terrace",
    "terr": "terrace",
    "hwy": "highway",
    "pkwy": "parkway",
    "sq": "square",
    "cir": "circle",
    "aly": "alley",
    "plz": "plaza",
    "expy": "expressway",
    "fwy": "freeway",
    "r": "rua",
    "n": "north",
    "s": "south",
    "e": "east",
    "w": "west",
    "mt": "mount",
    "ft": "fort",
    "gen": "general",
}
# Street types that may be left out of a query: trailing in English, leading in Portuguese.
_TRAILING_TYPES: Final[frozenset[str]] = frozenset(
    {
        "street", "avenue", "boulevard", "drive", "road", "lane", "court", "place", "terrace",
        "highway", "parkway", "square", "circle", "alley", "plaza", "way", "loop", "row",
        "walk", "expressway", "freeway",
    }
)  # fmt: skip
_LEADING_TYPES: Final[frozenset[str]] = frozenset(
    {"rua", "avenue", "travessa", "praca", "largo", "estrada", "alameda", "calcada"}
)
_SEPARATORS: Final = re.compile(r"\s*(?:&|/|@|\+|\band\b)\s*", re.IGNORECASE)
MAX_QUERY_CHARS: Final = 200


def check_query(text: object) -> None:
    """Raise :class:`GeocodeError` for a text that cannot be an address at all."""
    if not isinstance(text, str) or not text.strip():
        raise GeocodeError("address text is empty")
    if len(text) > MAX_QUERY_CHARS:
        raise GeocodeError(f"address text is longer than {MAX_QUERY_CHARS} characters")


def normalise(name: str) -> str:
    """The lookup key of a street name (see the module docstring)."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("'", "").replace("\u2019", "")
    tokens = re.findall(r"[a-z0-9]+", text)
    out: list[str] = []
    for i, token in enumerate(tokens):
        if token == "st" and i == 0 and len(tokens) > 1:
            out.append("saint")  # "St Joseph's Avenue"
        else:
            out.append(_ABBREVIATIONS.get(token, token))
    return " ".join(out)


def base_of(key: str) -> str:
    """A normalised key without its street type: "main street" -> "main"."""
    tokens = key.split()
    if len(tokens) > 1 and tokens[-1] in _TRAILING_TYPES:
        tokens = tokens[:-1]
    elif len(tokens) > 1 and tokens[0] in _LEADING_TYPES:
        tokens = tokens[1:]
    return " ".join(tokens)


def split_intersection(text: str) -> list[str]:
    """The street parts of "A & B", "A and B", "A/B", "A @ B" (one part for a street)."""
    return [part for part in _SEPARATORS.split(text.strip()) if part.strip()]


@dataclass(frozen=True, slots=True)
class Geocoded:
    """Where an address text is on the map, with the canonical address text."""

    lat: float
    lon: float
    address: str
    kind: Literal["street", "intersection"]
    node_id: int  # OSM id of the node the answer sits on


@dataclass(frozen=True, slots=True)
class _Street:
    """All map names with one key ("Baker St" and "Baker Street" are one street)."""

    key: str
    display: str
    nodes: IntArray  # sorted node indices


class Gazetteer:
    """Street names of a :class:`RoadNetwork`, for geocoding and reverse geocoding."""

    def __init__(self, network: RoadNetwork, xy: FloatArray) -> None:
        self._network = network
        self._xy = xy
        streets = _streets_of(network)
        self._by_key: dict[str, _Street] = {s.key: s for s in streets}
        by_base: defaultdict[str, list[_Street]] = defaultdict(list)
        for street in streets:
            by_base[base_of(street.key)].append(street)
        self._by_base = dict(by_base)
        # nodes where streets of two or more different keys meet
        per_node: defaultdict[int, list[str]] = defaultdict(list)
        for street in streets:
            for node in street.nodes.tolist():
                per_node[node].append(street.display)
        self.corner_nodes = np.array(
            sorted(n for n, names in per_node.items() if len(names) >= 2), dtype=np.int64
        )
        self._corner_names = {int(n): sorted(per_node[int(n)]) for n in self.corner_nodes}
        self._corner_tree = cKDTree(xy[self.corner_nodes]) if self.corner_nodes.size else None

    def geocode(self, text: str) -> Geocoded | None:
        """Find a street ("Main St") or an intersection ("Main St & Mission St")."""
        parts = split_intersection(text)
        if len(parts) == 1:
            choices = self._lookup(parts[0])
            return self._street_point(choices[0]) if choices else None
        if len(parts) != 2:
            return None
        first, second = self._lookup(parts[0]), self._lookup(parts[1])
        # with several readings of a short name ("Funston"), the first pair that meets
        for a in first:
            for b in second:
                if a.key == b.key:
                    continue
                shared = np.intersect1d(a.nodes, b.nodes, assume_unique=True)
                if shared.size:
                    ids = self._network.node_id[shared]
                    node = int(shared[int(np.argmin(ids))])  # lowest OSM id: deterministic
                    return self._answer(node, f"{a.display} & {b.display}", "intersection")
        return None

    def name_indices(self, text: str) -> IntArray:
        """Indices in the network's ``names`` of the street(s) ``text`` names."""
        wanted = {s.key for s in self._lookup(text)}
        if not wanted:
            return np.zeros(0, dtype=np.int64)
        return np.array(
            [i for i, name in enumerate(self._network.names) if normalise(name) in wanted],
            dtype=np.int64,
        )

    def nearest_corner(self, point_xy: FloatArray, radius_m: float) -> int | None:
        """The corner node nearest a projected point, if within ``radius_m``."""
        if self._corner_tree is None:
            return None
        distance, i = self._corner_tree.query(point_xy)
        if distance > radius_m:
            return None
        return int(self.corner_nodes[int(i)])

    def corner_name(self, node: int, street: str) -> str:
        """ "A & B" for a corner node, with ``street`` (the snapped street) first if there."""
        names = self._corner_names[node]
        if street in names:
            other = next(n for n in names if n != street)
            return f"{street} & {other}"
        return f"{names[0]} & {names[1]}"

    def _lookup(self, part: str) -> list[_Street]:
        key = normalise(part)
        if not key:
            return []
        exact = self._by_key.get(key)
        if exact is not None:
            return [exact]
        return sorted(self._by_base.get(base_of(key), []), key=lambda s: s.display)

    def _street_point(self, street: _Street) -> Geocoded:
        # the street's node nearest the centroid of its nodes: on the street, central
        points = self._xy[street.nodes]
        gap = points - points.mean(axis=0)
        node = int(street.nodes[int(np.argmin(np.hypot(gap[:, 0], gap[:, 1])))])
        return self._answer(node, street.display, "street")

    def _answer(self, node: int, address: str, kind: Literal["street", "intersection"]) -> Geocoded:
        net = self._network
        return Geocoded(
            float(net.lat[node]), float(net.lon[node]), address, kind, int(net.node_id[node])
        )


def _streets_of(network: RoadNetwork) -> list[_Street]:
    """Group named arcs by name key; the display name is the key's most used spelling."""
    nodes_by_key: defaultdict[str, list[IntArray]] = defaultdict(list)
    uses: defaultdict[str, dict[str, int]] = defaultdict(dict)
    names = network.names
    counts = np.bincount(network.arc_name, minlength=len(names))
    # group arcs by name with one sort instead of one mask per name
    order = np.argsort(network.arc_name, kind="stable")
    bounds = np.searchsorted(network.arc_name[order], np.arange(len(names) + 1))
    for index, name in enumerate(names):
        key = normalise(name) if counts[index] else ""
        if not key:
            continue
        arcs = order[bounds[index] : bounds[index + 1]]
        nodes_by_key[key].append(network.arc_from[arcs])
        nodes_by_key[key].append(network.arc_to[arcs])
        uses[key][name] = int(counts[index])
    streets = []
    for key in sorted(nodes_by_key):
        display = min(uses[key].items(), key=lambda item: (-item[1], item[0]))[0]
        streets.append(_Street(key, display, np.unique(np.concatenate(nodes_by_key[key]))))
    return streets


def distinct(names: Iterable[str]) -> list[str]:
    """Names without consecutive repeats or blanks (the "via" list of a route)."""
    out: list[str] = []
    for name in names:
        if name and (not out or out[-1] != name):
            out.append(name)
    return out
