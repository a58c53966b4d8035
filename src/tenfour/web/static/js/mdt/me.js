// The officer's own status, apart from his unit's: on foot, in a foot pursuit, on scene,
// back with the unit, and his own check-in. When a crew splits, contact is personal
// (DOMAIN.md, "Officer safety"): only his own actions reset his own status-check timer,
// so a partner's check-in cannot hide his silence. These buttons send member.status
// and member.checkin with his member id, never the unit's.

import { command } from "../api.js";
import { $, announce, h, replaceChildren } from "../dom.js";
import { clock, statusLabel } from "../format.js";

/** His own statuses, in the order of the buttons, and how they read. */
export const MEMBER_BUTTONS = [
  ["away", "I'm on foot / away"],
  ["pursuit", "I'm in foot pursuit"],
  ["onscene", "I'm on scene"],
  ["with_unit", "I'm back with the unit"],
];

/** His statuses tied to the incident his unit is on (the alert then names it). */
const ON_INCIDENT = new Set(["onscene", "pursuit"]);

export function setupMe(ctx) {
  $("#checkin").addEventListener("click", () => checkIn(ctx, $("#me-result")));
}

export function renderMe(ctx) {
  const { member } = ctx.mine();
  const card = $("#me-card");
  card.hidden = !member;
  if (!member) return;
  replaceChildren($("#me-status"),
    h("span", { class: "chip", dataset: { status: member.status === "with_unit" ? "available" : member.status } },
      statusLabel(member.status)),
    h("span", { class: "muted" }, " for "), h("span", { class: "age", dataset: { since: member.status_since || "" } }));
  // The server's own rules (domain/rules.py MEMBER_TRANSITIONS), in the vocabulary the
  // session loads before the page starts: the buttons never offer what it would refuse.
  const allowed = new Set(ctx.vocabulary.member_transitions[member.status] || []);
  replaceChildren($("#member-buttons"), MEMBER_BUTTONS.map(([status, label]) => h("button", {
    type: "button",
    class: "status-button member-button",
    dataset: { status, key: `member-${status}` },
    "aria-pressed": String(member.status === status),
    disabled: member.status !== status && !allowed.has(status),
    onclick: () => setMemberStatus(ctx, status),
  }, label)));
}

async function setMemberStatus(ctx, status) {
  const { member, unit } = ctx.mine();
  const out = $("#me-result");
  if (!member) return;
  if (member.status === status) {
    out.className = "";
    out.textContent = `You are already ${statusLabel(status).toLowerCase()}: "Check in" tells dispatch you are OK.`;
    return;
  }
  const fields = { member: member.id, status };
  if (ON_INCIDENT.has(status) && unit && unit.incident) fields.incident = unit.incident;
  const fix = ctx.position.lastFix;
  if (fix) fields.location = { lat: fix.lat, lon: fix.lon };
  const note = $("#member-note").value.trim();
  if (note) fields.text = note;
  try {
    await command("member.status", fields);
    $("#member-note").value = "";
    out.className = "";
    out.textContent = `✓ You: ${statusLabel(status)} (${clock(new Date(ctx.feed.now()).toISOString())})`;
    announce(`My status ${statusLabel(status)}`);
  } catch (failure) {
    out.className = "field-error";
    out.textContent = `✗ ${failure.describe ? failure.describe() : failure}`;
  }
}

/**
 * His own check-in (member.checkin with his member id): contact for him, and for his
 * unit. Resolves to true when the server took it.
 */
export async function checkIn(ctx, out) {
  const { member } = ctx.mine();
  if (!member) return false;
  try {
    await command("member.checkin", { member: member.id });
    out.className = "";
    out.textContent = `✓ checked in at ${clock(new Date(ctx.feed.now()).toISOString())}`;
    out.hidden = false;
    return true;
  } catch (failure) {
    out.className = "field-error";
    out.textContent = `✗ Check-in not sent: ${failure.describe ? failure.describe() : failure}. Use the radio.`;
    out.hidden = false;
    return false;
  }
}
