// The live feed (WS /api/live): a snapshot, then every event as it commits.
//
// The feed keeps the state and folds each event into it with `evolve`. When the
// connection drops it reconnects with ?after=<last position> so nothing is missed and
// nothing is applied twice; a `resync` from the server means the position is too old
// and a fresh snapshot follows. A `position` moves the position past events this
// role may not read (the server leaves them out). A connection silent for three
// heartbeats is presumed dead (a proxy or a sleeping laptop may not close it) and
// opened again. Close codes: 4401 the session ended (the page goes to the login),
// 4403 this page's origin is refused (no retry), 4429 too many feeds (retried later).

import { evolve } from "./evolve.js";

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];

export class LiveFeed {
  constructor({ heartbeatS = 15 } = {}) {
    this.state = null;
    this.status = "connecting";
    this.listeners = new Set();
    this.heartbeatMs = heartbeatS * 1000;
    this.offsetMs = 0; // server clock minus this browser's clock
    this.failures = 0;
    this.socket = null;
    this.stopped = false;
    this.lastMessageAt = Date.now();
    this.watchdog = null;
  }

  /** Listen: fn(kind, detail) with kind "snapshot", "event" or "status". */
  on(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(kind, detail) {
    for (const listener of [...this.listeners]) {
      try {
        listener(kind, detail);
      } catch (failure) {
        console.error("live feed listener failed", failure);
      }
    }
  }

  setStatus(status, detail) {
    this.status = status;
    this.emit("status", { status, detail });
  }

  /** The server's time now, as milliseconds since the epoch. */
  now() {
    return Date.now() + this.offsetMs;
  }

  start() {
    this.stopped = false;
    this.open();
    this.watchdog = setInterval(() => this.checkAlive(), 1000);
    return this;
  }

  stop() {
    this.stopped = true;
    clearInterval(this.watchdog);
    if (this.socket) this.socket.close(1000, "page closed");
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const after = this.state ? `?after=${this.state.seq}` : "";
    return `${scheme}://${location.host}/api/live${after}`;
  }

  open() {
    const socket = new WebSocket(this.url());
    this.socket = socket;
    this.lastMessageAt = Date.now();
    socket.addEventListener("open", () => {
      this.failures = 0;
      this.setStatus(this.state ? "live" : "loading");
    });
    socket.addEventListener("message", (message) => {
      if (socket !== this.socket) return;
      this.lastMessageAt = Date.now();
      let body;
      try {
        body = JSON.parse(message.data);
      } catch {
        return;
      }
      this.receive(body);
    });
    socket.addEventListener("close", (closed) => {
      if (socket !== this.socket) return;
      this.socket = null;
      if (this.stopped) return;
      if (closed.code === 4401) {
        this.setStatus("logged-out", closed.reason);
        return;
      }
      if (closed.code === 4403) {
        this.setStatus("refused", closed.reason);
        return;
      }
      const wait = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)];
      this.failures += 1;
      const why = closed.code === 4429 ? closed.reason : "connection lost";
      this.setStatus("reconnecting", `${why}; trying again in ${wait / 1000} s`);
      setTimeout(() => {
        if (!this.stopped) this.open();
      }, wait);
    });
  }

  checkAlive() {
    const silent = Date.now() - this.lastMessageAt;
    if (this.socket && this.socket.readyState === WebSocket.OPEN
        && silent > 3 * this.heartbeatMs + 2000) {
      this.socket.close(4000, "no heartbeat");
    }
  }

  receive(body) {
    switch (body.type) {
      case "snapshot":
        if (body.at) this.offsetMs = Date.parse(body.at) - Date.now();
        this.state = body.state;
        this.state.seq = body.position;
        this.setStatus("live");
        this.emit("snapshot", this.state);
        break;
      case "event": {
        const event = body.event;
        if (!this.state || event.seq <= this.state.seq) return; // already folded in
        evolve(this.state, event);
        this.emit("event", event);
        break;
      }
      case "position":
        if (this.state && body.position > this.state.seq) this.state.seq = body.position;
        break;
      case "heartbeat":
        if (body.at) this.offsetMs = Date.parse(body.at) - Date.now();
        break;
      case "resync":
        // The snapshot that follows replaces everything; until then, hold on.
        this.state = null;
        this.setStatus("loading", body.reason);
        break;
      default:
        break;
    }
  }
}
