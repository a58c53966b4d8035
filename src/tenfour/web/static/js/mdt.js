// The officer's MDT (mobile data terminal) on a phone: my unit and assignment, status
// buttons, check-in, backup, the emergency button (hold, or press and confirm) and the
// help that is coming, incident details, BOLOs, and sharing the phone's position.

import { api, command, sentence } from "./api.js";
import { $, announce, h, replaceChildren, debounce } from "./dom.js";
import { clock, elapsed, eta, place, since, statusLabel } from "./format.js";
import { LiveFeed } from "./live.js";
import { startSession } from "./session.js";

const session = await startSession();
const { me, vocabulary } = session;
const feed = new LiveFeed({ heartbeatS: vocabulary.heartbeat_s });
const HOLD_MS = 1500;
/** Statuses an officer sets from the MDT, in the order of the buttons. */
const BUTTONS = ["enroute", "onscene", "available", "busy", "pursuit", "outofservice"];
const ON_INCIDENT = new Set(["dispatched", "enroute", "onscene", "pursuit", "transporting"]);
const ui = { detail: null, detailFor: null, routes: new Map(), emergencySentAt: null };
window.tenfour = { feed, ui, get state() { return feed.state; } };

$("#logout").addEventListener("click", () => session.logout());

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

function mine() {
  const state = feed.state;
  const member = state && me.member ? state.members[me.member] : null;
  const unit = member && member.unit ? state.units[member.unit] : null;
  return { state, member, unit };
}

function onEvent(event) {
  const { member, unit } = mine();
  if (event.type === "unit.dispatched" && unit && event.unit === unit.id) {
    announce(`Dispatched to incident ${event.incident}`);
    navigator.vibrate?.([200, 100, 200]);
  }
  const emergency = myEmergency();
  if (emergency && ["unit.dispatched", "unit.status_changed", "unit.located"].includes(event.type)) {
    wantRoutes();
  }
  const incident = unit && unit.incident;
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
    renderHelp();
    renderAssignment();
    renderStatus();
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
  $("#emergency-box").hidden = Boolean(emergency);
  if (!emergency) return;
  const state = feed.state;
  const { unit } = mine();
  const incident = state.incidents[emergency.incident];
  const where = incident ? incident.location : emergency.location;
  $("#help-detail").textContent = `${emergency.id} · ${emergency.incident ? `incident ${emergency.incident}${incident ? ` ${incident.type}` : ""}` : "no incident yet"} · ${where ? place(where) : "position unknown: tell dispatch where you are"} · declared ${clock(emergency.declared_at)}`;
  const coming = (incident ? incident.units : [])
    .filter((id) => !unit || id !== unit.id)
    .map((id) => state.units[id])
    .filter(Boolean);
  replaceChildren($("#help-units"), coming.length
    ? coming.map((u) => {
      const route = ui.routes.get(u.id);
      const when = u.status === "onscene" ? "on scene" : route && route.eta_s !== null ? `ETA ${eta(route.eta_s)}` : statusLabel(u.status);
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
  const incident = unit && unit.incident ? state.incidents[unit.incident] : null;
  if (!incident) {
    replaceChildren(box, h("p", { class: "muted" }, "No assignment."));
    replaceChildren($("#incident-details"), h("p", { class: "muted" }, "No incident."));
    ui.detailFor = null;
    return;
  }
  // An officer is sent no tips (need to know): a tip's text is its incident's.
  const tip = incident.tip && state.tips?.[incident.tip];
  const dispatched = unit.status === "dispatched";
  replaceChildren(box,
    h("div", { class: "headline" },
      h("span", { class: "prio", dataset: { p: incident.priority } }, `P${incident.priority}`),
      h("span", { class: "id" }, incident.id),
      h("span", { class: "type" }, incident.type)),
    h("p", { class: "address" }, place(incident.location)),
    h("p", { class: "muted" }, `${statusLabel(unit.status)} for `, h("span", { class: "age", dataset: { since: unit.status_since || "" } }),
      ` · other units: ${incident.units.filter((u) => u !== unit.id).join(", ") || "none"}`),
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
    const worth = detail.timeline.filter((e) => ["incident.created", "incident.noted", "incident.updated",
      "unit.dispatched", "subject.added", "backup.requested", "emergency.declared"].includes(e.type));
    replaceChildren($("#incident-details"),
      detail.subjects.length
        ? h("ul", {}, detail.subjects.map((s) => h("li", {}, `${s.role}: ${s.description || s.member || ""}`)))
        : null,
      h("ol", { class: "timeline", reversed: true, "aria-label": "Incident timeline, newest first" },
        [...worth].reverse().map((e) => h("li", {},
          h("time", { datetime: e.at }, clock(e.at)), h("span", {}, entryText(e))))));
  } catch (failure) {
    replaceChildren($("#incident-details"), h("p", { class: "field-error" }, failure.describe ? failure.describe() : String(failure)));
  }
}

/** A timeline line; an incident made from a tip or call shows what was reported. */
function entryText(e) {
  const said = e.type === "incident.created" && e.data && e.data.text;
  return said ? `${e.text}: ${said}` : e.text || e.type;
}

// --- actions --------------------------------------------------------------------------
async function setStatus(status) {
  const { unit } = mine();
  const error = $("#status-error");
  error.hidden = true;
  if (!unit) return;
  const fields = { unit: unit.id, status };
  if (ON_INCIDENT.has(status) && unit.incident) fields.incident = unit.incident;
  if (lastFix) fields.location = { lat: lastFix.lat, lon: lastFix.lon };
  try {
    await command("unit.status", fields);
    announce(`Status ${statusLabel(status)}`);
  } catch (failure) {
    error.textContent = failure.describe ? failure.describe() : String(failure);
    error.hidden = false;
  }
}

async function act(doWhat, fields, done) {
  const out = $("#action-result");
  out.className = "";
  try {
    await command(doWhat, fields);
    out.textContent = `✓ ${done}`;
  } catch (failure) {
    out.className = "field-error";
    out.textContent = `✗ ${failure.describe ? failure.describe() : failure}`;
  }
}

$("#checkin").addEventListener("click", () => {
  const { member } = mine();
  if (member) act("member.checkin", { member: member.id }, `checked in at ${clock(new Date().toISOString())}`);
});

function backup(urgency) {
  const { member, unit } = mine();
  if (!member) return;
  const incident = (unit && unit.incident) || member.incident;
  if (!incident) {
    $("#action-result").className = "field-error";
    $("#action-result").textContent = "✗ Backup needs an incident: you are on none. Use the emergency button if you are in danger.";
    return;
  }
  const fields = { member: member.id, incident, urgency, count: 1 };
  if (unit) fields.unit = unit.id;
  act("backup.request", fields, urgency === "urgent" ? "urgent backup requested: units are being sent" : "backup requested from dispatch");
}
$("#backup").addEventListener("click", () => backup("routine"));
$("#backup-urgent").addEventListener("click", () => backup("urgent"));

// --- the emergency button: hold, or press and confirm --------------------------------
const emergencyButton = $("#emergency");
const confirmBox = $("#emergency-confirm");
let holding = null;
let fired = false;

function startHold() {
  if (holding || fired) return;
  const started = performance.now();
  holding = { started, frame: 0 };
  const step = () => {
    if (!holding) return;
    const progress = Math.min(1, (performance.now() - started) / HOLD_MS);
    emergencyButton.style.setProperty("--progress", String(progress));
    if (progress >= 1) {
      holding = null;
      fired = true;
      declareEmergency();
      return;
    }
    holding.frame = requestAnimationFrame(step);
  };
  holding.frame = requestAnimationFrame(step);
}

/** Let go: a short press asks to confirm instead. */
function endHold(short) {
  if (!holding) return;
  cancelAnimationFrame(holding.frame);
  holding = null;
  emergencyButton.style.setProperty("--progress", "0");
  if (short) openConfirm();
}

function openConfirm() {
  confirmBox.hidden = false;
  $("#confirm-yes").focus();
}

emergencyButton.addEventListener("pointerdown", (e) => {
  if (e.button !== 0) return;
  emergencyButton.setPointerCapture(e.pointerId);
  startHold();
});
emergencyButton.addEventListener("pointerup", () => endHold(true));
emergencyButton.addEventListener("pointercancel", () => endHold(false));
emergencyButton.addEventListener("contextmenu", (e) => e.preventDefault());
emergencyButton.addEventListener("keydown", (e) => {
  if (e.key !== " " && e.key !== "Enter") return;
  e.preventDefault();
  if (!e.repeat) startHold();
});
emergencyButton.addEventListener("keyup", (e) => {
  if (e.key !== " " && e.key !== "Enter") return;
  e.preventDefault();
  endHold(true);
});
// A click that is not a press (a screen reader's activation) asks to confirm.
emergencyButton.addEventListener("click", (e) => {
  e.preventDefault();
  if (e.detail === 0 && !fired && !holding) openConfirm();
});
$("#confirm-yes").addEventListener("click", () => {
  confirmBox.hidden = true;
  fired = true;
  declareEmergency();
});
$("#confirm-no").addEventListener("click", () => {
  confirmBox.hidden = true;
  emergencyButton.focus();
});

async function declareEmergency() {
  const { member, unit } = mine();
  if (!member) {
    fired = false;
    return;
  }
  const fields = { member: member.id };
  if (unit) fields.unit = unit.id;
  if (lastFix) fields.location = { lat: lastFix.lat, lon: lastFix.lon };
  ui.emergencySentAt = Date.now();
  emergencyButton.querySelector(".label").firstChild.textContent = "SENDING…";
  try {
    await command("emergency.declare", fields);
    navigator.vibrate?.([400, 100, 400]);
    render();
    setTimeout(() => $("#help-coming").focus(), 50);
  } catch (failure) {
    fired = false;
    emergencyButton.querySelector(".label").firstChild.textContent = "EMERGENCY";
    emergencyButton.style.setProperty("--progress", "0");
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

// --- sharing the phone's position -----------------------------------------------------
const MIN_GAP_MS = 2000;
const QUIET_GAP_MS = 30000;
const MIN_MOVE_M = 15;
const shareBox = $("#share-location");
const locationStatus = $("#location-status");
let lastFix = null;
let lastSent = null;
let watch = null;
let sendTimer = null;

function metres(a, b) {
  const rad = Math.PI / 180;
  const x = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  const y = (b.lat - a.lat) * rad;
  return Math.hypot(x, y) * 6_371_000;
}

function onFix(position) {
  const c = position.coords;
  lastFix = {
    lat: c.latitude, lon: c.longitude, accuracy: c.accuracy, speed: c.speed, heading: c.heading,
    at: new Date(position.timestamp || Date.now()).toISOString(),
  };
  maybeSend();
}

function maybeSend() {
  if (!lastFix) return;
  const now = Date.now();
  if (lastSent) {
    const moved = metres(lastSent.fix, lastFix);
    const gap = now - lastSent.time;
    if (moved < MIN_MOVE_M && gap < QUIET_GAP_MS) return;
    if (gap < MIN_GAP_MS) {
      // too soon: send the latest fix when the gap is over
      clearTimeout(sendTimer);
      sendTimer = setTimeout(maybeSend, MIN_GAP_MS - gap);
      return;
    }
  }
  sendFix(lastFix);
}

async function sendFix(fix) {
  const { member, unit } = mine();
  if (!member) return;
  lastSent = { fix, time: Date.now() };
  const fields = { lat: fix.lat, lon: fix.lon, at: fix.at };
  if (Number.isFinite(fix.accuracy) && fix.accuracy <= 100000) fields.accuracy = fix.accuracy;
  if (Number.isFinite(fix.speed) && fix.speed >= 0 && fix.speed <= 150) fields.speed = fix.speed;
  if (Number.isFinite(fix.heading) && fix.heading >= 0 && fix.heading < 360) fields.heading = fix.heading;
  try {
    await command("member.locate", { member: member.id, ...fields });
    // The unit moves with its officer, not with one who stepped away from it.
    if (unit && member.status !== "away") await command("unit.locate", { unit: unit.id, ...fields });
    locationStatus.textContent = `Sharing · sent ${clock(new Date().toISOString())}${Number.isFinite(fix.accuracy) ? ` (±${Math.round(fix.accuracy)} m)` : ""}`;
  } catch (failure) {
    locationStatus.textContent = `Position not sent: ${sentence(failure.describe ? failure.describe() : String(failure))}`;
  }
}

function startSharing() {
  if (!navigator.geolocation) {
    locationStatus.textContent = "This device cannot tell its position.";
    shareBox.checked = false;
    return;
  }
  locationStatus.textContent = "Finding position…";
  watch = navigator.geolocation.watchPosition(onFix, (problem) => {
    locationStatus.textContent = problem.code === 1
      ? "Position blocked: allow location for this site to share it."
      : "No position yet (no GPS fix).";
  }, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
}

function stopSharing() {
  if (watch !== null) navigator.geolocation.clearWatch(watch);
  watch = null;
  clearTimeout(sendTimer);
  locationStatus.textContent = "Not sharing: dispatch sees your last sent position.";
}

shareBox.checked = localStorage.getItem("tenfour.share") !== "off";
shareBox.addEventListener("change", () => {
  localStorage.setItem("tenfour.share", shareBox.checked ? "on" : "off");
  if (shareBox.checked) startSharing();
  else stopSharing();
});

// --- ticking --------------------------------------------------------------------------
function tick() {
  const now = feed.now();
  for (const node of document.querySelectorAll(".age[data-since]")) {
    node.textContent = elapsed(since(node.dataset.since, now));
  }
}
setInterval(tick, 1000);

feed.start();
let started = false;
feed.on((kind) => {
  if (kind === "snapshot" && !started) {
    started = true;
    if (shareBox.checked) startSharing();
    else stopSharing();
  }
});
