// The administrator's page: every account (role, member, disabled, locked, last login,
// live sessions) and every live session, with the account actions of /api/accounts:
// disable, enable, unlock, revoke sessions. Disabling and revoking ask first (a
// native modal <dialog>): both log someone out at once, perhaps mid-call.

import { api, ApiError } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { startSession } from "./session.js";

const accountsBody = document.querySelector("#accounts tbody");
const sessionsBody = document.querySelector("#sessions tbody");
const message = document.getElementById("admin-message");
const dialog = document.getElementById("confirm");
let me = null;

/** "2026-11-25 09:03" in this computer's time zone; "never" for none. */
function when(iso, never = "never") {
  if (!iso) return never;
  const at = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} `
    + `${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

function time(iso, never) {
  return iso ? h("time", { datetime: iso }, when(iso)) : never;
}

function tell(text, kind = "ok") {
  message.textContent = text;
  message.className = `notice ${kind}`;
  message.hidden = !text;
}

function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** "1 live session ends", "2 live sessions end". */
function ending(n) {
  return `${plural(n, "live session")} ${n === 1 ? "ends" : "end"}`;
}

/** Resolves true if the person confirms `question` in the modal dialog. */
function confirmAction(title, text, action) {
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = action;
  dialog.returnValue = "";
  const opener = document.activeElement;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      if (opener && document.contains(opener)) opener.focus();
      resolve(dialog.returnValue === "ok");
    }, { once: true });
    dialog.showModal();
    document.getElementById("confirm-cancel").focus();
  });
}

function stateOf(account) {
  const parts = [];
  if (account.disabled) parts.push(h("span", { class: "tag tag-off" }, "Disabled"));
  if (account.locked_until) {
    parts.push(h("span", { class: "tag tag-locked" }, `Locked until ${when(account.locked_until)}`));
  }
  for (const lock of account.locked_sources) {
    parts.push(h(
      "span",
      { class: "tag tag-locked" },
      `Locked from ${lock.source} until ${when(lock.until)}`,
    ));
  }
  if (!parts.length) parts.push(h("span", { class: "tag tag-ok" }, "Active"));
  return parts;
}

function actionButton(label, username, run, kind = "") {
  return h(
    "button",
    { type: "button", class: `small ${kind}`.trim(), dataset: { key: `${label}:${username}` }, onclick: run },
    label,
    h("span", { class: "visually-hidden" }, ` ${username}`),
  );
}

/** POST an account action, then show the tables as they are now, then say what was done. */
async function act(path, done) {
  let text;
  let kind = "ok";
  try {
    text = done(await api(path, { method: "POST" }));
  } catch (failure) {
    text = failure instanceof ApiError ? failure.describe() : String(failure);
    kind = "warn";
  }
  await refresh();
  tell(text, kind);
}

function actionsOf(account) {
  const name = account.username;
  const yourself = me && name === me.username;
  const buttons = [];
  if (account.disabled) {
    buttons.push(actionButton("Enable", name, () =>
      act(`/api/accounts/${encodeURIComponent(name)}/enable`, () => `${name} may log in again.`)));
  } else if (!yourself) {
    buttons.push(actionButton("Disable", name, async () => {
      const ok = await confirmAction(
        `Disable ${name}?`,
        `${name} can no longer log in, and ${ending(account.sessions)} now `
          + "(a lost or stolen device). Enable it again here.",
        "Disable",
      );
      if (!ok) return;
      await act(`/api/accounts/${encodeURIComponent(name)}/disable`, (answer) =>
        `${name} is disabled; ${plural(answer.sessions_ended, "session")} ended.`);
    }, "danger"));
  }
  if (account.locked_until || account.locked_sources.length) {
    buttons.push(actionButton("Unlock", name, () =>
      act(`/api/accounts/${encodeURIComponent(name)}/unlock`, () => `${name} is unlocked.`)));
  }
  if (account.sessions > 0) {
    buttons.push(actionButton("Revoke sessions", name, async () => {
      const ok = await confirmAction(
        `End ${name}'s sessions?`,
        `${ending(account.sessions)} now`
          + (yourself ? ", this one too: you will be logged out." : "; the password still works."),
        "Revoke sessions",
      );
      if (!ok) return;
      await act(`/api/accounts/${encodeURIComponent(name)}/revoke-sessions`, (answer) =>
        `${plural(answer.sessions_ended, "session")} of ${name} ended.`);
    }, "danger"));
  }
  if (yourself) buttons.push(h("span", { class: "muted" }, "(you)"));
  return buttons;
}

function accountRow(account) {
  return h(
    "tr",
    { dataset: { account: account.username } },
    h("th", { scope: "row", class: "mono" }, account.username),
    h("td", {}, account.role),
    h("td", { class: "mono" }, account.member || "–"),
    h("td", {}, h("div", { class: "state" }, stateOf(account))),
    h("td", {}, time(account.last_login_at, "never")),
    h("td", { class: "num" }, String(account.sessions)),
    h("td", {}, h("div", { class: "actions" }, actionsOf(account))),
  );
}

function sessionRow(session) {
  return h(
    "tr",
    { dataset: { session: session.id, account: session.username } },
    h("th", { scope: "row", class: "mono" }, session.username),
    h("td", {}, session.role || "–"),
    h("td", {}, time(session.created_at)),
    h("td", {}, time(session.last_used_at)),
    h("td", {}, time(session.expires_at)),
    h("td", {}, session.current ? h("strong", {}, "this one") : h("span", { class: "mono muted" }, session.id.slice(0, 8))),
  );
}

function empty(columns, text) {
  return h("tr", {}, h("td", { colspan: String(columns), class: "empty" }, text));
}

async function refresh() {
  const [accounts, sessions] = await Promise.all([
    api("/api/accounts"),
    api("/api/sessions"),
  ]);
  replaceChildren(accountsBody, accounts.length ? accounts.map(accountRow) : empty(7, "No accounts."));
  replaceChildren(
    sessionsBody,
    sessions.length ? sessions.map(sessionRow) : empty(6, "No live sessions."),
  );
  document.getElementById("accounts-count").textContent = `(${accounts.length})`;
  document.getElementById("sessions-count").textContent = `(${sessions.length})`;
  document.body.dataset.loaded = "true";
}

async function main() {
  const session = await startSession();
  me = session.me;
  document.getElementById("logout").addEventListener("click", () => session.logout());
  document.getElementById("refresh").addEventListener("click", async () => {
    await refresh();
    tell("Up to date.");
  });
  await refresh();
}

main();
