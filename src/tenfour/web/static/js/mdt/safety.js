// Officer safety on the MDT, besides his own emergency button:
// - "Dispatch has not heard from you": when his own status check is overdue (an alert
//   status_check_overdue or member_unresponsive about him, or about his unit when it
//   names no member), a big "I'm OK" check-in; it leaves when he checks in or the
//   system resolves the alert (contact made some other way, e.g. by radio).
// - "Officer down": an open emergency of a member of his unit (or one he declared) is
//   shown at once, with the alarm tone repeating until he silences it.
// - Declaring another officer down "at my location": emergency.declare for the partner,
//   by him, with no location given, so the server places it at the declarer's position
//   (DOMAIN.md: given, else the declarer's, else the distressed member's...).

import { command } from "../api.js";
import { $, announce, h, replaceChildren } from "../dom.js";
import { clock, distance, place } from "../format.js";
import { fillSelect } from "./forms.js";
import { HoldButton } from "./hold.js";
import { checkIn } from "./me.js";
import { metres } from "./position.js";

const CHECK_KINDS = new Set(["status_check_overdue", "member_unresponsive"]);
const ALARM_EVERY_MS = 5000;

export function setupSafety(ctx) {
  ctx.ui.answered = new Set(); // overdue alerts he has answered with a check-in
  ctx.ui.prompted = new Set(); // overdue alerts already chimed for
  ctx.ui.alarmed = new Set(); // emergencies already sounded
  ctx.ui.silenced = new Set(); // emergencies he has silenced (or declared himself)

  $("#im-ok").addEventListener("click", async () => {
    const answering = overdue(ctx).map((a) => a.id);
    const out = $("#check-result");
    out.hidden = true;
    if (await checkIn(ctx, out)) {
      for (const id of answering) ctx.ui.answered.add(id);
      out.hidden = true;
      $("#me-result").className = "";
      $("#me-result").textContent = out.textContent;
      announce("Checked in");
      ctx.render();
    }
  });

  $("#silence").addEventListener("click", () => {
    for (const e of partnerEmergencies(ctx)) ctx.ui.silenced.add(e.id);
    ctx.render();
  });
  setInterval(() => {
    if (ctx.feed.state && partnerEmergencies(ctx).some((e) => !ctx.ui.silenced.has(e.id))) {
      ctx.alarm.emergency();
    }
  }, ALARM_EVERY_MS);

  const select = $("#down-member");
  const hold = new HoldButton({
    button: $("#down"),
    confirmBox: $("#down-confirm"),
    yes: $("#down-yes"),
    no: $("#down-no"),
    onOpen: () => {
      const chosen = ctx.feed.state.members[select.value];
      if (!chosen) return false;
      $("#down-confirm-text").textContent = `Declare ${chosen.name} down? Units will be sent to your position.`;
      return true;
    },
    onFire: () => declareDown(ctx, hold, select.value),
  });
  select.addEventListener("change", () => {
    $("#down").disabled = !select.value;
    $("#down-confirm").hidden = true;
  });
}

export function renderSafety(ctx) {
  renderCheckPrompt(ctx);
  renderPartnerDown(ctx);
  renderDownBox(ctx);
}

/** His open status-check alerts he has not answered yet. */
function overdue(ctx) {
  const { state, member, unit } = ctx.mine();
  if (!member) return [];
  return Object.values(state.alerts).filter((a) => !a.resolved_at && CHECK_KINDS.has(a.kind)
    && (a.member ? a.member === member.id : Boolean(unit) && a.unit === unit.id)
    && !ctx.ui.answered.has(a.id))
    .sort((a, b) => a.raised_at.localeCompare(b.raised_at));
}

function renderCheckPrompt(ctx) {
  const alerts = overdue(ctx);
  const box = $("#check-prompt");
  box.hidden = alerts.length === 0;
  if (!alerts.length) return;
  const worst = alerts.find((a) => a.kind === "member_unresponsive") || alerts[0];
  box.dataset.kind = worst.kind;
  $("#check-detail").textContent = `${worst.text || "Your status check is overdue"} (since ${clock(worst.raised_at)}). `
    + "Tap if you are OK; if not, use the emergency button or the radio.";
  const fresh = alerts.filter((a) => !ctx.ui.prompted.has(a.id));
  if (fresh.length) {
    for (const a of fresh) ctx.ui.prompted.add(a.id);
    ctx.alarm.chime();
    navigator.vibrate?.([300, 150, 300, 150, 300]);
    announce("Dispatch has not heard from you. Check in if you are OK.");
  }
}

/** Open emergencies of the other members of his unit, or of a member he declared down. */
export function partnerEmergencies(ctx) {
  const { state, member, unit } = ctx.mine();
  if (!member) return [];
  return Object.values(state.emergencies).filter((e) => !e.cleared_at && e.member !== member.id
    && ((unit && (e.unit === unit.id || unit.members.includes(e.member))) || e.declared_by === member.id))
    .sort((a, b) => a.declared_at.localeCompare(b.declared_at));
}

function renderPartnerDown(ctx) {
  const { state, member } = ctx.mine();
  const emergencies = partnerEmergencies(ctx);
  const box = $("#partner-down");
  box.hidden = emergencies.length === 0;
  if (!emergencies.length) return;
  const here = ctx.position.where();
  replaceChildren($("#partner-down-list"), emergencies.map((e) => {
    const who = state.members[e.member];
    const incident = state.incidents[e.incident];
    const where = incident ? incident.location : e.location;
    const away = here && where ? ` · ${distance(metres(here.point, where))} from you` : "";
    const by = e.declared_by === member.id ? "you" : (state.members[e.declared_by]?.name || e.declared_by);
    return h("li", { dataset: { emergency: e.id, member: e.member || "" } },
      h("strong", { class: "down-who" }, who ? `${who.name} (${who.id})` : `Unit ${e.unit}`),
      h("span", {}, `${where ? place(where) : "position unknown"}${away}`),
      h("span", { class: "muted-light" },
        `${e.id}${e.incident ? ` · incident ${e.incident}` : ""} · declared ${clock(e.declared_at)} by ${by}`));
  }));
  const fresh = emergencies.filter((e) => !ctx.ui.alarmed.has(e.id));
  for (const e of fresh) {
    ctx.ui.alarmed.add(e.id);
    // He declared it himself: he knows, and needs his hands for the radio.
    if (e.declared_by === member.id) ctx.ui.silenced.add(e.id);
  }
  if (fresh.some((e) => !ctx.ui.silenced.has(e.id))) {
    ctx.alarm.emergency();
    navigator.vibrate?.([600, 200, 600, 200, 600]);
    announce(`Officer down: ${fresh.map((e) => state.members[e.member]?.name || e.unit).join(", ")}`);
  }
  $("#silence").hidden = emergencies.every((e) => ctx.ui.silenced.has(e.id));
}

function renderDownBox(ctx) {
  const { state, member, unit } = ctx.mine();
  const box = $("#down-box");
  box.hidden = !member || !ctx.vocabulary.commands.includes("emergency.declare");
  if (box.hidden) return;
  const open = new Set(Object.values(state.emergencies).filter((e) => !e.cleared_at).map((e) => e.member));
  const option = (m, group) => ({
    value: m.id, group, disabled: open.has(m.id),
    label: `${m.name} (${m.id}${m.unit ? `, ${m.unit}` : ""})${open.has(m.id) ? " · emergency open" : ""}`,
  });
  const partners = (unit ? unit.members : []).filter((id) => id !== member.id)
    .map((id) => state.members[id]).filter(Boolean);
  const others = Object.values(state.members)
    .filter((m) => m.status !== "offduty" && m.id !== member.id && !partners.includes(m))
    .sort((a, b) => a.name.localeCompare(b.name));
  const options = [
    // A solo officer picks on purpose: no stranger is chosen for him.
    ...(partners.some((m) => !open.has(m.id)) ? [] : [{ value: "", label: "Choose the officer…" }]),
    ...partners.map((m) => option(m, "My unit")),
    ...others.map((m) => option(m, "Other officers on duty")),
  ];
  const select = $("#down-member");
  fillSelect(select, options);
  $("#down").disabled = !select.value;
  // "declared down" holds while that emergency is open (its event may come after the
  // answer), not for the next one
  const said = ctx.ui.declaredDown;
  if (said && open.has(said.member)) said.seen = true;
  else if (said && said.seen) {
    ctx.ui.declaredDown = null;
    $("#down-result").textContent = "";
  }
}

async function declareDown(ctx, hold, memberId) {
  const { state, member } = ctx.mine();
  const out = $("#down-result");
  const chosen = state.members[memberId];
  out.className = "";
  if (!member || !chosen) {
    hold.reset();
    return;
  }
  const label = $("#down .label").firstChild;
  label.textContent = "SENDING…";
  // "At my location": the server places it at the declarer's last position, so the
  // newest fix goes first.
  await ctx.position.flush();
  try {
    await command("emergency.declare", {
      member: chosen.id,
      text: `Officer down: ${chosen.name}. Declared by ${member.name}; help goes to the declarer's position.`,
    });
    out.textContent = `✓ ${chosen.name} declared down at your position: units are being sent.`;
    ctx.ui.declaredDown = { member: chosen.id, seen: false };
    navigator.vibrate?.([400, 100, 400]);
  } catch (failure) {
    out.className = "field-error";
    out.textContent = `✗ Not sent: ${failure.describe ? failure.describe() : failure}. Use the radio.`;
  } finally {
    label.textContent = "OFFICER DOWN · at my location";
    hold.reset();
    ctx.render();
  }
}
