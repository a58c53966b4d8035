"""Request and response models of the HTTP API, built from the domain's own models.

The command request is a discriminated union on ``do``: each command's payload is its
own schema in the OpenAPI document, generated from ``domain.commands.COMMANDS``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from tenfour.domain.commands import COMMANDS, NO_NUL, Payload
from tenfour.domain.rules import PERMISSIONS
from tenfour.domain.values import Location

#: Commands people may send over HTTP (system-only ones are the policies' own).
PUBLIC_COMMANDS = {
    name: model for name, model in COMMANDS.items() if PERMISSIONS[name] != ("system",)
}


def _request_model(name: str, payload: type[Payload]) -> type[BaseModel]:
    model_name = (
        "".join(part.capitalize() for part in name.replace("_", ".").split(".")) + "Request"
    )
    return create_model(
        model_name,
        __config__=ConfigDict(extra="forbid", populate_by_name=True),
        do=(Literal[name], Field(description=f"the command: {name}")),  # type: ignore[arg-type]
        with_=(payload, Field(alias="with", description="the command's fields")),
        idempotency_key=(
            str | None,
            Field(
                default=None,
                min_length=1,
                max_length=200,
                description="retrying with the same key never yields events twice",
            ),
        ),
    )


_REQUESTS = tuple(_request_model(name, model) for name, model in PUBLIC_COMMANDS.items())
CommandRequest = Annotated[Union[_REQUESTS], Field(discriminator="do")]  # type: ignore[valid-type]  # noqa: UP007


class EventOut(BaseModel):
    """A journaled event: envelope plus its fields at top level."""

    model_config = ConfigDict(extra="allow")
    seq: int
    type: str
    at: str
    by: str
    stream: str
    version: int


class CommandResult(BaseModel):
    events: list[EventOut]
    duplicate: bool = Field(description="true when this answers a retry of an earlier request")


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    password: str = Field(min_length=1, max_length=1000, pattern=NO_NUL)


class Me(BaseModel):
    username: str
    role: str
    member: str | None
    token: str | None = Field(default=None, description="bearer token, on login only")


class TipRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=5000, pattern=NO_NUL)
    location: Location | None = Field(default=None, description="{lat, lon} and/or {address}")
    contact: str | None = Field(default=None, min_length=1, max_length=300, pattern=NO_NUL)


class TipReceipt(BaseModel):
    tracking_code: str
    status: Literal["received", "promoted", "dismissed"]
    placed: bool | None = Field(
        default=None,
        description="whether the place given was found on the map (none given: null); "
        "a tip is received either way, its place then left for a call-taker",
    )


class TipStatus(BaseModel):
    status: Literal["received", "promoted", "dismissed"]


class JournalPage(BaseModel):
    events: list[EventOut]
    head: int = Field(description="the last seq in the journal")
    next_after: int = Field(description="pass as ?after= to read on")


# --- query answers -------------------------------------------------------------------
class BoardIncident(BaseModel):
    incident: str
    type: str
    priority: int
    location: dict[str, Any]
    status: Literal["pending", "active"]
    units: list[str]
    created_at: str
    elapsed_s: float | None


class BoardUnit(BaseModel):
    unit: str
    agency: str
    kind: str
    status: str
    status_since: str | None
    elapsed_s: float | None
    incident: str | None
    members: list[str]
    location: dict[str, Any] | None


class BoardAlert(BaseModel):
    alert: str
    kind: str
    severity: str
    raised_at: str
    member: str | None
    unit: str | None
    incident: str | None
    text: str | None


class BoardEmergency(BaseModel):
    emergency: str
    member: str | None
    unit: str | None
    incident: str | None = Field(description="None while no position at all is known")


class Board(BaseModel):
    """The dispatcher's main screen: what is open, who is where, what needs a person."""

    position: int = Field(description="journal position the board reflects")
    at: str
    incidents: list[BoardIncident]
    units: list[BoardUnit]
    alerts: list[BoardAlert]
    emergencies: list[BoardEmergency]


class Snapshot(BaseModel):
    position: int = Field(description="fold events with seq > position into state")
    state: dict[str, Any]


class TimelineEntry(BaseModel):
    seq: int
    at: str
    by: str
    type: str
    text: str
    data: dict[str, Any]


class IncidentDetail(BaseModel):
    """One incident with everything a dispatcher's incident panel shows."""

    id: str
    type: str
    priority: int
    location: dict[str, Any]
    source: str
    created_at: str
    status: str
    units: list[str]
    calls: list[Any]
    subjects: list[Any]
    tip: str | None
    disposition: str | None
    closed_at: str | None
    timeline: list[TimelineEntry]
    unit_details: list[Any]
    recommendations: list[dict[str, Any]]
