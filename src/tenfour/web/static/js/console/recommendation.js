// The incident panel's recommendation: the journaled ranking (why each unit was or was
// not sent) and a one-click dispatch of the units it still calls for.

import { command } from "../api.js";
import { $, h, replaceChildren } from "../dom.js";
import { clock, distance, eta, statusLabel } from "../format.js";
import { say, sayFailure, ui } from "./store.js";

/**
 * What the one-click button sends for the latest recommendation (one policy decision
 * may rank several needs at once: police, ambulance, supervisor) and which of the
 * top-ranked units it passes over because they can no longer go.
 *
 * A top-ranked unit is said to be "no longer available" only when that is true: it
 * was available when ranked and is not now. One passed over because the need is
 * already covered (a unit lower in the ranking was sent by hand, or it is sent for
 * another need of the same decision) is still available, and is not named.
 */
export function pickUnits(detail, state) {
  const recs = detail.recommendations || [];
  if (!recs.length) return null;
  const last = recs[recs.length - 1];
  const near = (r) => r.purpose === last.purpose && Math.abs(Date.parse(last.at) - Date.parse(r.at)) < 3000;
  const batch = recs.filter(near);
  const earlier = recs.filter((r) => !batch.includes(r));
  const free = (unitId) => {
    const unit = state.units[unitId];
    return Boolean(unit && unit.status === "available" && unit.incident !== detail.id);
  };
  const onIt = (unitId) => Boolean(state.units[unitId] && state.units[unitId].incident === detail.id);
  const send = [];
  const gone = [];
  const etaOf = new Map();
  for (const rec of batch) {
    for (const c of rec.candidates) if (!etaOf.has(c.unit)) etaOf.set(c.unit, c.eta_s);
    const ranked = rec.candidates.map((c) => c.unit);
    // units of this need already on the incident count toward it
    const missing = Math.max(0, rec.count - ranked.filter(onIt).length);
    const chosen = ranked.filter((u) => free(u) && !send.includes(u)).slice(0, missing);
    send.push(...chosen);
    if (!chosen.length) continue;
    for (const c of rec.candidates.slice(0, rec.count)) {
      const lost = c.status === "available" && !free(c.unit) && !onIt(c.unit);
      if (lost && !send.includes(c.unit) && !gone.includes(c.unit)) gone.push(c.unit);
    }
  }
  return { batch, earlier, send, gone, etaOf };
}

/** "ZPD-6 now busy", "ZPD-3 now en route on 2026-000002". */
function nowDoing(unitId, state, incidentId) {
  const unit = state.units[unitId];
  if (!unit) return `${unitId} gone from the roster`;
  const on = unit.incident && unit.incident !== incidentId ? ` on ${unit.incident}` : "";
  return `${unitId} now ${statusLabel(unit.status).toLowerCase()}${on}`;
}

export function renderRecommendation(state) {
  const box = $("#d-rec");
  const detail = ui.detail;
  if (!box || !detail || detail.id !== ui.selected) return;
  const incident = state.incidents[detail.id];
  const open = Boolean(incident && incident.status === "open");
  const picked = pickUnits(detail, state);
  if (!picked) {
    replaceChildren(box, h("p", { class: "empty" },
      open ? "No recommendation for this incident." : "Closed: nothing to dispatch."));
    return;
  }
  const { batch, earlier, send, gone, etaOf } = picked;
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
        sayFailure(failure);
        target.disabled = false;
      }
    },
  }, !open
    ? "Closed: nothing to dispatch"
    : send.length
      ? `Dispatch ${send.map((u) => `${u} (${eta(etaOf.get(u))})`).join(", ")}`
      : "Recommended units already sent or busy");
  replaceChildren(box,
    button,
    gone.length && send.length && open
      ? h("p", { class: "hint", dataset: { gone: gone.join(" ") } },
        `${gone.map((u) => nowDoing(u, state, detail.id)).join("; ")}: next in rank instead.`)
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
