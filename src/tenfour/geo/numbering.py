"""House numbers along streets: an exact address point, else interpolated between the
known numbers on either side, else extrapolated along the street past the last one.

Known numbers come from address points (one house) and block points (the 500 block
holds 500-599, its point stands for the middle, 550). Each is tied to its street by
name and placed on it (the nearest point of that street). For a house number the
known numbers of the same parity, the same side of the street in US and UK numbering,
are used first, and their offset from the centre line is kept, so the answer falls
on the right side too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from tenfour.geo.addresses import BLOCK, POINT, Places
from tenfour.geo.geocoding import Gazetteer, Street
from tenfour.geo.streets import Position, StreetLine, along, length_of

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

# An address point farther than this from its street is not on that street.
MAX_OFFSET_M: Final = 150.0
# Extrapolation that would run past the street's mapped end by more than this fails.
MAX_OVERRUN_M: Final = 120.0
# Metres per house number where a street has a single known number (100 per block).
DEFAULT_M_PER_NUMBER: Final = 1.1
# Which end of a street its numbers start at must be this much clearer than the other.
GUESS_MARGIN_M: Final = 60.0
BLOCK_SIZE: Final = 100
# A parallel street farther than this says nothing of a street's numbers.
ALIGN_MAX_M: Final = 350.0


@dataclass(frozen=True, slots=True, eq=False)
class Known:
    """The known numbers of one street, sorted by the number they stand for."""

    number: IntArray  # the number each stands for (a block: its middle)
    raw: IntArray  # as given (a block: its first number)
    kind: IntArray
    positions: tuple[Position, ...]
    snapped: FloatArray  # (n, 2) on the centre line
    offset: FloatArray  # (n, 2) from the centre line to the point


@dataclass(frozen=True, slots=True, eq=False)
class Placed:
    """A house number or block placed on a street."""

    xy: FloatArray
    kind: Literal["point", "interpolated", "block"]
    confidence: float
    note: str
    others: tuple[FloatArray, ...] = ()  # other places it may be (direction unknown)


class Numbering:
    """Known house numbers of a map's streets, placed on their streets."""

    def __init__(
        self,
        places: Places,
        gazetteer: Gazetteer,
        line_of: Callable[[Street], StreetLine],
        xy: FloatArray,
    ) -> None:
        self._places = places
        self._line_of = line_of
        self._xy = xy  # (n, 2) projected address points
        self._known: dict[int, Known] = {}
        self._streets: dict[int, Street] = {}
        self._axes: dict[int, tuple[FloatArray, FloatArray, FloatArray]] = {}
        rows_by_street: dict[int, list[int]] = {}
        by_text: dict[str, list[int]] = {}
        for row, name in enumerate(places.street):
            by_text.setdefault(name, []).append(row)
        self.unmatched = 0  # rows whose street is not on the map
        for name, rows in by_text.items():
            candidates = [s for s, score in gazetteer.lookup(name) if score >= 0.95]
            if not candidates:
                self.unmatched += len(rows)
                continue
            chosen = self._nearest_street(candidates, np.asarray(rows, dtype=np.int64))
            for row, street in chosen:
                if street is None:
                    self.unmatched += 1
                else:
                    rows_by_street.setdefault(street.index, []).append(row)
                    self._streets[street.index] = street
        self._rows = {s: np.asarray(r, dtype=np.int64) for s, r in rows_by_street.items()}

    def without(self, rows: IntArray) -> Numbering:
        """The same numbers less the address rows ``rows`` (leave-one-out evaluation):
        no street is looked up again, only the streets that lose a row are placed again."""
        drop = set(np.asarray(rows).tolist())
        other = object.__new__(Numbering)
        other._places = self._places
        other._line_of = self._line_of
        other._xy = self._xy
        other.unmatched = self.unmatched
        other._streets = self._streets
        other._axes = self._axes
        other._rows = {}
        other._known = {}
        for street, here in self._rows.items():
            kept = here[~np.isin(here, list(drop))] if drop else here
            if kept.size != here.size:
                other._rows[street] = kept
            else:
                other._rows[street] = here
                if street in self._known:
                    other._known[street] = self._known[street]
        return other

    @property
    def matched(self) -> int:
        """Address rows placed on a street of the map."""
        return sum(r.size for r in self._rows.values())

    def rows_on(self, street: Street) -> IntArray:
        return self._rows.get(street.index, np.zeros(0, dtype=np.int64))

    def _nearest_street(
        self, candidates: list[Street], rows: IntArray
    ) -> list[tuple[int, Street | None]]:
        best = np.full(rows.size, MAX_OFFSET_M)
        choice: list[Street | None] = [None] * rows.size
        for street in candidates:
            _, _, distance = self._line_of(street).snap(self._xy[rows])
            for i in np.flatnonzero(distance <= best).tolist():
                best[i] = distance[i]
                choice[i] = street
        return list(zip(rows.tolist(), choice, strict=True))

    def known(self, street: Street) -> Known | None:
        """The known numbers of ``street`` (placed on it on first use, then kept)."""
        if street.index in self._known:
            return self._known[street.index]
        rows = self.rows_on(street)
        if rows.size == 0:
            return None
        places = self._places
        kind = places.kind[rows]
        raw = places.number[rows]
        number = np.where(kind == BLOCK, raw // BLOCK_SIZE * BLOCK_SIZE + BLOCK_SIZE // 2, raw)
        order = np.lexsort((raw, number))
        rows, kind, raw, number = rows[order], kind[order], raw[order], number[order]
        positions, snapped, _ = self._line_of(street).snap(self._xy[rows])
        known = Known(number, raw, kind, tuple(positions), snapped, self._xy[rows] - snapped)
        self._known[street.index] = known
        return known

    def place(self, street: Street, number: int, *, block: bool) -> Placed | str:
        """Where ``number`` (or its block) is on ``street``, or why it cannot be said."""
        known = self.known(street)
        name = street.display
        if known is None:
            aligned = self._aligned(street, number, block)
            return aligned if aligned is not None else f"no house numbers are known on {name}"
        line = self._line_of(street)
        if block:
            first = number // BLOCK_SIZE * BLOCK_SIZE
            own = np.flatnonzero((known.kind == BLOCK) & (known.raw == first))
            if own.size:
                return Placed(known.snapped[own].mean(axis=0) + known.offset[own].mean(axis=0),
                              "block", 0.95, f"the {first} block's point")  # fmt: skip
            inside = np.flatnonzero(
                (known.kind == POINT) & (known.raw >= first) & (known.raw < first + BLOCK_SIZE)
            )
            if inside.size:
                middle = known.snapped[inside].mean(axis=0)
                return Placed(middle, "block", 0.9, f"the middle of {inside.size} addresses")
            target = first + BLOCK_SIZE // 2
        else:
            exact = np.flatnonzero((known.kind == POINT) & (known.raw == number))
            if exact.size:
                xy = known.snapped[exact].mean(axis=0) + known.offset[exact].mean(axis=0)
                return Placed(xy, "point", 1.0, "an address point")
            target = number
        found = self._between(line, known, target, parity=None if block else number % 2, name=name)
        if isinstance(found, Placed) and found.confidence >= 0.6:
            return found
        # a guess, or nothing: the same number on a parallel street nearby may say more
        aligned = self._aligned(street, number, block)
        return aligned if aligned is not None else found

    def _aligned(self, street: Street, number: int, block: bool) -> Placed | None:
        """``number`` placed on a parallel street with known numbers on both sides of it,
        then carried across onto ``street``: in a grid, parallel streets share their
        hundreds between the same cross streets."""
        target = number // BLOCK_SIZE * BLOCK_SIZE + BLOCK_SIZE // 2 if block else number
        line = self._line_of(street)
        if line.a.size == 0:
            return None
        _centre, direction, box = self._axis(street)
        best: tuple[float, FloatArray, str] | None = None
        for index, other in self._streets.items():
            if index == street.index:
                continue
            _other_centre, other_direction, other_box = self._axis(other)
            if abs(float(np.dot(direction, other_direction))) < 0.95:
                continue  # not parallel
            if _box_gap(box, other_box) > ALIGN_MAX_M:
                continue
            known = self.known(other)
            if known is None:
                continue
            placed = self._between(self._line_of(other), known, target, None, other.display)
            if isinstance(placed, str) or placed.confidence < 0.5:
                continue  # the neighbour itself only guesses
            there = placed.xy
            _, snapped, distance = line.snap(there[None, :])
            across = snapped[0] - there
            size = float(np.hypot(*across))
            if distance[0] > ALIGN_MAX_M or (
                size > 1 and abs(float(np.dot(across / size, direction))) > 0.5
            ):
                continue  # not straight across: the street does not reach that far
            if best is None or distance[0] < best[0]:
                best = (float(distance[0]), snapped[0], other.display)
        if best is None:
            return None
        return Placed(best[1], "interpolated", 0.5, f"across from {target} {best[2]}")

    def _axis(self, street: Street) -> tuple[FloatArray, FloatArray, FloatArray]:
        """A street's centre, main direction (unit vector) and bounding box."""
        axis = self._axes.get(street.index)
        if axis is None:
            line = self._line_of(street)
            points = line.xy[line.nodes] if line.nodes.size else np.zeros((1, 2))
            centre = points.mean(axis=0)
            if points.shape[0] >= 2:
                _, _, vt = np.linalg.svd(points - centre, full_matrices=False)
                direction = vt[0]
            else:
                direction = np.array([1.0, 0.0])
            box = np.concatenate([points.min(axis=0), points.max(axis=0)])
            axis = (centre, direction, box)
            self._axes[street.index] = axis
        return axis

    def _between(
        self, line: StreetLine, known: Known, target: int, parity: int | None, name: str
    ) -> Placed | str:
        usable = np.ones(known.number.size, dtype=bool)
        if parity is not None:
            same_side = (known.kind == BLOCK) | (known.raw % 2 == parity)
            below, above = known.number < target, known.number > target
            if (same_side & below).any() and (same_side & above).any():
                usable = same_side
        idx = np.flatnonzero(usable)
        numbers = known.number[idx]
        equal = idx[numbers == target]
        if equal.size:
            i = int(equal[0])
            return Placed(known.snapped[i] + known.offset[i], "block", 0.85,
                          f"the point of the {known.raw[i]} block")  # fmt: skip
        lower = idx[numbers < target]
        upper = idx[numbers > target]
        if lower.size and upper.size:
            return self._interpolate(line, known, int(lower[-1]), int(upper[0]), target)
        side = lower[::-1] if lower.size else upper  # nearest first
        distinct = [int(side[0])]
        for i in side[1:].tolist():
            if known.number[i] != known.number[distinct[0]]:
                distinct.append(i)
                break
        if len(distinct) == 2:
            return self._extrapolate(line, known, distinct[0], distinct[1], target, name)
        return self._guess(line, known, distinct[0], target, name)

    def _interpolate(self, line: StreetLine, known: Known, lo: int, hi: int, target: int) -> Placed:
        fraction = (target - known.number[lo]) / (known.number[hi] - known.number[lo])
        way = _sensible(line.way(known.positions[lo], known.positions[hi]), known, lo, hi)
        offset = known.offset[lo] + fraction * (known.offset[hi] - known.offset[lo])
        gap = int(known.number[hi] - known.number[lo])
        confidence = 0.85 if gap <= 4 * BLOCK_SIZE else 0.7
        note = f"between {_label(known, lo)} and {_label(known, hi)}"
        return Placed(along(way, float(fraction)) + offset, "interpolated", confidence, note)

    def _extrapolate(
        self, line: StreetLine, known: Known, near: int, far: int, target: int, name: str
    ) -> Placed | str:
        way = _sensible(line.way(known.positions[far], known.positions[near]), known, far, near)
        if length_of(way) < 1.0:
            return self._guess(line, known, near, target, name)
        rate = length_of(way) / abs(float(known.number[near] - known.number[far]))
        steps = np.diff(way, axis=0)
        moving = np.flatnonzero(np.hypot(*steps.T) > 1e-6)
        heading = steps[moving[-1]]  # the way's last direction, to go on in
        distance = abs(target - float(known.number[near])) * rate
        walked = line.walk(known.snapped[near], known.positions[near], heading, distance)
        if walked.short_m > MAX_OVERRUN_M:
            return f"number {target} is beyond the mapped part of {name}"
        # a short way past the last known number is likelier right than a long one
        confidence = 0.6 if abs(target - int(known.number[near])) <= 2 * BLOCK_SIZE else 0.5
        confidence = confidence if walked.short_m == 0 else 0.45
        note = f"extrapolated from {_label(known, far)} and {_label(known, near)}"
        return Placed(walked.xy + known.offset[near], "interpolated", confidence, note)

    def _guess(
        self, line: StreetLine, known: Known, only: int, target: int, name: str
    ) -> Placed | str:
        # one known number: about 100 numbers a block, and numbers start at one end of
        # the street, so the end about ``number`` metres-worth away is where they start
        number = float(known.number[only])
        distance = abs(target - number) * DEFAULT_M_PER_NUMBER
        position = known.positions[only]
        direction = line.xy[position.b] - line.xy[position.a]
        start = known.snapped[only]
        to_end = [
            1e6 - line.walk(start, position, heading, 1e6).short_m
            for heading in (direction, -direction)
        ]
        miss = [abs(length - number * DEFAULT_M_PER_NUMBER) for length in to_end]
        ends = []
        for i, heading in enumerate((direction, -direction)):
            walked = line.walk(start, position, heading, distance)
            if walked.short_m <= MAX_OVERRUN_M:
                ends.append((i, walked.xy + known.offset[only]))
        if not ends:
            return f"number {target} is beyond the mapped part of {name}"
        note = f"{abs(target - int(number))} numbers from {_label(known, only)}, "
        if len(ends) == 1:
            return Placed(ends[0][1], "interpolated", 0.45, note + "the only way the street goes")
        if abs(miss[0] - miss[1]) > GUESS_MARGIN_M:
            toward_start = int(np.argmin(miss))
            way = toward_start if target < number else 1 - toward_start
            chosen = next(xy for i, xy in ends if i == way)
            return Placed(chosen, "interpolated", 0.45, note + "counted from the street's start")
        return Placed(ends[0][1], "interpolated", 0.3, note + "direction unknown",
                      (ends[1][1],))  # fmt: skip


def _sensible(way: FloatArray | None, known: Known, i: int, j: int) -> FloatArray:
    """The way along the street between two known numbers, or the straight line
    between them where the street's parts do not meet nearby (a dual carriageway
    joined only at its far end would send the way kilometres round)."""
    chord = np.stack([known.snapped[i], known.snapped[j]])
    if way is None or length_of(way) > 1.5 * length_of(chord) + 50.0:
        return chord
    return way


def _box_gap(a: FloatArray, b: FloatArray) -> float:
    """Distance between two boxes (min x, min y, max x, max y); 0 when they overlap."""
    dx = max(0.0, float(b[0] - a[2]), float(a[0] - b[2]))
    dy = max(0.0, float(b[1] - a[3]), float(a[1] - b[3]))
    return float(np.hypot(dx, dy))


def _label(known: Known, i: int) -> str:
    if known.kind[i] == BLOCK:
        return f"the {int(known.raw[i])} block"
    return str(int(known.raw[i]))
