// The console's command line: the fast paths a dispatcher types all day.
//
//   new THEFT p3 Main Street & Mission Street    create an incident (or @37.79,-122.40)
//   call ASSAULT p2 Main St & Mission St -- two men fighting [caller=NAME]
//                                                take a 911 call (linked if a duplicate)
//   d 2026-000001 ZPD-3 ZPD-4 [emergency] [reassign]  dispatch units ("." is the selected
//                                                incident; reassign takes them off another)
//   st ZPD-3 enroute [2026-000001]               change a unit's status
//   note 2026-000001 caller called back ...      add a note
//   subj 2026-000001 suspect -- black fox, silver patches   add a subject (suspect,
//                                                victim, witness, patient, officer, other)
//   ack [A-000003]                               acknowledge an alert (the top one if none:
//                                                open emergencies come first)
//   promote T-000001 THEFT p3 [ADDRESS]          make a tip an incident
//   close Market Street -- parade                close a road (close INCIDENT DISP closes an incident)
//   slow Market Street x2 -- roadworks           slow a road down; reopen RC-000001 ends either
//   ...and dismiss, pri, checkin, bolo, sel, em, help.
//
// Tab completes command words, unit, incident, alert and tip ids, statuses and type
// codes; a second Tab cycles through the choices. Errors name the word at fault and
// select it in the input, whether the parser or the server found it; a refusal of the
// domain is shown in its own words ("No unit ZPD-99"), not as a field path. Before a
// surprise (a unit taken off another incident, an incident closed on a pursuit) the
// page asks in the line's confirm box: y or Enter goes ahead, n or Esc does not.
//
// Typing a place (the location of new, call, promote; the street of a road close or
// slow) lists up to five places it may be, each with how it was found ("523 Mission
// Street · interpolated"); ↓/Tab and ↑ move through them, Enter takes one, Esc closes
// the list. A place taken is sent as its point, and the result line says how sure it is.

import { fieldLabel, sentence } from "./api.js";
import {
  hintOf, locationOf, matchText, optionItem, optionsOf,
} from "./console/places.js";
import { h } from "./dom.js";

const INCIDENT = { name: "incident", kind: "incident" };
const UNIT = { name: "unit", kind: "unit" };
const PRIORITY = { name: "priority", kind: "priority" };
const TYPE = { name: "type", kind: "type" };

export const SPECS = [
  {
    word: "new", aliases: ["n", "inc"], help: "create an incident",
    usage: "new TYPE P1-5 ADDRESS|@LAT,LON",
    args: [TYPE, PRIORITY, { name: "location", kind: "location", rest: true }],
    build: (a) => ["incident.create", { type: a.type, priority: a.priority, location: a.location }],
  },
  {
    word: "call", aliases: ["911"], help: "take a 911 call: a new incident, or linked to a duplicate",
    usage: "call TYPE P1-5 ADDRESS|@LAT,LON -- WHAT THE CALLER SAYS [caller=NAME]",
    args: [TYPE, PRIORITY, { name: "location", kind: "location", rest: true }],
    dashed: { name: "text", optional: false },
    caller: true,
    build: (a) => ["call.create", {
      source: "911", type: a.type, priority: a.priority, location: a.location, text: a.text, caller: a.caller,
    }],
  },
  {
    word: "d", aliases: ["dispatch", "disp"], help: "dispatch units to an incident",
    usage: "d INCIDENT UNIT... [emergency] [reassign]",
    args: [INCIDENT, { name: "units", kind: "unit", many: true }],
    build: (a) => ["unit.dispatch", {
      incident: a.incident, units: a.units, mode: a.mode, reassign: a.reassign,
    }],
  },
  {
    word: "st", aliases: ["status"], help: "change a unit's status",
    usage: "st UNIT STATUS [INCIDENT]",
    args: [UNIT, { name: "status", kind: "status" }, { ...INCIDENT, optional: true }],
    build: (a) => ["unit.status", { unit: a.unit, status: a.status, incident: a.incident }],
  },
  {
    word: "note", aliases: ["nt"], help: "add a note to an incident",
    usage: "note INCIDENT TEXT...",
    args: [INCIDENT, { name: "text", kind: "text", rest: true }],
    build: (a) => ["incident.note", { incident: a.incident, text: a.text }],
  },
  {
    word: "subj", aliases: ["subject"], help: "add a subject to an incident: a suspect, victim, witness, patient…",
    usage: "subj INCIDENT ROLE -- DESCRIPTION",
    args: [INCIDENT, { name: "role", kind: "role" }],
    dashed: { name: "description", optional: false },
    build: (a) => ["subject.add", { incident: a.incident, role: a.role, description: a.description }],
  },
  {
    word: "ack", aliases: ["acknowledge"], help: "acknowledge an alert (the top one if none given)",
    usage: "ack [ALERT]",
    args: [{ name: "alert", kind: "alert", optional: true }],
    build: (a) => ["alert.acknowledge", { alert: a.alert }],
  },
  {
    word: "promote", aliases: ["pro"], help: "make a tip an incident",
    usage: "promote TIP TYPE P1-5 [ADDRESS|@LAT,LON]",
    args: [{ name: "tip", kind: "tip" }, TYPE, PRIORITY,
      { name: "location", kind: "location", rest: true, optional: true }],
    build: (a) => ["tip.promote", { tip: a.tip, type: a.type, priority: a.priority, location: a.location }],
  },
  {
    word: "dismiss", help: "dismiss a tip", usage: "dismiss TIP [REASON...]",
    args: [{ name: "tip", kind: "tip" }, { name: "reason", kind: "text", rest: true, optional: true }],
    build: (a) => ["tip.dismiss", { tip: a.tip, reason: a.reason }],
  },
  {
    word: "close", help: "close an incident, or a road (a street or @LAT,LON)",
    usage: "close INCIDENT DISPOSITION | close STREET|@LAT,LON [-- REASON]",
    args: [INCIDENT, { name: "disposition", kind: "text", rest: true }],
    build: (a) => ["incident.close", { incident: a.incident, disposition: a.disposition }],
  },
  {
    word: "slow", help: "slow a road down: drive time times FACTOR",
    usage: "slow STREET|@LAT,LON xFACTOR [-- REASON]",
    args: [{ name: "where", kind: "where", rest: true }],
    dashed: { name: "reason", optional: true },
    factor: true,
    build: (a) => ["road.close", { ...a.where, factor: a.factor, reason: a.reason }],
  },
  {
    word: "reopen", help: "reopen a closed or slowed road", usage: "reopen CLOSURE [-- REASON]",
    args: [{ name: "closure", kind: "closure" }],
    dashed: { name: "reason", optional: true },
    build: (a) => ["road.reopen", { closure: a.closure, reason: a.reason }],
  },
  {
    word: "pri", aliases: ["priority"], help: "change an incident's priority",
    usage: "pri INCIDENT P1-5",
    args: [INCIDENT, PRIORITY],
    build: (a) => ["incident.update", { incident: a.incident, priority: a.priority }],
  },
  {
    word: "checkin", aliases: ["ci"], help: "check in a unit (status check answered)",
    usage: "checkin UNIT",
    args: [UNIT],
    build: (a) => ["member.checkin", { unit: a.unit }],
  },
  {
    word: "bolo", help: "issue a BOLO (be on the lookout)", usage: "bolo DESCRIPTION...",
    args: [{ name: "description", kind: "text", rest: true }],
    build: (a) => ["bolo.issue", { description: a.description }],
  },
  {
    word: "sel", aliases: ["open"], help: "show an incident in the panel", usage: "sel INCIDENT",
    args: [INCIDENT],
    local: "select",
  },
  {
    word: "em", aliases: ["emergency"], help: "show the newest open emergency (also F9)",
    usage: "em",
    args: [],
    local: "emergency",
  },
  {
    word: "help", aliases: ["?"], help: "list the commands and keys", usage: "help [COMMAND]",
    args: [{ name: "topic", kind: "command", optional: true }],
    local: "help",
  },
];

/** "close" with a street or a point instead of an incident: close a road. */
const ROAD_CLOSE = {
  word: "close", help: "close a road", usage: "close STREET|@LAT,LON [-- REASON]",
  args: [{ name: "where", kind: "where", rest: true }],
  dashed: { name: "reason", optional: true },
  build: (a) => ["road.close", { ...a.where, reason: a.reason }],
};

/** Whether a word names an incident: ".", a known id, "2026-000012" or a number. */
function incidentLike(text, context) {
  const all = context.allIncidents || context.incidents || [];
  return text === "." || /^\d+(-\d+)?$/.test(text) || Boolean(findId(all, text));
}

const BY_WORD = new Map();
for (const spec of SPECS) {
  for (const word of [spec.word, ...(spec.aliases || [])]) BY_WORD.set(word, spec);
}

export const specOf = (word) => BY_WORD.get(String(word || "").toLowerCase());

/** Words with where they start and end in the text. */
export function tokenize(text) {
  const tokens = [];
  const pattern = /\S+/g;
  let match;
  while ((match = pattern.exec(text)) !== null) {
    tokens.push({ text: match[0], start: match.index, end: match.index + match[0].length });
  }
  return tokens;
}

class ParseError extends Error {
  constructor(message, token) {
    super(message);
    this.token = token;
  }
}

const findId = (ids, text) => ids.find((id) => id.toLowerCase() === text.toLowerCase());

function resolve(kind, token, context) {
  const text = token.text;
  switch (kind) {
    case "incident": {
      if (text === ".") {
        if (!context.selected) throw new ParseError("no incident is selected (\".\")", token);
        return context.selected;
      }
      const all = context.allIncidents || context.incidents;
      const exact = findId(all, text);
      if (exact) return exact;
      if (/^\d{1,6}$/.test(text)) {
        // "12" is this year's incident 12 (the newest of that number)
        const suffix = `-${text.padStart(6, "0")}`;
        const found = all.filter((id) => id.endsWith(suffix)).sort().pop();
        if (found) return found;
      }
      return text; // the server names an unknown incident precisely
    }
    case "unit":
      return findId(context.units, text) || text;
    case "alert":
      return findId(context.alerts, text) || text;
    case "closure":
      return findId(context.closures || [], text) || (/^\d+$/.test(text) ? `RC-${text.padStart(6, "0")}` : text);
    case "tip":
      return findId(context.tips, text) || (/^\d+$/.test(text) ? `T-${text.padStart(6, "0")}` : text);
    case "status": {
      const status = text.toLowerCase().replace(/[\s_-]/g, "");
      if (!context.statuses.includes(status)) {
        throw new ParseError(
          `'${text}' is not a unit status (allowed: ${context.statuses.join(", ")})`, token,
        );
      }
      return status;
    }
    case "role": {
      const role = text.toLowerCase();
      if (!context.roles.includes(role)) {
        throw new ParseError(`'${text}' is not a subject role (allowed: ${context.roles.join(", ")})`, token);
      }
      return role;
    }
    case "priority": {
      const match = /^p?([1-5])$/i.exec(text);
      if (!match) throw new ParseError(`'${text}' is not a priority (P1 to P5)`, token);
      return Number(match[1]);
    }
    case "type":
      if (!/^[A-Za-z0-9_-]+$/.test(text)) {
        throw new ParseError(`'${text}' is not a type code (letters, digits, _ and -)`, token);
      }
      return text.toUpperCase();
    default:
      return text;
  }
}

function where(text) {
  const at = location(text);
  return at.address === undefined ? { location: at } : { street: at.address };
}

/** Blank out `pattern`'s words (keeping every position) and return what they said. */
function takeWords(text, pattern) {
  const found = [];
  const masked = text.replace(new RegExp(`(^|\\s)(${pattern.source})(?=\\s|$)`, "gi"), (all, space, word, offset) => {
    found.push({ word, start: offset + space.length });
    return space + " ".repeat(word.length);
  });
  return { masked, found };
}

function location(text) {
  const point = /^@\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)$/.exec(text.trim());
  if (point) return { lat: Number(point[1]), lon: Number(point[2]) };
  return { address: text.trim() };
}

/**
 * Parse one line. Returns {spec, do, fields, tokens, fieldTokens} for a server
 * command, {spec, local, args} for a page action, or throws an error with `.token`.
 */
export function parse(whole, context) {
  let text = whole;
  let tokens = tokenize(text);
  if (!tokens.length) throw new ParseError("type a command (Tab completes, \"help\" lists them)");
  let spec = specOf(tokens[0].text);
  if (!spec) {
    throw new ParseError(
      `unknown command '${tokens[0].text}' (commands: ${SPECS.map((s) => s.word).join(", ")})`,
      tokens[0],
    );
  }
  if (spec.word === "close" && tokens[1] && !incidentLike(tokens[1].text, context)) spec = ROAD_CLOSE;
  const args = {};
  const fieldTokens = {};
  if (spec.dashed) {
    // "... -- free text": what follows the first lone "--" is the text
    const dash = /(^|\s)--(\s|$)/.exec(text);
    const after = dash ? text.slice(dash.index + dash[0].length) : "";
    if (after.trim()) {
      args[spec.dashed.name] = after.trim();
      const start = dash.index + dash[0].length + (after.length - after.trimStart().length);
      fieldTokens[spec.dashed.name] = { text: after.trim(), start, end: whole.trimEnd().length };
    } else if (!spec.dashed.optional) {
      throw new ParseError(`${spec.word} needs ${spec.dashed.name.toUpperCase()} after " -- ": ${spec.usage}`, {
        text: "", start: whole.length, end: whole.length,
      });
    }
    if (dash) text = text.slice(0, dash.index);
  }
  if (spec.caller) {
    const taken = takeWords(text, /caller=\S+/);
    if (taken.found.length) {
      const { word, start } = taken.found[taken.found.length - 1];
      args.caller = word.slice("caller=".length).replace(/_/g, " ");
      fieldTokens.caller = { text: word, start, end: start + word.length };
    }
    text = taken.masked;
  }
  if (spec.factor) {
    const taken = takeWords(text, /[x×*]\d+(?:\.\d+)?/);
    if (!taken.found.length) {
      throw new ParseError(`slow needs a FACTOR such as x2 (twice the drive time): ${spec.usage}`, {
        text: "", start: whole.length, end: whole.length,
      });
    }
    const { word, start } = taken.found[taken.found.length - 1];
    args.factor = Number(word.slice(1));
    fieldTokens.factor = { text: word, start, end: start + word.length };
    text = taken.masked;
  }
  tokens = tokenize(text);
  let i = 1;
  for (const arg of spec.args) {
    const token = tokens[i];
    if (!token) {
      if (arg.optional) break;
      throw new ParseError(`${spec.word} needs ${arg.name.toUpperCase()}: ${spec.usage}`, {
        text: "", start: text.length, end: text.length,
      });
    }
    if (arg.rest) {
      const rest = text.slice(token.start).trim();
      const place = rest.replace(/\s+/g, " "); // words taken out leave blanks
      args[arg.name] = arg.kind === "location" ? location(place) : arg.kind === "where" ? where(place) : rest;
      fieldTokens[arg.name] = { text: rest, start: token.start, end: text.trimEnd().length };
      if (arg.kind === "where") fieldTokens[Object.keys(args[arg.name])[0]] = fieldTokens[arg.name];
      i = tokens.length;
      break;
    }
    if (arg.many) {
      const values = [];
      for (; i < tokens.length; i += 1) {
        if (spec.word === "d" && /^(emergency|e|!)$/i.test(tokens[i].text)) {
          args.mode = "emergency";
          continue;
        }
        // Reassigning a unit that is on another open incident is said explicitly.
        if (spec.word === "d" && /^(reassign|r)$/i.test(tokens[i].text)) {
          args.reassign = true;
          continue;
        }
        fieldTokens[`${arg.name}.${values.length}`] = tokens[i];
        values.push(resolve(arg.kind, tokens[i], context));
      }
      if (!values.length) {
        throw new ParseError(`${spec.word} needs at least one ${arg.kind.toUpperCase()}: ${spec.usage}`, {
          text: "", start: text.length, end: text.length,
        });
      }
      args[arg.name] = values;
      break;
    }
    args[arg.name] = resolve(arg.kind, token, context);
    fieldTokens[arg.name] = token;
    i += 1;
  }
  if (i < tokens.length) {
    throw new ParseError(`too many words: ${spec.usage}`, tokens[i]);
  }
  if (spec.word === "ack" && !args.alert) {
    if (!context.alerts.length) throw new ParseError("there is no open alert to acknowledge");
    [args.alert] = context.alerts;
  }
  if (spec.local) return { spec, local: spec.local, args, tokens, fieldTokens };
  const [doWhat, fields] = spec.build(args);
  for (const key of Object.keys(fields)) if (fields[key] === undefined) delete fields[key];
  if (spec.word === "d" && !args.mode) delete fields.mode;
  return { spec, do: doWhat, fields, tokens, fieldTokens };
}

/**
 * Where a place is being typed: the location of new, call and promote, the street of
 * a road's close or slow. Returns {start, end, query} (the place from its first word
 * to the end of the caret's word, and what is typed of it up to the caret), or null
 * when the caret is elsewhere, or on a point ("@37.79,-122.40").
 */
export function placeAt(text, caret, context) {
  const tokens = tokenize(text);
  let spec = tokens.length ? specOf(tokens[0].text) : null;
  if (!spec) return null;
  if (spec.word === "close") {
    if (!tokens[1] || incidentLike(tokens[1].text, context)) return null;
    spec = ROAD_CLOSE;
  }
  const index = spec.args.findIndex((a) => a.kind === "location" || a.kind === "where");
  if (index < 0) return null;
  // the words the parser takes out of a place: caller=NAME, xFACTOR
  let masked = text;
  if (spec.caller) masked = takeWords(masked, /caller=\S+/).masked;
  if (spec.factor) masked = takeWords(masked, /[x×*]\d+(?:\.\d+)?/).masked;
  const dash = spec.dashed ? /(^|\s)--(\s|$)/.exec(masked) : null;
  const stop = dash ? dash.index : masked.length;
  const first = tokenize(masked.slice(0, stop))[index + 1];
  if (!first || caret <= first.start || caret > stop) return null;
  const word = /^\S*/.exec(masked.slice(caret, stop))[0];
  const query = masked.slice(first.start, caret).replace(/\s+/g, " ").trim();
  if (query.startsWith("@")) return null;
  return { start: first.start, end: caret + word.length, query };
}

/** The word of `text` at position `caret` (or a new one) and what it may be. */
export function completions(text, caret, context) {
  const before = text.slice(0, caret);
  const tokens = tokenize(before);
  const fresh = before.length === 0 || /\s$/.test(before);
  const index = fresh ? tokens.length : tokens.length - 1;
  const current = fresh ? { text: "", start: caret, end: caret } : tokens[tokens.length - 1];
  let choices;
  if (index === 0) {
    choices = SPECS.map((s) => s.word);
  } else {
    const spec = specOf(tokens[0].text);
    if (!spec) return { ...current, choices: [] };
    let arg = spec.args[index - 1];
    const last = spec.args[spec.args.length - 1];
    if (!arg && last && last.many) arg = last;
    choices = arg ? choicesFor(arg, context, tokens, index) : [];
  }
  const prefix = current.text.toLowerCase();
  const matching = choices.filter((c) => c.toLowerCase().startsWith(prefix));
  // "d 12<Tab>" finds incident 2026-000012 too
  if (!matching.length && /^\d+$/.test(prefix)) {
    matching.push(...choices.filter((c) => c.toLowerCase().includes(prefix)));
  }
  return { start: current.start, end: current.end, text: current.text, choices: matching };
}

function choicesFor(arg, context, tokens, index) {
  switch (arg.kind) {
    case "incident": return context.incidents;
    case "unit": {
      const used = new Set(tokens.slice(1, index).map((t) => t.text.toLowerCase()));
      const units = context.units.filter((u) => !used.has(u.toLowerCase()));
      return arg.many && index > 2 ? [...units, "emergency", "reassign"] : units;
    }
    case "status": return context.statuses;
    case "role": return context.roles;
    case "alert": return context.alerts;
    case "tip": return context.tips;
    case "closure": return context.closures || [];
    case "type": return context.types;
    case "priority": return ["p1", "p2", "p3", "p4", "p5"];
    case "command": return SPECS.map((s) => s.word);
    default: return [];
  }
}

function commonPrefix(words) {
  if (!words.length) return "";
  let prefix = words[0];
  for (const word of words.slice(1)) {
    while (!word.toLowerCase().startsWith(prefix.toLowerCase())) prefix = prefix.slice(0, -1);
  }
  return prefix;
}

/** Which word of the line a server problem's field points at. */
export function tokenForField(parsed, field) {
  const path = String(field || "").replace(/^with\./, "");
  if (parsed.fieldTokens[path]) return parsed.fieldTokens[path];
  const head = path.split(".")[0];
  return parsed.fieldTokens[head] || null;
}

/** What `run` throws when the person answered no: nothing was sent, and the line says so. */
export class Cancelled extends Error {}

/**
 * A refused command in words: the domain's reason as a sentence ("No unit ZPD-99",
 * "Unit ZPD-3 is busy and cannot be dispatched"). A validation message that does not
 * say what it is about ("Input should be less than or equal to 90") keeps its field.
 * `token` is the word of the line the first problem points at, if any.
 */
export function refusal(failure, token = null) {
  const problems = (failure && failure.problems) || [];
  if (!problems.length) {
    return sentence(failure && failure.message !== undefined ? failure.message : String(failure));
  }
  return problems.map((p, i) => problemInWords(p, i === 0 ? token : null)).join("; ");
}

export function problemInWords(problem, token = null) {
  const reason = String(problem.reason || "");
  const unknown = /^unknown ([a-z ]+) (['"])(.*)\2$/i.exec(reason);
  if (unknown) return `No ${unknown[1]} ${unknown[3]}`;
  const allowed = problem.allowed && problem.allowed.length
    ? ` (allowed: ${problem.allowed.join(", ")})`
    : "";
  const word = token && token.text ? token.text : "";
  // The domain's refusals name what they are about; a validation message needs its field.
  if ((problem.code && problem.code !== "invalid") || (word && reason.includes(word))) {
    return sentence(reason) + allowed;
  }
  const label = sentence(fieldLabel(problem.field)) || "Input";
  return `${label}${word ? ` '${word}'` : ""}: ${reason}${allowed}`;
}

/**
 * Wire the line to an <input>: Tab completion with a listbox of choices, history on
 * Up/Down, Enter runs, Escape clears. `run(parsed, line)` returns a promise of a
 * message; it may `await line.ask(question)` first. `confirm` is the box questions
 * are asked in.
 */
export class CommandLine {
  constructor({ input, list, hint, message, context, run, confirm = null, places = null }) {
    Object.assign(this, { input, list, hint, message, context, run, confirm, places });
    this.placeList = null; // the places listed for the place being typed
    this.chosen = new Map(); // places taken on this line, by label
    this.history = [];
    this.back = 0;
    this.cycle = null;
    this.pending = null; // answers the open question: fn(yes)
    input.addEventListener("keydown", (e) => this.key(e));
    if (confirm) confirm.addEventListener("keydown", (e) => this.answerKey(e));
    input.addEventListener("input", () => {
      this.cycle = null;
      // the places listed stay shown until the new answer replaces them (no flicker)
      if (!this.suggestPlaces()) this.showChoices([]);
      this.showHint();
      if (this.message.dataset.kind === "error") this.say("", "");
    });
  }

  key(e) {
    if (this.pending) {
      this.answerKey(e);
      return;
    }
    if (this.placeList && this.placeKey(e)) return;
    if (e.key === "Tab" && !e.shiftKey && !e.altKey && !e.ctrlKey) {
      // Tab completes; on an empty line it leaves the line like anywhere else.
      if (!this.input.value.trim() && !this.cycle) return;
      e.preventDefault();
      this.complete();
    } else if (e.key === "Enter") {
      e.preventDefault();
      this.submit();
    } else if (e.key === "Escape") {
      if (this.input.value || this.list.childElementCount) {
        e.preventDefault();
        this.input.value = "";
        this.cycle = null;
        this.showChoices([]);
        this.showHint();
        this.say("", "");
      }
    } else if (e.key === "ArrowUp" || e.key === "ArrowDown") {
      if (!this.history.length) return;
      e.preventDefault();
      this.back = Math.max(0, Math.min(this.history.length,
        this.back + (e.key === "ArrowUp" ? 1 : -1)));
      this.input.value = this.back ? this.history[this.history.length - this.back] : "";
      this.showHint();
    }
  }

  /** y or Enter: yes; n or Escape: no; other typing waits for the answer. */
  answerKey(e) {
    if (!this.pending || e.altKey || e.ctrlKey || e.metaKey) return;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (key === "y" || (key === "Enter" && e.target === this.input)) {
      e.preventDefault();
      this.pending(true);
    } else if (key === "n" || key === "Escape") {
      e.preventDefault();
      this.pending(false);
    } else if (key.length === 1) {
      e.preventDefault();
    }
  }

  /**
   * Ask before a surprise, in the confirm box: resolves true (y, Enter, "Yes") or
   * false (n, Escape, "No"). A question still open when another comes is a no.
   */
  ask(question, { yes = "Yes", no = "No" } = {}) {
    if (this.pending) this.pending(false);
    const box = this.confirm;
    if (!box) throw new Error("this command line has no confirm box to ask in");
    return new Promise((resolve) => {
      const answer = (ok) => {
        if (this.pending !== answer) return;
        this.pending = null;
        box.hidden = true;
        box.replaceChildren();
        delete box.dataset.open;
        this.input.focus();
        resolve(ok);
      };
      this.pending = answer;
      box.replaceChildren(
        h("p", { class: "question", id: "confirm-question" }, question),
        h("div", { class: "answers" },
          h("button", { type: "button", class: "primary small", dataset: { answer: "yes" }, onclick: () => answer(true) },
            `${yes} (y)`),
          h("button", { type: "button", class: "small", dataset: { answer: "no" }, onclick: () => answer(false) },
            `${no} (n)`)));
      box.hidden = false;
      box.dataset.open = "true";
      this.say("y or Enter: go ahead · n or Esc: do not", "ask");
      this.input.focus();
    });
  }

  /** Keys on the listed places: ↓/Tab and ↑/Shift+Tab move, Enter takes, Esc closes. */
  placeKey(e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return false;
    const down = e.key === "ArrowDown" || (e.key === "Tab" && !e.shiftKey);
    const up = e.key === "ArrowUp" || (e.key === "Tab" && e.shiftKey);
    if (down || up) {
      e.preventDefault();
      this.movePlace(down ? 1 : -1);
    } else if (e.key === "Enter" && this.placeList.at >= 0) {
      e.preventDefault();
      this.takePlace();
    } else if (e.key === "Escape") {
      e.preventDefault();
      this.closePlaces();
    } else {
      return false;
    }
    return true;
  }

  /** Ask for the places the text at the caret may be; false when it is no place. */
  suggestPlaces() {
    if (!this.places) return false;
    const input = this.input;
    const at = placeAt(input.value, input.selectionStart ?? input.value.length, this.context());
    const query = at ? at.query.toLowerCase() : "";
    const taken = [...this.chosen.keys()].some((label) => query.startsWith(`${label} `));
    // two letters at least; "--" coming, or words after a place taken, are no place
    if (!at || query.replace(/\s/g, "").length < 2 || /(^|\s)-$/.test(query) || taken) {
      this.closePlaces();
      return false;
    }
    this.placeList = null;
    const value = input.value;
    this.places.request(at.query, (suggestions) => {
      if (input.value !== value) return; // typed on since: its own answer comes
      const options = optionsOf(suggestions);
      this.placeList = options.length ? { ...at, options, at: -1 } : null;
      this.showPlaces(at.query);
    });
    return true;
  }

  closePlaces() {
    if (this.places) this.places.cancel();
    if (this.placeList || this.list.dataset.kind === "places") this.showChoices([]);
    this.placeList = null;
  }

  movePlace(step) {
    const list = this.placeList;
    const count = list.options.length;
    list.at = list.at < 0 ? (step > 0 ? 0 : count - 1) : (list.at + step + count) % count;
    const { label } = list.options[list.at].place;
    this.replace(list.start, list.end, label, false);
    list.end = list.start + label.length;
    this.showPlaces();
  }

  /** Take the highlighted place: its label stays in the line; a bare street says why not. */
  takePlace() {
    const list = this.placeList;
    const place = list.options[list.at].place;
    this.chosen.set(place.label.toLowerCase(), place);
    this.closePlaces();
    if (place.ambiguous) {
      this.say(`${place.label} is ambiguous: ${hintOf(place)}`, "info");
    } else {
      if (!this.input.value.slice(list.end).startsWith(" ")) this.replace(list.end, list.end, " ", false);
      this.say(`${place.label}: ${matchText(place)}`, "info");
    }
    this.input.focus();
  }

  /** The listed places; `query` (what they answer) is kept on the list, for tests and styling. */
  showPlaces(query = this.placeList && this.placeList.query) {
    const list = this.placeList;
    const options = list ? list.options : [];
    this.list.replaceChildren(...options.map((o, i) => optionItem(o, `cmd-choice-${i}`, i === list.at)));
    this.list.dataset.kind = "places";
    if (query) this.list.dataset.query = query;
    this.list.hidden = options.length === 0;
    this.input.setAttribute("aria-expanded", String(options.length > 0));
    if (list && list.at >= 0) this.input.setAttribute("aria-activedescendant", `cmd-choice-${list.at}`);
    else this.input.removeAttribute("aria-activedescendant");
  }

  /** A place taken (or typed out as listed) is sent as its point; returns it, or null. */
  placeOf(parsed) {
    const location = parsed.fields && parsed.fields.location;
    if (!location || location.address === undefined || location.lat !== undefined) return null;
    const key = location.address.toLowerCase().replace(/\s+/g, " ");
    const place = this.chosen.get(key) || (this.places && this.places.known(location.address));
    if (!place || place.ambiguous) return null;
    parsed.fields.location = locationOf(place);
    return place;
  }

  complete() {
    const input = this.input;
    if (!this.cycle && this.suggestPlaces()) return; // a place: the list comes from the map
    if (this.cycle && this.cycle.choices.length > 1) {
      const c = this.cycle;
      c.at = (c.at + 1) % c.choices.length;
      this.replace(c.start, c.end, c.choices[c.at], false);
      c.end = c.start + c.choices[c.at].length;
      this.showChoices(c.choices, c.at);
      return;
    }
    const found = completions(input.value, input.selectionStart ?? input.value.length, this.context());
    if (!found.choices.length) {
      this.say(`nothing to complete for '${found.text || "…"}'`, "info");
      return;
    }
    if (found.choices.length === 1) {
      this.replace(found.start, found.end, found.choices[0], true);
      this.showChoices([]);
      this.cycle = null;
    } else {
      const prefix = commonPrefix(found.choices);
      const typed = found.text;
      const text = prefix.length > typed.length ? prefix : typed;
      this.replace(found.start, found.end, text, false);
      this.cycle = { start: found.start, end: found.start + text.length, choices: found.choices, at: -1 };
      this.showChoices(found.choices);
    }
    this.showHint();
  }

  replace(start, end, text, space) {
    const value = this.input.value;
    const after = value.slice(end);
    const insert = text + (space && !after.startsWith(" ") ? " " : "");
    this.input.value = value.slice(0, start) + insert + after;
    const caret = start + insert.length;
    this.input.setSelectionRange(caret, caret);
  }

  showChoices(choices, active = -1) {
    this.list.replaceChildren();
    this.list.dataset.kind = "words";
    delete this.list.dataset.query;
    choices.slice(0, 40).forEach((choice, i) => {
      const item = document.createElement("li");
      item.id = `cmd-choice-${i}`;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", String(i === active));
      item.textContent = choice;
      this.list.append(item);
    });
    this.list.hidden = choices.length === 0;
    this.input.setAttribute("aria-expanded", String(choices.length > 0));
    if (active >= 0) this.input.setAttribute("aria-activedescendant", `cmd-choice-${active}`);
    else this.input.removeAttribute("aria-activedescendant");
  }

  showHint() {
    const spec = specOf(tokenize(this.input.value)[0]?.text);
    this.hint.textContent = spec
      ? `${spec.usage} — ${spec.help}`
      : "Tab completes · ↑↓ history · help lists the commands";
  }

  say(text, kind) {
    this.message.textContent = text;
    this.message.dataset.kind = kind;
  }

  async submit() {
    const text = this.input.value;
    if (!text.trim()) return;
    let parsed;
    try {
      parsed = parse(text, this.context());
    } catch (failure) {
      this.fail(failure.message, failure.token);
      return;
    }
    this.closePlaces();
    this.showChoices([]);
    this.cycle = null;
    const place = this.placeOf(parsed);
    this.say(`${parsed.do || parsed.local}…`, "busy");
    try {
      const done = await this.run(parsed, this);
      this.history.push(text);
      this.back = 0;
      this.input.value = "";
      this.chosen.clear();
      this.showHint();
      // how the place was found: an exact point, or a guess to check with the caller
      this.say(`✓ ${done || "done"}${place ? ` · ${place.label}: ${matchText(place)}` : ""}`, "ok");
    } catch (failure) {
      if (failure instanceof Cancelled) {
        // Nothing was sent; the line stays as typed, to change a word and try again.
        this.say(sentence(failure.message), "info");
        this.input.focus();
        return;
      }
      const problems = failure.problems || [];
      const token = problems.length ? tokenForField(parsed, problems[0].field) : null;
      this.fail(refusal(failure, token), token);
    }
  }

  fail(text, token) {
    this.say(`✗ ${sentence(text)}`, "error");
    this.input.setAttribute("aria-invalid", "true");
    this.input.focus();
    if (token && token.end > token.start) this.input.setSelectionRange(token.start, token.end);
    const clear = () => {
      this.input.removeAttribute("aria-invalid");
      this.input.removeEventListener("input", clear);
    };
    this.input.addEventListener("input", clear);
  }
}
