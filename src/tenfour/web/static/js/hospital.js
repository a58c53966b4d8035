// A hospital's own page: its facility's status (open, on diversion for some services,
// closed; beds free by kind), set with `facility.status`, and the ambulances coming to
// it with their patient's need, drive time and distance by road from their last
// position (GET /api/facilities/{id}/arrivals, asked again as positions come), and
// that position's time.
//
// Live through the console's feed (WS /api/live), which sends a hospital only its own
// facility, the transports to it and the units carrying them (domain/visibility.py).
// A unit enters that view with its `transport.started`, so on any transport event the
// page reads its snapshot again (GET /api/snapshot) instead of folding the event.

import { api, ApiError, clearProblems, command, showProblems } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { clock, distance, eta } from "./format.js";
import { LiveFeed } from "./live.js";
import { startSession } from "./session.js";

// commands.py BedKind: the kinds of beds a facility.status may count.
const BED_KINDS = { ed: "Emergency", icu: "Intensive care", trauma: "Trauma", pediatric: "Pediatric", psych: "Psychiatric" };
const STATES = { open: "Open", diversion: "On diversion", closed: "Closed" };

const form = document.getElementById("status-form");
const done = document.getElementById("status-done");
/** What each unit's patient needs, from the transport.started events seen. */
const needs = new Map();

class HospitalFeed extends LiveFeed {
  receive(body) {
    const e = body.type === "event" ? body.event : null;
    if (e && this.state && e.seq > this.state.seq) {
      if (e.type === "transport.started") needs.set(e.unit, e.need || null);
      if (e.type.startsWith("transport.")) this.reload();
      if (e.type.startsWith("transport.") || (e.unit && !this.state.units[e.unit])) {
        this.state.seq = e.seq; // the snapshot being read again holds it
        return;
      }
    }
    super.receive(body);
  }

  async reload() {
    const fresh = await api("/api/snapshot");
    if (this.state && fresh.position < this.state.seq) return;
    this.state = fresh.state;
    this.state.seq = fresh.position;
    this.emit("snapshot", this.state);
  }
}

function metresBetween(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371000 * Math.asin(Math.sqrt(s));
}

/** The road drive times last read (unit -> ArrivalOut); each kept, with the position it
 * was computed from, until a newer read replaces it. */
const arrivals = new Map();
const ARRIVALS_EVERY_MS = 5000;
const ARRIVALS_BACKOFF_MAX_MS = 60000;
const reading = {
  answered: "", // the units and positions the last answer was for
  asked: 0, // when the last read was sent
  every: ARRIVALS_EVERY_MS, // grows while reads fail
  pending: null, // a read in flight, or the timer of the next one
  failed: null, // why the last read failed, until one succeeds
};

/** Which units at which positions: [unit id, located_at] pairs as one comparable string. */
function positionsKey(pairs) {
  return pairs.map(([unit, at]) => `${unit}@${at || ""}`).sort().join(" ");
}

/** Read the drive times again while the last answer is not for the coming units and
 * positions shown (a new position, a new ambulance, or an answer from a node that had
 * not yet taken in the latest ones): at most one read at a time and one every
 * ARRIVALS_EVERY_MS (a unit reports every few seconds), backing off while reads fail;
 * `redraw` draws the page again with what came. */
function refreshArrivals(facilityId, units, redraw) {
  const shown = positionsKey(units.map((u) => [u.id, u.located_at]));
  if (shown === reading.answered || reading.pending) return;
  const wait = reading.asked + reading.every - Date.now();
  if (wait > 0) {
    reading.pending = setTimeout(() => {
      reading.pending = null;
      redraw();
    }, wait);
    return;
  }
  reading.asked = Date.now();
  reading.pending = api(`/api/facilities/${encodeURIComponent(facilityId)}/arrivals`)
    .then((answer) => {
      arrivals.clear();
      for (const arrival of answer.arrivals) arrivals.set(arrival.unit, arrival);
      reading.answered = positionsKey(answer.arrivals.map((a) => [a.unit, a.located_at]));
      reading.failed = null;
      reading.every = ARRIVALS_EVERY_MS;
    })
    .catch((failure) => {
      reading.failed = failure.message || String(failure);
      reading.every = Math.min(reading.every * 2, ARRIVALS_BACKOFF_MAX_MS);
    })
    .finally(() => {
      reading.pending = null;
      redraw();
    });
}

function driveTime(unit, arrival) {
  if (!arrival) {
    return reading.failed
      ? h("td", { title: reading.failed }, "unavailable")
      : h("td", {}, "…");
  }
  if (arrival.eta_s === null) return h("td", { title: arrival.error || "" }, "no route");
  // From an earlier position while the newest one is read: said on hover.
  const earlier = arrival.located_at !== unit.located_at;
  const title = earlier ? `from its position at ${clock(arrival.located_at)}` : "";
  return h("td", earlier ? { title, "data-earlier": "" } : {}, eta(arrival.eta_s));
}

function render(state, facilityId, redraw) {
  const facility = state.facilities[facilityId];
  if (!facility) return;
  document.getElementById("facility-name").textContent = facility.name || facility.id;
  const diverted = facility.diversion && facility.diversion.length ? ` (${facility.diversion.join(", ")})` : "";
  document.getElementById("status-now").textContent = `${STATES[facility.status] || facility.status || "open"}${diverted}`;
  const units = Object.values(state.units);
  const straight = (u) => (u.location && facility.location
    ? `${distance(metresBetween(u.location, facility.location))} straight` : "–");
  replaceChildren(
    document.getElementById("coming"),
    ...units.map((u) => {
      const arrival = arrivals.get(u.id);
      return h(
        "tr",
        { "data-unit": u.id },
        h("th", { scope: "row" }, u.id),
        h("td", {}, needs.get(u.id) || "not given"),
        driveTime(u, arrival),
        h("td", {}, arrival && arrival.distance_m !== null ? distance(arrival.distance_m) : straight(u)),
        h("td", {}, clock(u.located_at)),
      );
    }),
  );
  document.getElementById("none-coming").hidden = units.length > 0;
  refreshArrivals(facilityId, units, redraw);
}

function buildForm(services) {
  const servicesBox = document.getElementById("services");
  for (const service of services) {
    const id = `service-${service}`;
    servicesBox.append(h("input", { type: "checkbox", id, name: "services", value: service }),
      h("label", { for: id }, service));
  }
  const bedsBox = document.getElementById("beds");
  for (const [kind, label] of Object.entries(BED_KINDS)) {
    const id = `beds-${kind}`;
    bedsBox.append(h("label", { for: id }, label),
      h("input", { id, name: `beds.${kind}`, type: "number", min: "0", max: "10000", inputmode: "numeric" }));
  }
}

function fields(facilityId) {
  const state = form.querySelector("input[name=state]:checked").value;
  const services = [...form.querySelectorAll("input[name=services]:checked")].map((c) => c.value);
  const beds = {};
  for (const kind of Object.keys(BED_KINDS)) {
    const value = form.elements[`beds.${kind}`].value;
    if (value !== "") beds[kind] = Number(value);
  }
  const text = form.text.value.trim();
  return {
    facility: facilityId, state, services: state === "diversion" ? services : [], beds,
    ...(text ? { text } : {}),
  };
}

async function main() {
  const session = await startSession();
  const facilityId = session.me.member;
  document.getElementById("logout").addEventListener("click", () => session.logout());
  buildForm(session.vocabulary.services || []);
  const feed = new HospitalFeed({ heartbeatS: session.vocabulary.heartbeat_s || 15 });
  const status = document.getElementById("feed-status");
  const draw = () => {
    if (feed.state) render(feed.state, facilityId, draw);
  };
  feed.on((kind, detail) => {
    if (kind === "status") {
      status.textContent = detail.status === "live" ? "Live" : `${detail.status}${detail.detail ? `: ${detail.detail}` : ""}`;
      if (detail.status === "logged-out") session.leave("expired");
      return;
    }
    draw();
  });
  feed.start();
  // For the browser tests, as the console and the MDT expose theirs.
  window.tenfour = { feed, get state() { return feed.state; } };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblems(form);
    done.hidden = true;
    try {
      await command("facility.status", fields(facilityId));
      done.textContent = "Status reported.";
      done.hidden = false;
      done.focus();
    } catch (failure) {
      if (!(failure instanceof ApiError)) throw failure;
      showProblems(form, failure).focus();
    }
  });
}

main();
