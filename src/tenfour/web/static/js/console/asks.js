// The questions asked before a surprise (pure: state in, words out). Sending a unit
// that is working another incident takes it off that incident; closing an incident
// with a unit in pursuit or transporting, or an officer's emergency open, leaves them
// without an incident. The domain refuses both unless told (reassign, force); the
// console asks first, showing what the dispatcher would be overruling.

import { joinAnd, personName, statusLabel } from "../format.js";

const PLURAL = (n, one, many) => (n === 1 ? one : many);

/** Whether an open emergency holds `unitId` (its member is down): not the console's to ask. */
function heldByEmergency(state, unitId) {
  return Object.values(state.emergencies).some((e) => !e.cleared_at && (e.unit === unitId
    || (e.member && state.members[e.member] && state.members[e.member].unit === unitId)));
}

/** Units among `units` working another open incident: [{unit, status, incident}]. */
export function onOtherIncidents(state, incidentId, units) {
  const found = [];
  for (const id of units) {
    const unit = state.units[id];
    if (!unit || !unit.incident || unit.incident === incidentId) continue;
    const other = state.incidents[unit.incident];
    if (!other || other.status !== "open" || heldByEmergency(state, id)) continue;
    found.push({ unit: id, status: unit.status, incident: other });
  }
  return found;
}

/** "ZPD-3 is en route on 2026-000004 (ASSAULT P2). Take it off and send it to 2026-000007?" */
export function reassignQuestion(busy, incidentId) {
  const what = busy.map(({ unit, status, incident }) =>
    `${unit} is ${statusLabel(status).toLowerCase()} on ${incident.id} (${incident.type} P${incident.priority})`);
  const them = PLURAL(busy.length, "it", "them");
  return `${what.join("; ")}. Take ${them} off and send ${them} to ${incidentId}?`;
}

/** "not sent: ZPD-3 stays on 2026-000004" */
export function reassignDeclined(busy) {
  return `not sent: ${busy.map((b) => `${b.unit} stays on ${b.incident.id}`).join(", ")}`;
}

/** What still holds an incident open: units in pursuit or transporting, open emergencies. */
export function stillCommitted(state, incidentId) {
  const incident = state.incidents[incidentId];
  if (!incident || incident.status !== "open") return [];
  const held = incident.units
    .map((u) => state.units[u])
    .filter((u) => u && (u.status === "pursuit" || u.status === "transporting"))
    .map((u) => `${u.id} ${u.status === "pursuit" ? "in pursuit" : "transporting"}`);
  for (const e of Object.values(state.emergencies)) {
    if (e.cleared_at || e.incident !== incidentId) continue;
    const member = e.member && state.members[e.member];
    held.push(`emergency ${e.id} open${member ? ` (${personName(member)})` : e.unit ? ` (${e.unit})` : ""}`);
  }
  return held;
}

/** "2026-000007 still has ZPD-4 in pursuit and emergency E-000001 open. Close it anyway?" */
export function closeQuestion(incidentId, held) {
  return `${incidentId} still has ${joinAnd(held)}. Close it anyway?`;
}
