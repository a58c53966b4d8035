// The unit board: units on duty by agency and kind, with status, time in status, the
// incident they are on (with the ETA of their route) and the crew. A unit whose member
// is down shows EMERGENCY. Its id shows the unit on the map and selects its incident.

import { $, h, replaceChildren } from "../dom.js";
import { eta, statusLabel } from "../format.js";
import { map } from "./mapview.js";
import { onRender, routeOf, select } from "./store.js";

/** Units whose member (or the unit itself) has an open emergency. */
export function unitsDown(state) {
  return new Set(Object.values(state.emergencies).filter((e) => !e.cleared_at).map((e) => e.unit));
}

function renderUnits(state) {
  const units = Object.values(state.units)
    .filter((u) => u.status !== "offduty")
    .sort((a, b) => a.agency.localeCompare(b.agency) || a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
  const down = unitsDown(state);
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
  const route = routeOf(unit);
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
      ? `${unit.incident}${route && route.eta_s !== null ? ` · ${routeText(route)}` : ""}`
      : "–"),
    h("td", { class: "where" }, unit.members.join(", ")));
}

onRender(renderUnits);

/** "4 min 10 s", or "to ZGH 4 min 10 s" for a patient on the way to a hospital. */
function routeText(route) {
  return route.facility ? `to ${route.facility} ${eta(route.eta_s)}` : eta(route.eta_s);
}
