// Talking to the server: JSON requests, commands, and errors that name the field.
//
// Every 4xx of the server has the shape {"error": {code, message, problems: [{field,
// reason, code, allowed?}]}}. `ApiError` keeps it; `showProblems` puts each problem
// next to the form control that holds the field.

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `the server answered ${status}`);
    this.status = status;
    this.code = error.code || "error";
    this.problems = Array.isArray(error.problems) ? error.problems : [];
  }

  /** One line for people: "units 2: unknown unit 'ZPD-99' (allowed: ...)". */
  describe() {
    if (!this.problems.length) return sentence(this.message);
    return this.problems.map(describeProblem).join("; ");
  }
}

/** "with.units.1" -> "units 2": the field as the person typed it, counted from 1. */
export function fieldLabel(field) {
  const parts = String(field || "").split(".").filter((p) => p !== "with" && p !== "body");
  return parts.map((p) => (/^\d+$/.test(p) ? String(Number(p) + 1) : p)).join(" ");
}

export function describeProblem(problem) {
  const where = fieldLabel(problem.field);
  const allowed = problem.allowed && problem.allowed.length
    ? ` (allowed: ${problem.allowed.join(", ")})`
    : "";
  return `${where ? `${where}: ` : ""}${problem.reason}${allowed}`;
}

export function sentence(text) {
  const s = String(text || "");
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

let onUnauthenticated = null;

/** When this page last asked the server anything (the server's idle clock resets). */
export const requests = { last: Date.now() };

/** What to do when a session ends mid-use (pages send people back to the login). */
export function whenLoggedOut(handler) {
  onUnauthenticated = handler;
}

export async function api(path, { method = "GET", body, signal } = {}) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (signal) init.signal = signal;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let answer;
  try {
    requests.last = Date.now();
    answer = await fetch(path, init);
  } catch (failure) {
    if (failure && failure.name === "AbortError") throw failure;
    throw new ApiError(0, {
      error: { code: "offline", message: "the server cannot be reached; check the network" },
    });
  }
  const text = await answer.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!answer.ok) {
    const error = new ApiError(answer.status, json);
    if (answer.status === 401 && onUnauthenticated && path !== "/api/login") {
      onUnauthenticated(error);
    }
    throw error;
  }
  return json;
}

/** A key that makes a retried command harmless (crypto.randomUUID needs https). */
export function newKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Run one command of the vocabulary; resolves to the events it produced. */
export async function command(doWhat, fields, { key = newKey() } = {}) {
  const answer = await api("/api/commands", {
    method: "POST",
    body: { do: doWhat, with: fields, idempotency_key: key },
  });
  return answer.events;
}

/**
 * Show an error on a form: each problem next to the control whose `data-field`
 * (or `name`) matches its field, the rest in the form's summary (`[data-errors]`).
 * Returns the first control in error (to focus), or the summary.
 */
export function showProblems(form, error) {
  clearProblems(form);
  const summary = form.querySelector("[data-errors]");
  const unplaced = [];
  let first = null;
  const problems = error instanceof ApiError && error.problems.length
    ? error.problems
    : [{ field: "", reason: error instanceof ApiError ? error.message : String(error) }];
  for (const problem of problems) {
    const control = controlFor(form, problem.field);
    if (!control) {
      unplaced.push(problem);
      continue;
    }
    control.setAttribute("aria-invalid", "true");
    const note = document.createElement("p");
    note.className = "field-error";
    note.id = `${control.id || control.name}-error`;
    note.dataset.problem = "";
    note.textContent = sentence(
      problem.reason + (problem.allowed ? ` (allowed: ${problem.allowed.join(", ")})` : ""),
    );
    const hint = control.getAttribute("aria-describedby") || "";
    control.dataset.hint = hint;
    control.setAttribute("aria-describedby", `${hint} ${note.id}`.trim());
    control.insertAdjacentElement("afterend", note);
    first = first || control;
  }
  if (summary) {
    summary.textContent = unplaced.length
      ? unplaced.map((p) => sentence(describeProblem(p))).join(" ")
      : "Please correct the marked field.";
    summary.hidden = false;
  }
  return first || summary;
}

function controlFor(form, field) {
  if (!field) return null;
  const plain = String(field).replace(/^(with|body)\./, "");
  const candidates = [field, plain, plain.split(".")[0]];
  for (const name of candidates) {
    const found = form.querySelector(`[data-field="${CSS.escape(name)}"]`)
      || form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (found) return found;
  }
  return null;
}

export function clearProblems(form) {
  for (const note of form.querySelectorAll("[data-problem]")) note.remove();
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    if (control.dataset.hint) control.setAttribute("aria-describedby", control.dataset.hint);
    else control.removeAttribute("aria-describedby");
    delete control.dataset.hint;
  }
  const summary = form.querySelector("[data-errors]");
  if (summary) {
    summary.textContent = "";
    summary.hidden = true;
  }
}
