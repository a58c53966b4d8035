// The map's glue: what the city map draws (units, open incidents, facilities, road
// closures, responding units' routes and ambulances' to the hospital), fetching routes
// and closure geometry when the state says they changed, and moving the map to an
// incident on demand.

import { api } from "../api.js";
import { $, announce } from "../dom.js";
import { eta, statusLabel } from "../format.js";
import { CityMap } from "../map.js";
import { openIncidents } from "./incidents.js";
import { feed, onRender, onSelect, render, ROUTED, routeOf, select, ui } from "./store.js";

export const map = new CityMap($("#map"), {
  // Position ages by the server's clock: a desk PC with a wrong clock (or a simulated
  // night) must not call every unit stale, or none.
  now: () => feed.now(),
  onSelect: ({ id, kind }) => {
    if (kind === "incident") select(id);
    else {
      const unit = feed.state && feed.state.units[id];
      if (unit && unit.incident) select(unit.incident);
      announce(unit ? `${id}: ${statusLabel(unit.status)}` : id);
    }
  },
});

/** Move the map to an incident (`sel`, the emergency key, an alert's line). */
export function centerOnIncident(id) {
  const incident = feed.state && feed.state.incidents[id];
  const at = incident && incident.location;
  if (!at || at.lat === null || at.lat === undefined) return false;
  map.centerOn(at.lat, at.lon);
  return true;
}

onSelect((id, { center }) => {
  if (center) centerOnIncident(id);
});

function renderMap(state) {
  const down = new Set(Object.values(state.emergencies).filter((e) => !e.cleared_at).map((e) => e.unit));
  const routes = [...ui.routes.values()].filter((r) => routeOf(state.units[r.unit]) === r);
  const etas = new Map(routes.map((r) => [r.unit, r.eta_s]));
  const units = Object.values(state.units)
    .filter((u) => u.status !== "offduty" && u.location)
    .map((u) => ({
      ...u,
      emergency: down.has(u.id),
      eta: etas.has(u.id) && etas.get(u.id) !== null ? eta(etas.get(u.id)) : null,
    }));
  const incidents = openIncidents(state);
  map.set({
    units,
    closures: closureDrawings(),
    incidents,
    facilities: Object.values(state.facilities),
    routes: routes.map((r) => ({ ...r, points: fromUnit(r, state.units[r.unit]) })),
    selected: ui.selected,
  });
  $("#map").setAttribute("aria-label",
    `City map: ${units.length} units and ${incidents.length} open incidents`);
  if (!ui.fitted && map.ready) {
    ui.fitted = true;
    map.fitActivity();
  }
}

export function activeClosures(state = feed.state) {
  return Object.values((state && state.closures) || {})
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

// --- routes: fetched again when a responding unit moves or a status changes ------------
let routesBusy = false;
let routesAgain = false;
export async function wantRoutes() {
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

const ROUTE_EVENTS = new Set(["unit.dispatched", "unit.status_changed", "incident.updated",
  "incident.closed", "unit.logged_off", "transport.started", "transport.arrived"]);

feed.on((kind, event) => {
  if (kind === "snapshot") wantRoutes();
  if (kind !== "event") return;
  const unit = event.unit && feed.state.units[event.unit];
  const routed = unit && (ROUTED.has(unit.status) || unit.status === "transporting");
  if (ROUTE_EVENTS.has(event.type) || (event.type === "unit.located" && routed)) wantRoutes();
});

onRender(renderMap);
