// The alert bar: what a person must see (DOMAIN.md "Alerts"), one line per condition,
// open emergencies first and pinned, then high, then normal, each line a sentence
// that names the officer and his unit (the raw kind on hover). Only the top lines
// stand in the bar, with "+N more" to open the rest over the map, so a busy night
// never takes the map's room. Alerts sound as they come (an emergency's tone repeats
// until it is acknowledged); an alert the system resolves leaves by itself; F9 jumps
// to the newest open emergency.

import { command, sentence } from "../api.js";
import { $, announce, h } from "../dom.js";
import { eta, joinAnd, personName, place } from "../format.js";
import { alarm, feed, onRender, say, sayFailure, select, ui } from "./store.js";

/** Lines shown in the bar before "+N more" (open emergencies always are: pinned). */
const VISIBLE = 3;
/** The key that shows the newest open emergency. */
export const EMERGENCY_KEY = "F9";

export const ALERT_TITLES = {
  emergency: "Emergency",
  status_check_overdue: "Status check overdue",
  member_unresponsive: "Officer unresponsive",
  dispatch_unacknowledged: "Dispatch not acknowledged",
  incident_unassigned: "Incident without a unit",
  backup_requested: "Urgent backup",
  plan_short: "Plan short of units",
  policy_failed: "Automatic response failed",
};

export const alertTitle = (alert) => ALERT_TITLES[alert.kind] || alert.kind.replace(/_/g, " ");

// DOMAIN.md: open emergencies first, then high, then normal (views/board.py alert_rank).
function alertTier(alert, state) {
  const emergency = alert.emergency && state.emergencies[alert.emergency];
  if (alert.kind === "emergency" && emergency && !emergency.cleared_at) return 0;
  return alert.severity === "high" ? 1 : 2;
}

/** Alerts neither acknowledged nor resolved, in the order they are read. */
export function openAlerts(state = feed.state) {
  return Object.values(state.alerts)
    .filter((a) => !a.acknowledged_by && !a.resolved_at)
    .sort((a, b) => alertTier(a, state) - alertTier(b, state)
      || a.raised_at.localeCompare(b.raised_at) || a.id.localeCompare(b.id));
}

/**
 * The condition a line stands for. A missed status check and the "unresponsive" alert
 * that follows it are one condition growing worse: one line, the worse alert on top.
 * Failures of one policy with the same words are one line too. Every other kind is
 * already one open alert per condition (the domain refuses a second).
 */
function conditionOf(alert) {
  if (alert.kind === "status_check_overdue" || alert.kind === "member_unresponsive") {
    return alert.member ? `contact:member:${alert.member}` : `contact:unit:${alert.unit || ""}`;
  }
  if (alert.kind === "policy_failed") return `policy_failed:${alert.text || ""}`;
  return `alert:${alert.id}`;
}

/** Open alerts as lines: [{key, top, alerts}], the most urgent line first. */
export function alertLines(state = feed.state) {
  const lines = new Map();
  for (const alert of openAlerts(state)) {
    const key = conditionOf(alert);
    if (!lines.has(key)) lines.set(key, { key, top: alert, alerts: [] });
    lines.get(key).alerts.push(alert);
  }
  return [...lines.values()];
}

/** The line an alert is on (to acknowledge a condition whole). */
export function lineOf(alertId, state = feed.state) {
  return alertLines(state).find((line) => line.alerts.some((a) => a.id === alertId)) || null;
}

/**
 * Who an alert is about, as a dispatcher says it: "Officer Judy Hopps (hopps, ZPD-7)";
 * for a unit, its crew by name: "Officer Judy Hopps and Officer Nick Wilde (ZPD-7)".
 */
export function who(alert, state = feed.state) {
  const member = alert.member && state.members[alert.member];
  if (member) {
    const unit = alert.unit || member.unit;
    return `${personName(member)} (${[member.id, unit].filter(Boolean).join(", ")})`;
  }
  const unit = alert.unit && state.units[alert.unit];
  if (!unit) return alert.unit || "";
  const crew = (unit.members || []).map((m) => state.members[m]).filter(Boolean).map(personName);
  return crew.length ? `${joinAnd(crew)} (${unit.id})` : unit.id;
}

const escapeRe = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * One line for people: the system's words with the id of whom it concerns replaced by
 * his name and unit, seconds as minutes, and the incident it is on.
 * "No contact from Officer Judy Hopps and Officer Nick Wilde (ZPD-7) for 20 min ·
 * 2026-000004 THEFT P3 · Main Street & Mission Street"
 */
export function alertSentence(alert, state = feed.state) {
  const person = who(alert, state);
  const subject = alert.member || alert.unit;
  const text = String(alert.text || "").replace(/\b(\d+) s\b/g, (_, s) => eta(Number(s)));
  let said;
  const named = subject ? new RegExp(`(?<![\\w-])${escapeRe(subject)}(?![\\w-])`) : null;
  if (person && named && named.test(text)) said = text.replace(named, person);
  else said = [person, text].filter(Boolean).join(": ");
  const incident = alert.incident && state.incidents[alert.incident];
  const where = incident
    ? `${incident.id} ${incident.type} P${incident.priority} · ${place(incident.location)}`
    : "";
  return sentence([said, where].filter(Boolean).join(" · "));
}

/** "alert A-000004 acknowledged: Emergency, Officer Judy Hopps (hopps, ZPD-7) ..." */
export function acknowledgedText(alerts, state = feed.state) {
  const [top, ...rest] = alerts;
  const also = rest.length ? ` (with ${rest.map((a) => `${a.id}, ${alertTitle(a).toLowerCase()}`).join("; ")})` : "";
  return `alert ${top.id} acknowledged: ${alertTitle(top)}, ${alertSentence(top, state)}${also}`;
}

/**
 * Acknowledge a line's alerts, the top one first. A sibling someone else acknowledged
 * meanwhile is no failure; the top one's refusal is.
 */
export async function acknowledgeAll(alerts) {
  await command("alert.acknowledge", { alert: alerts[0].id });
  for (const alert of alerts.slice(1)) {
    try {
      await command("alert.acknowledge", { alert: alert.id });
    } catch {
      // already acknowledged or resolved: the condition is answered either way
    }
  }
}

async function acknowledgeLine(key, button) {
  const line = alertLines().find((l) => l.key === key);
  if (!line) return;
  const state = feed.state;
  button.disabled = true;
  try {
    await acknowledgeAll(line.alerts);
    say(`✓ ${acknowledgedText(line.alerts, state)}`, "ok");
    $("#command").focus();
  } catch (failure) {
    button.disabled = false;
    sayFailure(failure);
  }
}

// --- the newest open emergency ----------------------------------------------------------
export function newestEmergency(state = feed.state) {
  return Object.values(state.emergencies)
    .filter((e) => !e.cleared_at)
    .sort((a, b) => b.declared_at.localeCompare(a.declared_at) || b.id.localeCompare(a.id))[0] || null;
}

/** Select the newest open emergency's incident and move the map there; what to say. */
export function showNewestEmergency() {
  const state = feed.state;
  const emergency = state && newestEmergency(state);
  if (!emergency) return { ok: false, text: "there is no open emergency" };
  const member = emergency.member && state.members[emergency.member];
  const person = member ? `${personName(member)} (${emergency.unit || member.unit || member.id})` : emergency.unit || "";
  if (!emergency.incident || !select(emergency.incident, { center: true })) {
    return { ok: true, text: `emergency ${emergency.id}: ${person}, no location known yet` };
  }
  const incident = state.incidents[emergency.incident];
  return {
    ok: true,
    text: `emergency ${emergency.id}: ${person} · ${incident.id} at ${place(incident.location)}`,
  };
}

document.addEventListener("keydown", (e) => {
  if (e.key !== EMERGENCY_KEY || e.altKey || e.ctrlKey || e.metaKey) return;
  e.preventDefault();
  const shown = showNewestEmergency();
  say(shown.ok ? `✓ ${shown.text}` : sentence(shown.text), shown.ok ? "ok" : "info");
  announce(shown.text);
});

// --- sound --------------------------------------------------------------------------------
/** The latest tones played and why (the page's own record, read by its checks). */
export const tones = [];

function sound(kind) {
  if (kind === "emergency") alarm.emergency();
  // Urgent backup: three rising tones, apart from the everyday chime.
  else if (kind === "backup_requested") alarm.play([[660, 0], [880, 0.16], [1175, 0.32]], 0.14, 0.3);
  else alarm.chime();
  tones.push(kind === "emergency" || kind === "backup_requested" ? kind : "chime");
  if (tones.length > 50) tones.shift();
}

const emergencyOpen = () => openAlerts().some((a) => a.kind === "emergency");

feed.on((kind, detail) => {
  if (kind === "snapshot" && emergencyOpen()) sound("emergency");
  if (kind === "event" && detail.type === "alert.raised") sound(detail.kind);
});

// The emergency tone repeats until every emergency alert is acknowledged.
setInterval(() => {
  if (feed.state && emergencyOpen()) sound("emergency");
}, 4000);

// --- the bar ----------------------------------------------------------------------------
const rows = new Map(); // line key -> {row, top}
let topBox = null;
let moreButton = null;
let extraBox = null;

function parts() {
  if (topBox) return;
  topBox = h("div", { class: "alerts-top" });
  moreButton = h("button", {
    type: "button", class: "alerts-more", hidden: true, "aria-label": "More alerts",
    "aria-expanded": "false", "aria-controls": "alerts-extra",
    onclick: () => expand(!ui.alertsExpanded),
  });
  extraBox = h("div", { class: "alerts-extra", id: "alerts-extra", hidden: true });
  extraBox.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    e.preventDefault();
    expand(false);
    moreButton.focus();
  });
  $("#alerts").append(topBox, moreButton, extraBox);
  // The extra lines lie over the map: a click anywhere else puts them away.
  document.addEventListener("pointerdown", (e) => {
    if (ui.alertsExpanded && !e.target.closest("#alerts")) expand(false);
  });
}

function expand(open) {
  ui.alertsExpanded = open;
  renderAlerts(feed.state);
  if (open) extraBox.querySelector("button")?.focus();
}

function lineRow(line) {
  const alert = line.top;
  const urgent = alert.kind === "emergency" || alert.severity === "high";
  const title = alertTitle(alert);
  const row = h("div", {
    class: "alert-row",
    role: urgent ? "alert" : "status",
    dataset: {
      alert: alert.id, kind: alert.kind, severity: alert.severity, line: line.key,
      ...(alert.incident ? { incident: alert.incident } : {}),
    },
  },
  h("span", { class: "what", title: alert.kind }, title),
  h("span", { class: "text" }),
  h("span", { class: "also" }),
  alert.kind === "emergency"
    ? h("kbd", { class: "key", title: `${EMERGENCY_KEY} shows the newest open emergency` }, EMERGENCY_KEY)
    : null,
  h("span", { class: "age", dataset: { since: alert.raised_at }, title: "time since raised" }),
  h("button", {
    type: "button",
    class: "ack",
    dataset: { key: `ack-${line.key}` },
    "aria-label": `Acknowledge ${title} alert ${alert.id}`,
    onclick: (e) => acknowledgeLine(line.key, e.currentTarget),
  }, "Acknowledge"));
  if (alert.incident) {
    row.querySelector(".text").addEventListener("click", () => select(alert.incident, { center: true }));
  }
  return row;
}

function fill(row, line, state) {
  const ids = line.alerts.map((a) => a.id);
  // the raw kind (and every alert on the line) on hover; people read the sentence
  row.title = `${line.top.kind}: ${ids.join(", ")}`;
  row.dataset.alerts = ids.join(" ");
  const text = alertSentence(line.top, state);
  const node = row.querySelector(".text");
  if (node.textContent !== text) {
    node.textContent = text;
    node.title = text; // the whole sentence, when one line cuts it short
  }
  const also = line.alerts.length > 1
    ? `after ${line.alerts.slice(1).map((a) => alertTitle(a).toLowerCase()).join(", ")}`
    : "";
  const alsoNode = row.querySelector(".also");
  if (alsoNode.textContent !== also) alsoNode.textContent = also;
  alsoNode.hidden = !also;
}

/** Put `wanted` rows into `box` in order, moving only those out of place (keeps focus). */
function placeRows(box, wanted) {
  wanted.forEach((row, i) => {
    if (box.children[i] !== row) box.insertBefore(row, box.children[i] || null);
  });
  while (box.children.length > wanted.length) box.lastElementChild.remove();
}

export function renderAlerts(state) {
  parts();
  const lines = alertLines(state);
  const keys = new Set(lines.map((l) => l.key));
  for (const [key, entry] of rows) {
    if (!keys.has(key)) {
      entry.row.remove();
      rows.delete(key);
    }
  }
  const pinned = lines.filter((l) => alertTier(l.top, state) === 0).length;
  const shown = Math.max(VISIBLE, pinned);
  const ordered = lines.map((line) => {
    let entry = rows.get(line.key);
    if (entry && entry.top !== line.top.id) {
      entry.row.remove(); // the condition grew worse: a new line, with its own role
      entry = null;
    }
    if (!entry) {
      entry = { row: lineRow(line), top: line.top.id };
      rows.set(line.key, entry);
      if (!ui.alertShownAt[line.top.id]) ui.alertShownAt[line.top.id] = Date.now();
    }
    fill(entry.row, line, state);
    return entry.row;
  });
  placeRows(topBox, ordered.slice(0, shown));
  const hidden = lines.slice(shown);
  placeRows(extraBox, ordered.slice(shown));
  if (!hidden.length) ui.alertsExpanded = false;
  extraBox.hidden = !ui.alertsExpanded;
  moreButton.hidden = !hidden.length;
  moreButton.setAttribute("aria-expanded", String(ui.alertsExpanded));
  if (hidden.length) {
    const high = hidden.filter((l) => l.top.severity === "high").length;
    const label = `+${hidden.length} more`;
    const text = `${label}${high ? ` (${high} high)` : ""} ${ui.alertsExpanded ? "▴" : "▾"}`;
    if (moreButton.textContent !== text) moreButton.textContent = text;
    moreButton.setAttribute("aria-label",
      `${hidden.length} more alert lines${high ? `, ${high} high` : ""}: ${ui.alertsExpanded ? "hide" : "show"} them`);
  }
  const box = $("#alerts");
  box.dataset.open = String(lines.reduce((n, l) => n + l.alerts.length, 0));
  box.dataset.lines = String(lines.length);
}

onRender(renderAlerts);
