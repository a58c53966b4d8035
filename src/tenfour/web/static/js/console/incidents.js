// The incidents list: open incidents, pending (no unit yet) above active, each group
// by priority then age; a row (or Enter on its id) selects the incident.

import { $, h, replaceChildren } from "../dom.js";
import { place } from "../format.js";
import { onRender, select, ui } from "./store.js";

export function openIncidents(state) {
  return Object.values(state.incidents)
    .filter((i) => i.status === "open")
    .sort((a, b) => a.priority - b.priority || a.created_at.localeCompare(b.created_at)
      || a.id.localeCompare(b.id));
}

function renderIncidents(state) {
  const open = openIncidents(state);
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

onRender(renderIncidents);
