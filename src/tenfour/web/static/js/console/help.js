// Help over the console, not instead of it: the commands and the keys in a dialog
// that Esc closes, leaving the selected incident and the panel as they were.

import { SPECS, specOf } from "../commandline.js";
import { h } from "../dom.js";
import { EMERGENCY_KEY } from "./alerts.js";

const KEYS = [
  ["/ or F2", "jump to the command line"],
  [EMERGENCY_KEY, "show the newest open emergency: its incident in the panel, the map on it"],
  ["Tab", "complete a command word, id, status or type; Tab again cycles"],
  ["↑ ↓", "earlier commands"],
  ["Enter", "run the line"],
  ["Esc", "clear the line; close this help; answer no to a question"],
  ["y / n", "answer a question the line asks before a surprise (y or Enter: go ahead)"],
];

let dialog = null;

function build() {
  const close = h("button", { type: "button", class: "small", dataset: { action: "close" } }, "Close (Esc)");
  dialog = h("dialog", { id: "help", class: "help-dialog", "aria-labelledby": "help-title" },
    h("header", {},
      h("h2", { id: "help-title" }, "Commands and keys"),
      close),
    h("table", { class: "board help-commands" },
      h("caption", { class: "visually-hidden" }, "Commands of the command line"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Command"), h("th", { scope: "col" }, "Does"))),
      h("tbody", {}, SPECS.map((s) => h("tr", { dataset: { word: s.word } },
        h("td", { class: "id" }, s.usage, s.aliases ? h("div", { class: "muted" }, `also: ${s.aliases.join(", ")}`) : null),
        h("td", {}, s.help))))),
    h("p", { class: "hint" }, "An incident may be given as its full id, its number (\"12\"), or \".\" for the one shown. Text after \" -- \" is the call's words, the subject's description or the closure's reason; close with a street (not an incident) closes the road."),
    h("h3", {}, "Keys"),
    h("table", { class: "board help-keys" },
      h("caption", { class: "visually-hidden" }, "Keyboard shortcuts"),
      h("tbody", {}, KEYS.map(([key, does]) => h("tr", {},
        h("td", { class: "id" }, h("kbd", {}, key)), h("td", {}, does))))));
  close.addEventListener("click", () => dialog.close());
  // Back to typing where the dispatcher was.
  dialog.addEventListener("close", () => document.getElementById("command").focus());
  document.body.append(dialog);
}

/** Open the help (on `topic`'s row, if given). */
export function showHelp(topic) {
  if (!dialog) build();
  const spec = topic ? specOf(topic) : null;
  for (const row of dialog.querySelectorAll("tr[data-word]")) {
    row.toggleAttribute("aria-current", Boolean(spec && row.dataset.word === spec.word));
  }
  if (!dialog.open) dialog.showModal();
  const current = dialog.querySelector("tr[aria-current]");
  if (current) current.scrollIntoView({ block: "nearest" });
  else dialog.querySelector("[data-action=close]").focus();
}
