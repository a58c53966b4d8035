"""The geocoder a call-taker types into: a text in, the place on the map out, with how
it was found, how sure that is, and the other readings when it is ambiguous.

Forms read (see :mod:`tenfour.geo.parsing`): coordinates ("@37.79,-122.40"), house
numbers ("523 Mission St"), blocks ("500 Block of MISSION ST", "5XX Mission"),
intersections ("MISSION ST/01ST ST", "Mission & 1st", "corner of Mission and First"),
a street between two others ("Market St between 4th and 5th"), named places and
their aliases ("Ferry Building", "the food truck by the Ferry Building"), and bare
streets, which are answered as ambiguous with their extent. Anything off the map is
refused with the reason.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Final

import numpy as np
from numpy.typing import NDArray

from tenfour.geo.addresses import BLOCK, Place, Places
from tenfour.geo.errors import GeocodeError
from tenfour.geo.geocoding import Gazetteer, Geocoded, Street, check_query
from tenfour.geo.numbering import BLOCK_SIZE, Numbering, Placed
from tenfour.geo.osm import RoadNetwork
from tenfour.geo.parsing import Parsed, clean, normalise, parse
from tenfour.geo.places import PlaceIndex, place_key
from tenfour.geo.projection import LocalProjection
from tenfour.geo.streets import StreetLine, along
from tenfour.geo.values import Bounds, Snap

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Two answers farther apart than this are different places (ambiguity).
DISTINCT_M: Final = 150.0
# Streets that cross without a shared node still meet if they pass this close.
NEAR_MEET_M: Final = 40.0
# Shared nodes of two streets within this of each other are one intersection.
ONE_CORNER_M: Final = 80.0
# Reverse geocoding: how far to look for an address and for a corner.
ADDRESS_RADIUS_M: Final = 150.0
CORNER_NEAR_M: Final = 250.0


class Geocoder:
    """Address texts to points on one map, and points to words."""

    def __init__(
        self,
        *,
        network: RoadNetwork,
        projection: LocalProjection,
        gazetteer: Gazetteer,
        line_of: Callable[[Street], StreetLine],
        snap: Callable[[float, float], Snap],
        places: Places,
    ) -> None:
        self._net = network
        self._projection = projection
        self.gazetteer = gazetteer
        self._line_of = line_of
        self._snap = snap
        self.places = places
        xy = projection.to_xy(places.lat, places.lon) if len(places) else np.zeros((0, 2))
        self.numbering = Numbering(places, gazetteer, line_of, xy)
        self.named = PlaceIndex(places.named)

    def without_addresses(self, rows: IntArray) -> Geocoder:
        """This geocoder less the address points ``rows`` (leave-one-out evaluation)."""
        other = copy.copy(self)
        other.numbering = self.numbering.without(rows)
        return other

    # ---- text to place -------------------------------------------------------------

    def locate(self, text: str) -> Geocoded:
        """The best reading of ``text``; raises :class:`GeocodeError` with the reason
        when there is none, :class:`OutsideMapError` for coordinates off the map."""
        check_query(text)
        whole = clean(text)
        key = normalise(whole)
        if key and (self.gazetteer.street(key) or place_key(whole) in self.named):
            # a name on the map as it stands ("Pier 45", "Fort Mason 10"), not a number
            found = self._free(whole)
            if found is not None:
                return found
        readings = parse(text)
        reasons: list[str] = []
        for reading in readings:
            found = self._read(reading, reasons)
            if found is not None:
                return found
        reason = reasons[0] if reasons else f"no street, intersection or place {text!r} on the map"
        raise GeocodeError(reason)

    def _read(self, reading: Parsed, reasons: list[str]) -> Geocoded | None:
        if reading.form == "coordinates":
            assert reading.lat is not None and reading.lon is not None
            return self._at(reading.lat, reading.lon)
        if reading.form == "house" or reading.form == "block":
            assert reading.number is not None
            return self._numbered(reading.streets[0], reading.number, reading.block, reasons)
        if reading.form == "intersection":
            return self._intersection(*reading.streets, reasons=reasons)
        if reading.form == "between":
            return self._between(*reading.streets, reasons=reasons)
        return self._free(reading.streets[0])

    def _at(self, lat: float, lon: float) -> Geocoded:
        snap = self._snap(lat, lon)  # OutsideMapError when off the map
        label = self.describe(lat, lon, snap=snap)
        return Geocoded(lat, lon, label, "point", confidence=1.0, note="coordinates")

    def _numbered(self, text: str, number: int, block: bool, reasons: list[str]) -> Geocoded | None:
        streets = self.gazetteer.lookup(text)
        if not streets:
            reasons.append(f"no street {text.strip()!r} on the map")
            return None
        answers: list[Geocoded] = []
        why: list[str] = []
        for street, score in streets:
            placed = self.numbering.place(street, number, block=block)
            if isinstance(placed, str):
                why.append(placed)
                continue
            answers += self._numbered_answers(street, score, number, block, placed)
        if not answers:
            reasons.append(why[0])
            # a number nobody can place: the street, ambiguous, says so
            best_street, score = streets[0]
            return replace(self._street(best_street, score), note=why[0])
        return _pick(answers)

    def _numbered_answers(
        self, street: Street, score: float, number: int, block: bool, placed: Placed
    ) -> list[Geocoded]:
        first = number // BLOCK_SIZE * BLOCK_SIZE
        label = f"{first} block of {street.display}" if block else f"{number} {street.display}"
        out = []
        for i, xy in enumerate((placed.xy, *placed.others)):
            lat, lon = self._projection.to_latlon(np.asarray(xy, dtype=np.float64)[None, :])
            out.append(
                Geocoded(
                    float(lat[0]),
                    float(lon[0]),
                    label,
                    placed.kind,
                    confidence=placed.confidence * score * (1.0 if i == 0 else 0.9),
                    note=placed.note,
                )
            )
        return out

    def _intersection(self, first: str, second: str, *, reasons: list[str]) -> Geocoded | None:
        a_streets, b_streets = self.gazetteer.lookup(first), self.gazetteer.lookup(second)
        for part, found in ((first, a_streets), (second, b_streets)):
            if not found:
                reasons.append(f"no street {part.strip()!r} on the map")
                return None
        answers: list[Geocoded] = []
        for a, score_a in a_streets:
            for b, score_b in b_streets:
                if a.key != b.key:
                    answers += self._corners(a, b, score_a * score_b)
        if not answers:
            names = f"{a_streets[0][0].display} and {b_streets[0][0].display}"
            reasons.append(f"{names} do not meet on the map")
            return None
        return _pick(answers)

    def _corners(self, a: Street, b: Street, score: float) -> list[Geocoded]:
        label = f"{a.display} & {b.display}"
        shared = self.gazetteer.meeting_nodes(a, b)
        net = self._net
        if shared.size == 0:
            near = self.gazetteer.nearest_approach(a, b, NEAR_MEET_M)
            if near is None:
                return []
            node, _ = near
            return [Geocoded(float(net.lat[node]), float(net.lon[node]), label, "intersection",
                             int(net.node_id[node]), 0.75 * score, note="the streets pass close")]  # fmt: skip
        # shared nodes close together are one corner (a dual carriageway crossing)
        xy = self._projection.to_xy(net.lat[shared], net.lon[shared])
        ids = net.node_id[shared]
        left = list(np.argsort(ids, kind="stable").tolist())  # lowest OSM id first: deterministic
        out = []
        while left:
            seed = left[0]
            group = [i for i in left if np.hypot(*(xy[i] - xy[seed])) <= ONE_CORNER_M]
            centre = xy[group].mean(axis=0)
            node = int(shared[min(group, key=lambda i: (np.hypot(*(xy[i] - centre)), ids[i]))])
            out.append(
                Geocoded(
                    float(net.lat[node]),
                    float(net.lon[node]),
                    label,
                    "intersection",
                    int(net.node_id[node]),
                    0.95 * score,
                )
            )
            left = [i for i in left if i not in group]
        return out

    def _between(self, street: str, one: str, other: str, *, reasons: list[str]) -> Geocoded | None:
        ends = []
        for cross in (one, other):
            corner = self._intersection(street, cross, reasons=reasons)
            if corner is None:
                return None
            ends.append(corner)
        main = self.gazetteer.lookup(street)[0][0]
        line = self._line_of(main)
        points = self._projection.to_xy([e.lat for e in ends], [e.lon for e in ends])
        positions, _, _ = line.snap(points)
        way = line.way(positions[0], positions[1])
        middle = along(way if way is not None else points, 0.5)
        lat, lon = self._projection.to_latlon(middle[None, :])
        names = [e.address.split(" & ", 1)[1] for e in ends]
        label = f"{main.display} between {names[0]} and {names[1]}"
        confidence = min(e.confidence for e in ends)
        return Geocoded(float(lat[0]), float(lon[0]), label, "block", confidence=confidence)

    def _free(self, text: str) -> Geocoded | None:
        key = normalise(text)
        places = self.named.lookup(text)
        streets = self.gazetteer.lookup(text) if key else []
        exact_street = bool(streets) and streets[0][1] == 1.0
        # a place named exactly wins; else the likelier of place and street
        if (
            places
            and (places[0][1] >= 0.97 or not exact_street)
            and (not streets or places[0][1] >= streets[0][1] - 0.05)
        ):
            return self._place_answer(places)
        if streets:
            best, score = streets[0]
            answer = self._street(best, score)
            others = tuple(self._street(s, sc) for s, sc in streets[1:4])
            return replace(answer, alternatives=others) if others else answer
        return None

    def _place_answer(self, places: list[tuple[Place, float]]) -> Geocoded:
        answers = [
            Geocoded(p.lat, p.lon, p.name, "place", confidence=score, note=p.address or p.category)
            for p, score in places[:5]
        ]
        return _pick(answers)

    def _street(self, street: Street, score: float) -> Geocoded:
        """A whole street: ambiguous, its point only the middle of its extent."""
        net = self._net
        nodes = street.nodes
        xy = self._projection.to_xy(net.lat[nodes], net.lon[nodes])
        gap = xy - xy.mean(axis=0)
        node = int(nodes[int(np.argmin(np.hypot(gap[:, 0], gap[:, 1])))])
        extent = Bounds(
            float(net.lat[nodes].min()), float(net.lon[nodes].min()),
            float(net.lat[nodes].max()), float(net.lon[nodes].max()),
        )  # fmt: skip
        length_km = self._line_of(street).total_m / 1000
        note = (
            f"the whole of {street.display} ({length_km:.1f} km): "
            "give a house number, a block or a cross street"
        )
        return Geocoded(
            float(net.lat[node]), float(net.lon[node]), street.display, "street",
            int(net.node_id[node]), round(0.3 * score, 3), True, (), extent, note,
        )  # fmt: skip

    # ---- point to words --------------------------------------------------------------

    def describe(self, lat: float, lon: float, *, snap: Snap | None = None) -> str:
        """ "523 Mission Street, near Mission Street & 1st Street": the nearest known
        address or block on the street at the point, and the nearest corner."""
        snap = snap or self._snap(lat, lon)
        point = self._projection.to_xy(lat, lon)[0]
        street_name = snap.street
        address = ""
        streets = self.gazetteer.lookup(street_name) if street_name else []
        if streets and streets[0][1] == 1.0:
            street = streets[0][0]
            known = self.numbering.known(street)
            if known is not None:
                spots = known.snapped + known.offset
                distance = np.hypot(*(spots - point).T)
                i = int(np.argmin(distance))
                if distance[i] <= ADDRESS_RADIUS_M:
                    raw = int(known.raw[i])
                    kind = int(known.kind[i])
                    name = street.display
                    address = f"{raw} block of {name}" if kind == BLOCK else f"{raw} {name}"
        corner = self.gazetteer.nearest_corner(point, CORNER_NEAR_M)
        corner_name = self.gazetteer.corner_name(corner, street_name) if corner is not None else ""
        head = address or street_name or "unnamed road"
        return f"{head}, near {corner_name}" if corner_name else head

    # ---- as you type -------------------------------------------------------------------

    def suggest(self, text: str, limit: int = 5) -> list[Geocoded]:
        """Up to ``limit`` answers for a text still being typed, best first."""
        check_query(text)
        from tenfour.geo.suggest import suggestions

        return suggestions(self, text, limit)


def _pick(answers: list[Geocoded]) -> Geocoded:
    """The best answer; ambiguous, with the others, when another as likely is elsewhere."""
    ranked = sorted(answers, key=lambda a: -a.confidence)
    best = ranked[0]
    others = [
        a for a in ranked[1:]
        if a.confidence >= 0.8 * best.confidence and _apart(a, best) > DISTINCT_M
    ]  # fmt: skip
    if not others:
        return best
    return replace(best, ambiguous=True, alternatives=tuple(others[:4]))


def _apart(a: Geocoded, b: Geocoded) -> float:
    from tenfour.geo.projection import haversine_m

    return float(haversine_m(a.lat, a.lon, b.lat, b.lon))
