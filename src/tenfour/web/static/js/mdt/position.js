// Sharing the phone's position: member.locate for the officer, and unit.locate for his
// unit unless he has left it (an officer on foot or in a foot pursuit does not move
// the car). Fixes are thinned out: one when he has moved 15 m, at most one every 2 s, and
// one at least every 30 s while he stands still.

import { command, sentence } from "../api.js";
import { clock } from "../format.js";

const MIN_GAP_MS = 2000;
const QUIET_GAP_MS = 30000;
const MIN_MOVE_M = 15;
/** His own statuses apart from the unit (DOMAIN.md, "Member statuses"). */
const APART = new Set(["away", "pursuit", "onscene"]);

export function metres(a, b) {
  const rad = Math.PI / 180;
  const x = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  const y = (b.lat - a.lat) * rad;
  return Math.hypot(x, y) * 6_371_000;
}

export class PositionSharing {
  /**
   * @param {object} o
   * @param {() => {member: object|null, unit: object|null}} o.mine
   * @param {HTMLInputElement} o.box the "share my position" switch
   * @param {HTMLElement} o.status where the last send is reported
   */
  constructor({ mine, box, status }) {
    Object.assign(this, { mine, box, status });
    this.lastFix = null;
    this.lastSent = null;
    this.watch = null;
    this.timer = null;
    box.checked = localStorage.getItem("tenfour.share") !== "off";
    box.addEventListener("change", () => {
      localStorage.setItem("tenfour.share", box.checked ? "on" : "off");
      if (box.checked) this.start();
      else this.stop();
    });
  }

  /** Begin as the switch says (once the state is known: fixes need the member). */
  begin() {
    if (this.box.checked) this.start();
    else this.stop();
  }

  start() {
    if (!navigator.geolocation) {
      this.status.textContent = "This device cannot tell its position.";
      this.box.checked = false;
      return;
    }
    this.status.textContent = "Finding position…";
    this.watch = navigator.geolocation.watchPosition((p) => this.onFix(p), (problem) => {
      this.status.textContent = problem.code === 1
        ? "Position blocked: allow location for this site to share it."
        : "No position yet (no GPS fix).";
    }, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
  }

  stop() {
    if (this.watch !== null) navigator.geolocation.clearWatch(this.watch);
    this.watch = null;
    this.lastFix = null;
    clearTimeout(this.timer);
    this.status.textContent = "Not sharing: dispatch sees your last sent position.";
  }

  onFix(position) {
    const c = position.coords;
    this.lastFix = {
      lat: c.latitude, lon: c.longitude, accuracy: c.accuracy, speed: c.speed, heading: c.heading,
      at: new Date(position.timestamp || Date.now()).toISOString(),
    };
    this.maybeSend();
  }

  maybeSend() {
    const fix = this.lastFix;
    if (!fix) return;
    const now = Date.now();
    if (this.lastSent) {
      const moved = metres(this.lastSent.fix, fix);
      const gap = now - this.lastSent.time;
      if (moved < MIN_MOVE_M && gap < QUIET_GAP_MS) return;
      if (gap < MIN_GAP_MS) {
        // too soon: send the latest fix when the gap is over
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.maybeSend(), MIN_GAP_MS - gap);
        return;
      }
    }
    this.send(fix);
  }

  /**
   * Make sure the server has the newest fix (before "officer down at my location",
   * whose place is the declarer's last position on the server). Never throws.
   */
  async flush() {
    if (this.lastFix && (!this.lastSent || this.lastSent.fix !== this.lastFix)) {
      clearTimeout(this.timer);
      await this.send(this.lastFix);
    }
  }

  async send(fix) {
    const { member, unit } = this.mine();
    if (!member) return;
    this.lastSent = { fix, time: Date.now() };
    const fields = { lat: fix.lat, lon: fix.lon, at: fix.at };
    if (Number.isFinite(fix.accuracy) && fix.accuracy <= 100000) fields.accuracy = fix.accuracy;
    if (Number.isFinite(fix.speed) && fix.speed >= 0 && fix.speed <= 150) fields.speed = fix.speed;
    if (Number.isFinite(fix.heading) && fix.heading >= 0 && fix.heading < 360) fields.heading = fix.heading;
    try {
      await command("member.locate", { member: member.id, ...fields });
      // The unit moves with its officer, not with one who left it (on foot, in a foot
      // pursuit, on scene apart from it).
      if (unit && !APART.has(member.status)) await command("unit.locate", { unit: unit.id, ...fields });
      this.status.textContent = `Sharing · sent ${clock(new Date().toISOString())}${Number.isFinite(fix.accuracy) ? ` (±${Math.round(fix.accuracy)} m)` : ""}`;
    } catch (failure) {
      this.status.textContent = `Position not sent: ${sentence(failure.describe ? failure.describe() : String(failure))}`;
    }
  }

  /**
   * Where "my position" is: the phone's fix, else the last one the server has of the
   * officer, else of his unit. With what it is, for the officer to read.
   */
  where() {
    const { member, unit } = this.mine();
    if (this.lastFix) return { point: { lat: this.lastFix.lat, lon: this.lastFix.lon }, from: "this phone's GPS" };
    if (member && member.location) return { point: { lat: member.location.lat, lon: member.location.lon }, from: `your last position (${clock(member.located_at)})` };
    if (unit && unit.location) return { point: { lat: unit.location.lat, lon: unit.location.lon }, from: `${unit.id}'s last position (${clock(unit.located_at)})` };
    return null;
  }
}
