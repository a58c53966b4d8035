"""Every command of DOMAIN.md as a typed payload, and the envelope that carries it.

A command is what an actor asks for (``noun.verb``). Payload models forbid unknown
fields so a misspelt field is an error that names it, never silently ignored.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from tenfour.domain.errors import CommandRejected, Problem
from tenfour.domain.values import (
    SYSTEM,
    Actor,
    AgencyKind,
    Location,
    MemberStatus,
    Number,
    OptNumber,
    OptWhole,
    UnitStatus,
    Whole,
)

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]*$"
#: Free text may be anything printable or not, except NUL (no database stores it).
NO_NUL = r"^[^\x00]*$"
_TYPE = r"^[A-Za-z0-9_-]+$"
Id = Field(min_length=1, max_length=64, pattern=_ID)
IdStr = Annotated[str, Field(min_length=1, max_length=64, pattern=_ID)]
TextStr = Annotated[str, Field(min_length=1, max_length=500, pattern=NO_NUL)]
OptId = Field(default=None, min_length=1, max_length=64, pattern=_ID)
Text = Field(min_length=1, max_length=5000, pattern=NO_NUL)
Priority = Field(ge=1, le=5, description="1 is the highest priority, 5 the lowest")
OptPriority = Field(default=None, ge=1, le=5)
TypeCode = Field(min_length=1, max_length=40, pattern=_TYPE)
OptTypeCode = Field(default=None, min_length=1, max_length=40, pattern=_TYPE)


class Payload(BaseModel):
    """Base of every command payload: strict about unknown fields, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def any_of(*names: str) -> ConfigDict:
    """Config whose JSON schema says what the model's validator enforces: at least
    one of ``names`` is given (not null), so clients and fuzzers see the real rule."""

    def extra(schema: dict[str, Any]) -> None:
        schema["anyOf"] = [
            {"required": [name], "properties": {name: {"not": {"type": "null"}}}} for name in names
        ]

    return ConfigDict(extra="forbid", frozen=True, json_schema_extra=extra)


class MemberOrUnit(Payload):
    """Commands that name a member, a unit, or both (at least one)."""

    model_config = any_of("member", "unit")

    member: str | None = OptId
    unit: str | None = OptId

    @model_validator(mode="after")
    def _one_of(self) -> MemberOrUnit:
        if self.member is None and self.unit is None:
            raise ValueError("give member or unit")
        return self


# --- roster (set-up by an admin or a scenario) ---------------------------------------
class AgencyRegister(Payload):
    id: str = Id
    kind: AgencyKind
    name: str = Field(min_length=1, pattern=NO_NUL, max_length=200)


class FacilityRegister(Payload):
    id: str = Id
    kind: Literal["hospital", "station", "jail", "other"]
    name: str = Field(min_length=1, pattern=NO_NUL, max_length=200)
    location: Location


class MemberRegister(Payload):
    id: str = Id
    name: str = Field(min_length=1, pattern=NO_NUL, max_length=200)
    agency: str = Id
    rank: str = Field(default="officer", min_length=1, pattern=NO_NUL, max_length=40)
    radio: str | None = Field(default=None, pattern=NO_NUL, max_length=40)


class UnitRegister(Payload):
    id: str = Id
    agency: str = Id
    kind: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")
    home: Location | None = None


class ShiftStart(Payload):
    unit: str = Id
    members: list[IdStr] = Field(
        default_factory=list, max_length=12, json_schema_extra={"uniqueItems": True}
    )
    vehicle: str | None = Field(default=None, pattern=NO_NUL, max_length=40)
    location: Location | None = None


class ShiftEnd(Payload):
    unit: str = Id


# --- tips, calls, incidents ------------------------------------------------------------
class TipSubmit(Payload):
    text: str = Text
    location: Location | None = None
    contact: str | None = Field(default=None, min_length=1, pattern=NO_NUL, max_length=300)


class TipPromote(Payload):
    tip: str = Id
    type: str = TypeCode
    priority: Whole = Priority
    location: Location | None = None


class TipDismiss(Payload):
    tip: str = Id
    reason: str | None = Field(default=None, pattern=NO_NUL, max_length=500)


class CallCreate(Payload):
    source: Literal["911", "phone", "alarm", "officer", "tip", "text"] = "911"
    caller: str | None = Field(default=None, pattern=NO_NUL, max_length=200)
    text: str = Text
    type: str = TypeCode
    priority: Whole = Priority
    location: Location


class IncidentCreate(Payload):
    type: str = TypeCode
    priority: Whole = Priority
    location: Location
    text: str | None = Field(default=None, pattern=NO_NUL, max_length=5000)


class Origin(Payload):
    """Where a transferred incident came from (EIDO import): kept with the incident so a
    reply or an update can name the other center's own incident."""

    center: str = Field(min_length=1, max_length=300, pattern=NO_NUL)
    incident: str | None = Field(default=None, min_length=1, max_length=300, pattern=NO_NUL)
    document: str | None = Field(default=None, min_length=1, max_length=300, pattern=NO_NUL)
    format: Literal["eido"] = "eido"


class ImportedSubject(Payload):
    role: Literal["suspect", "victim", "witness", "patient", "officer", "other"]
    description: str = Field(min_length=1, pattern=NO_NUL, max_length=2000)


class IncidentImport(Payload):
    """An incident transferred from another center: created here with its origin, the
    people it names and its notes, in one journaled decision."""

    type: str = TypeCode
    priority: Whole = Priority
    location: Location
    text: str | None = Field(default=None, pattern=NO_NUL, max_length=5000)
    origin: Origin
    subjects: list[ImportedSubject] = Field(default_factory=list, max_length=50)
    notes: list[Annotated[str, Field(min_length=1, max_length=5000, pattern=NO_NUL)]] = Field(
        default_factory=list, max_length=100
    )


class IncidentInitiate(MemberOrUnit):
    type: str = TypeCode
    priority: Whole = Priority
    location: Location
    text: str | None = Field(default=None, pattern=NO_NUL, max_length=5000)


class IncidentUpdate(Payload):
    model_config = any_of("type", "priority", "location")
    incident: str = Id
    type: str | None = OptTypeCode
    priority: OptWhole = OptPriority
    location: Location | None = None

    @model_validator(mode="after")
    def _something(self) -> IncidentUpdate:
        if self.type is None and self.priority is None and self.location is None:
            raise ValueError("give at least one of type, priority, location")
        return self


class IncidentNote(Payload):
    incident: str = Id
    text: str = Text


class IncidentUnlink(Payload):
    incident: str = Id
    call: str = Id


class IncidentClose(Payload):
    incident: str = Id
    disposition: str = Field(min_length=1, pattern=NO_NUL, max_length=40)
    force: bool = Field(
        default=False,
        description="close even with a unit in pursuit or transporting, or an open emergency",
    )


# --- units and members -------------------------------------------------------------------
class UnitDispatch(Payload):
    incident: str = Id
    units: list[IdStr] = Field(min_length=1, max_length=50, json_schema_extra={"uniqueItems": True})
    mode: Literal["emergency", "routine"] = "routine"
    reassign: bool = Field(
        default=False, description="take units that are on another open incident off it"
    )


class UnitStatusChange(Payload):
    unit: str = Id
    status: UnitStatus
    incident: str | None = OptId
    location: Location | None = None


class Locate(Payload):
    lat: Number = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: Number = Field(ge=-180, le=180, allow_inf_nan=False)
    speed: OptNumber = Field(default=None, ge=0, le=150, allow_inf_nan=False)
    heading: OptNumber = Field(default=None, ge=0, lt=360, allow_inf_nan=False)
    accuracy: OptNumber = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)
    at: AwareDatetime | None = Field(default=None, description="device time, ISO-8601 with zone")
    #: Where the fix came from (an AVL protocol: owntracks, osmand, nmea) and which
    #: registered device sent it; absent for the MDT page and hand-entered positions.
    source: str | None = Field(default=None, min_length=1, max_length=20, pattern=r"^[a-z0-9-]+$")
    device: str | None = Field(
        default=None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@/-]*$"
    )


class UnitLocate(Locate):
    unit: str = Id


class MemberLocate(Locate):
    member: str = Id


class MemberStatusChange(Payload):
    member: str = Id
    status: MemberStatus
    unit: str | None = OptId
    incident: str | None = OptId
    location: Location | None = None
    text: str | None = Field(default=None, pattern=NO_NUL, max_length=5000)


class MemberCheckin(MemberOrUnit):
    text: str | None = Field(default=None, pattern=NO_NUL, max_length=5000)


class BackupRequest(MemberOrUnit):
    incident: str = Id
    count: Whole = Field(default=1, ge=1, le=20)
    urgency: Literal["routine", "urgent"] = "routine"


class EmergencyDeclare(MemberOrUnit):
    location: Location | None = None
    text: str | None = Field(default=None, pattern=NO_NUL, max_length=5000)


class EmergencyClear(Payload):
    emergency: str = Id
    text: str | None = Field(default=None, pattern=NO_NUL, max_length=5000)


class AlertAcknowledge(Payload):
    alert: str = Id


class SubjectRef(Payload):
    """A subject given inline (a new one is recorded) or by id."""

    model_config = any_of("id", "member", "description")

    id: str | None = OptId
    member: str | None = OptId
    role: Literal["suspect", "victim", "witness", "patient", "officer", "other"] | None = None
    description: str | None = Field(default=None, min_length=1, pattern=NO_NUL, max_length=2000)

    @model_validator(mode="after")
    def _something(self) -> SubjectRef:
        if self.id is None and self.member is None and self.description is None:
            raise ValueError("give a subject id, a member, or a description")
        return self


class SubjectAdd(Payload):
    incident: str = Id
    role: Literal["suspect", "victim", "witness", "patient", "officer", "other"]
    description: str = Field(min_length=1, pattern=NO_NUL, max_length=2000)


class BoloIssue(Payload):
    model_config = any_of("subject", "description")
    subject: str | None = OptId
    description: str | None = Field(default=None, min_length=1, pattern=NO_NUL, max_length=2000)
    area: str | None = Field(default=None, pattern=NO_NUL, max_length=300)
    expires: AwareDatetime | None = Field(default=None, description="ISO-8601 with zone")
    incident: str | None = OptId

    @model_validator(mode="after")
    def _something(self) -> BoloIssue:
        if self.subject is None and self.description is None:
            raise ValueError("give a subject or a description")
        return self


class BoloCancel(Payload):
    bolo: str = Id


class ArrestRecord(Payload):
    incident: str = Id
    subject: SubjectRef
    charges: list[TextStr] = Field(min_length=1, max_length=30)
    members: list[IdStr] = Field(default_factory=list, max_length=20)


#: Hospital services a diversion names, and what a transport's patient needs.
Service = Literal["trauma", "stroke", "cardiac", "burns", "pediatrics", "obstetrics", "psych"]
#: Kinds of beds a hospital reports free.
BedKind = Literal["ed", "icu", "trauma", "pediatric", "psych"]


class TransportStart(Payload):
    unit: str = Id
    incident: str | None = OptId
    patient: SubjectRef
    destination: str = Id
    #: What the patient needs (a hospital service): warns when the destination is on
    #: diversion for it.
    need: Service | None = None


class TransportArrive(Payload):
    unit: str = Id
    destination: str | None = OptId


# --- messages and hospital status ---------------------------------------------------------


class MessageSend(Payload):
    """A message from the desk to a unit's crew, a member, an agency's members or all
    members on duty; or from an officer to dispatch. ``canned`` names one of the
    vocabulary's canned messages (its text is used when no ``text`` is given)."""

    model_config = any_of("text", "canned")

    to: Literal["unit", "member", "agency", "all", "dispatch"]
    unit: str | None = OptId
    member: str | None = OptId
    agency: str | None = OptId
    text: str | None = Field(default=None, min_length=1, max_length=1000, pattern=NO_NUL)
    canned: str | None = Field(default=None, min_length=1, max_length=40, pattern=_TYPE)
    priority: Literal["normal", "priority"] = "normal"

    @model_validator(mode="after")
    def _addressed(self) -> MessageSend:
        if self.text is None and self.canned is None:
            raise ValueError("give a text or a canned message")
        named = {k for k in ("unit", "member", "agency") if getattr(self, k) is not None}
        wanted = {self.to} & {"unit", "member", "agency"}
        if named != wanted:
            need = f"give {self.to}" if wanted else "name no unit, member or agency"
            raise ValueError(f"to {self.to}: {need}")
        return self


class MessageRef(Payload):
    message: str = Id


class FacilityStatus(Payload):
    """A hospital's state as its staff or the desk reports it: open, on diversion for
    some services (ambulances with such patients should go elsewhere), or closed."""

    facility: str = Id
    state: Literal["open", "diversion", "closed"]
    services: list[Service] = Field(
        default_factory=list, max_length=7, json_schema_extra={"uniqueItems": True}
    )
    beds: dict[BedKind, Annotated[int, Field(ge=0, le=10_000)]] = Field(default_factory=dict)
    text: str | None = Field(default=None, min_length=1, max_length=500, pattern=NO_NUL)

    @model_validator(mode="after")
    def _services(self) -> FacilityStatus:
        if self.state == "diversion" and not self.services:
            raise ValueError("diversion: give the services diverted (services)")
        if self.state != "diversion" and self.services:
            raise ValueError(f"{self.state}: services are named only for a diversion")
        if len(set(self.services)) != len(self.services):
            raise ValueError("services: each service once")
        return self


# --- roads -----------------------------------------------------------------------------
SegmentId = Annotated[int, Field(ge=0, le=2_147_483_647)]


class RoadClose(Payload):
    """Close a road, or slow it down, until it is reopened.

    Where: a ``location`` (the road segment nearest it, plus those within
    ``radius_m``), a ``street`` (all of it; with a location, only near it), or the
    map's ``segment`` id(s). The service places it on the map and fills ``segments``.
    """

    model_config = any_of("location", "street", "segment", "segments")

    location: Location | None = None
    street: str | None = Field(default=None, min_length=1, max_length=200, pattern=NO_NUL)
    segment: SegmentId | None = None
    segments: list[SegmentId] | None = Field(default=None, min_length=1, max_length=5000)
    radius_m: Number = Field(default=0.0, ge=0, le=2000, allow_inf_nan=False)
    factor: OptNumber = Field(
        default=None,
        ge=1,
        le=1000,
        allow_inf_nan=False,
        description="drive time multiplied by this (2: half speed); leave out to close the road",
    )
    reason: str | None = Field(default=None, min_length=1, max_length=500, pattern=NO_NUL)
    map: str | None = Field(
        default=None, max_length=100, pattern=NO_NUL, description="filled in by the service"
    )

    @model_validator(mode="after")
    def _somewhere(self) -> RoadClose:
        if (
            self.location is None
            and self.street is None
            and self.segment is None
            and not self.segments
        ):
            raise ValueError("give a location, a street or a segment")
        return self


class RoadReopen(Payload):
    closure: str = Id
    reason: str | None = Field(default=None, min_length=1, max_length=500, pattern=NO_NUL)


# --- system-only commands, issued by policies --------------------------------------
AlertKind = Literal[
    "emergency",
    "status_check_overdue",
    "member_unresponsive",
    "dispatch_unacknowledged",
    "incident_unassigned",
    "backup_requested",
    "plan_short",
    "policy_failed",
    "message_unread",
]


class AlertRaise(Payload):
    kind: AlertKind
    severity: Literal["high", "normal"] = "normal"
    member: str | None = OptId
    unit: str | None = OptId
    incident: str | None = OptId
    emergency: str | None = OptId
    text: str | None = Field(default=None, pattern=NO_NUL, max_length=5000)
    #: What a short plan lacks: ``[{need, wanted, found}]``.
    missing: list[dict[str, Any]] | None = None
    #: The journal position of the event whose answer failed (``policy_failed``).
    cause_seq: OptWhole = Field(default=None, ge=0)
    #: The priority message left unread (``message_unread``).
    message: str | None = OptId


class AlertResolve(Payload):
    """The system ends an alert whose condition no longer holds."""

    alert: str = Id
    reason: str = Field(min_length=1, pattern=NO_NUL, max_length=500)


class EmergencyLocate(Payload):
    """Where an emergency declared without any known position is: the plan can run."""

    emergency: str = Id
    location: Location


class RecommendationMake(Payload):
    """The ranking a policy computed, so it is journaled for the dispatcher to see."""

    incident: str | None = OptId
    location: Location
    purpose: Literal["initial", "backup", "emergency", "unresponsive"]
    need: str = Field(min_length=1, pattern=NO_NUL, max_length=40)
    count: Whole = Field(ge=0, le=50)
    candidates: list[dict[str, Any]] = Field(default_factory=list)
    excluded: list[dict[str, Any]] = Field(default_factory=list)
    responding: list[str] = Field(default_factory=list)
    reason: str | None = Field(default=None, pattern=NO_NUL, max_length=500)


class AuditRecord(Payload):
    """Who did what to get in (or was kept out), journaled like everything else.

    ``throttled``: a source sent too many failed logins too fast; ``account``: an
    administrator changed ``target``'s account (``outcome`` says how).
    """

    action: Literal["login", "logout", "login_failed", "locked", "denied", "throttled", "account"]
    user: str = Field(min_length=1, pattern=NO_NUL, max_length=200)
    outcome: str = Field(min_length=1, pattern=NO_NUL, max_length=200)
    source: str | None = Field(default=None, pattern=NO_NUL, max_length=200)
    detail: str | None = Field(default=None, pattern=NO_NUL, max_length=2000)
    target: str | None = Field(default=None, pattern=NO_NUL, max_length=200)


#: The one map from command name to payload model (Cosmic Python style).
COMMANDS: dict[str, type[Payload]] = {
    "agency.register": AgencyRegister,
    "facility.register": FacilityRegister,
    "member.register": MemberRegister,
    "unit.register": UnitRegister,
    "shift.start": ShiftStart,
    "shift.end": ShiftEnd,
    "tip.submit": TipSubmit,
    "tip.promote": TipPromote,
    "tip.dismiss": TipDismiss,
    "call.create": CallCreate,
    "incident.create": IncidentCreate,
    "incident.initiate": IncidentInitiate,
    "incident.import": IncidentImport,
    "incident.update": IncidentUpdate,
    "incident.note": IncidentNote,
    "incident.unlink": IncidentUnlink,
    "incident.close": IncidentClose,
    "unit.dispatch": UnitDispatch,
    "unit.status": UnitStatusChange,
    "unit.locate": UnitLocate,
    "member.locate": MemberLocate,
    "member.status": MemberStatusChange,
    "member.checkin": MemberCheckin,
    "backup.request": BackupRequest,
    "emergency.declare": EmergencyDeclare,
    "emergency.clear": EmergencyClear,
    "alert.acknowledge": AlertAcknowledge,
    "alert.raise": AlertRaise,
    "alert.resolve": AlertResolve,
    "emergency.locate": EmergencyLocate,
    "recommendation.make": RecommendationMake,
    "audit.record": AuditRecord,
    "subject.add": SubjectAdd,
    "bolo.issue": BoloIssue,
    "bolo.cancel": BoloCancel,
    "arrest.record": ArrestRecord,
    "transport.start": TransportStart,
    "transport.arrive": TransportArrive,
    "road.close": RoadClose,
    "road.reopen": RoadReopen,
    "message.send": MessageSend,
    "message.deliver": MessageRef,
    "message.read": MessageRef,
    "facility.status": FacilityStatus,
}


@dataclass(frozen=True, slots=True)
class Command:
    """A validated command: what (``do``), with what (``payload``), by whom."""

    do: str
    payload: Payload
    actor: Actor = SYSTEM
    idempotency_key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def with_key(self, key: str) -> Command:
        """The same command under an idempotency key (the system keys its reactions)."""
        return dataclasses.replace(self, idempotency_key=key)


def problems_from_validation(error: ValidationError, prefix: str) -> list[Problem]:
    """Turn pydantic's errors into Problems whose field path says where, from the top."""
    out = []
    for item in error.errors():
        path = ".".join(str(p) for p in item["loc"])
        out.append(Problem(f"{prefix}.{path}" if path else prefix, item["msg"]))
    return out


def parse_command(
    do: object,
    with_: object,
    actor: Actor = SYSTEM,
    idempotency_key: str | None = None,
) -> Command:
    """Validate a raw ``{do, with}`` pair into a Command, or raise CommandRejected."""
    if not isinstance(do, str) or do not in COMMANDS:
        raise CommandRejected.one(
            "do", f"unknown command {do!r}", "invalid", allowed=sorted(COMMANDS)
        )
    if with_ is None:
        with_ = {}
    if not isinstance(with_, dict):
        raise CommandRejected.one("with", "must be an object of the command's fields")
    try:
        payload = COMMANDS[do].model_validate(with_)
    except ValidationError as error:
        raise CommandRejected(problems_from_validation(error, "with")) from None
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise CommandRejected.one("idempotency_key", "must be 1 to 200 characters")
    return Command(do, payload, actor, idempotency_key)
