// The analyst's reports page: interval times from GET /api/reports/intervals, with
// filters (window, grouping). The figures and their definitions are the server's
// (tenfour.reports.intervals); this page only lays them out as tables.

import { api, ApiError, clearProblems, showProblems } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { startSession } from "./session.js";

const METRICS = [
  ["call_processing_s", "Call processing"],
  ["turnout_s", "Turnout (first unit)"],
  ["travel_s", "Travel (first unit)"],
  ["response_s", "Total response"],
];
const GROUP_LABELS = {
  agency: "Agency", kind: "Unit kind", unit: "Unit", type: "Incident type",
  priority: "Priority", hour: "Hour (UTC)", day: "Day (UTC)", district: "District",
};

const form = document.getElementById("filters");
const status = document.getElementById("report-status");
const button = document.getElementById("report-run");

function seconds(value) {
  if (value === null || value === undefined) return "–";
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => `${Math.round(v)} s`).join(" / ");
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function share(value) {
  return value === null || value === undefined ? "–" : `${(100 * value).toFixed(1)} %`;
}

function statCells(stats) {
  return METRICS.flatMap(([metric]) => {
    const s = stats[metric];
    const verdict = s.meets_target === null ? "" : s.meets_target ? "meet" : "miss";
    return [
      h("td", { class: "num" }, String(s.n)),
      h("td", { class: "num" }, seconds(s.p90_s)),
      h("td", { class: "num" }, seconds(s.target_s)),
      h("td", { class: `num ${verdict}` }, share(s.share_within_target),
        verdict ? h("span", { class: "visually-hidden" }, verdict === "meet" ? " (meets target)" : " (misses target)") : null),
    ];
  });
}

function statTable(caption, firstColumns, rows) {
  const head1 = h("tr", {},
    firstColumns.map((name) => h("th", { scope: "col", rowspan: "2" }, name)),
    METRICS.map(([, label]) => h("th", { scope: "colgroup", colspan: "4" }, label)));
  const head2 = h("tr", {}, METRICS.flatMap(() => [
    h("th", { scope: "col" }, "n"), h("th", { scope: "col" }, "90th pct"),
    h("th", { scope: "col" }, "target"), h("th", { scope: "col" }, "within"),
  ]));
  return h("table", { class: "admin-table report-table" },
    h("caption", {}, caption), h("thead", {}, head1, head2), h("tbody", {}, rows));
}

function render(report) {
  const counts = report.incidents;
  document.getElementById("overall-count").textContent =
    `${plural(counts.count, "incident")}, ${counts.complete} complete`;
  replaceChildren(document.getElementById("overall"), statTable(
    "90th percentiles and the share of incidents within target",
    ["Incidents"], [h("tr", {}, h("td", { class: "num" }, String(counts.count)), statCells(report.overall))]));

  const groupsSection = document.getElementById("groups-section");
  groupsSection.hidden = report.by.length === 0;
  if (report.by.length) {
    document.getElementById("groups-title").textContent =
      `By ${report.by.map((name) => GROUP_LABELS[name].toLowerCase()).join(", ")}`;
    const rows = report.groups.map((group) => h("tr", {},
      report.by.map((name) => h("th", { scope: "row" }, group.key[name] || "(none)")),
      h("td", { class: "num" }, String(group.incidents)),
      statCells(group)));
    replaceChildren(document.getElementById("groups"), statTable(
      "One row per group", [...report.by.map((name) => GROUP_LABELS[name]), "Incidents"], rows));
  }

  const kinds = Object.entries(report.units.by_kind).map(([kind, k]) => h("tr", {},
    h("th", { scope: "row" }, kind || "(unknown)"),
    h("td", { class: "num" }, String(k.responses)),
    h("td", { class: "num" }, seconds(k.turnout_p90_s)),
    h("td", { class: "num" }, seconds(k.travel_p90_s))));
  replaceChildren(document.getElementById("kinds"), h("table", { class: "admin-table report-table" },
    h("thead", {}, h("tr", {}, ["Unit kind", "Responses", "Turnout 90th pct", "Travel 90th pct"]
      .map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, kinds)));

  const problems = report.problems;
  document.getElementById("problems-count").textContent = String(problems.incidents.length);
  replaceChildren(document.getElementById("problem-reasons"),
    Object.entries(problems.by_reason).map(([why, n]) => h("li", {}, `${why}: ${n}`)));
  replaceChildren(document.getElementById("problems"), problems.incidents.length
    ? h("table", { class: "admin-table report-table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Incident"), h("th", { scope: "col" }, "What is wrong"))),
      h("tbody", {}, problems.incidents.map((p) => h("tr", {},
        h("th", { scope: "row" }, p.incident), h("td", {}, p.reasons.join("; "))))))
    : h("p", { class: "muted" }, "None: every incident in the window has complete, consistent times."));
}

function query() {
  const params = new URLSearchParams();
  if (form.from.value) params.set("from", form.from.value);
  if (form.to.value) params.set("to", form.to.value);
  const by = [...form.querySelectorAll("input[name=by]:checked")].map((box) => box.value);
  if (by.length) params.set("by", by.join(","));
  return params.toString();
}

/** The one rule the server cannot say (a backward window is simply empty there). */
function windowProblem() {
  if (form.from.value && form.to.value && form.to.value <= form.from.value) {
    return new ApiError(422, {
      error: { message: "invalid", problems: [{ field: "query.to", reason: "must be after From" }] },
    });
  }
  return null;
}

async function load() {
  clearProblems(form);
  const problem = windowProblem();
  if (problem) {
    showProblems(form, problem).focus();
    return;
  }
  button.disabled = true;
  status.hidden = false;
  status.textContent = "Computing…";
  try {
    const report = await api(`/api/reports/intervals?${query()}`);
    render(report);
    status.textContent =
      `${plural(report.incidents.count, "incident")} from ${report.journal.events} journal events.`;
  } catch (error) {
    status.hidden = true;
    showProblems(form, error).focus();
  } finally {
    button.disabled = false;
  }
}

/** A "district" box beside the other groupings, if the server has districts to group
 * by (tenfour serve --districts): never offered where it would be refused. */
async function offerDistricts() {
  const { districts } = await api("/api/reports/districts");
  if (!districts.length) return;
  const box = h("input", { type: "checkbox", name: "by", value: "district" });
  const label = h("label", { title: districts.join(", ") }, box, " district");
  form.querySelector("fieldset.report-by").append(label);
}

async function main() {
  const session = await startSession();
  document.getElementById("logout").addEventListener("click", () => session.logout());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  // Beside the first report, not before it. Without the list (a failed read) the page
  // works on, without that one grouping.
  await Promise.all([offerDistricts().catch(() => {}), load()]);
}

main();
