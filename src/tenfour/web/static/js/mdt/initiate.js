// An incident the officer opens himself (incident.initiate): a pursuit, a traffic stop,
// anything seen on view. Placed at his position; his unit is put on it by the server.

import { $ } from "../dom.js";
import { place } from "../format.js";
import { fillSelect, refusal, refuse, submit, typed } from "./forms.js";

/** What officers start most, first in the list. */
const FIRST = ["PURSUIT", "TRAFFIC_STOP", "SUSPICIOUS", "TRAFFIC", "DISTURBANCE"];

export function setupInitiate(ctx) {
  const form = $("#start-form");
  const types = [...new Set([...FIRST.filter((t) => ctx.vocabulary.incident_types.includes(t)),
    ...ctx.vocabulary.incident_types])];
  fillSelect($("#start-type"), types.map((t) => ({ value: t, label: t.replaceAll("_", " ") })));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const { member, unit } = ctx.mine();
    if (!member) return;
    if (!unit) {
      refuse(form, refusal("unit", "You are on no unit: start your shift with dispatch first."));
      return;
    }
    const here = ctx.position.where();
    if (!here) {
      refuse(form, refusal("location", "Your position is not known: turn on \"Share my position\" (Location, below)."));
      return;
    }
    const fields = {
      member: member.id,
      unit: unit.id,
      type: $("#start-type").value,
      priority: Number($("#start-priority").value),
      location: here.point,
    };
    const text = typed($("#start-text"));
    if (text) fields.text = text;
    const events = await submit(form, "incident.initiate", fields,
      (ev) => `incident ${ev[0].incident} started; ${unit.id} is on it`);
    if (events) $("#start-text").value = "";
  });
}

export function renderInitiate(ctx) {
  const { member } = ctx.mine();
  const form = $("#start-form");
  form.closest("section").hidden = !member || !ctx.vocabulary.commands.includes("incident.initiate");
  const here = ctx.position.where();
  $("#start-where").textContent = here
    ? `At ${place(here.point)}, from ${here.from}.`
    : "Position unknown: turn on \"Share my position\" below.";
}
