"""Small value types shared by commands, events and state: locations, actors, ids."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

Role = Literal[
    "public",
    "officer",
    "calltaker",
    "dispatcher",
    "supervisor",
    "admin",
    "analyst",
    # A hospital's own staff: the account's member is its facility's id.
    "hospital",
    "system",
]
# One list: the tuples are the Literals' own values, so the two cannot drift apart.
ROLES: tuple[Role, ...] = get_args(Role)

UnitStatus = Literal[
    "available",
    "dispatched",
    "enroute",
    "onscene",
    "pursuit",
    "transporting",
    "athospital",
    "busy",
    "outofservice",
    "offduty",
]
UNIT_STATUSES: tuple[UnitStatus, ...] = get_args(UnitStatus)
MemberStatus = Literal["with_unit", "away", "onscene", "pursuit", "down", "offduty"]
MEMBER_STATUSES: tuple[MemberStatus, ...] = get_args(MemberStatus)
AgencyKind = Literal["police", "ems", "fire"]


def _a_number(value: object) -> object:
    # bool is an int to Python; a numeric string is not a JSON number.
    if isinstance(value, bool | str | bytes):
        raise ValueError("must be a number")
    return value


#: Numbers as the schema says: JSON numbers only. Pydantic's lax mode would take
#: ``false`` for 0.0 or ``"2"`` for 2, so a malformed position could pass as (0, 0).
#: ``1.0`` stays a valid integer, as in JSON Schema.
Number = Annotated[float, BeforeValidator(_a_number)]
Whole = Annotated[int, BeforeValidator(_a_number)]
# Optional ones keep the check outside the union, so Field bounds stay in the schema.
OptNumber = Annotated[float | None, BeforeValidator(_a_number)]
OptWhole = Annotated[int | None, BeforeValidator(_a_number)]


class Location(BaseModel):
    """A WGS84 point with an optional address text.

    Either the point or the address must be given; an address alone is geocoded by
    the service from its map before the domain sees the command.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # The validator's rule, in the schema: a full point, or an address alone.
        json_schema_extra={
            "anyOf": [
                {
                    "required": ["lat", "lon"],
                    "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
                },
                {
                    "required": ["address"],
                    "properties": {
                        "address": {"type": "string"},
                        "lat": {"type": "null"},
                        "lon": {"type": "null"},
                    },
                },
            ]
        },
    )

    lat: OptNumber = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    lon: OptNumber = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    address: str | None = Field(default=None, min_length=1, max_length=300, pattern=r"^[^\x00]*$")

    @model_validator(mode="after")
    def _point_or_address(self) -> Location:
        if (self.lat is None) != (self.lon is None):
            missing = "lon" if self.lon is None else "lat"
            raise ValueError(f"{missing} is required when the other coordinate is given")
        if self.lat is None and self.address is None:
            raise ValueError("give lat and lon, or an address to geocode")
        return self

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None

    def point(self) -> tuple[float, float]:
        if self.lat is None or self.lon is None:
            raise ValueError("location has no coordinates")
        return (self.lat, self.lon)

    def as_dict(self) -> dict[str, object]:
        return self.model_dump(exclude_none=True)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres (haversine); used for duplicate-call checks."""
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, slots=True)
class Actor:
    """Who issued a command: a role and, for people, their member or user id."""

    role: Role
    id: str

    @classmethod
    def parse(cls, text: str) -> Actor:
        """Parse ``officer:hopps``; a bare ``public`` or ``system`` is its own id."""
        role, _, ident = text.partition(":")
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} (allowed: {', '.join(ROLES)})")
        return cls(role, ident or role)

    @property
    def by(self) -> str:
        """The ``by`` recorded on events: the person's id, or ``system``/``public``."""
        return self.id

    def __str__(self) -> str:
        return f"{self.role}:{self.id}"


SYSTEM = Actor("system", "system")
