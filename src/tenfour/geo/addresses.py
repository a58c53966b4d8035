"""Address points and named places as data: what a map knows beyond its streets.

:class:`Places` holds address points (a house number on a street, or a block's
representative point, the 500 block holding 500-599) and named places (a landmark,
a station, a park, with its aliases). They come from OpenAddresses-style CSV files
(``tenfour places import``), from the ``addr:*`` tags and named features of an OSM
extract (``tenfour map import``), and for the demo map from the files shipped next to
it. Reading a file never stops at a bad line: each one is skipped with an error that
names the line, the column and the reason.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from tenfour.geo.errors import MapError

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

POINT: Final = 0  # an address point: one house number
BLOCK: Final = 1  # a block's point: NUMBER is the block (500 holds 500-599)
KINDS: Final = {"point": POINT, "": POINT, "address": POINT, "block": BLOCK}
ADDRESS_COLUMNS: Final = ("LON", "LAT", "NUMBER", "STREET")
PLACE_COLUMNS: Final = ("NAME", "LAT", "LON")
_NUMBER: Final = re.compile(r"^\s*(\d{1,6})")
# How many line errors a file read keeps (all are counted).
MAX_ERRORS_KEPT: Final = 1000
_PROGRESS_EVERY: Final = 5000


@dataclass(frozen=True, slots=True)
class Place:
    """A named place: a landmark, a station, a park, a public building."""

    name: str
    lat: float
    lon: float
    category: str = ""
    aliases: tuple[str, ...] = ()
    address: str = ""
    origin: int = 0  # which source it came from (the map file's ``places_sources``)


@dataclass(frozen=True, slots=True, eq=False)  # arrays have no single truth value
class Places:
    """Address points (as arrays) and named places of one map."""

    lat: FloatArray
    lon: FloatArray
    number: IntArray
    kind: IntArray  # POINT or BLOCK
    street: tuple[str, ...]
    unit: tuple[str, ...]
    named: tuple[Place, ...] = ()
    origin: IntArray | None = None  # per address point, like Place.origin (None: all 0)

    @classmethod
    def empty(cls) -> Places:
        none = np.zeros(0)
        return cls(none, none, none.astype(np.int64), none.astype(np.int64), (), ())

    @property
    def origins(self) -> IntArray:
        """The source of each address point."""
        if self.origin is None:
            return np.zeros(len(self), dtype=np.int64)
        return self.origin

    def from_origin(self, origin: int) -> Places:
        """These places, all marked as coming from source ``origin``."""
        named = tuple(replace(p, origin=origin) for p in self.named)
        return replace(self, named=named, origin=np.full(len(self), origin, dtype=np.int64))

    def except_origin(self, origin: int) -> Places:
        """These places less those from source ``origin`` (a file imported again)."""
        rows = np.flatnonzero(self.origins == origin)
        kept = self.without(rows)
        return replace(kept, named=tuple(p for p in self.named if p.origin != origin))

    def __len__(self) -> int:
        return int(self.lat.size)

    def merged(self, other: Places) -> Places:
        """These places and ``other``'s; a place named in both is kept once (ours)."""
        names = {p.name.casefold() for p in self.named}
        return Places(
            np.concatenate([self.lat, other.lat]),
            np.concatenate([self.lon, other.lon]),
            np.concatenate([self.number, other.number]),
            np.concatenate([self.kind, other.kind]),
            self.street + other.street,
            self.unit + other.unit,
            self.named + tuple(p for p in other.named if p.name.casefold() not in names),
            np.concatenate([self.origins, other.origins]),
        )

    def subset(self, rows: IntArray) -> Places:
        """The address points ``rows`` only, with every named place."""
        idx = np.asarray(rows, dtype=np.int64)
        return Places(
            self.lat[idx], self.lon[idx], self.number[idx], self.kind[idx],
            tuple(self.street[i] for i in idx.tolist()), tuple(self.unit[i] for i in idx.tolist()),
            self.named, self.origins[idx],
        )  # fmt: skip

    def without(self, rows: IntArray) -> Places:
        """These places less the address points ``rows`` (leave-one-out evaluation)."""
        keep = np.ones(len(self), dtype=bool)
        keep[rows] = False
        return self.subset(np.flatnonzero(keep))


@dataclass(frozen=True, slots=True)
class LineError:
    """One line of a file that was skipped, and why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass(slots=True)
class ReadResult:
    """What reading a file gave: the places, and the lines skipped."""

    places: Places
    rows: int = 0
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0
    kind: Literal["addresses", "places"] = "addresses"

    def skip(self, error: LineError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(error)


def read_csv(path: str | Path, progress: Callable[[int], None] | None = None) -> ReadResult:
    """Read an OpenAddresses-style address file (LON, LAT, NUMBER, STREET, UNIT, CITY,
    POSTCODE; optional KIND ``point``/``block``) or a places file (NAME, LAT, LON;
    optional CATEGORY, ALIASES separated by ``;``, ADDRESS). Header names are
    case-insensitive. Raises :class:`MapError` when the file cannot be read at all."""
    path = Path(path)
    if not path.is_file():
        raise MapError(path, "file not found" if not path.exists() else "not a file")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise MapError(path, "file is empty")
            columns = {name.strip().upper(): i for i, name in enumerate(header)}
            if all(c in columns for c in ADDRESS_COLUMNS):
                return _read_addresses(reader, columns, progress)
            if all(c in columns for c in PLACE_COLUMNS):
                return _read_places(reader, columns, progress)
            missing = [c for c in ADDRESS_COLUMNS if c not in columns]
            raise MapError(
                path,
                f"the header has no {', '.join(missing)} column(s): an address file needs "
                f"{', '.join(ADDRESS_COLUMNS)}; a places file needs {', '.join(PLACE_COLUMNS)}",
            )
    except UnicodeDecodeError as exc:
        raise MapError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise MapError(path, f"not a CSV file ({exc})") from None


def _rows(
    reader: Iterable[list[str]], progress: Callable[[int], None] | None
) -> Iterator[tuple[int, list[str]]]:
    count = 0
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        count += 1
        if progress is not None and count % _PROGRESS_EVERY == 0:
            progress(count)
        yield line, row
    if progress is not None:
        progress(count)


def _cell(row: list[str], columns: dict[str, int], name: str) -> str:
    i = columns.get(name)
    return row[i].strip() if i is not None and i < len(row) else ""


def _coordinate(row: list[str], columns: dict[str, int], name: str, limit: float) -> float:
    text = _cell(row, columns, name)
    if not text:
        raise ValueError("is empty")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or abs(value) > limit:
        raise ValueError(f"{text!r} is not in -{limit:g}..{limit:g}")
    return value


def _read_addresses(
    reader: Iterable[list[str]], columns: dict[str, int], progress: Callable[[int], None] | None
) -> ReadResult:
    lat: list[float] = []
    lon: list[float] = []
    number: list[int] = []
    kind: list[int] = []
    street: list[str] = []
    unit: list[str] = []
    result = ReadResult(Places.empty())
    for line, row in _rows(reader, progress):
        result.rows += 1
        try:
            column = "LAT"
            y = _coordinate(row, columns, "LAT", 90.0)
            column = "LON"
            x = _coordinate(row, columns, "LON", 180.0)
            column = "NUMBER"
            text = _cell(row, columns, "NUMBER")
            found = _NUMBER.match(text)
            if not found:
                raise ValueError(f"{text!r} is not a house number" if text else "is empty")
            column = "STREET"
            name = _cell(row, columns, "STREET")
            if not name or not re.search(r"[A-Za-z\u00c0-\u024f]", name):
                raise ValueError(f"{name!r} is not a street name" if name else "is empty")
            column = "KIND"
            how = _cell(row, columns, "KIND").lower()
            if how not in KINDS:
                raise ValueError(f"{how!r} is not one of point, block")
        except ValueError as error:
            result.skip(LineError(line, column, str(error)))
            continue
        lat.append(y)
        lon.append(x)
        number.append(int(found.group(1)))
        kind.append(KINDS[how])
        street.append(name)
        unit.append(_cell(row, columns, "UNIT"))
    result.places = Places(
        np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64),
        np.asarray(number, dtype=np.int64), np.asarray(kind, dtype=np.int64),
        tuple(street), tuple(unit),
    )  # fmt: skip
    return result


def _read_places(
    reader: Iterable[list[str]], columns: dict[str, int], progress: Callable[[int], None] | None
) -> ReadResult:
    named: list[Place] = []
    result = ReadResult(Places.empty(), kind="places")
    for line, row in _rows(reader, progress):
        result.rows += 1
        try:
            column = "NAME"
            name = _cell(row, columns, "NAME")
            if not name:
                raise ValueError("is empty")
            column = "LAT"
            y = _coordinate(row, columns, "LAT", 90.0)
            column = "LON"
            x = _coordinate(row, columns, "LON", 180.0)
        except ValueError as error:
            result.skip(LineError(line, column, str(error)))
            continue
        aliases = tuple(a.strip() for a in _cell(row, columns, "ALIASES").split(";") if a.strip())
        category = _cell(row, columns, "CATEGORY") or _cell(row, columns, "KIND")
        named.append(Place(name, y, x, category, aliases, _cell(row, columns, "ADDRESS")))
    empty = Places.empty()
    result.places = Places(empty.lat, empty.lon, empty.number, empty.kind, (), (), tuple(named))
    return result
