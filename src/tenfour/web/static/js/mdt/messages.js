// The MDT's messages: the inbox of messages addressed to this officer (to him, his
// unit, his agency or all units), unread count on top, priority ones first and loud;
// opening one reads it (message.read). The MDT confirms receipt itself
// (message.deliver) once a message is in its state and on its screen: a feed carrying
// it proves nothing, a page that has it does. He writes to dispatch with one touch
// (canned messages) or in his own words, and sees when dispatch got and read it.

import { ApiError, command } from "../api.js";
import { $, announce, h, replaceChildren } from "../dom.js";
import { clock } from "../format.js";
import { refusal, refuse, submit, typed } from "./forms.js";

/** Messages whose receipt this page has sent (or is sending): never twice. */
const confirmed = new Set();
/** Priority messages already announced (aloud, and by the alarm). */
const announced = new Set();

function mineOf(ctx) {
  const state = ctx.feed.state;
  const id = ctx.me.member;
  if (!state || !id) return { inbox: [], sent: [] };
  const all = Object.values(state.messages || {}).sort((a, b) => b.sent_at.localeCompare(a.sent_at));
  return {
    inbox: all.filter((m) => m.recipients.includes(id)),
    sent: all.filter((m) => m.from_member === id),
  };
}

export function setupMessages(ctx) {
  const canned = $("#canned");
  for (const [name, text] of Object.entries(ctx.vocabulary.canned_messages || {})) {
    canned.append(h("button", {
      type: "button", class: "canned", dataset: { canned: name },
      onclick: () => send(ctx, { canned: name }),
    }, text));
  }
  const form = $("#message-form");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = typed($("#message-text"));
    if (!text) {
      refuse(form, refusal("text", "Write the message (or touch a ready one above)."));
      return;
    }
    const fields = { to: "dispatch", text };
    if ($("#message-priority").checked) fields.priority = "priority";
    const events = await submit(form, "message.send", fields, (ev) => `sent to dispatch (${ev[0].message})`);
    if (events) {
      $("#message-text").value = "";
      $("#message-priority").checked = false;
    }
  });
  $("#inbox").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-open]");
    if (button) open(ctx, button.dataset.open);
  });
}

async function send(ctx, fields) {
  const out = $("#canned-result");
  try {
    const events = await command("message.send", { to: "dispatch", ...fields });
    out.className = "result ok";
    out.textContent = `✓ Sent to dispatch: ${events[0].text}`;
  } catch (failure) {
    out.className = "result field-error";
    out.textContent = `✗ ${failure.describe ? failure.describe() : failure}`;
  }
}

async function open(ctx, id) {
  const message = ctx.feed.state.messages[id];
  if (!message) return;
  $(`#inbox [data-message="${CSS.escape(id)}"]`)?.classList.add("opened");
  if (message.read[ctx.me.member]) return;
  try {
    await command("message.read", { message: id });
  } catch (failure) {
    // Read already (on his other device): the live feed brings the receipt.
    if (!(failure instanceof ApiError && failure.status === 409)) {
      $("#inbox-result").textContent = `✗ ${failure.describe ? failure.describe() : failure}`;
    }
  }
}

/** Confirm receipt of every message to him this page holds and has not confirmed. */
function confirm(ctx, inbox) {
  for (const message of inbox) {
    if (message.delivered[ctx.me.member] || confirmed.has(message.id)) continue;
    confirmed.add(message.id);
    command("message.deliver", { message: message.id }).catch(() => {
      // 409: delivered already (another device of his); anything else: try on the next render.
      confirmed.delete(message.id);
    });
  }
}

export function renderMessages(ctx) {
  const section = $("#messages");
  section.hidden = !ctx.me.member || !ctx.vocabulary.commands.includes("message.send");
  if (section.hidden) return;
  const state = ctx.feed.state;
  const { inbox, sent } = mineOf(ctx);
  confirm(ctx, inbox);
  const unread = inbox.filter((m) => !m.read[ctx.me.member]);
  const badge = $("#unread");
  badge.textContent = unread.length ? `${unread.length} unread` : "";
  badge.hidden = !unread.length;
  const urgent = unread.filter((m) => m.priority === "priority");
  for (const m of urgent) {
    if (announced.has(m.id)) continue;
    announced.add(m.id);
    announce(`Priority message from dispatch: ${m.text}`);
    navigator.vibrate?.([300, 100, 300]);
  }
  // Priority unread first, then the rest newest first.
  const order = [...urgent, ...inbox.filter((m) => !urgent.includes(m))];
  const from = (m) => (m.from_member ? state.members[m.from_member]?.name || m.from_member : "Dispatch");
  const to = (m) => (m.to === "all" ? "all units" : m.to === "agency" ? `agency ${m.target}` : m.to === "unit" ? `unit ${m.target}` : "you");
  replaceChildren($("#inbox"), order.length
    ? order.map((m) => {
      const read = Boolean(m.read[ctx.me.member]);
      return h("li", {
        class: `message${m.priority === "priority" ? " priority" : ""}${read ? " read" : " unread"}`,
        dataset: { message: m.id },
      },
      h("button", { type: "button", dataset: { open: m.id, key: `open-${m.id}` }, "aria-expanded": String(read) },
        h("span", { class: "message-head" },
          m.priority === "priority" ? h("strong", { class: "priority-tag" }, "PRIORITY ") : "",
          `${from(m)} → ${to(m)} · ${clock(m.sent_at)}`, read ? " · read" : " · unread: open to read"),
        read ? h("span", { class: "message-text" }, m.text) : ""));
    })
    : h("li", { class: "muted" }, "No messages."));
  replaceChildren($("#sent"), sent.slice(0, 5).map((m) => {
    const receipt = m.read.dispatch ? `read ${clock(m.read.dispatch)}`
      : m.delivered.dispatch ? `delivered ${clock(m.delivered.dispatch)}` : "sent";
    return h("li", { dataset: { message: m.id } }, `${clock(m.sent_at)} · ${m.text} · `,
      h("span", { class: "receipt", dataset: { receipt: m.read.dispatch ? "read" : m.delivered.dispatch ? "delivered" : "sent" } }, receipt));
  }));
}
