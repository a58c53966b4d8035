// The incident panel: the selected incident's heading and facts, its units with their
// ETAs, its calls (a duplicate may be unlinked), the recommendation, open emergencies,
// subjects, the timeline (dispatcher sentences, the raw event type on hover), a note,
// the Move field (an address autocompleted from the map) and the close form. A closed incident says so, with its disposition and closing
// time, and its age stops. A changed type shows what it was: "MAYDAY (was DRUGS)".

import { api, command, sentence } from "../api.js";
import { Cancelled } from "../commandline.js";
import { $, debounce, h, replaceChildren } from "../dom.js";
import {
  clock, distance, elapsed, eta, joinAnd, personName, place, statusLabel,
} from "../format.js";
import { closeIncident } from "./line.js";
import { moveForm, PlaceSuggester } from "./places.js";
import { renderRecommendation } from "./recommendation.js";
import {
  feed, feedReady, me, onRender, onSelect, routeOf, say, sayFailure, select, touches, ui,
} from "./store.js";

const SUPERVISING = new Set(["supervisor", "admin"]);
// the Move field's own: a request from the command line must not abort its answers
const movePlaces = new PlaceSuggester();

onSelect((id, { changed }) => {
  if (changed) buildPanel(id);
  loadDetail();
});

// Live events come in bursts (a dispatch and its status changes): fetch once after.
const loadDetailSoon = debounce(() => loadDetail(), 150);

feed.on((kind, event) => {
  if (kind === "snapshot" && ui.selected) loadDetail();
  if (kind !== "event" || !ui.selected) return;
  if (event.type === "unit.located" || event.type === "member.located") return;
  if (touches(event, ui.selected)) loadDetailSoon();
});

async function loadDetail() {
  const id = ui.selected;
  if (!id) return;
  try {
    const detail = await api(`/api/incidents/${encodeURIComponent(id)}`);
    if (ui.selected !== id) return;
    ui.detail = detail;
    renderDetail();
    renderDetailLive(feed.state);
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
      sayFailure(failure);
    }
  });
  const closeForm = h("form", { class: "note-form", id: "close-form", "aria-label": "Close the incident" },
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
      // Asks first (in the command line's confirm box) when units are still committed.
      const done = await closeIncident(id, disposition);
      say(`✓ ${done}`, "ok");
    } catch (failure) {
      if (failure instanceof Cancelled) say(sentence(failure.message), "info");
      else sayFailure(failure);
    }
  });
  const move = moveForm(id, { suggester: movePlaces, say, sayFailure });
  replaceChildren($("#incident-detail"),
    h("div", { id: "d-head" }),
    move,
    h("div", { id: "d-units" }),
    h("div", { id: "d-calls" }),
    h("h2", { class: "section-title", id: "rec-title" }, "Recommendation"),
    h("div", { id: "d-rec", "aria-labelledby": "rec-title" }, h("p", { class: "muted" }, "Loading…")),
    h("div", { id: "d-emergency" }),
    h("h2", { class: "section-title", id: "subjects-title" }, "Subjects"),
    h("div", { id: "d-subjects" }),
    h("h2", { class: "section-title" }, "Timeline"),
    noteForm,
    h("ol", { class: "timeline", id: "d-timeline", reversed: true, "aria-label": "Timeline, newest first" }),
    h("h2", { class: "section-title", id: "close-title" }, "Close"),
    closeForm);
  $("#panel-title").textContent = `Incident ${id}`;
}

/** What the fetched detail alone decides: the timeline. */
function renderDetail() {
  const detail = ui.detail;
  if (!detail || detail.id !== ui.selected) return;
  // The sentence for people; the raw event type on hover, so the wording hides nothing.
  const items = [...detail.timeline].reverse().slice(0, 300).map((e) => h("li", { dataset: { type: e.type } },
    h("time", { datetime: e.at }, clock(e.at)),
    h("span", {}, h("span", { class: "what", title: e.type }, e.text || e.type), " ",
      h("span", { class: "by" }, `— ${e.by}`))));
  replaceChildren($("#d-timeline"), items);
}

/** The type an incident had before its latest change of type, from its timeline. */
export function earlierType(detail, incident) {
  if (!detail || detail.id !== incident.id) return null;
  let was = null;
  for (const entry of detail.timeline) {
    const changes = entry.type === "incident.updated" && entry.data && entry.data.changes;
    if (changes && "incident_type" in changes) was = entry.data.before && entry.data.before.incident_type;
  }
  return was && was !== incident.type ? was : null;
}

/** The subjects an arrest was recorded for, from the incident's timeline. */
function arrestedOn(detail, incident) {
  if (!detail || detail.id !== incident.id) return new Set();
  return new Set(detail.timeline
    .filter((e) => e.type === "arrest.recorded" && e.data && e.data.subject)
    .map((e) => e.data.subject));
}

/**
 * The incident's subjects from the live state (a `subj` typed a moment ago is there at
 * once): role, id, and the description, or the officer's name for one of ours; marked
 * once an arrest names the subject.
 */
function renderSubjects(incident, state) {
  const box = $("#d-subjects");
  const subjects = incident.subjects.map((s) => state.subjects[s]).filter(Boolean);
  const arrested = arrestedOn(ui.detail, incident);
  const key = JSON.stringify([incident.id, subjects.map((s) => s.id), [...arrested]]);
  if (!box || box.dataset.key === key) return;
  box.dataset.key = key;
  $("#subjects-title").textContent = subjects.length ? `Subjects (${subjects.length})` : "Subjects";
  replaceChildren(box, subjects.length
    ? h("ul", { class: "subjects" }, subjects.map((subject) => {
      const member = subject.member && state.members[subject.member];
      return h("li", { dataset: { subject: subject.id, role: subject.role } },
        h("span", { class: "role" }, subject.role), " ",
        h("span", { class: "id" }, subject.id),
        arrested.has(subject.id) ? h("span", { class: "arrested" }, " · arrested") : null,
        h("div", { class: "what" }, subject.description || (member ? personName(member) : subject.member) || ""));
    }))
    : h("p", { class: "empty" }, "None recorded: ", h("code", {}, "subj . suspect -- description"), " adds one."));
}

/** The units an incident had when it closed (its incident.closed entry). */
function unitsAtClose(detail, incident) {
  if (!detail || detail.id !== incident.id) return null;
  const closed = [...detail.timeline].reverse().find((e) => e.type === "incident.closed");
  return closed && closed.data ? closed.data.units || [] : null;
}

/** What the live state decides: heading, units and their ETAs, emergencies, subjects. */
function renderDetailLive(state) {
  const id = ui.selected;
  if (!id || !$("#d-head")) return;
  const incident = state.incidents[id];
  if (!incident) return;
  const closed = incident.status === "closed";
  const tip = incident.tip && state.tips?.[incident.tip];
  const was = earlierType(ui.detail, incident);
  const age = closed
    // stopped: how long it was open, never red
    ? h("span", { class: "age stopped", title: "open for" },
      elapsed((Date.parse(incident.closed_at) - Date.parse(incident.created_at)) / 1000))
    : h("span", { class: "age", dataset: { since: incident.created_at, p: incident.priority, pending: String(!incident.units.length) } });
  replaceChildren($("#d-head"),
    h("div", { class: "incident-head" },
      h("span", { class: "prio", dataset: { p: incident.priority } }, `P${incident.priority}`),
      h("span", { class: "id" }, incident.id),
      h("span", { class: "type", title: was ? `type changed from ${was} to ${incident.type}` : null },
        incident.type, was ? h("span", { class: "was" }, ` (was ${was})`) : null),
      h("span", { class: "chip", dataset: { status: closed ? "offduty" : incident.units.length ? "onscene" : "dispatched" } },
        closed ? "closed" : incident.units.length ? "active" : "pending"),
      age),
    closed
      ? h("p", { class: "notice closed-notice", role: "status" },
        h("strong", {}, "Closed"), ` ${clock(incident.closed_at)} · ${incident.disposition}`)
      : null,
    h("dl", { class: "facts" },
      h("dt", {}, "Location"), h("dd", {}, place(incident.location)),
      h("dt", {}, "Source"), h("dd", {}, incident.tip ? `tip ${incident.tip}` : incident.source),
      h("dt", {}, "Created"), h("dd", {}, clock(incident.created_at)),
      tip ? [h("dt", {}, "Tip"), h("dd", {}, tip.text)] : null,
      closed ? [h("dt", {}, "Closed"), h("dd", {}, clock(incident.closed_at))] : null,
      incident.disposition ? [h("dt", {}, "Disposition"), h("dd", {}, incident.disposition)] : null));
  renderUnits(incident, state);
  renderCalls(incident, state);
  renderEmergencies(incident, state);
  renderSubjects(incident, state);
  const move = $("#move-form");
  if (move) move.hidden = closed;
  const closeForm = $("#close-form");
  if (closeForm) {
    closeForm.hidden = closed;
    $("#close-title").hidden = closed;
  }
  renderRecommendation(state);
}

function renderUnits(incident, state) {
  const id = incident.id;
  if (incident.status === "closed") {
    const released = unitsAtClose(ui.detail, incident);
    replaceChildren($("#d-units"),
      h("h2", { class: "section-title" }, "Units"),
      h("p", { class: "muted" }, released === null
        ? "Closed: its units were released."
        : released.length
          ? `Closed: ${joinAnd(released)} released at ${clock(incident.closed_at)}.`
          : "Closed with no unit on it."));
    return;
  }
  const units = incident.units.map((u) => state.units[u]).filter(Boolean);
  replaceChildren($("#d-units"),
    h("h2", { class: "section-title" }, `Units (${units.length})`),
    units.length
      ? h("table", { class: "board" }, h("tbody", {}, units.map((unit) => {
        const route = routeOf(unit);
        return h("tr", {},
          h("td", { class: "id" }, unit.id),
          h("td", {}, h("span", { class: "chip", dataset: { status: unit.status } }, statusLabel(unit.status))),
          h("td", {}, h("span", { class: "age", dataset: { since: unit.status_since || "" } })),
          h("td", { class: "units" }, route && route.incident === id
            ? `${route.facility ? `to ${route.facility}, ` : ""}ETA ${eta(route.eta_s)} · ${distance(route.distance_m)}`
            : ""));
      })))
      : h("p", { class: "empty" }, "No unit assigned yet."));
}

/** "Officer Judy Hopps (ZPD-7)": whom an emergency is for. */
function emergencyWho(emergency, state) {
  const member = emergency.member && state.members[emergency.member];
  const unit = emergency.unit || (member && member.unit);
  if (!member) return emergency.unit || "";
  return unit ? `${personName(member)} (${unit})` : personName(member);
}

function renderEmergencies(incident, state) {
  const emergencies = Object.values(state.emergencies).filter((e) => e.incident === incident.id && !e.cleared_at);
  replaceChildren($("#d-emergency"), emergencies.map((emergency) => h("div", { class: "notice warn" },
    h("strong", {}, `Open emergency ${emergency.id}`),
    ` · ${emergencyWho(emergency, state)} · declared ${clock(emergency.declared_at)} `,
    SUPERVISING.has(me.role)
      ? h("button", {
        type: "button", class: "small danger",
        onclick: async () => {
          try {
            await command("emergency.clear", { emergency: emergency.id });
            say(`✓ emergency ${emergency.id} cleared`, "ok");
          } catch (failure) {
            sayFailure(failure);
          }
        },
      }, "Clear emergency")
      : h("span", { class: "muted" }, "(a supervisor clears it)"))));
}

/** The incident's calls; those linked as duplicates (not the first) may be unlinked. */
function renderCalls(incident, state) {
  const box = $("#d-calls");
  const calls = incident.calls.map((c) => state.calls[c]).filter(Boolean);
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
    sayFailure(failure);
  }
}

onRender(renderDetailLive);
