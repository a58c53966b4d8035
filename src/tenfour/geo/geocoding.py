"""Street names of a map: finding a street by what was typed, where two streets meet,
and the corners a point is near.

A street is every named road segment with one name key (``"Baker St"`` and ``"Baker
Street"`` are one street; see :func:`tenfour.geo.parsing.normalise`). A typed name is
looked up exactly, then without its street type ("Main" for "Main Street"), then with
fuzzy matching (rapidfuzz) for typos ("Misson St"), never changing a digit: "1st
Street" is no typo of "21st Street".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from scipy.spatial import cKDTree

from tenfour.geo.errors import GeocodeError
from tenfour.geo.osm import RoadNetwork
from tenfour.geo.parsing import base_of, normalise, tokens_of
from tenfour.geo.values import Bounds

__all__ = ["Gazetteer", "Geocoded", "Kind", "Street", "base_of", "check_query", "normalise"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

MAX_QUERY_CHARS: Final = 200
# rapidfuzz ratio (0-100) from which a name is taken for a misspelling of another
FUZZY_CUTOFF: Final = 86.0
# shorter names are matched exactly only: "Bay" is not a typo of "Day"
FUZZY_MIN_CHARS: Final = 5

Kind = Literal["point", "interpolated", "block", "intersection", "place", "street"]


def check_query(text: object) -> None:
    """Raise :class:`GeocodeError` for a text that cannot be an address at all."""
    if not isinstance(text, str) or not text.strip():
        raise GeocodeError("address text is empty")
    if len(text) > MAX_QUERY_CHARS:
        raise GeocodeError(f"address text is longer than {MAX_QUERY_CHARS} characters")


@dataclass(frozen=True, slots=True)
class Geocoded:
    """Where an address text is on the map, how it was found and how sure that is.

    ``kind`` is how it was found: ``point`` (an address point, or coordinates),
    ``interpolated`` (between or beyond known house numbers), ``block``,
    ``intersection``, ``place`` or ``street``. A bare street is ``ambiguous``: its
    point is only the middle of its ``extent``, never where the caller is. When an
    answer is ambiguous, ``alternatives`` holds the other readings.
    """

    lat: float
    lon: float
    address: str
    kind: Kind
    node_id: int = -1  # OSM id of the node the answer sits on (intersections, streets)
    confidence: float = 1.0
    ambiguous: bool = False
    alternatives: tuple[Geocoded, ...] = ()
    extent: Bounds | None = None
    note: str = ""  # how it was placed, for the call-taker ("between 400 and 600 ...")

    def as_json(self) -> dict[str, object]:
        """The answer as plain JSON (the API's suggestion and geocode bodies)."""
        out: dict[str, object] = {
            "label": self.address,
            "lat": round(self.lat, 7),
            "lon": round(self.lon, 7),
            "match": self.kind,
            "confidence": round(self.confidence, 2),
            "ambiguous": self.ambiguous,
        }
        if self.note:
            out["note"] = self.note
        if self.extent is not None:
            e = self.extent
            out["extent"] = {"south": e.south, "west": e.west, "north": e.north, "east": e.east}
        if self.alternatives:
            out["alternatives"] = [a.as_json() for a in self.alternatives]
        return out


@dataclass(frozen=True, slots=True)
class Street:
    """All map names with one key; ``display`` is the key's most used spelling."""

    index: int
    key: str
    display: str
    nodes: IntArray  # sorted node indices
    names: tuple[int, ...] = field(default=())  # indices in the network's names


class Gazetteer:
    """Street names of a :class:`RoadNetwork`: lookup, intersections and corners."""

    def __init__(self, network: RoadNetwork, xy: FloatArray) -> None:
        self._network = network
        self._xy = xy
        self.streets = _streets_of(network)
        self._by_key: dict[str, Street] = {s.key: s for s in self.streets}
        by_base: defaultdict[str, list[Street]] = defaultdict(list)
        for street in self.streets:
            by_base[base_of(street.key)].append(street)
        self._by_base = dict(by_base)
        # for misspellings: each base, and the base as written ("first" for "1st")
        fuzzy: defaultdict[str, list[Street]] = defaultdict(list)
        for street in self.streets:
            for text in (base_of(street.key), base_of(" ".join(tokens_of(street.display)))):
                if street not in fuzzy[text]:
                    fuzzy[text].append(street)
        self._fuzzy_streets = dict(fuzzy)
        self._bases = list(fuzzy)
        self._base_digits = [_digits(b) for b in self._bases]
        # nodes where streets of two or more different keys meet
        per_node: defaultdict[int, list[int]] = defaultdict(list)
        for street in self.streets:
            for node in street.nodes.tolist():
                per_node[node].append(street.index)
        self._streets_at = {n: s for n, s in per_node.items() if len(s) >= 2}
        self.corner_nodes = np.array(sorted(self._streets_at), dtype=np.int64)
        self._corner_tree = cKDTree(xy[self.corner_nodes]) if self.corner_nodes.size else None

    # ---- streets by name ---------------------------------------------------------

    def street(self, key: str) -> Street | None:
        """The street with exactly this key."""
        return self._by_key.get(key)

    def lookup(self, part: str) -> list[tuple[Street, float]]:
        """Streets ``part`` may name, with a score (1 exact, 0.95 without its type,
        less for a misspelling), best first."""
        key = normalise(part)
        if not key:
            return []
        exact = self._by_key.get(key)
        if exact is not None:
            return [(exact, 1.0)]
        base = base_of(key)
        found = self._by_base.get(base)
        if found:
            # "Geary" alone: Geary Street and Geary Boulevard. A typed type the street
            # lacks ("16th St" for 16th Avenue) is a weaker reading, unless the street
            # has no type at all ("Broadway St" for Broadway).
            typed = key != base
            scored = [
                (s, 0.95 if not typed or s.key == base else 0.7)
                for s in sorted(found, key=lambda s: s.display)
            ]
            return sorted(scored, key=lambda pair: -pair[1])
        return self._fuzzy(key, base)

    def _fuzzy(self, key: str, base: str) -> list[tuple[Street, float]]:
        if len(base) < FUZZY_MIN_CHARS:
            return []
        digits = _digits(base)
        # a misspelling: close by Indel ratio, or one or two typing slips (a swap of two
        # letters is one: "Frist" for "First")
        slips = 1 if len(base) <= 7 else 2
        hits = process.extract(
            base, self._bases, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=5
        )
        for text, distance, i in process.extract(
            base, self._bases, scorer=OSA.distance, score_cutoff=slips, limit=5
        ):
            hits.append((text, 100.0 * (1 - distance / max(len(base), len(text))), i))
        out: list[tuple[Street, float]] = []
        seen: set[int] = set()
        for text, score, i in sorted(hits, key=lambda hit: -hit[1]):
            if i in seen:
                continue
            seen.add(i)
            if self._base_digits[i] != digits:
                continue
            streets = self._fuzzy_streets[text]
            # the typed type picks among streets sharing the base ("Misson St" -> Street)
            same_type = [s for s in streets if _type_of(s.key) == _type_of(key)]
            for street in same_type or streets:
                out.append((street, 0.9 * score / 100))
        out.sort(key=lambda pair: (-pair[1], pair[0].display))
        return out

    def fuzzy_bases(self, text: str, limit: int) -> list[tuple[Street, float]]:
        """Streets whose base is most like ``text`` (autocomplete of a misspelling)."""
        if len(text) < 3:
            return []
        out: list[tuple[Street, float]] = []
        for base, score, _ in process.extract(
            text, self._bases, scorer=fuzz.partial_ratio, score_cutoff=80, limit=limit
        ):
            out += [(s, score / 100 * 0.8) for s in self._fuzzy_streets[base]]
        return out

    # ---- where streets meet --------------------------------------------------------

    def meeting_nodes(self, a: Street, b: Street) -> IntArray:
        """Nodes the two streets share."""
        shared: IntArray = np.intersect1d(a.nodes, b.nodes, assume_unique=True)
        return shared

    def nearest_approach(self, a: Street, b: Street, within_m: float) -> tuple[int, float] | None:
        """The node of ``a`` nearest any node of ``b``, if within ``within_m`` (streets
        that cross without sharing a node: a bridge, a dual carriageway's gap)."""
        tree = cKDTree(self._xy[b.nodes])
        found, _ = tree.query(self._xy[a.nodes], distance_upper_bound=within_m)
        distance = np.atleast_1d(np.asarray(found, dtype=np.float64))
        i = int(np.argmin(distance))
        if not np.isfinite(distance[i]):
            return None
        return int(a.nodes[i]), float(distance[i])

    def streets_at(self, node: int) -> list[Street]:
        """The streets meeting at a corner node."""
        return [self.streets[i] for i in self._streets_at.get(node, [])]

    def crossing(self, street: Street) -> list[Street]:
        """The streets that meet ``street`` somewhere."""
        seen: dict[int, Street] = {}
        for node in street.nodes.tolist():
            for i in self._streets_at.get(node, []):
                if i != street.index:
                    seen[i] = self.streets[i]
        return sorted(seen.values(), key=lambda s: s.display)

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
        names = sorted(s.display for s in self.streets_at(node))
        if street in names:
            other = next(n for n in names if n != street)
            return f"{street} & {other}"
        return f"{names[0]} & {names[1]}"

    def name_indices(self, text: str) -> IntArray:
        """Indices in the network's ``names`` of the street(s) ``text`` names."""
        found = [s for s, score in self.lookup(text) if score >= 0.95]
        return np.array(sorted(i for s in found for i in s.names), dtype=np.int64)


def _type_of(key: str) -> str:
    """What :func:`base_of` leaves out of a key ("street" of "mission street")."""
    base = base_of(key)
    return key.replace(base, "", 1).strip()


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _streets_of(network: RoadNetwork) -> list[Street]:
    """Group named arcs by name key; the display name is the key's most used spelling."""
    nodes_by_key: defaultdict[str, list[IntArray]] = defaultdict(list)
    uses: defaultdict[str, dict[str, int]] = defaultdict(dict)
    names_of: defaultdict[str, list[int]] = defaultdict(list)
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
        names_of[key].append(index)
    streets: list[Street] = []
    for key in sorted(nodes_by_key):
        display = min(uses[key].items(), key=lambda item: (-item[1], item[0]))[0]
        nodes = np.unique(np.concatenate(nodes_by_key[key]))
        streets.append(Street(len(streets), key, display, nodes, tuple(names_of[key])))
    return streets


def distinct(names: Iterable[str]) -> list[str]:
    """Names without consecutive repeats or blanks (the "via" list of a route)."""
    out: list[str] = []
    for name in names:
        if name and (not out or out[-1] != name):
            out.append(name)
    return out
