// The dispatcher console's entry point: the top bar and the connection status, then
// each panel from its own module under console/ (alerts, incidents, tips, units, the
// map, the incident panel, the command line), all following one live feed.
//
// Shared pieces (the session, the feed, render scheduling, selection) are in
// console/store.js; a panel registers what it draws there and reads the state it is
// given. Importing a panel's module is what puts it on the page.

import { api, sentence } from "./api.js";
import { $ } from "./dom.js";
import { tones } from "./console/alerts.js";
import "./console/incidents.js";
import { line } from "./console/line.js";
import { map } from "./console/mapview.js";
import "./console/panel.js";
import { alarm, feed, me, onRender, render, session, ui } from "./console/store.js";
import "./console/tips.js";
import "./console/units.js";
import "./console-messages.js";

window.tenfour = {
  feed, map, alarm, ui, tones, commandLine: line,
  get state() { return feed.state; },
};

// --- top bar ------------------------------------------------------------------------
$("#who").textContent = `${me.username} · ${me.role}`;
// The admin page is for admins only (the server refuses anyone else with a 403 page).
$("#admin-link").hidden = me.role !== "admin";
$("#logout").addEventListener("click", () => session.logout());
alarm.showWhileOff($("#sound"));

const conn = $("#conn");
function updateConn() {
  const texts = {
    live: `Live · #${feed.state ? feed.state.seq : 0}`,
    loading: "Loading…",
    connecting: "Connecting…",
    reconnecting: "Connection lost · reconnecting…",
    "logged-out": "Logged out",
  };
  conn.textContent = texts[feed.status] || feed.status;
}
onRender(updateConn);

feed.on((kind, detail) => {
  if (kind === "status") {
    conn.dataset.status = detail.status;
    if (detail.status === "logged-out") session.leave("expired");
    updateConn();
  } else if (kind === "snapshot") {
    render();
  } else if (kind === "event") {
    // positions stream in: drawn calmly; anything else on the next frame
    render(!["unit.located", "member.located"].includes(detail.type));
  }
});

// --- start ----------------------------------------------------------------------------
map.load(api).then(() => render()).catch((failure) => {
  $("#map").setAttribute("aria-label", `The map could not be loaded: ${sentence(failure.message)}`);
});
feed.start();
$("#command").focus();
