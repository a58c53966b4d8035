// Address autocomplete for the console: suggestions from GET /api/places/suggest as a
// dispatcher types a place (the command line's location, the incident panel's Move
// field), and how each was found in words, so a guess never passes for an exact point.
//
// Requests are debounced (a key press after 100 ms of quiet asks at once, a burst of
// typing asks once it pauses), a stale one is aborted when the next is sent, and each
// answer is kept by the text typed (a Backspace shows the earlier list at once).

import { api, command, sentence } from "../api.js";
import { h } from "../dom.js";

const LIMIT = 5;
const WAIT_MS = 100;
const KEEP = 300; // answers kept; typing a day's addresses stays far below memory worth minding

/** How a place was found, for people ("interpolated" alone means little at 3 a.m.). */
const KINDS = {
  point: "exact address",
  interpolated: "interpolated",
  block: "block",
  intersection: "intersection",
  place: "named place",
  street: "whole street",
};

export const kindOf = (s) => KINDS[s.match] || s.match;

/** "interpolated, confidence 0.70": what a chosen place is worth. */
export function matchText(s) {
  const confidence = Number(s.confidence);
  return `${kindOf(s)}, confidence ${Number.isFinite(confidence) ? confidence.toFixed(2) : "?"}`;
}

/** The hint after a suggestion's label: its kind, and for a bare street why it will not do. */
export function hintOf(s) {
  if (s.ambiguous && s.match === "street") {
    const km = /\(([\d.]+ km)\)/.exec(s.note || "");
    return `${kindOf(s)} — ambiguous${km ? `, ${km[1]}` : ""}: give a number or a cross street`;
  }
  if (s.ambiguous) return `${kindOf(s)} — ambiguous: ${sentence(s.note || "it is in several places").replace(/\.$/, "")}`;
  return s.note ? `${kindOf(s)} · ${s.note}` : kindOf(s);
}

/** Suggestions flattened for a list: an ambiguous one is followed by its alternatives. */
export function optionsOf(suggestions) {
  const out = [];
  for (const s of suggestions) {
    out.push({ place: s, alternative: false });
    for (const other of s.alternatives || []) out.push({ place: other, alternative: true });
  }
  return out;
}

/** One <li role=option> for a suggestion: the label, then the kind and hint. */
export function optionItem(option, id, selected) {
  const s = option.place;
  return h("li", {
    id, role: "option", "aria-selected": String(selected), class: "place-option",
    dataset: { match: s.match, ambiguous: String(Boolean(s.ambiguous)), alternative: String(option.alternative) },
  },
  option.alternative ? h("span", { class: "alt", "aria-hidden": "true" }, "↳ ") : null,
  h("span", { class: "label" }, s.label),
  h("span", { class: "kind" }, ` · ${hintOf(s)}`));
}

const keyOf = (text) => text.toLowerCase().replace(/\s+/g, " ").trim();

/** Asks the server for suggestions: debounced, stale requests aborted, answers kept. */
export class PlaceSuggester {
  constructor({ limit = LIMIT, wait = WAIT_MS } = {}) {
    Object.assign(this, { limit, wait });
    this.cache = new Map();
    this.timer = null;
    this.controller = null;
    this.lastAsk = -Infinity;
  }

  /** Call `answer(suggestions, query)` with what `query` may become (not for a stale query). */
  request(query, answer) {
    const key = keyOf(query);
    this.cancel();
    const now = performance.now();
    const quiet = now - this.lastAsk >= this.wait;
    this.lastAsk = now;
    if (!key) return;
    if (this.cache.has(key)) {
      answer(this.cache.get(key), query);
      return;
    }
    const ask = async () => {
      this.timer = null;
      const controller = new AbortController();
      this.controller = controller;
      try {
        const found = await api(`/api/places/suggest?q=${encodeURIComponent(query)}&limit=${this.limit}`,
          { signal: controller.signal });
        if (this.cache.size >= KEEP) this.cache.delete(this.cache.keys().next().value);
        this.cache.set(key, found.suggestions);
        if (this.controller === controller) {
          this.controller = null;
          answer(found.suggestions, query);
        }
      } catch (failure) {
        if (failure && failure.name === "AbortError") return;
        // Nothing to suggest (offline, a refused text): the typist goes on typing, and
        // the command itself says what is wrong when it is sent.
        if (this.controller === controller) answer([], query);
      }
    };
    if (quiet) ask();
    else this.timer = setTimeout(ask, this.wait);
  }

  cancel() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.controller) this.controller.abort();
    this.controller = null;
  }

  /** A suggestion already seen whose label is exactly `text` (typed out in full). */
  known(text) {
    const key = keyOf(text);
    for (const list of this.cache.values()) {
      for (const option of optionsOf(list)) if (keyOf(option.place.label) === key) return option.place;
    }
    return null;
  }
}

/** A location to send for a chosen place: its point, with the label as the address. */
export const locationOf = (s) => ({ lat: s.lat, lon: s.lon, address: s.label });

/**
 * The incident panel's Move field: a combobox (role=combobox, a listbox of places,
 * aria-expanded, aria-activedescendant). Choosing a place sends incident.update with
 * its point; an ambiguous one is not sent (the field says why). Submitting typed text
 * that was not chosen sends it as an address for the server to place, or refuse.
 */
export function moveForm(incident, { suggester, say, sayFailure }) {
  const input = h("input", {
    id: "move-place", name: "place", role: "combobox", "aria-autocomplete": "list",
    "aria-controls": "move-choices", "aria-expanded": "false", autocomplete: "off", spellcheck: "false",
    placeholder: "Move to… (523 Mission St, Mission & 1st, a landmark)",
  });
  const list = h("ul", { id: "move-choices", class: "place-choices", role: "listbox", "aria-label": "Places" });
  list.hidden = true;
  const form = h("form", { class: "note-form move-form", id: "move-form", "aria-label": "Move the incident" },
    h("label", { for: "move-place", class: "visually-hidden" }, `New location for incident ${incident}`),
    h("div", { class: "combo" }, input, list),
    h("button", { type: "submit" }, "Move"));
  let options = [];
  let active = -1;

  const show = () => {
    list.replaceChildren(...options.map((o, i) => optionItem(o, `move-choice-${i}`, i === active)));
    list.hidden = options.length === 0;
    input.setAttribute("aria-expanded", String(options.length > 0));
    if (active >= 0) input.setAttribute("aria-activedescendant", `move-choice-${active}`);
    else input.removeAttribute("aria-activedescendant");
  };
  const close = () => {
    suggester.cancel();
    options = [];
    active = -1;
    show();
  };
  const send = async (location, chosen) => {
    close();
    try {
      const events = await command("incident.update", { incident, location });
      const moved = events.find((e) => e.type === "incident.updated");
      const where = (moved && moved.location && moved.location.address) || location.address;
      input.value = "";
      say(`✓ ${incident} moved to ${where}${chosen ? ` (${matchText(chosen)})` : ""}`, "ok");
    } catch (failure) {
      sayFailure(failure);
      input.focus();
    }
  };
  const choose = (s) => {
    input.value = s.label;
    if (s.ambiguous) {
      close();
      say(`${s.label} is ambiguous: ${hintOf(s)}`, "info");
      input.focus();
      return;
    }
    send(locationOf(s), s);
  };

  input.addEventListener("input", () => {
    const query = input.value;
    if (query.trim().length < 2) {
      close();
      return;
    }
    suggester.request(query, (suggestions, asked) => {
      if (asked !== input.value) return;
      options = optionsOf(suggestions);
      active = -1;
      show();
      list.dataset.query = asked;
    });
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!options.length) return;
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      active = (active + step + options.length) % options.length;
      show();
    } else if (e.key === "Enter" && active >= 0) {
      e.preventDefault();
      choose(options[active].place);
    } else if (e.key === "Escape" && options.length) {
      e.preventDefault();
      e.stopPropagation();
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(() => {
    if (!form.contains(document.activeElement)) close();
  }, 150));
  // mousedown, not click: the input keeps its focus while a place is picked
  list.addEventListener("mousedown", (e) => {
    const item = e.target.closest("li[role=option]");
    if (!item) return;
    e.preventDefault();
    choose(options[Number(item.id.replace("move-choice-", ""))].place);
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) {
      say("✗ Give the new location: an address, a corner or a place", "error");
      input.focus();
      return;
    }
    const known = suggester.known(text);
    if (known && !known.ambiguous) send(locationOf(known), known);
    else send({ address: text }, null);
  });
  return form;
}
