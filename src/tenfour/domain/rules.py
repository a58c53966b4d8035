"""The rules a command must obey: who may issue it and which status changes are allowed.

Kept apart from ``decide`` so the role matrix and the transition tables can be read
(and tested) as tables.
"""

from __future__ import annotations

from tenfour.domain.values import Role

_DESK: tuple[Role, ...] = ("dispatcher", "supervisor", "admin")

#: Command -> roles allowed to issue it. Officers are further limited to their own
#: unit and their own status in ``decide`` (ownership is a fact of state, not of role).
PERMISSIONS: dict[str, tuple[Role, ...]] = {
    "agency.register": ("admin", "system"),
    "facility.register": ("admin", "system"),
    "member.register": ("admin", "system"),
    "unit.register": ("admin", "system"),
    "shift.start": ("officer", *_DESK),
    "shift.end": ("officer", *_DESK),
    "tip.submit": ("public", "officer", "calltaker", *_DESK),
    "tip.promote": ("calltaker", *_DESK),
    "tip.dismiss": ("calltaker", *_DESK),
    "call.create": ("calltaker", *_DESK),
    "incident.create": ("calltaker", *_DESK),
    "incident.initiate": ("officer", *_DESK),
    "incident.import": (*_DESK,),
    "incident.update": ("officer", "calltaker", *_DESK),
    "incident.note": ("officer", "calltaker", *_DESK),
    "incident.unlink": (*_DESK,),
    "incident.close": (*_DESK,),
    "unit.dispatch": (*_DESK, "system"),
    "unit.status": ("officer", *_DESK),
    "unit.locate": ("officer", *_DESK, "system"),
    "member.locate": ("officer", *_DESK, "system"),
    "member.status": ("officer", *_DESK),
    "member.checkin": ("officer", *_DESK),
    "backup.request": ("officer", *_DESK),
    "emergency.declare": ("officer", *_DESK),
    "emergency.clear": ("supervisor", "admin"),
    "alert.acknowledge": (*_DESK,),
    "alert.raise": ("system",),
    "alert.resolve": ("system",),
    "emergency.locate": (*_DESK, "system"),
    "recommendation.make": ("system",),
    "audit.record": ("system",),
    "subject.add": ("officer", "calltaker", *_DESK),
    "bolo.issue": (*_DESK,),
    "bolo.cancel": (*_DESK,),
    "arrest.record": ("officer", "supervisor", "admin"),
    "transport.start": ("officer", *_DESK),
    "transport.arrive": ("officer", *_DESK),
    "road.close": (*_DESK,),
    "road.reopen": (*_DESK,),
    "message.send": ("officer", *_DESK),
    "message.deliver": ("officer", *_DESK),
    "message.read": ("officer", *_DESK),
    # A hospital's own account reports its own facility only (see messages.py).
    "facility.status": (*_DESK, "hospital"),
}

#: Unit status -> statuses it may change to with ``unit.status``. ``dispatched`` is
#: reached only through ``unit.dispatch``; ``offduty`` only through ``shift.end``.
UNIT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "available": ("enroute", "onscene", "busy", "outofservice"),
    "dispatched": ("enroute", "onscene", "available", "busy", "outofservice"),
    "enroute": ("onscene", "pursuit", "available", "busy"),
    "onscene": ("enroute", "pursuit", "transporting", "available", "busy"),
    "pursuit": ("onscene", "enroute", "available"),
    "transporting": ("athospital", "available"),
    "athospital": ("available", "outofservice"),
    "busy": ("available", "enroute", "onscene", "outofservice"),
    "outofservice": ("available",),
    "offduty": (),
}

#: Statuses a crew may report again (a repeat is contact); never ``dispatched`` (only a
#: dispatcher's ``unit.dispatch`` gives it) nor ``offduty`` (``shift.end``).
REPEATABLE = frozenset(to for allowed in UNIT_TRANSITIONS.values() for to in allowed)

#: Statuses that mean the unit is working an incident (it must have one).
UNIT_ON_INCIDENT = frozenset({"dispatched", "enroute", "onscene", "pursuit", "transporting"})
#: Statuses a unit may be dispatched from (the others first need a status change).
DISPATCHABLE = frozenset({"available", "busy", "dispatched", "enroute", "onscene"})
#: Statuses counted as "responding" to an incident.
RESPONDING = frozenset({"dispatched", "enroute", "onscene", "pursuit"})
#: Statuses in which a unit counts toward an emergency's plan: responding, or carrying
#: the patient to hospital (an ambulance transporting the downed officer is not missing).
SERVING = RESPONDING | {"transporting", "athospital"}

#: Member status -> statuses it may change to with ``member.status``. ``down`` is
#: reached only through ``emergency.declare``; ``offduty`` only through ``shift.end``.
MEMBER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "with_unit": ("away", "onscene", "pursuit"),
    "away": ("with_unit", "onscene", "pursuit"),
    "onscene": ("with_unit", "away", "pursuit"),
    "pursuit": ("with_unit", "away", "onscene"),
    "down": ("with_unit", "away", "onscene"),
    "offduty": (),
}
