// The officer's MDT (mobile data terminal), on a phone or a car laptop: his unit and
// assignment, his own status apart from the unit's (mdt/me.js), the unit's status
// buttons, check-in, backup, the emergency button (hold, or press and confirm) and the
// help that is coming, "officer down" for a partner and the prompts that keep him safe
// (mdt/safety.js), what he records on his incident (mdt/records.js), incidents he starts
// (mdt/initiate.js), incident details, BOLOs, sharing the phone's position
// (mdt/position.js), and messages with dispatch (mdt/messages.js).

import { api, command } from "./api.js";
import { $, announce, h, replaceChildren, debounce } from "./dom.js";
import { clock, elapsed, eta, joinAnd, place, since, statusLabel } from "./format.js";
import { LiveFeed } from "./live.js";
import { HoldButton } from "./mdt/hold.js";
import { renderInitiate, setupInitiate } from "./mdt/initiate.js";
import { renderMe, setupMe } from "./mdt/me.js";
import { renderMessages, setupMessages } from "./mdt/messages.js";
import { PositionSharing } from "./mdt/position.js";
import { myIncident, noteTransport, renderRecords, setupRecords } from "./mdt/records.js";
import { renderSafety, setupSafety } from "./mdt/safety.js";
import { startSession } from "./session.js";
import { Alarm } from "./sound.js";

const session = await startSession();
const { me, vocabulary } = session;
const feed = new LiveFeed({ heartbeatS: vocabulary.heartbeat_s });
const alarm = new Alarm();
/** Statuses an officer sets from the MDT, in the order of the buttons. */
const BUTTONS = ["enroute", "onscene", "available", "busy", "pursuit", "outofservice"];
const ON_INCIDENT = new Set(["dispatched", "enroute", "onscene", "pursuit", "transporting"]);
/** What the MDT's incident timeline shows (the rest is the dispatcher's business). */
const TIMELINE = new Set(["incident.created", "incident.noted", "incident.updated", "unit.dispatched",
  "unit.status_changed", "member.status_changed", "subject.added", "arrest.recorded",
  "transport.started", "transport.arrived", "backup.requested", "emergency.declared",
  "emergency.cleared"]);
const ui = {
  detail: null, detailFor: null, routes: new Map(), emergencySentAt: null,
  // his urgent backup request waiting for the system's ranking, and the latest backup
  // ranking per incident
  backupAsk: null, backupRanked: new Map(),
};

function mine() {
  const state = feed.state;
  const member = state && me.member ? state.members[me.member] : null;
  const unit = member && member.unit ? state.units[member.unit] : null;
  return { state, member, unit };
}

const position = new PositionSharing({ mine, box: $("#share-location"), status: $("#location-status") });
/** What the MDT's parts share. */
const ctx = { feed, me, vocabulary, ui, alarm, position, mine, render: () => render() };
window.tenfour = { feed, ui, alarm, get state() { return feed.state; } };

$("#logout").addEventListener("click", () => session.logout());
// The bar's menu closes as a menu does: Esc (back on its button), or a tap elsewhere.
const barMenu = $("#bar-menu");
barMenu.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && barMenu.open) {
    barMenu.open = false;
    barMenu.querySelector("summary").focus();
  }
});
document.addEventListener("click", (e) => {
  if (barMenu.open && !barMenu.contains(e.target)) barMenu.open = false;
});
alarm.showWhileOff($("#sound"));

const conn = $("#conn");
feed.on((kind, detail) => {
  if (kind === "status") {
    conn.dataset.status = detail.status;
    conn.textContent = { live: "Live", reconnecting: "Reconnecting…", loading: "Loading…" }[detail.status] || detail.status;
    if (detail.status === "logged-out") session.leave("expired");
  } else {
    if (kind === "event") onEvent(detail);
    render();
  }
});

function onEvent(event) {
  const { member, unit } = mine();
  if (event.type === "recommendation.made" && event.purpose === "backup") {
    ui.backupRanked.set(event.incident, event);
    tellBackup();
  }
  if (event.type === "unit.dispatched" && unit && event.unit === unit.id) {
    announce(`Dispatched to incident ${event.incident}`);
    navigator.vibrate?.([200, 100, 200]);
  }
  if (unit && event.unit === unit.id && event.type.startsWith("transport.")) noteTransport(ctx, [event]);
  const emergency = myEmergency();
  if (emergency && ["unit.dispatched", "unit.status_changed", "unit.located"].includes(event.type)) {
    wantRoutes();
  }
  const incident = ui.detailFor;
  if (incident && (event.incident === incident || event.stream === `incident:${incident}`)) loadDetailSoon();
  if (member && event.type === "alert.acknowledged") render();
}

// --- rendering ------------------------------------------------------------------------
let frame = null;
function render() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = null;
    if (!feed.state) return;
    renderHeader();
    renderSafety(ctx);
    renderMessages(ctx);
    renderHelp();
    renderAssignment();
    renderMe(ctx);
    renderStatus();
    renderRecords(ctx);
    renderInitiate(ctx);
    renderBolos();
    tick();
  });
}

function renderHeader() {
  const { member, unit } = mine();
  if (!me.member || !member) {
    $("#unit-id").textContent = "MDT";
    $("#who").textContent = `${me.username} · ${me.role}`;
    showNoUnit("This account is not linked to a member: the MDT needs an officer's account.");
    return;
  }
  $("#unit-id").textContent = unit ? unit.id : "No unit";
  replaceChildren($("#who"), `${member.name} · `,
    h("span", { class: "chip", dataset: { status: member.status === "with_unit" ? "available" : member.status } }, statusLabel(member.status)));
  if (!unit) showNoUnit("You are not on a unit: start your shift with dispatch.");
  else $("#no-unit").hidden = true;
  $("#status-title").textContent = unit ? `Unit ${unit.id}: status` : "My unit's status";
}

function showNoUnit(text) {
  const box = $("#no-unit");
  box.textContent = text;
  box.hidden = false;
}

function myEmergency() {
  const state = feed.state;
  if (!state || !me.member) return null;
  return Object.values(state.emergencies)
    .filter((e) => !e.cleared_at && e.member === me.member)
    .sort((a, b) => b.declared_at.localeCompare(a.declared_at))[0] || null;
}

function renderHelp() {
  const emergency = myEmergency();
  const panel = $("#help-coming");
  const wasHidden = panel.hidden;
  panel.hidden = !emergency;
  const box = $("#emergency-box");
  if (!emergency && box.hidden) {
    // His emergency was cleared: the button is his again, for the next one.
    emergencyLabel("EMERGENCY");
    ownButton.reset();
  }
  box.hidden = Boolean(emergency);
  if (!emergency) return;
  const state = feed.state;
  const { unit } = mine();
  const incident = state.incidents[emergency.incident];
  const where = incident ? incident.location : emergency.location;
  const by = emergency.declared_by === me.member ? "" : ` by ${state.members[emergency.declared_by]?.name || emergency.declared_by}`;
  $("#help-detail").textContent = `${emergency.id} · ${emergency.incident ? `incident ${emergency.incident}${incident ? ` ${incident.type}` : ""}` : "no incident yet"} · ${where ? place(where) : "position unknown: tell dispatch where you are"} · declared ${clock(emergency.declared_at)}${by}`;
  const coming = (incident ? incident.units : [])
    .filter((id) => !unit || id !== unit.id)
    .map((id) => state.units[id])
    .filter(Boolean);
  replaceChildren($("#help-units"), coming.length
    ? coming.map((u) => {
      // Only a route to the incident, of a unit still driving there, says when help
      // comes (not an ambulance's to a hospital, nor a route read before it arrived).
      const route = ui.routes.get(u.id);
      const driving = u.status === "dispatched" || u.status === "enroute";
      const toUs = driving && route && !route.facility && route.eta_s !== null;
      const when = u.status === "onscene" ? "on scene" : toUs ? `ETA ${eta(route.eta_s)}` : statusLabel(u.status);
      return h("li", { dataset: { unit: u.id } }, h("span", {}, `${u.id} (${u.kind})`), h("span", {}, when));
    })
    : h("li", {}, "Dispatch is sending units…"));
  const alert = Object.values(state.alerts).find((a) => a.emergency === emergency.id && a.kind === "emergency");
  $("#help-ack").textContent = alert && alert.acknowledged_by
    ? `Dispatch acknowledged (${alert.acknowledged_by}, ${clock(alert.acknowledged_at)}). A supervisor clears the emergency.`
    : "Dispatch has been alerted.";
  if (wasHidden) {
    wantRoutes();
    announce(`Emergency declared. ${coming.length} units coming.`);
  }
}

function renderAssignment() {
  const { state, unit } = mine();
  const box = $("#assignment");
  const incident = myIncident(ctx);
  if (!incident) {
    replaceChildren(box, h("p", { class: "muted" }, "No assignment."));
    replaceChildren($("#incident-details"), h("p", { class: "muted" }, "No incident."));
    ui.detailFor = null;
    return;
  }
  // An officer is sent no tips (need to know): a tip's text is its incident's.
  const tip = incident.tip && state.tips?.[incident.tip];
  const dispatched = unit && unit.incident === incident.id && unit.status === "dispatched";
  replaceChildren(box,
    h("div", { class: "headline" },
      h("span", { class: "prio", dataset: { p: incident.priority } }, `P${incident.priority}`),
      h("span", { class: "id" }, incident.id),
      h("span", { class: "type" }, incident.type)),
    h("p", { class: "address" }, place(incident.location)),
    unit
      ? h("p", { class: "muted" }, `${statusLabel(unit.status)} for `, h("span", { class: "age", dataset: { since: unit.status_since || "" } }),
        ` · other units: ${incident.units.filter((u) => u !== unit.id).join(", ") || "none"}`)
      : null,
    tip ? h("p", {}, h("strong", {}, "Tip: "), tip.text) : null,
    dispatched
      ? h("button", {
        type: "button", class: "primary ack-button", id: "acknowledge",
        onclick: () => setStatus("enroute"),
      }, "Acknowledge · en route")
      : null);
  if (ui.detailFor !== incident.id) {
    ui.detailFor = incident.id;
    loadDetail();
  }
}

function renderStatus() {
  const { unit } = mine();
  const buttons = $("#status-buttons");
  if (!unit) {
    replaceChildren(buttons);
    replaceChildren($("#my-status"), h("span", { class: "muted" }, "No unit."));
    return;
  }
  replaceChildren($("#my-status"),
    h("span", { class: "chip", dataset: { status: unit.status } }, statusLabel(unit.status)),
    h("span", { class: "muted" }, " for "), h("span", { class: "age", dataset: { since: unit.status_since || "" } }));
  const allowed = new Set(vocabulary.unit_transitions[unit.status] || []);
  replaceChildren(buttons, BUTTONS.map((status) => h("button", {
    type: "button",
    class: "status-button",
    dataset: { status, key: `status-${status}` },
    "aria-pressed": String(unit.status === status),
    disabled: unit.status !== status && !allowed.has(status),
    onclick: () => setStatus(status),
  }, statusLabel(status))));
}

function renderBolos() {
  const bolos = Object.values(feed.state.bolos).filter((b) => b.active)
    .sort((a, b) => b.issued_at.localeCompare(a.issued_at));
  replaceChildren($("#bolos"), bolos.length
    ? bolos.map((b) => h("div", { class: "bolo" },
      h("strong", {}, `${b.id} · ${clock(b.issued_at)}`),
      h("p", {}, b.description || (b.subject ? `subject ${b.subject}` : "")),
      b.area ? h("p", { class: "muted" }, `Area: ${b.area}`) : null))
    : h("p", { class: "muted" }, "No active BOLO."));
}

// Live events come in bursts (a dispatch and its status changes): fetch once after.
const loadDetailSoon = debounce(() => loadDetail(), 200);

async function loadDetail() {
  const id = ui.detailFor;
  if (!id) return;
  try {
    const detail = await api(`/api/incidents/${encodeURIComponent(id)}`);
    if (ui.detailFor !== id) return;
    noteTransport(ctx, detail.timeline.filter((e) => e.type.startsWith("transport.")));
    const worth = detail.timeline.filter((e) => TIMELINE.has(e.type));
    replaceChildren($("#incident-details"),
      detail.subjects.length
        ? h("ul", { class: "subjects", "aria-label": "Subjects" }, detail.subjects.map((s) => h("li", { dataset: { subject: s.id } },
          h("strong", {}, `${s.role} `), `${s.id}: ${s.description || s.member || ""}`)))
        : null,
      h("ol", { class: "timeline", reversed: true, "aria-label": "Incident timeline, newest first" },
        [...worth].reverse().map((e) => h("li", { title: e.type, dataset: { type: e.type, seq: e.seq } },
          h("time", { datetime: e.at }, clock(e.at)), h("span", { class: "what" }, entryText(e))))));
    render();
  } catch (failure) {
    replaceChildren($("#incident-details"), h("p", { class: "field-error" }, failure.describe ? failure.describe() : String(failure)));
  }
}

/** A timeline line: the server's sentence (the raw event type is its title, on hover);
 * an incident made from a tip or call shows what was reported. */
function entryText(e) {
  const said = e.type === "incident.created" && e.data && e.data.text;
  const text = e.text || e.type;
  return said && !text.includes(said) ? `${text}: ${said}` : text;
}

// --- actions --------------------------------------------------------------------------
async function setStatus(status) {
  const { unit } = mine();
  const error = $("#status-error");
  error.hidden = true;
  if (!unit) return;
  const fields = { unit: unit.id, status };
  if (ON_INCIDENT.has(status) && unit.incident) fields.incident = unit.incident;
  const fix = position.lastFix;
  if (fix) fields.location = { lat: fix.lat, lon: fix.lon };
  try {
    await command("unit.status", fields);
    announce(`Status ${statusLabel(status)}`);
  } catch (failure) {
    error.textContent = failure.describe ? failure.describe() : String(failure);
    error.hidden = false;
  }
}

/**
 * Ask for `count` more units (the "How many units" choice, 1 by default). Urgent: the
 * system sends the nearest ones at once, and the line names them when its ranking
 * comes in on the feed; routine: dispatch is asked and decides. The choice goes back
 * to 1 once sent, so the next request does not ask for four by surprise.
 */
async function backup(urgency) {
  const { member, unit } = mine();
  if (!member) return;
  const out = $("#action-result");
  const incident = myIncident(ctx);
  if (!incident) {
    out.className = "field-error";
    out.textContent = "✗ Backup needs an incident: you are on none. Use the emergency button if you are in danger.";
    return;
  }
  const picker = $("#backup-count");
  const count = Number(picker.value);
  const fields = { member: member.id, incident: incident.id, urgency, count };
  if (unit) fields.unit = unit.id;
  const units = count === 1 ? "1 unit" : `${count} units`;
  out.className = "";
  try {
    const events = await command("backup.request", fields);
    picker.value = "1";
    if (urgency === "urgent") {
      out.textContent = `✓ urgent backup requested: the nearest ${units === "1 unit" ? "unit" : units} being sent`;
      const asked = events.find((e) => e.type === "backup.requested");
      ui.backupAsk = asked ? { incident: incident.id, seq: asked.seq } : null;
      tellBackup();
    } else {
      out.textContent = `✓ backup of ${units} requested from dispatch`;
    }
    announce(out.textContent.slice(2));
  } catch (failure) {
    out.className = "field-error";
    out.textContent = `✗ ${failure.describe ? failure.describe() : failure}`;
  }
}
/**
 * Which units the system sent for his urgent request: the backup ranking made after it
 * (its first `count` candidates are the ones dispatched), or that none were added
 * because enough are already responding. The ranking may come in on the feed before
 * the request's own answer, so the latest one per incident is kept.
 */
function tellBackup() {
  const ask = ui.backupAsk;
  const ranked = ask && ui.backupRanked.get(ask.incident);
  if (!ranked || ranked.seq <= ask.seq) return;
  ui.backupAsk = null;
  const sent = ranked.candidates.slice(0, ranked.count).map((c) => c.unit);
  const responding = ranked.responding || [];
  const out = $("#action-result");
  out.className = "";
  out.textContent = sent.length
    ? `✓ urgent backup requested: ${joinAnd(sent)} ${sent.length === 1 ? "is" : "are"} being sent`
    : responding.length
      ? `✓ urgent backup requested: none added, ${joinAnd(responding)} already coming`
      : "✓ urgent backup requested: no unit free to send, dispatch is alerted";
  announce(out.textContent.slice(2));
}
$("#backup").addEventListener("click", () => backup("routine"));
$("#backup-urgent").addEventListener("click", () => backup("urgent"));

// --- his own emergency button: hold, or press and confirm ------------------------------
function emergencyLabel(text) {
  $("#emergency .label").firstChild.textContent = text;
}

const ownButton = new HoldButton({
  button: $("#emergency"),
  confirmBox: $("#emergency-confirm"),
  yes: $("#confirm-yes"),
  no: $("#confirm-no"),
  onFire: () => declareEmergency(),
});

async function declareEmergency() {
  const { member, unit } = mine();
  if (!member) {
    ownButton.reset();
    return;
  }
  const fields = { member: member.id };
  if (unit) fields.unit = unit.id;
  const fix = position.lastFix;
  if (fix) fields.location = { lat: fix.lat, lon: fix.lon };
  ui.emergencySentAt = Date.now();
  emergencyLabel("SENDING…");
  try {
    await command("emergency.declare", fields);
    navigator.vibrate?.([400, 100, 400]);
    render();
    setTimeout(() => $("#help-coming").focus(), 50);
  } catch (failure) {
    ownButton.reset();
    emergencyLabel("EMERGENCY");
    const out = $("#action-result");
    out.className = "field-error";
    out.textContent = `✗ Emergency not sent: ${failure.describe ? failure.describe() : failure}. Use the radio.`;
  }
}

let routesBusy = false;
async function wantRoutes() {
  if (routesBusy) return;
  routesBusy = true;
  try {
    const answer = await api("/api/routes");
    ui.routes = new Map(answer.routes.map((r) => [r.unit, r]));
    render();
  } catch {
    // ETAs are a comfort, not a necessity: the list of units stays
  } finally {
    setTimeout(() => {
      routesBusy = false;
    }, 1500);
  }
}
setInterval(() => {
  if (myEmergency()) wantRoutes();
}, 5000);

// --- ticking --------------------------------------------------------------------------
function tick() {
  const now = feed.now();
  for (const node of document.querySelectorAll(".age[data-since]")) {
    node.textContent = elapsed(since(node.dataset.since, now));
  }
}
setInterval(tick, 1000);

setupMe(ctx);
setupSafety(ctx);
setupRecords(ctx);
setupInitiate(ctx);
setupMessages(ctx);

feed.start();
let started = false;
feed.on((kind) => {
  if (kind === "snapshot" && !started) {
    started = true;
    position.begin();
  }
});
