"""``decide(state, command, ctx) -> events``: the one pure function that judges commands.

It checks the actor's role, then hands the command to the rule for its name. A
rejected command raises ``CommandRejected`` and yields nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenfour.domain import incidents, messages, roads, safety, units
from tenfour.domain.commands import Command
from tenfour.domain.errors import CommandRejected
from tenfour.domain.events import Event
from tenfour.domain.lookup import Context, DuplicateRules
from tenfour.domain.rules import PERMISSIONS
from tenfour.domain.state import State

Handler = Callable[[State, Any, Context], list[Event]]

HANDLERS: dict[str, Handler] = {
    "agency.register": units.agency_register,
    "facility.register": units.facility_register,
    "member.register": units.member_register,
    "unit.register": units.unit_register,
    "shift.start": units.shift_start,
    "shift.end": units.shift_end,
    "tip.submit": incidents.tip_submit,
    "tip.promote": incidents.tip_promote,
    "tip.dismiss": incidents.tip_dismiss,
    "call.create": incidents.call_create,
    "incident.create": incidents.incident_create,
    "incident.initiate": incidents.incident_initiate,
    "incident.import": incidents.incident_import,
    "incident.update": incidents.incident_update,
    "incident.note": incidents.incident_note,
    "incident.unlink": incidents.incident_unlink,
    "incident.close": incidents.incident_close,
    "unit.dispatch": units.unit_dispatch,
    "unit.status": units.unit_status,
    "unit.locate": units.unit_locate,
    "member.locate": units.member_locate,
    "member.status": units.member_status,
    "member.checkin": units.member_checkin,
    "backup.request": safety.backup_request,
    "emergency.declare": safety.emergency_declare,
    "emergency.clear": safety.emergency_clear,
    "alert.acknowledge": safety.alert_acknowledge,
    "alert.raise": safety.alert_raise,
    "alert.resolve": safety.alert_resolve,
    "emergency.locate": safety.emergency_locate,
    "recommendation.make": safety.recommendation_make,
    "audit.record": safety.audit_record,
    "subject.add": incidents.subject_add,
    "bolo.issue": incidents.bolo_issue,
    "bolo.cancel": incidents.bolo_cancel,
    "arrest.record": incidents.arrest_record,
    "transport.start": units.transport_start,
    "transport.arrive": units.transport_arrive,
    "road.close": roads.road_close,
    "road.reopen": roads.road_reopen,
    "message.send": messages.message_send,
    "message.deliver": messages.message_deliver,
    "message.read": messages.message_read,
    "facility.status": messages.facility_status,
}


def decide(state: State, command: Command, ctx: Context) -> list[Event]:
    """The events ``command`` yields on ``state``, or ``CommandRejected``."""
    allowed = PERMISSIONS[command.do]
    if command.actor.role not in allowed:
        raise CommandRejected.one(
            "do",
            f"role {command.actor.role} may not {command.do}",
            "forbidden",
            allowed=allowed,
        )
    events = HANDLERS[command.do](state, command.payload, ctx)
    if not events:  # every accepted command leaves a trace in the journal
        raise AssertionError(f"{command.do} was accepted but decided no event")
    return events


__all__ = ["HANDLERS", "Context", "DuplicateRules", "decide"]
