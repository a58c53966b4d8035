// The staff login: posts to /api/login (which sets the session cookie), then opens
// the page for the role: officers the MDT, everyone else the console.

import { api, ApiError, clearProblems, sentence, showProblems } from "./api.js";

const form = document.getElementById("login-form");
const message = document.getElementById("login-message");
const params = new URLSearchParams(location.search);
// Only our own pages, never an address someone put in a link.
const NEXT = { "/console": "/console", "/mdt": "/mdt" };

function tell(text, kind = "") {
  message.textContent = text;
  message.className = `notice ${kind}`.trim();
  message.hidden = !text;
}

if (params.has("expired")) {
  tell("Your session ended: it was not used for too long. Please log in again.", "warn");
} else if (params.has("loggedout")) {
  tell("You are logged out.", "ok");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearProblems(form);
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) {
    const missing = !username ? "username" : "password";
    const focus = showProblems(form, new ApiError(422, {
      error: { message: "required", problems: [{ field: missing, reason: `enter your ${missing}` }] },
    }));
    focus.focus();
    return;
  }
  const button = document.getElementById("login-submit");
  button.disabled = true;
  button.textContent = "Logging in…";
  try {
    const me = await api("/api/login", { method: "POST", body: { username, password } });
    const wanted = NEXT[params.get("next")];
    const home = me.role === "officer" ? "/mdt" : "/console";
    const target = wanted && !(wanted === "/console" && me.role === "officer") ? wanted : home;
    location.assign(target);
  } catch (failure) {
    button.disabled = false;
    button.textContent = "Log in";
    tell("");
    const summary = form.querySelector("[data-errors]");
    if (failure instanceof ApiError && failure.status === 401) {
      summary.textContent = sentence(failure.message) + ".";
      summary.hidden = false;
      form.password.value = "";
      form.password.focus();
    } else {
      showProblems(form, failure).focus();
    }
  }
});
