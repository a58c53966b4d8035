// What an officer records on his incident: subjects (suspect, victim, witness,
// patient) with a description, an arrest with its charges and the arresting officers,
// and, on an ambulance, the transport of a patient to a hospital and the arrival, with
// the times the server journaled them.

import { command } from "../api.js";
import { $, h, replaceChildren } from "../dom.js";
import { clock, statusLabel } from "../format.js";
import { fillSelect, refusal, refuse, submit, typed } from "./forms.js";

const NEW = "";

/** The open incident he works: his unit's, else his own (one he started on foot). */
export function myIncident(ctx) {
  const { state, member, unit } = ctx.mine();
  for (const id of [unit && unit.incident, member && member.incident]) {
    if (id && state.incidents[id] && state.incidents[id].status === "open") return state.incidents[id];
  }
  return null;
}

export function setupRecords(ctx) {
  ctx.ui.transport = null;
  const subjectForm = $("#subject-form");
  subjectForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const incident = myIncident(ctx);
    if (!incident) return;
    const description = typed($("#subject-description"));
    if (!description) {
      refuse(subjectForm, refusal("description", "Describe the subject: who, what they wear, where they went."));
      return;
    }
    const role = $("#subject-role").value;
    const events = await submit(subjectForm, "subject.add", { incident: incident.id, role, description },
      (ev) => `${role} ${ev[0].subject} added to ${incident.id}`);
    if (events) $("#subject-description").value = "";
  });

  const arrestForm = $("#arrest-form");
  $("#arrest-subject").addEventListener("change", () => showNew(ctx));
  arrestForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const { member } = ctx.mine();
    const incident = myIncident(ctx);
    if (!incident || !member) return;
    const chosen = $("#arrest-subject").value;
    const charges = $("#arrest-charges").value.split("\n").map((c) => c.trim()).filter(Boolean);
    let subject;
    if (chosen === NEW) {
      const description = typed($("#arrest-description"));
      if (!description) {
        refuse(arrestForm, refusal("subject.description", "Describe the person arrested (or pick a subject above)."));
        return;
      }
      subject = { role: "suspect", description };
    } else {
      subject = { id: chosen };
    }
    if (!charges.length) {
      refuse(arrestForm, refusal("charges", "Give at least one charge, one per line."));
      return;
    }
    const members = [member.id, ...[...arrestForm.querySelectorAll("[name=partner]:checked")].map((c) => c.value)];
    const events = await submit(arrestForm, "arrest.record", { incident: incident.id, subject, charges, members },
      (ev) => {
        const arrest = ev.find((x) => x.type === "arrest.recorded");
        return `arrest of ${arrest.subject} recorded: ${arrest.charges.join("; ")}`;
      });
    if (events) {
      $("#arrest-description").value = "";
      $("#arrest-charges").value = "";
    }
  });

  const transportForm = $("#transport-form");
  $("#transport-patient").addEventListener("change", () => showNew(ctx));
  fillSelect($("#transport-need"), [{ value: "", label: "Not specific" },
    ...(ctx.vocabulary.services || []).map((s) => ({ value: s, label: s }))]);
  $("#transport-destination").addEventListener("change", () => diversionWarning(ctx));
  $("#transport-need").addEventListener("change", () => diversionWarning(ctx));
  transportForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const { unit } = ctx.mine();
    const incident = myIncident(ctx);
    if (!unit || !incident) return;
    const destination = $("#transport-destination").value;
    if (!destination) {
      refuse(transportForm, refusal("destination", "Choose the hospital."));
      return;
    }
    const chosen = $("#transport-patient").value;
    let patient;
    if (chosen === NEW) {
      const description = typed($("#transport-description"));
      if (!description) {
        refuse(transportForm, refusal("patient.description", "Describe the patient (or pick one above)."));
        return;
      }
      patient = { role: "patient", description };
    } else {
      patient = { id: chosen };
    }
    const fields = { unit: unit.id, incident: incident.id, patient, destination };
    if ($("#transport-need").value) fields.need = $("#transport-need").value;
    const events = await submit(transportForm, "transport.start", fields, "transport started");
    if (events) {
      $("#transport-description").value = "";
      noteTransport(ctx, events);
      const started = events.find((x) => x.type === "transport.started");
      transportSaid(ctx, started && started.warning ? `⚠ ${started.warning}` : "", !(started && started.warning));
    }
  });

  $("#arrive").addEventListener("click", async () => {
    const { unit } = ctx.mine();
    if (!unit) return;
    try {
      noteTransport(ctx, await command("transport.arrive", { unit: unit.id }));
      transportSaid(ctx, "");
      ctx.render();
    } catch (failure) {
      transportSaid(ctx, `✗ ${failure.describe ? failure.describe() : failure}`, false);
    }
  });
}

/** A hospital's reported state, for the picker: "open", "DIVERSION: stroke", "CLOSED". */
export function hospitalState(f) {
  if (f.status === "diversion") return `DIVERSION: ${f.diversion.join(", ")}`;
  if (f.status === "closed") return "CLOSED";
  const beds = Object.entries(f.beds || {}).map(([k, n]) => `${k} ${n}`).join(", ");
  return beds ? `open · beds ${beds}` : "open";
}

/** Warn (never hide) when the chosen hospital is closed or on diversion for the need. */
function diversionWarning(ctx) {
  const state = ctx.feed.state;
  const box = $("#transport-warning");
  const f = state && state.facilities[$("#transport-destination").value];
  const need = $("#transport-need").value;
  let text = "";
  if (f && f.status === "closed") text = `${f.name} is closed.`;
  else if (f && f.status === "diversion" && (!need || f.diversion.includes(need))) {
    text = need ? `${f.name} is on diversion for ${need}.` : `${f.name} is on diversion for ${f.diversion.join(", ")}.`;
  }
  box.textContent = text ? `⚠ ${text} Choose another hospital unless the patient cannot wait.` : "";
  box.hidden = !text;
}

function transportSaid(ctx, text, ok = true) {
  const out = $("#transport-result");
  out.className = ok ? "" : "field-error";
  out.textContent = text;
}

/** Keep the times of his unit's transport from its events (live, answered or in the timeline). */
export function noteTransport(ctx, events) {
  const { unit } = ctx.mine();
  if (!unit) return;
  for (const e of events) {
    const d = e.data || e;
    if (d.unit !== unit.id) continue;
    if (e.type === "transport.started") {
      ctx.ui.transport = {
        unit: unit.id, incident: d.incident, destination: d.destination, patient: d.patient,
        started_at: e.at, arrived_at: null,
      };
    } else if (e.type === "transport.arrived" && ctx.ui.transport && ctx.ui.transport.unit === unit.id) {
      ctx.ui.transport.arrived_at = e.at;
      ctx.ui.transport.destination = d.destination || ctx.ui.transport.destination;
    }
  }
}

function showNew(ctx) {
  $("#arrest-new").hidden = $("#arrest-subject").value !== NEW;
  $("#transport-new").hidden = $("#transport-patient").value !== NEW;
}

export function renderRecords(ctx) {
  const { state, member } = ctx.mine();
  const incident = myIncident(ctx);
  const box = $("#records");
  box.hidden = !incident || !member;
  renderTransport(ctx, incident);
  if (box.hidden) return;
  $("#records-incident").textContent = `${incident.id} · ${incident.type}`;
  const subjects = incident.subjects.map((id) => state.subjects[id]).filter(Boolean);
  const short = (s) => `${s.id} · ${s.role}: ${(s.description || s.member || "").slice(0, 60)}`;
  fillSelect($("#arrest-subject"), [
    { value: NEW, label: "New suspect (describe below)" },
    ...subjects.filter((s) => s.role !== "officer").map((s) => ({ value: s.id, label: short(s) })),
  ]);
  $("#arrest-me").textContent = `You (${member.name}) and:`;
  renderPartners(ctx);
  showNew(ctx);
}

/** A box per partner on his unit; kept as ticked across live re-renders. */
function renderPartners(ctx) {
  const { state, member, unit } = ctx.mine();
  const partners = (unit ? unit.members : []).filter((id) => id !== member.id);
  const holder = $("#arrest-partners");
  const signature = partners.join(",");
  if (holder.dataset.partners === signature) return;
  holder.dataset.partners = signature;
  replaceChildren(holder, partners.length
    ? partners.map((id) => h("label", { class: "check" },
      h("input", { type: "checkbox", name: "partner", value: id }),
      ` ${state.members[id] ? state.members[id].name : id} (${id})`))
    : h("p", { class: "muted" }, "No partner on your unit."));
}

function renderTransport(ctx, incident) {
  const { state, unit } = ctx.mine();
  const card = $("#transport");
  card.hidden = !unit || !unit.kind.startsWith("ambulance");
  if (card.hidden) return;
  const form = $("#transport-form");
  const hospitals = Object.values(state.facilities).filter((f) => f.kind === "hospital")
    .sort((a, b) => a.name.localeCompare(b.name));
  const at = (iso) => h("time", { datetime: iso }, clock(iso));
  const t = ctx.ui.transport && ctx.ui.transport.unit === unit.id ? ctx.ui.transport : null;
  const facility = (id) => (state.facilities[id] ? `${state.facilities[id].name} (${id})` : id);
  form.hidden = !(unit.status === "onscene" && incident);
  $("#arrive").hidden = unit.status !== "transporting";
  const stateBox = $("#transport-state");
  if (unit.status === "transporting") {
    const dest = unit.destination || (t && t.destination);
    replaceChildren(stateBox, h("p", { class: "transport-line", dataset: { phase: "transporting" } },
      h("strong", {}, `Transporting to ${facility(dest)}`), t && t.patient ? ` · patient ${t.patient}` : "",
      " · started ", at((t && t.started_at) || unit.status_since)));
  } else if (unit.status === "athospital") {
    replaceChildren(stateBox, h("p", { class: "transport-line", dataset: { phase: "athospital" } },
      h("strong", {}, `At ${facility(unit.destination || (t && t.destination))}`),
      t && t.started_at ? [" · started ", at(t.started_at)] : "",
      " · arrived ", at((t && t.arrived_at) || unit.status_since)));
  } else if (form.hidden) {
    replaceChildren(stateBox, h("p", { class: "muted" },
      `A transport starts on scene of an incident (${unit.id} is ${statusLabel(unit.status).toLowerCase()}).`));
  } else {
    replaceChildren(stateBox);
  }
  if (form.hidden) return;
  fillSelect($("#transport-destination"), hospitals.length
    ? hospitals.map((f) => ({ value: f.id, label: `${f.name} (${f.id}) · ${hospitalState(f)}` }))
    : [{ value: "", label: "No hospital known" }]);
  diversionWarning(ctx);
  const patients = incident.subjects.map((id) => state.subjects[id]).filter((s) => s && s.role === "patient");
  fillSelect($("#transport-patient"), [
    { value: NEW, label: "New patient (describe below)" },
    ...patients.map((s) => ({ value: s.id, label: `${s.id} · ${(s.description || s.member || "").slice(0, 60)}` })),
  ]);
  showNew(ctx);
}
