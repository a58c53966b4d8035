// Tips to triage: each waiting tip as a card, promoted to an incident (type, priority,
// the tip's place or another) or dismissed. Only roles that triage tips are sent them.

import { clearProblems, command, showProblems } from "../api.js";
import { $, h } from "../dom.js";
import { place } from "../format.js";
import { feedReady, onRender, say, sayFailure, select, vocabulary } from "./store.js";

const tipCards = new Map();

function renderTips(state) {
  const box = $("#tips");
  // Need to know: a role that does not triage tips gets none, and sees none.
  const waiting = Object.values(state.tips || {})
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
  ensureTypeList(vocabulary.incident_types);
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
    sayFailure(failure);
  }
}

onRender(renderTips);
