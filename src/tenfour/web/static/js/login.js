// The staff login: posts to /api/login (which sets the session cookie), then opens
// the page for the role: officers the MDT, everyone else the console.
//
// Too many failed logins are said as such, with when to try again (the server's
// Retry-After, shown in this computer's time): for a username (locked; the server
// answers the same for a name with no account, so the page tells nothing more) or
// for this device (throttled, whatever the name).

import { ApiError, clearProblems, sentence, showProblems } from "./api.js";

const form = document.getElementById("login-form");
const message = document.getElementById("login-message");
const params = new URLSearchParams(location.search);
// Only our own pages, never an address someone put in a link.
const NEXT = {
  "/console": "/console", "/mdt": "/mdt", "/account": "/account", "/admin": "/admin",
  "/reports": "/reports",
};

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

/** POST /api/login; an ApiError that also keeps Retry-After (in seconds) if sent. */
async function logIn(body) {
  let answer;
  try {
    answer = await fetch("/api/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, {
      error: { code: "offline", message: "the server cannot be reached; check the network" },
    });
  }
  let json = null;
  try {
    json = await answer.json();
  } catch {
    json = null;
  }
  if (!answer.ok) {
    const error = new ApiError(answer.status, json);
    const wait = Number(answer.headers.get("Retry-After"));
    error.retryAfter = Number.isFinite(wait) && wait > 0 ? wait : null;
    throw error;
  }
  return json;
}

/** "at 14:07 (in 10 min)": when a wait of `seconds` ends, in this computer's time. */
function tryAgain(seconds) {
  const at = new Date(Date.now() + seconds * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  const clock = seconds < 60
    ? `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`
    : `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  const wait = seconds < 60 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
  return `Try again at ${clock} (in ${wait}).`;
}

/** What the login page says of a refused login. */
function refusal(failure) {
  const locked = failure.problems.some((p) => p.field === "username");
  if (failure.status === 401 && locked) {
    const when = failure.retryAfter ? ` ${tryAgain(failure.retryAfter)}` : "";
    return `Too many failed logins for this username.${when}`;
  }
  if (failure.status === 429) {
    const when = failure.retryAfter ? ` ${tryAgain(failure.retryAfter)}` : "";
    return `Too many failed logins from this device.${when}`;
  }
  return `${sentence(failure.message)}.`;
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
    const me = await logIn({ username, password });
    const wanted = NEXT[params.get("next")];
    const home = me.role === "officer" ? "/mdt" : "/console";
    const notFor = (wanted === "/console" && me.role === "officer")
      || (wanted === "/admin" && me.role !== "admin");
    const target = wanted && !notFor ? wanted : home;
    location.assign(target);
  } catch (failure) {
    button.disabled = false;
    button.textContent = "Log in";
    tell("");
    const summary = form.querySelector("[data-errors]");
    if (failure instanceof ApiError && (failure.status === 401 || failure.status === 429)) {
      summary.textContent = refusal(failure);
      summary.hidden = false;
      form.password.value = "";
      form.password.focus();
    } else {
      showProblems(form, failure).focus();
    }
  }
});
