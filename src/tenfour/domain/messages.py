"""Messages between desk and field, and hospital status: the rules of their commands.

A message is sent (``message.sent``), then delivered (``message.delivered``: the
recipient's MDT, or a console for a message to dispatch, confirms it has it on screen;
a feed merely carrying it proves nothing), then read (``message.read``: a person opened
it). Recipients are resolved when it is sent: a unit's crew, an agency's members on
duty, or every member on duty; they, and an officer who sent it, are its ``parties``,
the only members whose MDT ever receives it (need to know, ``visibility.py``). The desk
reads every message; ``reader`` is then ``dispatch``.

Hospital status (``facility.status``) is reported by desk roles, or by the hospital's
own account (role ``hospital``, acting as its facility's id): that account sets its own
facility's status and no other's.
"""

from __future__ import annotations

from tenfour.domain import commands as c
from tenfour.domain.errors import CommandRejected
from tenfour.domain.events import Event
from tenfour.domain.lookup import Context, get_facility, get_member, get_unit
from tenfour.domain.state import Message, State

#: Canned messages: the common ones a crew or a dispatcher sends with one touch.
CANNED: dict[str, str] = {
    "code4": "Code 4: no further assistance needed",
    "supervisor": "Need a supervisor",
    "callme": "Call me by phone",
    "enroute": "Copy, en route",
    "busy": "Busy, will call back",
    "clear": "Clear, available",
}

#: What the desk signs as when it receives or reads a message to dispatch.
DISPATCH = "dispatch"
_DESK = ("dispatcher", "supervisor", "admin")


def message_id(state: State) -> str:
    """Messages are numbered by count, not by a counter: an officer's view of the state
    holds only his own messages, and must fold the same whatever it is not sent."""
    return f"MSG-{len(state.messages) + 1:06d}"


def _recipients(state: State, cmd: c.MessageSend) -> list[str]:
    if cmd.to == "unit":
        unit = get_unit(state, str(cmd.unit))
        if not unit.logged_on or not unit.members:
            raise CommandRejected.one(
                "with.unit", f"unit {unit.id} has no crew on duty", "conflict"
            )
        return list(unit.members)
    if cmd.to == "member":
        member = get_member(state, str(cmd.member))
        if not member.on_duty:
            raise CommandRejected.one("with.member", f"member {member.id} is off duty", "conflict")
        return [member.id]
    if cmd.to == "agency":
        if cmd.agency not in state.agencies:
            raise CommandRejected.one(
                "with.agency",
                f"no agency {cmd.agency}",
                "not_found",
                allowed=sorted(state.agencies),
            )
        found = [m.id for m in state.members.values() if m.agency == cmd.agency and m.on_duty]
    else:  # all
        found = [m.id for m in state.members.values() if m.on_duty]
    if not found:
        raise CommandRejected.one("with.to", f"nobody on duty to send to ({cmd.to})", "conflict")
    return sorted(found)


def message_send(state: State, cmd: c.MessageSend, ctx: Context) -> list[Event]:
    officer = ctx.actor.role == "officer"
    if officer and cmd.to != "dispatch":
        raise CommandRejected.one(
            "with.to", "an officer sends messages to dispatch", "invalid", allowed=("dispatch",)
        )
    if not officer and cmd.to == "dispatch":
        raise CommandRejected.one(
            "with.to",
            "the desk is dispatch: send to a unit, member, agency or all",
            "invalid",
            allowed=("unit", "member", "agency", "all"),
        )
    text = cmd.text
    if cmd.canned is not None:
        if cmd.canned not in CANNED:
            raise CommandRejected.one(
                "with.canned",
                f"no canned message {cmd.canned}",
                "not_found",
                allowed=sorted(CANNED),
            )
        text = text or CANNED[cmd.canned]
    recipients = [] if cmd.to == "dispatch" else _recipients(state, cmd)
    sender = ctx.actor.id if officer and ctx.actor.id in state.members else None
    parties = sorted({*recipients, *([sender] if sender else [])})
    message = message_id(state)
    data: dict[str, object] = {
        "message": message,
        **cmd.model_dump(mode="json", exclude_none=True),
        "text": text,
        "recipients": recipients,
        "parties": parties,
    }
    if sender:
        data["from_member"] = sender
    return [Event("message.sent", f"message:{message}", data)]


def _reader(state: State, message: Message, ctx: Context) -> str:
    """Who confirms or reads ``message``: a recipient member, or the desk for a message
    to dispatch. An officer who is no party to it is told it does not exist (need to
    know: he may not learn of it); its sender, and the desk for a message to the field,
    that it is not theirs to receipt."""
    if ctx.actor.role in _DESK:
        if message.to != "dispatch":
            raise CommandRejected.one(
                "with.message",
                f"message {message.id} is to the field: its recipients receipt it",
                "conflict",
            )
        return DISPATCH
    if ctx.actor.id not in message.parties:
        raise CommandRejected.one("with.message", f"no message {message.id}", "not_found")
    if ctx.actor.id not in message.recipients:
        raise CommandRejected.one(
            "with.message", f"message {message.id} is from {ctx.actor.id}, to dispatch", "conflict"
        )
    return ctx.actor.id


def _get(state: State, message_id_: str) -> Message:
    message = state.messages.get(message_id_)
    if message is None:
        raise CommandRejected.one("with.message", f"no message {message_id_}", "not_found")
    return message


def message_deliver(state: State, cmd: c.MessageRef, ctx: Context) -> list[Event]:
    message = _get(state, cmd.message)
    reader = _reader(state, message, ctx)
    if reader in message.delivered:
        raise CommandRejected.one(
            "with.message", f"message {message.id} already delivered to {reader}", "conflict"
        )
    data = {"message": message.id, "reader": reader, "parties": list(message.parties)}
    return [Event("message.delivered", f"message:{message.id}", data)]


def message_read(state: State, cmd: c.MessageRef, ctx: Context) -> list[Event]:
    message = _get(state, cmd.message)
    reader = _reader(state, message, ctx)
    if reader in message.read:
        raise CommandRejected.one(
            "with.message", f"message {message.id} already read by {reader}", "conflict"
        )
    data = {"message": message.id, "reader": reader, "parties": list(message.parties)}
    events = []
    if reader not in message.delivered:  # opened before its MDT confirmed: it got there
        events.append(Event("message.delivered", f"message:{message.id}", data))
    events.append(Event("message.read", f"message:{message.id}", dict(data)))
    return events


def facility_status(state: State, cmd: c.FacilityStatus, ctx: Context) -> list[Event]:
    facility = get_facility(state, cmd.facility, "with.facility")
    if ctx.actor.role == "hospital" and facility.id != ctx.actor.id:
        raise CommandRejected.one(
            "with.facility",
            f"a hospital account reports only its own facility ({ctx.actor.id}), not {facility.id}",
            "forbidden",
        )
    if facility.kind != "hospital":
        raise CommandRejected.one(
            "with.facility",
            f"{facility.id} is a {facility.kind}; only a hospital reports its status",
            "invalid",
        )
    data: dict[str, object] = {
        **cmd.model_dump(mode="json", exclude_none=True),
        "services": list(cmd.services),
        "beds": dict(cmd.beds),
        "from": facility.status,
    }
    return [Event("facility.status_changed", f"facility:{facility.id}", data)]


def diversion_warning(state: State, facility_id: str, need: str | None) -> str | None:
    """Why an ambulance should think twice about taking its patient to this hospital
    (closed, or on diversion for the patient's need), or None."""
    facility = state.facilities[facility_id]
    if facility.status == "closed":
        return f"{facility.name} is closed"
    if facility.status != "diversion":
        return None
    services = ", ".join(facility.diversion)
    if need is None:
        return f"{facility.name} is on diversion for {services} (patient's need not given)"
    if need in facility.diversion:
        return f"{facility.name} is on diversion for {need}"
    return None
