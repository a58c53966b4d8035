// What every panel of the console shares: the session, the live feed and its state,
// the page's own state (the selected incident, its fetched detail, routes), render
// scheduling, selection and the result line under the command line.
//
// Panels register a renderer with `onRender` and a selection listener with
// `onSelect`; nothing here knows which panels there are.

import { refusal } from "../commandline.js";
import { $ } from "../dom.js";
import { elapsed, lateness, since } from "../format.js";
import { LiveFeed } from "../live.js";
import { startSession } from "../session.js";
import { Alarm } from "../sound.js";

export const session = await startSession();
export const { me, vocabulary } = session;
export const feed = new LiveFeed({ heartbeatS: vocabulary.heartbeat_s });
export const alarm = new Alarm();

/** Statuses in which a unit drives a route to its incident. */
export const ROUTED = new Set(["dispatched", "enroute"]);

/** The unit's route as last read (GET /api/routes), while it still leads where the
 * unit is going: to its incident while dispatched or en route, to the hospital while
 * carrying a patient there; otherwise null (an old route is never shown). */
export function routeOf(unit) {
  const route = unit && ui.routes.get(unit.id);
  if (!route || route.incident !== unit.incident) return null;
  if (ROUTED.has(unit.status)) return route.facility ? null : route;
  if (unit.status === "transporting") return route.facility === unit.destination ? route : null;
  return null;
}

export const ui = {
  selected: null,
  detail: null,
  routes: new Map(),
  alertShownAt: {},
  fitted: false,
  closureKey: null,
  closureLines: new Map(),
  alertsExpanded: false,
};

// --- keeping the screen in step with the feed ------------------------------------------
// At most a few full renders a second when positions stream in; anything else that
// matters (an alert, a new incident) is drawn on the next frame.
const CALM_MS = 250;
const renderers = [];
let frame = null;
let later = null;
let lastRender = 0;

/** `fn(state)` runs on every render, in the order the panels registered. */
export function onRender(fn) {
  renderers.push(fn);
}

export function render(urgent = true) {
  if (frame) return;
  const wait = urgent ? 0 : CALM_MS - (performance.now() - lastRender);
  if (wait > 0) {
    if (!later) {
      later = setTimeout(() => {
        later = null;
        render(true);
      }, wait);
    }
    return;
  }
  frame = requestAnimationFrame(() => {
    frame = null;
    lastRender = performance.now();
    if (!feed.state) return;
    for (const fn of renderers) {
      // One panel's failure must not blank the others (the alerts above all).
      try {
        fn(feed.state);
      } catch (failure) {
        console.error("console panel failed to render", failure);
      }
    }
    tick();
  });
}

// --- selection ------------------------------------------------------------------------
const selectListeners = [];

/** `fn(id, {changed, center})` runs when an incident is selected (again). */
export function onSelect(fn) {
  selectListeners.push(fn);
}

/** Show incident `id` in the panel; `center` also moves the map to it. */
export function select(id, { center = false } = {}) {
  if (!feed.state || !feed.state.incidents[id]) return false;
  const changed = ui.selected !== id;
  if (changed) {
    ui.selected = id;
    ui.detail = null;
  }
  for (const fn of selectListeners) fn(id, { changed, center });
  render();
  return true;
}

/** Whether `event` concerns incident `incidentId` (its own or one of its units'). */
export function touches(event, incidentId) {
  if (event.incident === incidentId || event.stream === `incident:${incidentId}`) return true;
  const unit = event.unit && feed.state.units[event.unit];
  return Boolean(unit && unit.incident === incidentId);
}

/** Run `fn` once the live state has caught up with what a command just did. */
export function feedReady(fn, tries = 40) {
  if (fn() !== false || tries <= 0) return;
  setTimeout(() => feedReady(fn, tries - 1), 50);
}

// --- the result line ---------------------------------------------------------------------
/** Say the outcome of something done outside the command line, where it is read. */
export function say(text, kind) {
  const line = $("#command-result");
  line.textContent = text;
  line.dataset.kind = kind;
}

/** A refused command (or a lost connection), in words. */
export function sayFailure(failure) {
  say(`✗ ${refusal(failure)}`, "error");
}

// --- ticking ages and the clock ---------------------------------------------------------
export function tick() {
  const now = feed.now();
  for (const node of document.querySelectorAll(".age[data-since]")) {
    const seconds = since(node.dataset.since, now);
    node.textContent = elapsed(seconds);
    if (node.dataset.p) {
      const pending = node.dataset.pending === "true";
      node.dataset.late = lateness({ priority: Number(node.dataset.p), units: pending ? [] : [1] }, seconds);
    }
  }
  $("#clock").textContent = new Date(now).toLocaleTimeString([], { hour12: false });
}
setInterval(tick, 1000);
