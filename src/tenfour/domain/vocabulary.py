"""Every field each event type may carry at top level, for checking what names an event.

``events.EVENTS`` says what an event always carries (the domain refuses to build one
without it); this table says everything it *may* carry. The scenario checker uses it
to refuse a ``match:`` key no such event ever has: a misspelt key would otherwise make
an ``event`` expectation fail for a puzzling reason and, worse, make a ``no_event``
expectation pass whatever happens. A test runs every shipped scenario and checks each
journaled event against this table, so it cannot silently fall behind the domain.
"""

from __future__ import annotations

#: The envelope every exported event has besides its data (see ``StoredEvent.to_json``);
#: a scenario may match on these for any event type.
ENVELOPE: frozenset[str] = frozenset({"seq", "type", "at", "by"})

#: Event type -> every data field it may carry at top level (not the envelope).
EVENT_FIELDS: dict[str, frozenset[str]] = {
    name: frozenset(fields.split())
    for name, fields in {
        # The roster.
        "agency.registered": "agency kind name",
        "facility.registered": "facility kind name location",
        "member.registered": "member name agency rank radio",
        "unit.registered": "unit agency kind home",
        "unit.logged_on": "unit members status vehicle location",
        "unit.logged_off": "unit members from incident",
        # Tips, calls and incidents. ``incident.updated`` repeats its changes at top
        # level so they can be matched directly.
        "tip.received": "tip tracking_code text anonymous location contact",
        "tip.dismissed": "tip reason",
        "call.received": "call source text incident_type priority location caller",
        "incident.created": (
            "incident incident_type priority location source text tip call unit member emergency"
            " diverted_from origin"
        ),
        "incident.linked": "incident call score reasons",
        "incident.unlinked": "incident call new_incident",
        "incident.updated": (
            "incident changes before incident_type priority location emergency call reason"
        ),
        "incident.noted": "incident text",
        "incident.closed": "incident disposition units",
        # Units and members. A position report's ``at`` is the device's own time.
        "unit.dispatched": "unit incident mode from reassign diverted_from",
        "unit.status_changed": "unit from to incident location reason facility diverted_from",
        "unit.located": "unit lat lon speed heading accuracy at source device",
        "member.located": "member unit lat lon speed heading accuracy at source device",
        "member.status_changed": "member from to unit incident location text",
        "member.checked_in": "member unit text",
        # Officer safety, alerts and recommendations.
        "backup.requested": "incident count urgency location member unit",
        "emergency.declared": (
            "emergency incident location text member unit own_incident away_from diverted_from"
        ),
        "emergency.located": "emergency incident location member unit diverted_from",
        "emergency.cleared": "emergency incident member text follow",
        "alert.raised": (
            "alert kind severity member unit incident emergency text missing need cause_seq"
            " resolves message"
        ),
        "alert.acknowledged": "alert kind",
        "alert.resolved": "alert kind member unit incident emergency reason message",
        "recommendation.made": (
            "incident location purpose need count candidates excluded responding reason"
        ),
        # Subjects, arrests, BOLOs and transports.
        "subject.added": "subject incident role description member",
        "bolo.issued": "bolo subject description area expires incident",
        "bolo.cancelled": "bolo",
        "arrest.recorded": "incident subject charges members",
        "transport.started": (
            "unit incident patient patient_member destination destination_location need warning"
        ),
        "transport.arrived": "unit incident destination",
        # Roads.
        "road.closed": "closure segments closed factor location radius_m street reason map",
        "road.reopened": "closure reason",
        # Messages between desk and field: ``recipients`` are the members it was
        # addressed to when sent, ``parties`` every member who may read it (they and
        # an officer sender); ``reader`` is a member id, or ``dispatch`` for the desk.
        "message.sent": (
            "message to unit member agency text canned priority recipients parties from_member"
        ),
        "message.delivered": "message reader parties",
        "message.read": "message reader parties",
        # Hospital status.
        "facility.status_changed": "facility state services beds text from",
        # Who got in, or was kept out.
        **dict.fromkeys(
            (
                "audit.login",
                "audit.logout",
                "audit.login_failed",
                "audit.locked",
                "audit.denied",
                "audit.throttled",
                "audit.account",
            ),
            "action user outcome source detail target",
        ),
    }.items()
}


def match_keys(event_type: str) -> frozenset[str]:
    """What a scenario may match on for ``event_type``: its fields and the envelope."""
    return EVENT_FIELDS[event_type] | ENVELOPE
