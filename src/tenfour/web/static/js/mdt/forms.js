// The MDT's forms: choices that follow the live state without losing what the officer
// picked, commands whose refusals land next to the field they name, and checks made
// before anything is sent (an empty description is caught on the phone, not journaled).

import { ApiError, clearProblems, command, showProblems } from "../api.js";
import { h } from "../dom.js";

const filled = new WeakMap();

/**
 * Give a select these options ({value, label, group?, disabled?}), keeping the chosen
 * value. Rebuilt only when the list changed: a re-render on every live event must not
 * close a list the officer has open, nor undo his choice.
 */
export function fillSelect(select, options) {
  const signature = JSON.stringify(options);
  if (filled.get(select) === signature) return false;
  filled.set(select, signature);
  const keep = select.value;
  const groups = new Map();
  const nodes = [];
  for (const o of options) {
    const node = h("option", { value: o.value, disabled: Boolean(o.disabled) }, o.label);
    if (!o.group) {
      nodes.push(node);
      continue;
    }
    if (!groups.has(o.group)) {
      const group = h("optgroup", { label: o.group });
      groups.set(o.group, group);
      nodes.push(group);
    }
    groups.get(o.group).append(node);
  }
  select.replaceChildren(...nodes);
  const again = [...select.options].find((o) => o.value === keep && !o.disabled);
  if (again) select.value = keep;
  else {
    const first = [...select.options].find((o) => !o.disabled);
    if (first) select.value = first.value;
  }
  return true;
}

/** A refusal made on the phone, shaped like the server's so it is shown the same way. */
export function refusal(field, reason) {
  return new ApiError(422, { error: { code: "invalid", message: reason, problems: [{ field, reason }] } });
}

/** The form's one-line outcome (its `.result`). */
export function result(form, text, ok = true) {
  const out = form.querySelector(".result");
  if (!out) return;
  out.className = ok ? "result ok" : "result field-error";
  out.textContent = text;
}

/**
 * Send a command from a form: its problems go next to the fields they name (or in
 * the form's summary) and the first of them gets the focus. Resolves to the events,
 * or null when refused.
 */
export async function submit(form, doWhat, fields, done) {
  clearProblems(form);
  result(form, "");
  const button = form.querySelector("[type=submit]");
  if (button) button.disabled = true;
  try {
    const events = await command(doWhat, fields);
    result(form, `✓ ${typeof done === "function" ? done(events) : done}`);
    return events;
  } catch (failure) {
    refuse(form, failure);
    return null;
  } finally {
    if (button) button.disabled = false;
  }
}

/** Show a refusal on a form, focusing the field in error. */
export function refuse(form, failure) {
  const first = showProblems(form, failure);
  result(form, "✗ Not sent: see above.", false);
  if (first && first.focus) first.focus();
}

/** Text as typed, or null when only spaces. */
export function typed(control) {
  const text = control.value.trim();
  return text ? text : null;
}
