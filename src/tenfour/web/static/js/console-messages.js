// The console's messages and hospitals overlay, opened from the top bar: send a
// message to a unit, a member, an agency or all units (canned or typed, normal or
// priority) and follow its receipts (delivered to, read by); the field's messages to
// dispatch, which the console confirms on receipt and a dispatcher reads by opening;
// and each hospital's status (open, diversion for some services, closed, free beds),
// which the desk sets for a hospital that phones it in.
//
// Kept apart from the console's panels (console/*.js): it only reads the shared store
// and sends commands, so it adds a button and an overlay and moves nothing else.

import { ApiError, clearProblems, command, showProblems } from "./api.js";
import { $, h, replaceChildren } from "./dom.js";
import { clock } from "./format.js";
import { feed, me, onRender, vocabulary } from "./console/store.js";

const TARGETS = ["unit", "member", "agency", "all"];
const box = $("#messages-box");
/** Messages to dispatch whose receipt this console has sent: never twice. */
const confirmed = new Set();
let built = false;

const toggle = h("button", {
  type: "button", id: "messages-toggle", class: "small", "aria-controls": "messages-box",
  "aria-expanded": "false", onclick: () => show(box.hidden),
}, "Messages");

function show(open) {
  box.hidden = !open;
  toggle.setAttribute("aria-expanded", String(open));
  if (open) {
    build();
    paint(feed.state);
    $("#msg-text").focus();
  }
}

function build() {
  if (built) return;
  built = true;
  const canned = Object.entries(vocabulary.canned_messages || {});
  replaceChildren(box,
    h("header", {},
      h("h2", { id: "messages-title" }, "Messages and hospitals"),
      h("button", { type: "button", class: "small", onclick: () => show(false), "aria-label": "Close messages" }, "Close")),
    h("form", { id: "msg-form", novalidate: true, "aria-label": "Send a message" },
      h("div", { class: "row" },
        h("label", { for: "msg-to" }, "To"),
        h("select", { id: "msg-to", dataset: { field: "to" }, onchange: () => fillTargets(feed.state) },
          TARGETS.map((t) => h("option", { value: t }, t === "all" ? "all units" : t))),
        h("label", { for: "msg-target" }, "Which"),
        h("select", { id: "msg-target", dataset: { field: "unit" } })),
      h("div", { class: "row" },
        h("label", { for: "msg-canned" }, "Ready"),
        h("select", { id: "msg-canned", dataset: { field: "canned" } },
          h("option", { value: "" }, "(type below)"),
          canned.map(([name, text]) => h("option", { value: name }, text)))),
      h("label", { for: "msg-text" }, "Text"),
      h("input", { id: "msg-text", type: "text", maxlength: "1000", autocomplete: "off", dataset: { field: "text" } }),
      h("label", { class: "check" }, h("input", { id: "msg-priority", type: "checkbox" }), " Priority"),
      h("p", { class: "form-errors", dataset: { errors: "" }, role: "alert", hidden: true }),
      h("button", { type: "submit" }, "Send"),
      h("p", { id: "msg-result", class: "result", role: "status" })),
    h("h3", {}, "Messages"),
    h("ul", { id: "msg-list", class: "msg-list" }),
    h("h3", {}, "Hospitals"),
    h("ul", { id: "hospital-list", class: "hospital-list" }),
  );
  $("#msg-form").addEventListener("submit", sendMessage);
  $("#msg-list").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-read]");
    if (button) readMessage(button.dataset.read);
  });
  $("#hospital-list").addEventListener("submit", setHospital);
}

function fillTargets(state) {
  const to = $("#msg-to").value;
  const select = $("#msg-target");
  select.dataset.field = to;
  const keep = select.value;
  let options = [];
  if (to === "unit") options = Object.values(state.units).filter((u) => u.status !== "offduty" && u.members.length).map((u) => [u.id, `${u.id} (${u.members.join(", ")})`]);
  if (to === "member") options = Object.values(state.members).filter((m) => m.status !== "offduty").map((m) => [m.id, `${m.name} (${m.id})`]);
  if (to === "agency") options = Object.values(state.agencies).map((a) => [a.id, `${a.name} (${a.id})`]);
  options.sort((a, b) => a[0].localeCompare(b[0]));
  const signature = JSON.stringify([to, options]);
  if (select.dataset.signature === signature) return;
  select.dataset.signature = signature;
  select.disabled = to === "all";
  select.replaceChildren(...options.map(([value, label]) => h("option", { value }, label)));
  if (options.some(([value]) => value === keep)) select.value = keep;
}

async function sendMessage(e) {
  e.preventDefault();
  const form = e.currentTarget;
  clearProblems(form);
  const to = $("#msg-to").value;
  const fields = { to };
  if (to !== "all") fields[to] = $("#msg-target").value || undefined;
  const canned = $("#msg-canned").value;
  const text = $("#msg-text").value.trim();
  if (canned) fields.canned = canned;
  if (text) fields.text = text;
  if ($("#msg-priority").checked) fields.priority = "priority";
  try {
    const [sent] = await command("message.send", fields);
    $("#msg-result").textContent = `✓ ${sent.message} sent to ${sent.recipients.join(", ")}`;
    $("#msg-text").value = "";
    $("#msg-canned").value = "";
    $("#msg-priority").checked = false;
  } catch (failure) {
    showProblems(form, failure);
    $("#msg-result").textContent = "✗ Not sent: see above.";
  }
}

async function readMessage(id) {
  try {
    await command("message.read", { message: id });
  } catch (failure) {
    if (!(failure instanceof ApiError && failure.status === 409)) {
      $("#msg-result").textContent = `✗ ${failure.describe ? failure.describe() : failure}`;
    }
  }
}

async function setHospital(e) {
  e.preventDefault();
  const form = e.target;
  clearProblems(form);
  const fields = { facility: form.dataset.facility, state: form.elements.state.value };
  const services = [...form.elements.services.selectedOptions].map((o) => o.value);
  if (fields.state === "diversion") fields.services = services;
  const beds = {};
  for (const input of form.querySelectorAll("input[data-bed]")) {
    if (input.value !== "") beds[input.dataset.bed] = Number(input.value);
  }
  if (Object.keys(beds).length) fields.beds = beds;
  try {
    await command("facility.status", fields);
    form.querySelector(".result").textContent = "✓ saved";
  } catch (failure) {
    showProblems(form, failure);
    form.querySelector(".result").textContent = "✗ Not saved: see above.";
  }
}

const who = (state, m) => (m.from_member ? state.members[m.from_member]?.name || m.from_member : m.sent_by);
function toWhom(m) {
  if (m.to === "all") return "all units";
  if (m.to === "dispatch") return "dispatch";
  return `${m.to} ${m.target}`;
}
function receipts(m) {
  const list = (table) => Object.entries(table).map(([k, at]) => `${k} ${clock(at)}`).join(", ");
  const delivered = list(m.delivered);
  const read = list(m.read);
  return `${delivered ? `delivered: ${delivered}` : "not delivered yet"}${read ? ` · read: ${read}` : " · unread"}`;
}

function paint(state) {
  if (!state) return;
  const messages = Object.values(state.messages || {}).sort((a, b) => b.sent_at.localeCompare(a.sent_at));
  const inbound = messages.filter((m) => m.to === "dispatch");
  // The console has them on screen: confirm receipt (the field sees "delivered").
  if (vocabulary.commands.includes("message.deliver")) {
    for (const m of inbound) {
      if (m.delivered.dispatch || confirmed.has(m.id)) continue;
      confirmed.add(m.id);
      command("message.deliver", { message: m.id }).catch(() => {});
    }
  }
  const unread = inbound.filter((m) => !m.read.dispatch);
  const urgent = unread.some((m) => m.priority === "priority");
  toggle.textContent = unread.length ? `Messages · ${unread.length} unread` : "Messages";
  toggle.classList.toggle("urgent", urgent);
  if (box.hidden) return;
  fillTargets(state);
  replaceChildren($("#msg-list"), messages.slice(0, 50).map((m) => h("li", {
    class: `msg${m.priority === "priority" ? " priority" : ""}${m.to === "dispatch" && !m.read.dispatch ? " unread" : ""}`,
    dataset: { message: m.id },
  },
  h("span", { class: "msg-head" }, `${clock(m.sent_at)} ${m.id} · ${who(state, m)} → ${toWhom(m)}`,
    m.priority === "priority" ? h("strong", {}, " · PRIORITY") : ""),
  h("span", { class: "msg-text" }, m.text),
  h("span", { class: "msg-receipts", dataset: { receipts: m.id } }, receipts(m)),
  m.to === "dispatch" && !m.read.dispatch
    ? h("button", { type: "button", class: "small", dataset: { read: m.id, key: `read-${m.id}` } }, "Mark read")
    : "")));
  paintHospitals(state);
}

function paintHospitals(state) {
  const list = $("#hospital-list");
  const hospitals = Object.values(state.facilities).filter((f) => f.kind === "hospital")
    .sort((a, b) => a.name.localeCompare(b.name));
  const signature = JSON.stringify(hospitals);
  if (list.dataset.signature === signature) return; // do not undo a half-filled form
  list.dataset.signature = signature;
  const services = vocabulary.services || [];
  replaceChildren(list, hospitals.length ? hospitals.map((f) => {
    const line = f.status === "diversion" ? `DIVERSION: ${f.diversion.join(", ")}` : f.status.toUpperCase();
    const beds = Object.entries(f.beds).map(([k, n]) => `${k} ${n}`).join(", ");
    const set = f.status_at ? ` · set by ${f.status_by} ${clock(f.status_at)}` : "";
    return h("li", { class: "hospital", dataset: { facility: f.id, status: f.status } },
      h("span", { class: "hospital-line" }, h("strong", {}, `${f.name} (${f.id})`), ` ${line}`,
        beds ? ` · beds ${beds}` : "", set),
      me.role && vocabulary.commands.includes("facility.status")
        ? h("form", { class: "hospital-form", dataset: { facility: f.id }, novalidate: true, "aria-label": `Status of ${f.name}` },
          h("label", { for: `hs-${f.id}` }, "Status"),
          h("select", { id: `hs-${f.id}`, name: "state", dataset: { field: "state" } },
            ["open", "diversion", "closed"].map((s) => h("option", { value: s, selected: s === f.status }, s))),
          h("label", { for: `hv-${f.id}` }, "Diverting"),
          h("select", { id: `hv-${f.id}`, name: "services", multiple: true, size: 3, dataset: { field: "services" } },
            services.map((s) => h("option", { value: s, selected: f.diversion.includes(s) }, s))),
          ["ed", "icu"].map((kind) => [h("label", { for: `hb-${kind}-${f.id}` }, `${kind} beds`),
            h("input", { id: `hb-${kind}-${f.id}`, type: "number", min: "0", max: "10000", dataset: { bed: kind, field: `beds.${kind}` }, value: f.beds[kind] ?? "" })]),
          h("p", { class: "form-errors", dataset: { errors: "" }, role: "alert", hidden: true }),
          h("button", { type: "submit", class: "small" }, "Save"),
          h("span", { class: "result", role: "status" }))
        : "");
  }) : h("li", { class: "empty" }, "No hospital registered."));
}

if (box && vocabulary.commands.includes("message.send")) {
  const nav = $(".topbar .topnav");
  nav.parentNode.insertBefore(toggle, nav);
  onRender(paint);
}
