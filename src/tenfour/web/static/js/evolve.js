// Folding live events into the snapshot, exactly as `tenfour.domain.state.evolve` does.
//
// The state is the JSON of `tenfour.domain.snapshot.state_to_json`: tables keyed by id
// (agencies, facilities, members, units, tips, calls, incidents, subjects, alerts,
// emergencies, bolos), plus tips_by_code, counters, versions and seq. The web tests
// check that a page's folded state equals a fresh snapshot after every event type.
//
// The server sends each role only what it may read (tenfour.domain.visibility): an
// officer gets no tips (an incident made from one names it, but the tip is not
// there), an analyst gets tips without contact and tracking code.

/** Envelope keys of a live event; everything else is the event's data. */
export const ENVELOPE = ["seq", "type", "stream", "version", "at", "by", "idempotency_key"];

const point = (value) =>
  value && typeof value === "object" && !Array.isArray(value) ? { ...value } : null;

function count(s, counter) {
  s.counters[counter] = (s.counters[counter] || 0) + 1;
}

function detachUnit(s, unit) {
  const incident = unit.incident ? s.incidents[unit.incident] : undefined;
  if (incident) {
    const at = incident.units.indexOf(unit.id);
    if (at >= 0) incident.units.splice(at, 1);
  }
  unit.incident = null;
}

// The distressed member's unit stays with him: on his emergency's incident.
function commitUnit(s, d) {
  if (d.unit && d.incident) attachUnit(s, s.units[d.unit], d.incident);
}

function attachUnit(s, unit, incidentId) {
  if (unit.incident !== incidentId) detachUnit(s, unit);
  unit.incident = incidentId;
  const incident = s.incidents[incidentId];
  if (incident && !incident.units.includes(unit.id)) incident.units.push(unit.id);
}

function setUnitStatus(unit, status, at) {
  if (unit.status !== status) {
    unit.status = status;
    unit.status_since = at;
  }
}

const nothing = () => {};

const APPLY = {
  "agency.registered": (s, d) => {
    s.agencies[d.agency] = { id: d.agency, kind: d.kind, name: d.name };
  },
  "facility.registered": (s, d) => {
    s.facilities[d.facility] = {
      id: d.facility, kind: d.kind, name: d.name, location: { ...d.location },
      status: "open", diversion: [], beds: {}, status_by: null, status_at: null,
    };
  },
  "member.registered": (s, d) => {
    s.members[d.member] = {
      id: d.member, name: d.name, agency: d.agency, rank: d.rank, status: "offduty",
      status_since: null, unit: null, incident: null, location: null, located_at: null,
    };
  },
  "unit.registered": (s, d) => {
    s.units[d.unit] = {
      id: d.unit, agency: d.agency, kind: d.kind, home: point(d.home), status: "offduty",
      status_since: null, incident: null, members: [], vehicle: null, location: null,
      located_at: null, destination: null,
    };
  },
  "unit.logged_on": (s, d, e) => {
    const unit = s.units[d.unit];
    unit.members = [...d.members];
    unit.vehicle = d.vehicle ?? null;
    setUnitStatus(unit, d.status, e.at);
    if (d.location) {
      unit.location = point(d.location);
      unit.located_at = e.at;
    }
    for (const id of unit.members) {
      const member = s.members[id];
      member.unit = unit.id;
      member.status = "with_unit";
      member.status_since = e.at;
      if (unit.location) {
        member.location = { ...unit.location };
        member.located_at = e.at;
      }
    }
  },
  "unit.logged_off": (s, d, e) => {
    const unit = s.units[d.unit];
    detachUnit(s, unit);
    setUnitStatus(unit, "offduty", e.at);
    for (const id of unit.members) {
      const member = s.members[id];
      member.unit = null;
      member.incident = null;
      member.status = "offduty";
      member.status_since = e.at;
    }
    unit.members = [];
  },
  "tip.received": (s, d, e) => {
    count(s, "tip");
    s.tips[d.tip] = {
      id: d.tip, tracking_code: d.tracking_code ?? null, text: d.text, location: point(d.location),
      contact: d.contact ?? null, received_at: e.at, status: "received", incident: null,
    };
    if (d.tracking_code != null) s.tips_by_code[d.tracking_code] = d.tip;
  },
  "tip.dismissed": (s, d) => {
    s.tips[d.tip].status = "dismissed";
  },
  "call.received": (s, d, e) => {
    count(s, "call");
    s.calls[d.call] = {
      id: d.call, source: d.source, text: d.text, type: d.incident_type,
      priority: d.priority, location: { ...d.location }, received_at: e.at, incident: null,
    };
  },
  "incident.created": (s, d, e) => {
    count(s, `incident:${d.incident.slice(0, 4)}`);
    const incident = {
      id: d.incident, type: d.incident_type, priority: d.priority,
      location: { ...d.location }, source: d.source, created_at: e.at, status: "open",
      units: [], calls: [], subjects: [], tip: null, disposition: null, closed_at: null,
      origin: d.origin ? { ...d.origin } : null,
    };
    s.incidents[incident.id] = incident;
    if (d.tip) {
      incident.tip = d.tip;
      const tip = s.tips[d.tip];
      if (tip) {
        tip.status = "promoted";
        tip.incident = incident.id;
      }
    }
    if (d.call) {
      s.calls[d.call].incident = incident.id;
      incident.calls.push(d.call);
    }
    if (d.unit) attachUnit(s, s.units[d.unit], incident.id);
    if (d.member) {
      const member = s.members[d.member];
      member.incident = incident.id;
      member.location = { ...incident.location };
      member.located_at = e.at;
    }
  },
  "incident.linked": (s, d) => {
    s.calls[d.call].incident = d.incident;
    s.incidents[d.incident].calls.push(d.call);
  },
  "incident.unlinked": (s, d) => {
    const calls = s.incidents[d.incident].calls;
    const at = calls.indexOf(d.call);
    if (at >= 0) calls.splice(at, 1);
    s.calls[d.call].incident = null;
  },
  "incident.updated": (s, d) => {
    const incident = s.incidents[d.incident];
    const changes = d.changes;
    if ("incident_type" in changes) incident.type = changes.incident_type;
    if ("priority" in changes) incident.priority = changes.priority;
    if ("location" in changes) incident.location = { ...changes.location };
  },
  "incident.noted": nothing,
  "incident.closed": (s, d, e) => {
    const incident = s.incidents[d.incident];
    incident.status = "closed";
    incident.disposition = d.disposition;
    incident.closed_at = e.at;
    for (const id of incident.units) {
      const unit = s.units[id];
      if (unit.incident === incident.id) unit.incident = null;
    }
    incident.units = [];
    for (const member of Object.values(s.members)) {
      if (member.incident === incident.id) member.incident = null;
    }
  },
  "unit.dispatched": (s, d, e) => {
    const unit = s.units[d.unit];
    attachUnit(s, unit, d.incident);
    setUnitStatus(unit, "dispatched", e.at);
  },
  "unit.status_changed": (s, d, e) => {
    const unit = s.units[d.unit];
    setUnitStatus(unit, d.to, e.at);
    if (d.to !== "transporting" && d.to !== "athospital") unit.destination = null;
    if (["available", "outofservice", "offduty"].includes(d.to)) detachUnit(s, unit);
    else if (d.incident) attachUnit(s, unit, d.incident);
    if (d.location && d.location.lat !== undefined && d.location.lat !== null) {
      unit.location = point(d.location);
      unit.located_at = e.at;
    } else if (d.to === "onscene" && s.incidents[unit.incident]) {
      // "On scene" is a position report of its own: the incident's place (state.py).
      const where = s.incidents[unit.incident].location;
      unit.location = { lat: where.lat, lon: where.lon };
      unit.located_at = e.at;
      for (const memberId of unit.members) {
        const member = s.members[memberId];
        if (member.status === "with_unit") {
          member.location = { ...unit.location };
          member.located_at = e.at;
        }
      }
    }
  },
  "unit.located": (s, d, e) => {
    const unit = s.units[d.unit];
    unit.location = { lat: d.lat, lon: d.lon };
    unit.located_at = e.at;
  },
  "member.located": (s, d, e) => {
    const member = s.members[d.member];
    member.location = { lat: d.lat, lon: d.lon };
    member.located_at = e.at;
  },
  "member.status_changed": (s, d, e) => {
    const member = s.members[d.member];
    if (member.status !== d.to) {
      member.status = d.to;
      member.status_since = e.at;
    }
    if (d.incident) member.incident = d.incident;
    if (d.location && d.location.lat !== undefined && d.location.lat !== null) {
      member.location = point(d.location);
      member.located_at = e.at;
    }
  },
  "member.checked_in": nothing,
  "backup.requested": nothing,
  "emergency.declared": (s, d, e) => {
    count(s, "emergency");
    s.emergencies[d.emergency] = {
      id: d.emergency, member: d.member ?? null, unit: d.unit ?? null,
      incident: d.incident ?? null, location: d.location ? { ...d.location } : null,
      declared_at: e.at, declared_by: e.by, cleared_at: null,
    };
    if (d.member) {
      const member = s.members[d.member];
      member.status = "down";
      member.status_since = e.at;
      if (d.incident) member.incident = d.incident;
    }
    commitUnit(s, d);
  },
  "emergency.located": (s, d) => {
    const emergency = s.emergencies[d.emergency];
    emergency.location = { ...d.location };
    emergency.incident = d.incident;
    if (emergency.member) s.members[emergency.member].incident = d.incident;
    commitUnit(s, d);
  },
  "emergency.cleared": (s, d, e) => {
    s.emergencies[d.emergency].cleared_at = e.at;
    // The unit goes on to the partner still down (domain/safety.py emergency_clear).
    for (const follow of d.follow || []) attachUnit(s, s.units[follow.unit], follow.incident);
  },
  "alert.raised": (s, d, e) => {
    count(s, "alert");
    s.alerts[d.alert] = {
      id: d.alert, kind: d.kind, severity: d.severity, raised_at: e.at,
      member: d.member ?? null, unit: d.unit ?? null, incident: d.incident ?? null,
      emergency: d.emergency ?? null, text: d.text ?? null,
      acknowledged_by: null, acknowledged_at: null, resolved_at: null, resolved_reason: null,
      message: d.message ?? null,
    };
  },
  "alert.acknowledged": (s, d, e) => {
    const alert = s.alerts[d.alert];
    alert.acknowledged_by = e.by;
    alert.acknowledged_at = e.at;
  },
  "alert.resolved": (s, d, e) => {
    const alert = s.alerts[d.alert];
    alert.resolved_at = e.at;
    alert.resolved_reason = d.reason;
  },
  "recommendation.made": nothing,
  "subject.added": (s, d) => {
    count(s, "subject");
    s.subjects[d.subject] = {
      id: d.subject, incident: d.incident, role: d.role,
      description: d.description ?? null, member: d.member ?? null,
    };
    s.incidents[d.incident].subjects.push(d.subject);
  },
  "bolo.issued": (s, d, e) => {
    count(s, "bolo");
    s.bolos[d.bolo] = {
      id: d.bolo, description: d.description ?? null, subject: d.subject ?? null,
      area: d.area ?? null, expires: d.expires ?? null, issued_at: e.at, active: true,
      incident: d.incident ?? null, cancelled_at: null,
    };
  },
  "bolo.cancelled": (s, d, e) => {
    s.bolos[d.bolo].active = false;
    s.bolos[d.bolo].cancelled_at = e.at;
  },
  "arrest.recorded": nothing,
  "transport.started": (s, d) => {
    s.units[d.unit].destination = d.destination;
  },
  "transport.arrived": nothing,
  "road.closed": (s, d, e) => {
    count(s, "closure");
    if (!s.closures) s.closures = {};
    s.closures[d.closure] = {
      id: d.closure, segments: d.segments.map(Number), factor: d.closed ? null : Number(d.factor),
      closed_at: e.at, closed_by: e.by, street: d.street ?? null, location: point(d.location),
      reason: d.reason ?? null, map: d.map ?? null, reopened_at: null,
    };
  },
  "road.reopened": (s, d, e) => {
    s.closures[d.closure].reopened_at = e.at;
  },
  // Messages are numbered by count (domain/messages.py): no counter to keep.
  "message.sent": (s, d, e) => {
    if (!s.messages) s.messages = {};
    const to = d.to;
    s.messages[d.message] = {
      id: d.message, to, target: ["unit", "member", "agency"].includes(to) ? d[to] ?? null : null,
      text: d.text, priority: d.priority, sent_at: e.at, sent_by: e.by,
      recipients: [...d.recipients], parties: [...d.parties],
      from_member: d.from_member ?? null, canned: d.canned ?? null, delivered: {}, read: {},
    };
  },
  "message.delivered": (s, d, e) => {
    const message = s.messages?.[d.message];
    if (message && !(d.reader in message.delivered)) message.delivered[d.reader] = e.at;
  },
  "message.read": (s, d, e) => {
    const message = s.messages?.[d.message];
    if (message && !(d.reader in message.read)) message.read[d.reader] = e.at;
  },
  "facility.status_changed": (s, d, e) => {
    const facility = s.facilities[d.facility];
    facility.status = d.state;
    facility.diversion = [...d.services];
    facility.beds = { ...d.beds };
    facility.status_by = e.by;
    facility.status_at = e.at;
  },
};

/** The data fields of a live event (the envelope keys taken out). */
export function dataOf(event) {
  const data = {};
  for (const [key, value] of Object.entries(event)) {
    if (!ENVELOPE.includes(key)) data[key] = value;
  }
  return data;
}

/** Fold one live event (the flat JSON of the feed) into `state`, in place. */
export function evolve(state, event) {
  const apply = APPLY[event.type];
  // An event type this page does not know (a newer server): keep the position only.
  if (apply) apply(state, dataOf(event), event);
  state.versions[event.stream] = event.version;
  state.seq = event.seq;
  return state;
}
