// The dispatcher console: alerts, incidents, tips, the unit board, the map, the
// incident panel and the command line, all following the live feed.

import { api, ApiError, clearProblems, command, sentence, showProblems } from "./api.js";
import { CommandLine, SPECS } from "./commandline.js";
import { $, announce, h, replaceChildren, debounce } from "./dom.js";
import {
  clock, distance, elapsed, eta, lateness, place, since, statusLabel,
} from "./format.js";
import { LiveFeed } from "./live.js";
import { CityMap } from "./map.js";
import { startSession } from "./session.js";
import { Alarm } from "./sound.js";

const session = await startSession();
const { me, vocabulary } = session;
const feed = new LiveFeed({ heartbeatS: vocabulary.heartbeat_s });
const alarm = new Alarm();
const DISPATCHABLE = new Set(vocabulary.dispatchable);
const ROUTED = new Set(["dispatched", "enroute"]);
const SUPERVISING = new Set(["supervisor", "admin"]);
const ui = {
  selected: null,
  detail: null,
  routes: new Map(),
  alertShownAt: {},
  promoting: new Set(),
  fitted: false,
  closureKey: null,
  closureLines: new Map(),
};

const map = new CityMap($("#map"), {
  onSelect: ({ id, kind }) => {
    if (kind === "incident") select(id);
    else {
      const unit = feed.state && feed.state.units[id];
      if (unit && unit.incident) select(unit.incident);
      announce(unit ? `${id}: ${statusLabel(unit.status)}` : id);
    }
  },
});

window.tenfour = {
  feed, map, alarm, ui,
  get state() { return feed.state; },
};

// --- top bar ------------------------------------------------------------------------
$("#who").textContent = `${me.username} · ${me.role}`;
$("#logout").addEventListener("click", () => session.logout());
const soundButton = $("#sound");
soundButton.addEventListener("click", () => alarm.unlock());
alarm.onChange((on) => {
  soundButton.hidden = on;
});
alarm.ensure();
setTimeout(() => {
  soundButton.hidden = alarm.enabled;
}, 300);

const conn = $("#conn");
feed.on((kind, detail) => {
  if (kind !== "status") return;
  conn.dataset.status = detail.status;
  if (detail.status === "logged-out") session.leave("expired");
  updateConn();
});

function updateConn() {
  const texts = {
    live: `Live · #${feed.state ? feed.state.seq : 0}`,
    loading: "Loading…",
    connecting: "Connecting…",
    reconnecting: "Connection lost · reconnecting…",
    "logged-out": "Logged out",
  };
  conn.textContent = texts[feed.status] || feed.status;
}

// --- keeping the screen in step with the feed ------------------------------------------
// At most a few full renders a second when positions stream in; anything else that
// matters (an alert, a new incident) is drawn on the next frame.
const CALM_MS = 250;
let frame = null;
let later = null;
let lastRender = 0;
function render(urgent = true) {
  if (frame) return;
  const wait = urgent ? 0 : CALM_MS - (performance.now() - lastRender);
  if (wait > 0) {
    if (!later) later = setTimeout(() => {
      later = null;
      render(true);
    }, wait);
    return;
  }
  frame = requestAnimationFrame(() => {
    frame = null;
    lastRender = performance.now();
    if (!feed.state) return;
    renderAlerts();
    renderIncidents();
    renderTips();
    renderUnits();
    renderMap();
    renderDetailLive();
    updateConn();
    tick();
  });
}

feed.on((kind, detail) => {
  if (kind === "snapshot") {
    render();
    wantRoutes();
    if (ui.selected) loadDetail();
    const open = openAlerts();
    if (open.some((a) => a.kind === "emergency")) alarm.emergency();
  } else if (kind === "event") {
    onEvent(detail);
    render(!["unit.located", "member.located"].includes(detail.type));
  }
});

function onEvent(event) {
  const state = feed.state;
  if (event.type === "alert.raised") {
    if (event.kind === "emergency") {
      alarm.emergency();
    } else {
      alarm.chime();
    }
  }
  if (event.type === "incident.created") {
    announce(`New incident ${event.incident}, ${event.incident_type}, priority ${event.priority}`);
  }
  if (event.type === "tip.received") announce(`New tip ${event.tip}`);
  const routed = event.unit && state.units[event.unit] && ROUTED.has(state.units[event.unit].status);
  if (["unit.dispatched", "unit.status_changed", "incident.updated", "incident.closed",
    "unit.logged_off"].includes(event.type) || (event.type === "unit.located" && routed)) {
    wantRoutes();
  }
  if (ui.selected && event.type !== "unit.located" && event.type !== "member.located" && touches(event, ui.selected)) {
    loadDetailSoon();
  }
}

function touches(event, incidentId) {
  if (event.incident === incidentId || event.stream === `incident:${incidentId}`) return true;
  const unit = event.unit && feed.state.units[event.unit];
  return Boolean(unit && unit.incident === incidentId);
}

// The emergency tone repeats until every emergency alert is acknowledged.
setInterval(() => {
  if (feed.state && openAlerts().some((a) => a.kind === "emergency")) alarm.emergency();
}, 4000);

// --- alerts ---------------------------------------------------------------------------
const ALERT_TITLES = {
  emergency: "Emergency",
  status_check_overdue: "Status check overdue",
  member_unresponsive: "Member unresponsive",
  dispatch_unacknowledged: "Dispatch not acknowledged",
  incident_unassigned: "Incident unassigned",
  backup_requested: "Backup requested",
  plan_short: "Plan short of units",
  policy_failed: "Policy failed",
};

// DOMAIN.md: open emergencies first, then high, then normal (views/board.py alert_rank).
function alertTier(alert) {
  const emergency = alert.emergency && feed.state.emergencies[alert.emergency];
  if (alert.kind === "emergency" && emergency && !emergency.cleared_at) return 0;
  return alert.severity === "high" ? 1 : 2;
}

function openAlerts() {
  return Object.values(feed.state.alerts)
    .filter((a) => !a.acknowledged_by && !a.resolved_at)
    .sort((a, b) => alertTier(a) - alertTier(b)
      || a.raised_at.localeCompare(b.raised_at) || a.id.localeCompare(b.id));
}

function alertText(alert) {
  const state = feed.state;
  const parts = [];
  const member = alert.member && state.members[alert.member];
  if (member) parts.push(`${member.rank === "officer" ? "Officer " : ""}${member.name} (${member.id})`);
  if (alert.unit) parts.push(alert.unit);
  const incident = alert.incident && state.incidents[alert.incident];
  if (incident) parts.push(`${incident.id} ${incident.type} P${incident.priority} · ${place(incident.location)}`);
  if (alert.text) parts.push(alert.text);
  return parts.join(" · ");
}

const alertRows = new Map();
function renderAlerts() {
  const box = $("#alerts");
  const open = openAlerts();
  const ids = new Set(open.map((a) => a.id));
  for (const [id, row] of alertRows) {
    if (!ids.has(id)) {
      row.remove();
      alertRows.delete(id);
    }
  }
  for (const alert of open) {
    let row = alertRows.get(alert.id);
    if (!row) {
      const urgent = alert.kind === "emergency" || alert.severity === "high";
      row = h("div", {
        class: "alert-row",
        role: urgent ? "alert" : "status",
        dataset: { alert: alert.id, kind: alert.kind, severity: alert.severity },
      },
      h("span", { class: "what" }, ALERT_TITLES[alert.kind] || alert.kind),
      h("span", { class: "text" }, alertText(alert)),
      h("span", { class: "age", dataset: { since: alert.raised_at }, title: "time since raised" }),
      h("button", {
        type: "button",
        class: "ack",
        "aria-label": `Acknowledge ${ALERT_TITLES[alert.kind] || alert.kind} alert ${alert.id}`,
        onclick: (e) => acknowledge(alert.id, e.currentTarget),
      }, "Acknowledge"));
      if (alert.incident) {
        row.querySelector(".text").addEventListener("click", () => select(alert.incident));
      }
      alertRows.set(alert.id, row);
      ui.alertShownAt[alert.id] = Date.now();
    }
    const text = alertText(alert);
    const textNode = row.querySelector(".text");
    if (textNode.textContent !== text) textNode.textContent = text;
    box.append(row); // keeps the sorted order
  }
  box.dataset.open = String(open.length);
}

async function acknowledge(id, button) {
  button.disabled = true;
  try {
    await command("alert.acknowledge", { alert: id });
    say(`✓ alert ${id} acknowledged`, "ok");
    $("#command").focus();
  } catch (failure) {
    button.disabled = false;
    say(`✗ ${failure.describe ? failure.describe() : failure}`, "error");
  }
}

// --- incidents ------------------------------------------------------------------------
function openIncidents() {
  return Object.values(feed.state.incidents)
    .filter((i) => i.status === "open")
    .sort((a, b) => a.priority - b.priority || a.created_at.localeCompare(b.created_at)
      || a.id.localeCompare(b.id));
}

function renderIncidents() {
  const open = openIncidents();
  const pending = open.filter((i) => !i.units.length);
  const active = open.filter((i) => i.units.length);
  const rows = [];
  const group = (title, list) => {
    rows.push(h("tr", { class: "group" }, h("td", { colspan: 6 }, `${title} (${list.length})`)));
    if (!list.length) {
      rows.push(h("tr", {}, h("td", { colspan: 6, class: "empty" }, `No ${title.toLowerCase()} incidents`)));
    }
    for (const incident of list) rows.push(incidentRow(incident));
  };
  group("Pending", pending);
  group("Active", active);
  replaceChildren($("#incident-rows"), rows);
  $("#incident-count").textContent = `${pending.length} pending · ${active.length} active`;
}

function incidentRow(incident) {
  return h("tr", {
    class: "row",
    "aria-selected": String(incident.id === ui.selected),
    dataset: { incident: incident.id },
    onclick: () => select(incident.id),
  },
  h("td", {}, h("span", { class: "prio", dataset: { p: incident.priority } }, `P${incident.priority}`)),
  h("td", { class: "id" }, h("button", {
    type: "button", class: "row-button", dataset: { key: `incident-${incident.id}` },
    "aria-label": `Incident ${incident.id}, ${incident.type}, priority ${incident.priority}`,
    onclick: (e) => {
      e.stopPropagation();
      select(incident.id);
    },
  }, incident.id)),
  h("td", {}, incident.type),
  h("td", { class: "where", title: place(incident.location) }, place(incident.location)),
  h("td", { class: "units", title: incident.units.join(", ") },
    incident.units.length > 1
      ? `${incident.units[0]} +${incident.units.length - 1}`
      : incident.units[0] || "–"),
  h("td", {}, h("span", {
    class: "age",
    dataset: { since: incident.created_at, p: incident.priority, pending: String(!incident.units.length) },
  })));
}

// --- tips -----------------------------------------------------------------------------
const tipCards = new Map();
function renderTips() {
  const box = $("#tips");
  // Only roles that triage tips are sent them (need to know); none is no tips.
  const waiting = Object.values(feed.state.tips || {})
    .filter((t) => t.status === "received")
    .sort((a, b) => a.received_at.localeCompare(b.received_at));
  const ids = new Set(waiting.map((t) => t.id));
  for (const [id, card] of tipCards) {
    if (!ids.has(id)) {
      card.remove();
      tipCards.delete(id);
    }
  }
  for (const tip of waiting) {
    if (!tipCards.has(tip.id)) tipCards.set(tip.id, tipCard(tip));
    box.append(tipCards.get(tip.id));
  }
  let empty = box.querySelector(".empty");
  if (!waiting.length && !empty) {
    empty = h("p", { class: "empty" }, "No tips waiting.");
    box.append(empty);
  } else if (waiting.length && empty) empty.remove();
  $("#tip-count").textContent = String(waiting.length);
}

function tipCard(tip) {
  const formId = `promote-${tip.id}`;
  const types = vocabulary.incident_types;
  const form = h("form", { id: formId, hidden: true, "aria-label": `Promote tip ${tip.id}` },
    h("div", { class: "form-errors wide", dataset: { errors: "" }, role: "alert", hidden: true }),
    h("div", {},
      h("label", { for: `${formId}-type` }, "Type"),
      h("input", {
        id: `${formId}-type`, name: "type", dataset: { field: "type" }, list: "incident-types",
        required: true, autocomplete: "off", autocapitalize: "characters",
      })),
    h("div", {},
      h("label", { for: `${formId}-priority` }, "Priority"),
      h("select", { id: `${formId}-priority`, name: "priority", dataset: { field: "priority" } },
        [1, 2, 3, 4, 5].map((p) => h("option", { value: p, selected: p === 3 }, `P${p}`)))),
    h("div", { class: "wide" },
      h("label", { for: `${formId}-location` }, "Location (address or corner; blank keeps the tip's)"),
      h("input", {
        id: `${formId}-location`, name: "location", dataset: { field: "location" }, autocomplete: "off",
        value: (tip.location && tip.location.address) || "",
      })),
    h("div", { class: "wide actions" },
      h("button", { type: "submit", class: "primary small" }, "Promote to incident"),
      h("button", { type: "button", class: "small", onclick: () => togglePromote(tip.id, false) }, "Cancel")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    promote(tip, form);
  });
  ensureTypeList(types);
  return h("article", { class: "tip", dataset: { tip: tip.id }, "aria-label": `Tip ${tip.id}` },
    h("div", { class: "meta" },
      h("span", { class: "id" }, tip.id),
      h("span", { class: "age", dataset: { since: tip.received_at } }),
      h("span", {}, tip.contact ? `contact: ${tip.contact}`
        : tip.tracking_code === null ? "contact not shown to this role" : "anonymous")),
    h("p", { class: "text" }, tip.text),
    h("p", { class: "muted" }, `Where: ${place(tip.location)}`),
    h("div", { class: "actions" },
      h("button", {
        type: "button", class: "small primary", "aria-expanded": "false", "aria-controls": formId,
        dataset: { action: "promote" }, onclick: () => togglePromote(tip.id),
      }, "Promote…"),
      h("button", {
        type: "button", class: "small", dataset: { action: "dismiss" },
        onclick: (e) => dismiss(tip.id, e.currentTarget),
      }, "Dismiss")),
    form);
}

function ensureTypeList(types) {
  if (document.getElementById("incident-types")) return;
  document.body.append(h("datalist", { id: "incident-types" }, types.map((t) => h("option", { value: t }))));
}

function togglePromote(id, open) {
  const card = tipCards.get(id);
  if (!card) return;
  const form = card.querySelector("form");
  const button = card.querySelector('[data-action="promote"]');
  const show = open === undefined ? form.hidden : open;
  form.hidden = !show;
  button.setAttribute("aria-expanded", String(show));
  if (show) form.querySelector("input").focus();
  else button.focus();
}

async function promote(tip, form) {
  clearProblems(form);
  const fields = {
    tip: tip.id,
    type: form.type.value.trim().toUpperCase(),
    priority: Number(form.priority.value),
  };
  const address = form.location.value.trim();
  if (address && address !== (tip.location && tip.location.address)) fields.location = { address };
  try {
    const events = await command("tip.promote", fields);
    const created = events.find((e) => e.type === "incident.created");
    say(`✓ tip ${tip.id} promoted to incident ${created ? created.incident : ""}`, "ok");
    if (created) feedReady(() => select(created.incident));
  } catch (failure) {
    const first = showProblems(form, failure);
    if (first) first.focus();
  }
}

async function dismiss(id, button) {
  button.disabled = true;
  try {
    await command("tip.dismiss", { tip: id });
    say(`✓ tip ${id} dismissed`, "ok");
  } catch (failure) {
    button.disabled = false;
    say(`✗ ${failure.describe ? failure.describe() : failure}`, "error");
  }
}

// --- units ----------------------------------------------------------------------------
function renderUnits() {
  const state = feed.state;
  const units = Object.values(state.units)
    .filter((u) => u.status !== "offduty")
    .sort((a, b) => a.agency.localeCompare(b.agency) || a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
  const down = new Set(Object.values(state.emergencies).filter((e) => !e.cleared_at).map((e) => e.unit));
  const groups = new Map();
  for (const unit of units) {
    const key = `${unit.agency}\u0000${unit.kind}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(unit);
  }
  const sections = [];
  for (const [key, list] of groups) {
    const [agency, kind] = key.split("\u0000");
    const title = `${agency} · ${kind}`;
    sections.push(h("section", { "aria-label": `${title} units` },
      h("h3", {}, `${title} (${list.length})`),
      h("table", { class: "board" },
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "Unit"), h("th", { scope: "col" }, "Status"),
          h("th", { scope: "col" }, "Time"), h("th", { scope: "col" }, "Incident"),
          h("th", { scope: "col" }, "Crew"))),
        h("tbody", {}, list.map((unit) => unitRow(unit, down.has(unit.id)))))));
  }
  replaceChildren($("#units"), sections);
  const free = units.filter((u) => u.status === "available").length;
  $("#unit-count").textContent = `${free} available · ${units.length} on duty`;
}

function unitRow(unit, down) {
  const route = ui.routes.get(unit.id);
  return h("tr", { class: "row", dataset: { unit: unit.id, status: unit.status, emergency: String(down) } },
    h("td", { class: "id" }, h("button", {
      type: "button", class: "row-button", dataset: { key: `unit-${unit.id}` },
      "aria-label": `Unit ${unit.id}, ${statusLabel(unit.status)}${unit.incident ? ` on ${unit.incident}` : ""}: show on the map`,
      onclick: () => {
        if (unit.location) map.centerOn(unit.location.lat, unit.location.lon);
        if (unit.incident) select(unit.incident);
      },
    }, unit.id)),
    h("td", {}, h("span", { class: "chip", dataset: { status: down ? "down" : unit.status } },
      down ? "EMERGENCY" : statusLabel(unit.status))),
    h("td", {}, h("span", { class: "age", dataset: { since: unit.status_since || "" } })),
    h("td", { class: "units" }, unit.incident
      ? `${unit.incident}${route && route.eta_s !== null ? ` · ${eta(route.eta_s)}` : ""}`
      : "–"),
    h("td", { class: "where" }, unit.members.join(", ")));
}

// --- map ------------------------------------------------------------------------------
function renderMap() {
  const state = feed.state;
  const down = new Set(Object.values(state.emergencies).filter((e) => !e.cleared_at).map((e) => e.unit));
  const routes = [...ui.routes.values()].filter((r) => {
    const unit = state.units[r.unit];
    return unit && ROUTED.has(unit.status) && unit.incident === r.incident;
  });
  const etas = new Map(routes.map((r) => [r.unit, r.eta_s]));
  const units = Object.values(state.units)
    .filter((u) => u.status !== "offduty" && u.location)
    .map((u) => ({
      ...u,
      emergency: down.has(u.id),
      eta: etas.has(u.id) && etas.get(u.id) !== null ? eta(etas.get(u.id)) : null,
    }));
  map.set({
    units,
    closures: closureDrawings(),
    incidents: openIncidents(),
    facilities: Object.values(state.facilities),
    routes: routes.map((r) => ({ ...r, points: fromUnit(r, state.units[r.unit]) })),
    selected: ui.selected,
  });
  $("#map").setAttribute("aria-label",
    `City map: ${units.length} units and ${openIncidents().length} open incidents`);
  if (!ui.fitted && map.ready) {
    ui.fitted = true;
    map.fitActivity();
  }
}

function activeClosures() {
  return Object.values((feed.state && feed.state.closures) || {})
    .filter((c) => !c.reopened_at)
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** Active closures with their segments' geometry (fetched when the set changes). */
function closureDrawings() {
  const active = activeClosures();
  const key = active.map((c) => c.id).join();
  if (key !== ui.closureKey) {
    ui.closureKey = key;
    if (active.some((c) => !ui.closureLines.has(c.id))) wantClosures();
  }
  return active.filter((c) => ui.closureLines.has(c.id)).map((c) => ({
    id: c.id, factor: c.factor, street: c.street, lines: ui.closureLines.get(c.id),
  }));
}

async function wantClosures() {
  try {
    const answer = await api("/api/closures");
    for (const c of answer.closures) ui.closureLines.set(c.id, c.lines);
    if (activeClosures().some((c) => !ui.closureLines.has(c.id))) ui.closureKey = null;
    render();
  } catch {
    ui.closureKey = null; // tried again on the next render
  }
}

/** A route drawn from where the unit is now, not where it was when routed. */
function fromUnit(route, unit) {
  if (!unit || !unit.location || !route.points.length) return route.points;
  return [[unit.location.lat, unit.location.lon], ...route.points.slice(1)];
}

$("#zoom-in").addEventListener("click", () => map.zoom(1.4));
$("#zoom-out").addEventListener("click", () => map.zoom(1 / 1.4));
$("#zoom-fit").addEventListener("click", () => map.fitActivity());

let routesBusy = false;
let routesAgain = false;
async function wantRoutes() {
  if (routesBusy) {
    routesAgain = true;
    return;
  }
  routesBusy = true;
  try {
    const answer = await api("/api/routes");
    ui.routes = new Map(answer.routes.map((r) => [r.unit, r]));
    render();
  } catch {
    // the map keeps the last routes; the connection status tells what is wrong
  } finally {
    setTimeout(() => {
      routesBusy = false;
      if (routesAgain) {
        routesAgain = false;
        wantRoutes();
      }
    }, 700);
  }
}

// --- the incident panel -----------------------------------------------------------------
function select(id) {
  if (!feed.state || !feed.state.incidents[id]) return false;
  if (ui.selected !== id) {
    ui.selected = id;
    ui.detail = null;
    buildPanel(id);
  }
  loadDetail();
  render();
  return true;
}

// Live events come in bursts (a dispatch and its status changes): fetch once after.
const loadDetailSoon = debounce(() => loadDetail(), 150);

async function loadDetail() {
  const id = ui.selected;
  if (!id) return;
  try {
    const detail = await api(`/api/incidents/${encodeURIComponent(id)}`);
    if (ui.selected !== id) return;
    ui.detail = detail;
    renderDetail();
  } catch (failure) {
    const box = $("#d-timeline");
    if (box) box.replaceChildren(h("p", { class: "field-error" }, failure.describe ? failure.describe() : String(failure)));
  }
}

/** The parts of the panel that stay while the incident is shown (forms keep their text). */
function buildPanel(id) {
  const noteForm = h("form", { class: "note-form", "aria-label": "Add a note" },
    h("label", { for: "note-text", class: "visually-hidden" }, `Note for incident ${id}`),
    h("input", { id: "note-text", name: "text", dataset: { field: "text" }, placeholder: "Add a note…", autocomplete: "off" }),
    h("button", { type: "submit" }, "Add note"));
  noteForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = noteForm.text.value.trim();
    if (!text) return;
    try {
      await command("incident.note", { incident: id, text });
      noteForm.text.value = "";
      say(`✓ note added to ${id}`, "ok");
    } catch (failure) {
      say(`✗ ${failure.describe ? failure.describe() : failure}`, "error");
    }
  });
  const closeForm = h("form", { class: "note-form", "aria-label": "Close the incident" },
    h("label", { for: "close-disposition", class: "visually-hidden" }, "Disposition"),
    h("input", { id: "close-disposition", name: "disposition", list: "dispositions", placeholder: "Disposition (report taken, arrest…)", autocomplete: "off" }),
    h("button", { type: "submit" }, "Close incident"),
    h("datalist", { id: "dispositions" },
      ["report taken", "arrest", "advised", "gone on arrival", "unfounded", "duplicate"].map((v) => h("option", { value: v }))));
  closeForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const disposition = closeForm.disposition.value.trim();
    if (!disposition) {
      say("✗ Give a disposition to close the incident", "error");
      closeForm.disposition.focus();
      return;
    }
    try {
      await command("incident.close", { incident: id, disposition });
      say(`✓ incident ${id} closed (${disposition})`, "ok");
    } catch (failure) {
      say(`✗ ${failure.describe ? failure.describe() : failure}`, "error");
    }
  });
  replaceChildren($("#incident-detail"),
    h("div", { id: "d-head" }),
    h("div", { id: "d-units" }),
    h("div", { id: "d-calls" }),
    h("h2", { class: "section-title", id: "rec-title" }, "Recommendation"),
    h("div", { id: "d-rec", "aria-labelledby": "rec-title" }, h("p", { class: "muted" }, "Loading…")),
    h("div", { id: "d-emergency" }),
    h("h2", { class: "section-title" }, "Subjects"),
    h("div", { id: "d-subjects" }),
    h("h2", { class: "section-title" }, "Timeline"),
    noteForm,
    h("ol", { class: "timeline", id: "d-timeline", reversed: true, "aria-label": "Timeline, newest first" }),
    h("h2", { class: "section-title" }, "Close"),
    closeForm);
  $("#panel-title").textContent = `Incident ${id}`;
}

/** What the live state alone decides: heading, units and their ETAs, emergencies. */
function renderDetailLive() {
  const id = ui.selected;
  if (!id || !$("#d-head")) return;
  const state = feed.state;
  const incident = state.incidents[id];
  if (!incident) return;
  const tip = incident.tip && state.tips?.[incident.tip];
  replaceChildren($("#d-head"),
    h("div", { class: "incident-head" },
      h("span", { class: "prio", dataset: { p: incident.priority } }, `P${incident.priority}`),
      h("span", { class: "id" }, incident.id),
      h("span", { class: "type" }, incident.type),
      h("span", { class: "chip", dataset: { status: incident.status === "closed" ? "offduty" : incident.units.length ? "onscene" : "dispatched" } },
        incident.status === "closed" ? "closed" : incident.units.length ? "active" : "pending"),
      h("span", { class: "age", dataset: { since: incident.created_at, p: incident.priority, pending: String(!incident.units.length) } })),
    h("dl", { class: "facts" },
      h("dt", {}, "Location"), h("dd", {}, place(incident.location)),
      h("dt", {}, "Source"), h("dd", {}, incident.tip ? `tip ${incident.tip}` : incident.source),
      h("dt", {}, "Created"), h("dd", {}, clock(incident.created_at)),
      tip ? [h("dt", {}, "Tip"), h("dd", {}, tip.text)] : null,
      incident.disposition ? [h("dt", {}, "Disposition"), h("dd", {}, incident.disposition)] : null));
  const units = incident.units.map((u) => state.units[u]).filter(Boolean);
  replaceChildren($("#d-units"),
    h("h2", { class: "section-title" }, `Units (${units.length})`),
    units.length
      ? h("table", { class: "board" }, h("tbody", {}, units.map((unit) => {
        const route = ui.routes.get(unit.id);
        return h("tr", {},
          h("td", { class: "id" }, unit.id),
          h("td", {}, h("span", { class: "chip", dataset: { status: unit.status } }, statusLabel(unit.status))),
          h("td", {}, h("span", { class: "age", dataset: { since: unit.status_since || "" } })),
          h("td", { class: "units" }, route && route.incident === id && ROUTED.has(unit.status)
            ? `ETA ${eta(route.eta_s)} · ${distance(route.distance_m)}` : ""));
      })))
      : h("p", { class: "empty" }, "No unit assigned yet."));
  renderCalls(incident);
  const emergencies = Object.values(state.emergencies).filter((e) => e.incident === id && !e.cleared_at);
  replaceChildren($("#d-emergency"), emergencies.map((emergency) => h("div", { class: "notice warn" },
    h("strong", {}, `Open emergency ${emergency.id}`),
    ` · ${emergency.member || emergency.unit} · declared ${clock(emergency.declared_at)} `,
    SUPERVISING.has(me.role)
      ? h("button", {
        type: "button", class: "small danger",
        onclick: async () => {
          try {
            await command("emergency.clear", { emergency: emergency.id });
            say(`✓ emergency ${emergency.id} cleared`, "ok");
          } catch (failure) {
            say(`✗ ${failure.describe ? failure.describe() : failure}`, "error");
          }
        },
      }, "Clear emergency")
      : h("span", { class: "muted" }, "(a supervisor clears it)"))));
  renderRecommendation();
}

/** The incident's calls; those linked as duplicates (not the first) may be unlinked. */
function renderCalls(incident) {
  const box = $("#d-calls");
  const calls = incident.calls.map((c) => feed.state.calls[c]).filter(Boolean);
  const key = JSON.stringify([incident.id, incident.status, calls.map((c) => c.id)]);
  if (!box || box.dataset.key === key) return; // keeps focus on a button while nothing changed
  box.dataset.key = key;
  const origin = incident.source === "call" ? incident.calls[0] : null;
  replaceChildren(box, calls.length ? [
    h("h2", { class: "section-title" }, `Calls (${calls.length})`),
    h("ul", { class: "calls" }, calls.map((call) => h("li", { dataset: { call: call.id } },
      h("span", { class: "id" }, call.id), ` · ${clock(call.received_at)} · ${call.type} P${call.priority}`,
      call.id === origin ? " · first call" : " · linked duplicate",
      h("div", { class: "muted" }, call.text),
      call.id !== origin && incident.status === "open"
        ? h("button", {
          type: "button", class: "small", dataset: { action: "unlink" },
          "aria-label": `Unlink call ${call.id} from ${incident.id}: make it an incident of its own`,
          onclick: (e) => unlink(incident.id, call.id, e.currentTarget),
        }, "Unlink")
        : null))),
  ] : []);
}

async function unlink(incident, call, button) {
  button.disabled = true;
  try {
    const events = await command("incident.unlink", { incident, call });
    const created = events.find((e) => e.type === "incident.created");
    say(`✓ call ${call} unlinked from ${incident}: new incident ${created ? created.incident : "?"}`, "ok");
    if (created) feedReady(() => select(created.incident));
  } catch (failure) {
    button.disabled = false;
    say(`✗ ${failure.describe ? failure.describe() : failure}`, "error");
  }
}

function renderDetail() {
  const detail = ui.detail;
  if (!detail || detail.id !== ui.selected) return;
  replaceChildren($("#d-subjects"), detail.subjects.length
    ? h("ul", {}, detail.subjects.map((s) => h("li", {}, `${s.id} · ${s.role}: ${s.description || s.member || ""}`)))
    : h("p", { class: "empty" }, "None recorded."));
  const items = [...detail.timeline].reverse().slice(0, 300).map((e) => h("li", { dataset: { type: e.type } },
    h("time", { datetime: e.at }, clock(e.at)),
    h("span", {}, h("span", { class: "what" }, e.text || e.type), " ", h("span", { class: "by" }, `— ${e.by}`))));
  replaceChildren($("#d-timeline"), items);
  renderRecommendation();
}

function renderRecommendation() {
  const box = $("#d-rec");
  const detail = ui.detail;
  if (!box || !detail || detail.id !== ui.selected) return;
  const state = feed.state;
  const recs = detail.recommendations || [];
  if (!recs.length) {
    replaceChildren(box, h("p", { class: "empty" }, "No recommendation for this incident."));
    return;
  }
  // One policy decision may rank several needs at once (police, ambulance, supervisor).
  const last = recs[recs.length - 1];
  const near = (r) => r.purpose === last.purpose && Math.abs(Date.parse(last.at) - Date.parse(r.at)) < 3000;
  const batch = recs.filter(near);
  const earlier = recs.filter((r) => !batch.includes(r));
  const free = (unitId) => {
    const unit = state.units[unitId];
    return unit && unit.status === "available" && unit.incident !== detail.id;
  };
  const onIt = (unitId) => state.units[unitId] && state.units[unitId].incident === detail.id;
  const send = [];
  const replaced = [];
  const etaOf = new Map();
  for (const rec of batch) {
    for (const c of rec.candidates) if (!etaOf.has(c.unit)) etaOf.set(c.unit, c.eta_s);
    const ranked = rec.candidates.map((c) => c.unit);
    // units of this need already on the incident count toward it
    const missing = Math.max(0, rec.count - ranked.filter(onIt).length);
    const chosen = ranked.filter((u) => free(u) && !send.includes(u)).slice(0, missing);
    send.push(...chosen);
    replaced.push(...ranked.slice(0, rec.count).filter((u) => !onIt(u) && !chosen.includes(u)));
  }
  const open = state.incidents[detail.id] && state.incidents[detail.id].status === "open";
  const button = h("button", {
    type: "button", class: "primary dispatch-rec", id: "dispatch-recommended",
    disabled: !send.length || !open,
    onclick: async (e) => {
      const target = e.currentTarget;
      target.disabled = true;
      try {
        // The recommendation may divert units from other incidents (an emergency's
        // plan): the dispatcher's click on it is the explicit reassignment.
        const reassign = send.some((u) => state.units[u] && state.units[u].incident
          && state.units[u].incident !== detail.id);
        await command("unit.dispatch", { incident: detail.id, units: send, reassign });
        say(`✓ ${send.join(", ")} dispatched to ${detail.id}`, "ok");
      } catch (failure) {
        say(`✗ ${failure.describe ? failure.describe() : failure}`, "error");
        target.disabled = false;
      }
    },
  }, send.length
    ? `Dispatch ${send.map((u) => `${u} (${eta(etaOf.get(u))})`).join(", ")}`
    : "Recommended units already sent or busy");
  replaceChildren(box,
    button,
    replaced.length && send.length
      ? h("p", { class: "hint" }, `${replaced.join(", ")} no longer available: next in rank instead.`)
      : null,
    batch.map((rec) => recommendationTable(rec, state)),
    earlier.length
      ? h("details", {}, h("summary", {}, `Earlier recommendations (${earlier.length})`),
        [...earlier].reverse().map((rec) => recommendationTable(rec, state)))
      : null);
}

function recommendationTable(rec, state) {
  const wanted = rec.candidates.slice(0, rec.count).map((c) => c.unit);
  return h("div", { class: "rec" },
    h("p", {}, h("strong", {}, rec.purpose), ` · ${rec.need} ×${rec.count} · ${clock(rec.at)}`,
      rec.reason ? h("span", { class: "muted" }, ` · ${rec.reason}`) : null),
    rec.candidates.length
      ? h("table", {},
        h("caption", { class: "visually-hidden" }, `Candidates for ${rec.need}, by drive time`),
        h("thead", {}, h("tr", {}, ["#", "Unit", "ETA", "Distance", "Was", "Now"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rec.candidates.map((c, i) => h("tr", { class: wanted.includes(c.unit) ? "chosen" : "" },
          h("td", {}, String(i + 1)), h("td", {}, c.unit), h("td", {}, eta(c.eta_s)),
          h("td", {}, distance(c.distance_m)), h("td", {}, statusLabel(c.status)),
          h("td", {}, state.units[c.unit] ? statusLabel(state.units[c.unit].status) : "?")))))
      : h("p", { class: "empty" }, "No candidate."),
    rec.excluded && rec.excluded.length
      ? [h("p", { class: "hint" }, "Excluded:"),
        h("ul", { class: "excluded" }, rec.excluded.map((x) => h("li", {}, `${x.unit} (${statusLabel(x.status)}): ${x.reason}`)))]
      : null);
}

// --- ticking ages and the clock ---------------------------------------------------------
function tick() {
  const now = feed.now();
  for (const node of document.querySelectorAll(".age[data-since]")) {
    const seconds = since(node.dataset.since, now);
    node.textContent = elapsed(seconds);
    if (node.dataset.p) {
      const late = lateness({ priority: Number(node.dataset.p), units: node.dataset.pending === "true" ? [] : [1] }, seconds);
      node.dataset.late = late;
    }
  }
  $("#clock").textContent = new Date(now).toLocaleTimeString([], { hour12: false });
}
setInterval(tick, 1000);
tick();

// --- the command line --------------------------------------------------------------------
const resultLine = $("#command-result");
function say(text, kind) {
  resultLine.textContent = text;
  resultLine.dataset.kind = kind;
}

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
    alerts: feed.state ? openAlerts().map((a) => a.id) : [],
    tips: Object.values(state.tips || {}).filter((t) => t.status === "received").map((t) => t.id),
    closures: activeClosures().map((c) => c.id),
    statuses: vocabulary.unit_statuses,
    types: vocabulary.incident_types,
    selected: ui.selected,
  };
}

function showHelp() {
  ui.selected = null;
  $("#panel-title").textContent = "Commands";
  replaceChildren($("#incident-detail"),
    h("table", { class: "board" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Command"), h("th", { scope: "col" }, "Does"))),
      h("tbody", {}, SPECS.map((s) => h("tr", {},
        h("td", { class: "id" }, s.usage, s.aliases ? h("div", { class: "muted" }, `also: ${s.aliases.join(", ")}`) : null),
        h("td", {}, s.help))))),
    h("p", { class: "hint" }, "An incident may be given as its full id, its number (\"12\"), or \".\" for the one shown. Text after \" -- \" is the call's words or the closure's reason; close with a street (not an incident) closes the road. Tab completes; Tab again cycles. / or F2 jumps to the command line."));
}

async function runLine(parsed) {
  if (parsed.local === "help") {
    showHelp();
    return "commands listed in the right panel";
  }
  if (parsed.local === "select") {
    const id = parsed.args.incident;
    if (!select(id)) {
      throw new ApiError(404, { error: { message: `no incident ${id}`, problems: [{ field: "incident", reason: `no incident ${id}` }] } });
    }
    return `showing ${id}`;
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
    case "unit.dispatch":
      return `${events.map((e) => e.unit).join(", ")} dispatched to ${parsed.fields.incident}`;
    case "unit.status":
      return `${first.unit}: ${statusLabel(first.from)} → ${statusLabel(first.to)}`;
    case "incident.note":
      return `note added to ${parsed.fields.incident}`;
    case "alert.acknowledge":
      return `alert ${parsed.fields.alert} acknowledged`;
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

/** Run `fn` once the live state has caught up with what a command just did. */
function feedReady(fn, tries = 40) {
  if (fn() !== false || tries <= 0) return;
  setTimeout(() => feedReady(fn, tries - 1), 50);
}

const line = new CommandLine({
  input: $("#command"),
  list: $("#choices"),
  hint: $("#command-hint"),
  message: resultLine,
  context: lineContext,
  run: runLine,
});
window.tenfour.commandLine = line;

document.addEventListener("keydown", (e) => {
  const typing = e.target.closest && e.target.closest("input, textarea, select, [contenteditable]");
  if ((e.key === "/" && !typing) || e.key === "F2") {
    e.preventDefault();
    $("#command").focus();
  }
});

// --- start ----------------------------------------------------------------------------
map.load(api).then(() => render()).catch((failure) => {
  $("#map").setAttribute("aria-label", `The map could not be loaded: ${sentence(failure.message)}`);
});
feed.start();
$("#command").focus();
