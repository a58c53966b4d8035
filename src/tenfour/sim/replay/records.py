"""Read SFFD "Fire Department Calls for Service" CSV files into unit responses.

Two layouts are understood, told apart by their header:

- **raw** DataSF columns (``Call Number``, ``Received DtTm``, ... ``Location``) with
  local times written ``MM/DD/YYYY hh:mm:ss AM`` and the point as ``(lat, lon)``;
- **normalised** snake_case columns (``call_number``, ``received_at``, ... ``lat``,
  ``lon``) with ISO-8601 local times.

Times are local to San Francisco (America/Los_Angeles) and are turned into UTC here.
A missing column, or a value that cannot be read, is a :class:`RecordError` naming the
file line and the column, before anything is replayed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("America/Los_Angeles")
RAW_TIME = "%m/%d/%Y %I:%M:%S %p"

#: Our field -> (raw column, normalised column).
COLUMNS: dict[str, tuple[str, str]] = {
    "call_number": ("Call Number", "call_number"),
    "unit_id": ("Unit ID", "unit_id"),
    "unit_type": ("Unit Type", "unit_type"),
    "call_type": ("Call Type", "call_type"),
    "call_type_group": ("Call Type Group", "call_type_group"),
    "received": ("Received DtTm", "received_at"),
    "dispatch": ("Dispatch DtTm", "dispatch_at"),
    "response": ("Response DtTm", "response_at"),
    "on_scene": ("On Scene DtTm", "on_scene_at"),
    "transport": ("Transport DtTm", "transport_at"),
    "hospital": ("Hospital DtTm", "hospital_at"),
    "available": ("Available DtTm", "available_at"),
    "disposition": ("Call Final Disposition", "call_final_disposition"),
    "address": ("Address", "address"),
    "station_area": ("Station Area", "station_area"),
    "original_priority": ("Original Priority", "original_priority"),
    "priority": ("Priority", "priority"),
    "final_priority": ("Final Priority", "final_priority"),
}
REQUIRED = ("call_number", "unit_id", "call_type", "received", "dispatch")
TIMES = ("received", "dispatch", "response", "on_scene", "transport", "hospital", "available")


class RecordError(ValueError):
    """A CSV that cannot be replayed: which file line, which column, and why."""

    def __init__(self, path: str, line: int, column: str, message: str) -> None:
        self.path, self.line, self.column = path, line, column
        where = f"{path}, line {line}" if line else path
        super().__init__(f"{where}, column {column!r}: {message}")


@dataclass(frozen=True, slots=True)
class UnitResponse:
    """One row: one unit's response to one call, times in UTC (None where empty)."""

    line: int
    call_number: str
    unit_id: str
    unit_type: str
    call_type: str
    call_type_group: str
    received: datetime
    dispatch: datetime
    response: datetime | None
    on_scene: datetime | None
    transport: datetime | None
    hospital: datetime | None
    available: datetime | None
    disposition: str
    address: str
    station_area: str
    priorities: tuple[str, str, str]  # final, priority, original
    lat: float | None
    lon: float | None


def local_to_utc(text: str, layout: str) -> datetime:
    """A local San Francisco time (raw or ISO layout) as an aware UTC datetime."""
    raw = layout == "raw"
    moment = datetime.strptime(text, RAW_TIME) if raw else datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL)
    return moment.astimezone(UTC)


def _point_raw(text: str) -> tuple[float, float]:
    inner = text.strip().removeprefix("(").removesuffix(")")
    lat, lon = (float(part) for part in inner.split(","))
    return lat, lon


class _Reader:
    """Reads one file; knows its layout and the column names it uses."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = str(path)
        names = set(header)
        if "Call Number" in names:
            self.layout, pick = "raw", 0
        elif "call_number" in names:
            self.layout, pick = "normalised", 1
        else:
            raise RecordError(
                self.path,
                1,
                "Call Number",
                "not a Fire Department Calls for Service file: no 'Call Number' (raw DataSF) "
                "or 'call_number' (normalised) column",
            )
        self.column = {name: pair[pick] for name, pair in COLUMNS.items()}
        for name in REQUIRED:
            if self.column[name] not in names:
                raise RecordError(self.path, 1, self.column[name], "missing column")
        point = ["Location"] if self.layout == "raw" else ["lat", "lon"]
        for name in point:
            if name not in names:
                raise RecordError(self.path, 1, name, "missing column")
        self.present = names

    def value(self, row: dict[str, str], name: str) -> str:
        column = self.column[name]
        return (row.get(column) or "").strip() if column in self.present else ""

    def time(self, row: dict[str, str], name: str, line: int) -> datetime | None:
        text = self.value(row, name)
        if not text:
            if name in REQUIRED:
                raise RecordError(self.path, line, self.column[name], "empty, a time is required")
            return None
        try:
            return local_to_utc(text, self.layout)
        except ValueError:
            expected = "MM/DD/YYYY hh:mm:ss AM" if self.layout == "raw" else "YYYY-MM-DDThh:mm:ss"
            raise RecordError(
                self.path, line, self.column[name], f"bad time {text!r} (expected {expected})"
            ) from None

    def point(self, row: dict[str, str], line: int) -> tuple[float | None, float | None]:
        if self.layout == "raw":
            text = (row.get("Location") or "").strip()
            if not text:
                return None, None
            try:
                lat, lon = _point_raw(text)
            except ValueError:
                raise RecordError(
                    self.path, line, "Location", f"bad point {text!r} (expected '(lat, lon)')"
                ) from None
            return self._checked(lat, lon, line, "Location")
        texts = [(row.get(c) or "").strip() for c in ("lat", "lon")]
        if not all(texts):
            return None, None
        values = []
        for column, text in zip(("lat", "lon"), texts, strict=True):
            try:
                values.append(float(text))
            except ValueError:
                raise RecordError(self.path, line, column, f"bad number {text!r}") from None
        return self._checked(values[0], values[1], line, "lat")

    def _checked(
        self, lat: float, lon: float, line: int, column: str
    ) -> tuple[float | None, float | None]:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise RecordError(self.path, line, column, f"({lat}, {lon}) is not a lat/lon point")
        return lat, lon

    def response(self, row: dict[str, str], line: int) -> UnitResponse:
        for name in ("call_number", "unit_id", "call_type"):
            if not self.value(row, name):
                raise RecordError(self.path, line, self.column[name], "empty, a value is required")
        received = self.time(row, "received", line)
        dispatch = self.time(row, "dispatch", line)
        assert received is not None and dispatch is not None  # required above
        lat, lon = self.point(row, line)
        return UnitResponse(
            line=line,
            call_number=self.value(row, "call_number"),
            unit_id=self.value(row, "unit_id").upper(),
            unit_type=self.value(row, "unit_type").upper(),
            call_type=self.value(row, "call_type"),
            call_type_group=self.value(row, "call_type_group"),
            received=received,
            dispatch=dispatch,
            response=self.time(row, "response", line),
            on_scene=self.time(row, "on_scene", line),
            transport=self.time(row, "transport", line),
            hospital=self.time(row, "hospital", line),
            available=self.time(row, "available", line),
            disposition=self.value(row, "disposition"),
            address=self.value(row, "address"),
            station_area=self.value(row, "station_area"),
            priorities=(
                self.value(row, "final_priority"),
                self.value(row, "priority"),
                self.value(row, "original_priority"),
            ),
            lat=lat,
            lon=lon,
        )


def read_responses(path: str | Path) -> list[UnitResponse]:
    """Every row of the file, checked; raises :class:`RecordError` on the first bad one."""
    return list(iter_responses(path))


def iter_responses(path: str | Path) -> Iterator[UnitResponse]:
    file = Path(path)
    try:
        handle = file.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise RecordError(str(file), 0, "-", f"cannot open: {error.strerror or error}") from None
    with handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            raise RecordError(str(file), 1, "-", "the file is empty (no header line)")
        columns = _Reader(file, [name.strip() for name in reader.fieldnames])
        reader.fieldnames = [name.strip() for name in reader.fieldnames]
        start = reader.line_num + 1
        for row in reader:
            yield columns.response(row, start)
            start = reader.line_num + 1
