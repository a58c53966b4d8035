// The command line's glue: what it completes from (the live state), what each typed
// command does on the page, and the questions it asks before a surprise (a unit taken
// off another incident, an incident closed with units still committed). "/" or F2
// from anywhere jumps to it.

import { ApiError, command } from "../api.js";
import { Cancelled, CommandLine } from "../commandline.js";
import { $ } from "../dom.js";
import { place, statusLabel } from "../format.js";
import {
  acknowledgeAll, acknowledgedText, lineOf, openAlerts, showNewestEmergency,
} from "./alerts.js";
import {
  closeQuestion, onOtherIncidents, reassignDeclined, reassignQuestion, stillCommitted,
} from "./asks.js";
import { showHelp } from "./help.js";
import { activeClosures } from "./mapview.js";
import { PlaceSuggester } from "./places.js";
import { feed, feedReady, select, ui, vocabulary } from "./store.js";

function lineContext() {
  const state = feed.state || { units: {}, incidents: {}, alerts: {}, tips: {} };
  const units = Object.values(state.units)
    .sort((a, b) => (a.status === "offduty") - (b.status === "offduty") || a.id.localeCompare(b.id, undefined, { numeric: true }))
    .map((u) => u.id);
  return {
    units,
    incidents: Object.values(state.incidents).filter((i) => i.status === "open")
      .sort((a, b) => b.created_at.localeCompare(a.created_at)).map((i) => i.id),
    allIncidents: Object.keys(state.incidents),
    // emergency first: a bare "ack" takes the top one
    alerts: feed.state ? openAlerts().map((a) => a.id) : [],
    tips: Object.values(state.tips || {}).filter((t) => t.status === "received").map((t) => t.id),
    closures: activeClosures().map((c) => c.id),
    statuses: vocabulary.unit_statuses,
    types: vocabulary.incident_types,
    roles: vocabulary.subject_roles,
    selected: ui.selected,
  };
}

/**
 * Close an incident; when units are still committed (pursuit, transporting, an open
 * emergency) ask first, listing them, and close with force only on a yes. Throws
 * `Cancelled` on a no. Returns what to say.
 */
export async function closeIncident(incident, disposition) {
  const held = stillCommitted(feed.state, incident);
  const fields = { incident, disposition };
  if (held.length) {
    const yes = await line.ask(closeQuestion(incident, held), { yes: "Close anyway", no: "Keep open" });
    if (!yes) throw new Cancelled(`not closed: ${incident} stays open`);
    fields.force = true;
  }
  const events = await command("incident.close", fields);
  const closed = events.find((e) => e.type === "incident.closed") || {};
  return `incident ${incident} closed: ${closed.disposition || disposition}`
    + (held.length ? ` (with ${held.join(", ")})` : "");
}

/** Send units; a unit working another open incident is taken off it only on a yes. */
async function dispatch(fields) {
  const busy = fields.reassign ? [] : onOtherIncidents(feed.state, fields.incident, fields.units);
  if (busy.length) {
    const yes = await line.ask(reassignQuestion(busy, fields.incident), { yes: "Reassign", no: "Keep" });
    if (!yes) throw new Cancelled(reassignDeclined(busy));
    fields = { ...fields, reassign: true };
  }
  const events = await command("unit.dispatch", fields);
  const taken = events.filter((e) => e.diverted_from).map((e) => `${e.unit} off ${e.diverted_from}`);
  return `${events.map((e) => e.unit).join(", ")} dispatched to ${fields.incident}`
    + (taken.length ? ` (taken ${taken.join(", ")})` : "");
}

/** Acknowledge an alert's whole line (a missed check and the unresponsive after it). */
async function acknowledge(alertId) {
  const state = feed.state;
  const line_ = lineOf(alertId, state);
  if (!line_) {
    await command("alert.acknowledge", { alert: alertId }); // the server says why not
    return `alert ${alertId} acknowledged`;
  }
  const named = line_.alerts.find((a) => a.id === alertId);
  const alerts = [named, ...line_.alerts.filter((a) => a !== named)];
  await acknowledgeAll(alerts);
  return acknowledgedText(alerts, state);
}

async function runLine(parsed) {
  if (parsed.local === "help") {
    showHelp(parsed.args.topic);
    return "commands and keys shown (Esc closes)";
  }
  if (parsed.local === "select") {
    const id = parsed.args.incident;
    if (!select(id, { center: true })) {
      throw new ApiError(404, { error: { message: `no incident ${id}`, problems: [{ field: "incident", reason: `no incident ${id}` }] } });
    }
    return `showing ${id}`;
  }
  if (parsed.local === "emergency") {
    const shown = showNewestEmergency();
    if (!shown.ok) throw new Error(shown.text);
    return shown.text;
  }
  switch (parsed.do) {
    case "alert.acknowledge":
      return acknowledge(parsed.fields.alert);
    case "unit.dispatch":
      return dispatch(parsed.fields);
    case "incident.close":
      return closeIncident(parsed.fields.incident, parsed.fields.disposition);
    default:
      break;
  }
  const events = await command(parsed.do, parsed.fields);
  const first = events[0] || {};
  switch (parsed.do) {
    case "call.create": {
      const linked = events.find((e) => e.type === "incident.linked");
      if (linked) {
        feedReady(() => select(linked.incident));
        return `call ${linked.call} linked to ${linked.incident} as a duplicate: ${duplicateWhy(linked)}`;
      }
      const created = events.find((e) => e.type === "incident.created");
      if (created) feedReady(() => select(created.incident));
      return `call ${first.call}: incident ${created.incident} created: ${created.incident_type} P${created.priority} at ${place(created.location)}`;
    }
    case "road.close": {
      const what = first.closed ? "closed" : `slowed ×${first.factor}`;
      return `${first.closure}: ${first.street || place(first.location)} ${what} (${first.segments.length} road segments)`;
    }
    case "road.reopen":
      return `${first.closure} reopened`;
    case "incident.create":
    case "tip.promote": {
      const created = events.find((e) => e.type === "incident.created");
      if (created) {
        feedReady(() => select(created.incident));
        return `incident ${created.incident} created: ${created.incident_type} P${created.priority} at ${place(created.location)}`;
      }
      const linked = events.find((e) => e.type === "incident.linked");
      return linked ? `linked to incident ${linked.incident} (duplicate)` : "done";
    }
    case "unit.status":
      return `${first.unit}: ${statusLabel(first.from)} → ${statusLabel(first.to)}`;
    case "incident.note":
      return `note added to ${parsed.fields.incident}`;
    case "subject.add":
      return `${first.role} ${first.subject} added to ${first.incident}`;
    default:
      return events.map((e) => e.type).join(", ") || "done";
  }
}

/** "score 0.83, same type, 40 m, 2 min" from a link's score and reasons. */
function duplicateWhy(linked) {
  const parts = [`score ${Number(linked.score).toFixed(2)}`];
  for (const reason of linked.reasons || []) {
    const metres = /^(\d+) m from/.exec(reason);
    const minutes = /opened ([\d.]+) min/.exec(reason);
    if (reason.startsWith("same type")) parts.push("same type");
    else if (metres) parts.push(`${metres[1]} m`);
    else if (minutes) {
      const m = Number(minutes[1]);
      parts.push(m < 1 ? `${Math.round(m * 60)} s` : `${Math.round(m)} min`);
    } else parts.push(reason);
  }
  return parts.join(", ");
}

export const line = new CommandLine({
  input: $("#command"),
  list: $("#choices"),
  hint: $("#command-hint"),
  message: $("#command-result"),
  confirm: $("#confirm"),
  context: lineContext,
  run: runLine,
  places: new PlaceSuggester(),
});

document.addEventListener("keydown", (e) => {
  const typing = e.target.closest && e.target.closest("input, textarea, select, [contenteditable]");
  if ((e.key === "/" && !typing) || e.key === "F2") {
    e.preventDefault();
    $("#command").focus();
  }
});
