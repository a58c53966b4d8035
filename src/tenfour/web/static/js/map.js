// The city map on a <canvas>, drawn from the server's own road data (GET /api/map):
// no tiles, no outside connection. Units, incidents, facilities and the route and ETA
// of every responding unit are drawn over the roads and follow the live feed, and so
// are road closures: closed roads in red dashes, slowed ones in amber.
//
// Labels never collide: every frame places them greedily, most important first (units
// in distress, incidents by priority, units, closures, facilities, then street names
// along their roads, major roads first), each at the first of a few spots where its
// box overlaps no other label, no marker, none of the controls drawn over the map and
// nothing outside the canvas; a label with no such spot is shortened or left out.
// A unit whose last position report is older than STALE_AFTER_MS is drawn hollow and
// grey, with the age of its position, not as if it were there.
//
// Keyboard (when the map has focus): arrows pan (Shift: further), + and - zoom,
// 0 fits the whole city. Mouse: drag to pan, wheel to zoom, click a marker to select;
// hovering a marker names it (with a unit's status and the age of its position).

import { statusLabel } from "./format.js";

export const STATUS_COLOURS = {
  available: "#3ddc84",
  dispatched: "#ffb020",
  enroute: "#ffd84d",
  onscene: "#4aa8ff",
  pursuit: "#ff4d6d",
  transporting: "#c08bff",
  athospital: "#5fd3c6",
  busy: "#9aa7b4",
  outofservice: "#66707a",
  offduty: "#4a525a",
};

/** A hospital's marker and label by its reported status (facility.status). */
export const FACILITY_COLOURS = { open: "#9fb1c3", diversion: "#ffb020", closed: "#ff3b3b" };

export const PRIORITY_COLOURS = { 1: "#ff3b3b", 2: "#ff8c1a", 3: "#ffd21f", 4: "#6cb6ff", 5: "#93a4b5" };

/** A unit's position older than this (ms) is not fresh: the unit is drawn stale. */
export const STALE_AFTER_MS = 2 * 60 * 1000;

const ROAD_STYLE = {
  motorway: ["#8fa3bb", 3.2],
  trunk: ["#8398b0", 3],
  primary: ["#6f849c", 2.6],
  secondary: ["#5a6d83", 2.1],
  tertiary: ["#4a5b6e", 1.7],
  motorway_link: ["#6f849c", 1.6],
  trunk_link: ["#6f849c", 1.6],
  primary_link: ["#5a6d83", 1.4],
  secondary_link: ["#4a5b6e", 1.3],
  tertiary_link: ["#3f4e60", 1.2],
};
const MINOR_ROAD = ["#334253", 1.1];
/** Which streets are named first when there is not room for all (higher first). */
const ROAD_RANK = {
  motorway: 7, trunk: 6, primary: 5, secondary: 4, tertiary: 3,
  motorway_link: 2, trunk_link: 2, primary_link: 1, secondary_link: 1, tertiary_link: 1,
};

const STREET_FONT = "11px system-ui, sans-serif";
const MAJOR_STREET_FONT = "600 11px system-ui, sans-serif";
const MARKER_FONT = "600 12px system-ui, sans-serif";
/** Text box heights (px) of the two label sizes, and the air kept around each box. */
const STREET_HEIGHT = 13;
const MARKER_HEIGHT = 15;
const PAD = 2;
/** Two labels of the same street are at least this far apart (px). */
const STREET_REPEAT = 240;
/** How far (px) a street may bend under its label and still carry it straight. */
const BEND = 2.5;
const BG = "#0a0f15";

// --- geometry of label boxes -----------------------------------------------------------
/** A box of width w and height h centred on (x, y), turned by angle (radians). */
function box(x, y, w, h, angle = 0) {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const dx = w / 2;
  const dy = h / 2;
  const corners = [[-dx, -dy], [dx, -dy], [dx, dy], [-dx, dy]]
    .map(([u, v]) => [x + u * c - v * s, y + u * s + v * c]);
  const xs = corners.map((p) => p[0]);
  const ys = corners.map((p) => p[1]);
  return {
    x, y, w, h, angle, corners,
    aabb: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
  };
}

function project1(corners, ax, ay) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const [x, y] of corners) {
    const d = x * ax + y * ay;
    if (d < lo) lo = d;
    if (d > hi) hi = d;
  }
  return [lo, hi];
}

/** Whether two boxes overlap (separating axis test on the edges of both). */
export function overlaps(a, b) {
  if (a.aabb[0] >= b.aabb[2] || b.aabb[0] >= a.aabb[2] || a.aabb[1] >= b.aabb[3] || b.aabb[1] >= a.aabb[3]) {
    return false;
  }
  for (const r of [a, b]) {
    for (let i = 0; i < 2; i += 1) {
      const [x1, y1] = r.corners[i];
      const [x2, y2] = r.corners[i + 1];
      const ax = y1 - y2;
      const ay = x2 - x1;
      const [alo, ahi] = project1(a.corners, ax, ay);
      const [blo, bhi] = project1(b.corners, ax, ay);
      if (ahi <= blo || bhi <= alo) return false;
    }
  }
  return true;
}

/** Greedy placement: a box is taken only if it is inside the area and hits none taken. */
class Placer {
  constructor(width, height) {
    this.width = width;
    this.height = height;
    this.taken = [];
  }

  inside(b) {
    const [x1, y1, x2, y2] = b.aabb;
    return x1 >= 1 && y1 >= 1 && x2 <= this.width - 1 && y2 <= this.height - 1;
  }

  fits(b) {
    return this.inside(b) && !this.taken.some((t) => overlaps(b, t));
  }

  take(b) {
    this.taken.push(b);
    return b;
  }
}

/** Where a marker's label may go, nearest first: beside, above, below, then further. */
function spotsAround(x, y, r, w, h) {
  const spots = [];
  for (const gap of [4, 16]) {
    const d = r + gap;
    spots.push(
      [x + d + w / 2, y], [x - d - w / 2, y],
      [x + d * 0.7 + w / 2, y - d * 0.7 - h / 2], [x + d * 0.7 + w / 2, y + d * 0.7 + h / 2],
      [x - d * 0.7 - w / 2, y - d * 0.7 - h / 2], [x - d * 0.7 - w / 2, y + d * 0.7 + h / 2],
      [x, y - d - h / 2], [x, y + d + h / 2],
    );
  }
  return spots;
}

/** "45 s", "7 min", "2 h 05 min": how old a position is. */
export function positionAge(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

export class CityMap {
  /**
   * @param canvas the <canvas> to draw on (its parent sets the size)
   * @param onSelect called with {id, kind} when a marker is clicked
   * @param now the time now in ms (the console passes the server's clock)
   * @param staleAfterMs a position older than this draws the unit stale
   */
  constructor(canvas, { onSelect = () => {}, now = () => Date.now(), staleAfterMs = STALE_AFTER_MS } = {}) {
    this.canvas = canvas;
    this.onSelect = onSelect;
    this.now = now;
    this.staleAfterMs = staleAfterMs;
    this.lines = [];
    this.streets = [];
    this.bounds = null;
    this.view = null; // {lat, lon, k}: centre and pixels per degree of latitude
    this.data = { units: [], incidents: [], facilities: [], routes: [], closures: [], selected: null };
    /** What the last frame drew of each closure: [{id, kind, segments}] (for tests too). */
    this.drawnClosures = [];
    /** Every label the last frame drew: [{kind, id, text, x, y, w, h, angle, corners}]. */
    this.labels = [];
    /** Labels the last frame had no room for: [{kind, id, text}]. */
    this.dropped = [];
    this.markers = new Map();
    this.pending = false;
    this.width = 0;
    this.height = 0;
    this.ready = false;
    this.listen();
    new ResizeObserver(() => this.resize()).observe(canvas.parentElement);
    this.resize();
    // Positions age while nothing happens: redraw now and then so a unit that stops
    // reporting turns stale on the map.
    this.ticker = setInterval(() => {
      if (this.data.units.length) this.request();
    }, 10_000);
  }

  async load(fetchJson) {
    const drawing = await fetchJson("/api/map");
    const [lat0, lon0] = drawing.origin;
    const step = drawing.resolution;
    this.lines = drawing.lines.map((row) => {
      const klass = drawing.classes[row[0]];
      const points = new Float64Array(row.length - 2);
      let lat = row[2];
      let lon = row[3];
      points[0] = lat0 + lat * step;
      points[1] = lon0 + lon * step;
      for (let i = 4; i < row.length; i += 2) {
        lat += row[i];
        lon += row[i + 1];
        points[i - 2] = lat0 + lat * step;
        points[i - 1] = lon0 + lon * step;
      }
      return { klass, name: drawing.names[row[1]], points, style: ROAD_STYLE[klass] || MINOR_ROAD };
    });
    this.streets = streetsOf(this.lines);
    this.bounds = drawing.bounds;
    this.cos = Math.cos(((drawing.bounds.south + drawing.bounds.north) / 2) * (Math.PI / 180));
    this.fit();
    this.ready = true;
    this.canvas.dataset.ready = "true";
    this.request();
  }

  // --- view -------------------------------------------------------------------------
  fit(bounds = this.bounds) {
    if (!bounds || !this.width) return;
    const spanLat = Math.max(bounds.north - bounds.south, 1e-4);
    const spanLon = Math.max((bounds.east - bounds.west) * this.cos, 1e-4);
    this.view = {
      lat: (bounds.north + bounds.south) / 2,
      lon: (bounds.east + bounds.west) / 2,
      k: 0.94 * Math.min(this.height / spanLat, this.width / spanLon),
    };
    this.request();
  }

  /** Fit the points of interest (units and open incidents), for a busy city centre. */
  fitActivity() {
    const points = [
      ...this.data.units.filter((u) => u.location).map((u) => u.location),
      ...this.data.incidents.map((i) => i.location).filter((l) => l && l.lat !== null),
    ];
    if (points.length < 2) return this.fit();
    const lats = points.map((p) => p.lat);
    const lons = points.map((p) => p.lon);
    const pad = 0.004;
    this.fit({
      south: Math.min(...lats) - pad,
      north: Math.max(...lats) + pad,
      west: Math.min(...lons) - pad,
      east: Math.max(...lons) + pad,
    });
  }

  centerOn(lat, lon) {
    if (!this.view) return;
    this.view.lat = lat;
    this.view.lon = lon;
    this.request();
  }

  zoom(factor, x = this.width / 2, y = this.height / 2) {
    if (!this.view) return;
    const [lat, lon] = this.unproject(x, y);
    const k = Math.min(Math.max(this.view.k * factor, 2000), 2_000_000);
    this.view.k = k;
    // keep the point under the cursor where it was
    this.view.lat = lat + (y - this.height / 2) / k;
    this.view.lon = lon - (x - this.width / 2) / (k * this.cos);
    this.request();
  }

  pan(dx, dy) {
    if (!this.view) return;
    this.view.lat += dy / this.view.k;
    this.view.lon -= dx / (this.view.k * this.cos);
    this.request();
  }

  project(lat, lon) {
    const v = this.view;
    return [
      this.width / 2 + (lon - v.lon) * v.k * this.cos,
      this.height / 2 - (lat - v.lat) * v.k,
    ];
  }

  unproject(x, y) {
    const v = this.view;
    return [v.lat - (y - this.height / 2) / v.k, v.lon + (x - this.width / 2) / (v.k * this.cos)];
  }

  /** Metres per pixel at the current zoom. */
  metresPerPixel() {
    return 111_320 / this.view.k;
  }

  // --- data -------------------------------------------------------------------------
  /**
   * The things to draw; each key is optional and replaces what was there. A unit is
   * {id, status, kind, location: {lat, lon}, located_at (ISO time of that position:
   * older than staleAfterMs draws it stale; absent: not judged), eta, emergency}.
   */
  set(data) {
    Object.assign(this.data, data);
    this.request();
  }

  /** Where a unit or incident marker is drawn: {x, y, lat, lon, stale, ageMs} in canvas pixels. */
  markerPosition(id) {
    const marker = this.markers.get(id);
    return marker
      ? { x: marker.x, y: marker.y, lat: marker.lat, lon: marker.lon, stale: Boolean(marker.stale), ageMs: marker.ageMs ?? null }
      : null;
  }

  // --- input ------------------------------------------------------------------------
  listen() {
    const canvas = this.canvas;
    let drag = null;
    canvas.addEventListener("pointerdown", (e) => {
      canvas.focus({ preventScroll: true });
      drag = { x: e.offsetX, y: e.offsetY, moved: 0 };
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drag) {
        this.hover(e.offsetX, e.offsetY);
        return;
      }
      const dx = e.offsetX - drag.x;
      const dy = e.offsetY - drag.y;
      drag.moved += Math.abs(dx) + Math.abs(dy);
      drag.x = e.offsetX;
      drag.y = e.offsetY;
      this.pan(dx, dy);
    });
    canvas.addEventListener("pointerup", (e) => {
      if (drag && drag.moved < 4) this.click(e.offsetX, e.offsetY);
      drag = null;
    });
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      this.zoom(e.deltaY < 0 ? 1.25 : 0.8, e.offsetX, e.offsetY);
    }, { passive: false });
    canvas.addEventListener("keydown", (e) => {
      const step = e.shiftKey ? 0.4 : 0.12;
      const moves = {
        ArrowLeft: [this.width * step, 0],
        ArrowRight: [-this.width * step, 0],
        ArrowUp: [0, this.height * step],
        ArrowDown: [0, -this.height * step],
      };
      if (moves[e.key]) this.pan(...moves[e.key]);
      else if (e.key === "+" || e.key === "=") this.zoom(1.4);
      else if (e.key === "-" || e.key === "_") this.zoom(1 / 1.4);
      else if (e.key === "0") this.fit();
      else return;
      e.preventDefault();
    });
  }

  nearest(x, y) {
    let best = null;
    for (const [id, marker] of this.markers) {
      const d = Math.hypot(marker.x - x, marker.y - y);
      if (d <= 14 && (!best || d < best.d)) best = { id, kind: marker.kind, d, marker };
    }
    return best;
  }

  click(x, y) {
    const best = this.nearest(x, y);
    if (best) this.onSelect({ id: best.id, kind: best.kind, d: best.d });
  }

  /** The canvas's tooltip names the marker under the pointer (a stale unit's age too). */
  hover(x, y) {
    const best = this.nearest(x, y);
    const tip = best ? best.marker.tip : "";
    if (this.canvas.title !== tip) this.canvas.title = tip;
  }

  // --- drawing ----------------------------------------------------------------------
  resize() {
    const box = this.canvas.parentElement.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(Math.floor(box.width), 50);
    const height = Math.max(Math.floor(box.height), 50);
    if (width === this.width && height === this.height) return;
    const first = !this.width;
    this.width = width;
    this.height = height;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.ratio = ratio;
    if (first && this.bounds) this.fit();
    this.request();
  }

  request() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  draw() {
    const g = this.canvas.getContext("2d");
    g.setTransform(1, 0, 0, 1, 0, 0);
    if (!this.view) {
      g.fillStyle = BG;
      g.fillRect(0, 0, this.canvas.width, this.canvas.height);
      return;
    }
    // The roads change only when the view does: drawn once, then copied each frame.
    const key = [this.view.lat, this.view.lon, this.view.k, this.width, this.height, this.ratio].join();
    if (key !== this.roadKey) {
      this.roadKey = key;
      this.roadLayer = this.roadLayer || document.createElement("canvas");
      // (setting a canvas's size reallocates it, even to the same size: only on a resize)
      if (this.roadLayer.width !== this.canvas.width) this.roadLayer.width = this.canvas.width;
      if (this.roadLayer.height !== this.canvas.height) this.roadLayer.height = this.canvas.height;
      const r = this.roadLayer.getContext("2d");
      r.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
      r.fillStyle = BG;
      r.fillRect(0, 0, this.width, this.height);
      this.drawRoads(r);
      this.streetSpots = this.streetCandidates(r);
    }
    g.drawImage(this.roadLayer, 0, 0);
    g.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);

    // Where everything goes first, then the labels that fit, then the paint.
    const now = this.now();
    const units = this.data.units.filter((u) => u.location).map((u) => this.unitMarker(u, now));
    const incidents = this.data.incidents.map((i) => this.incidentMarker(i)).filter(Boolean);
    const facilities = this.data.facilities.map((f) => this.facilityMarker(f)).filter(Boolean);
    this.markers = new Map();
    for (const m of [...incidents, ...units]) this.markers.set(m.id, m);
    const closures = this.data.closures.map((c) => this.closureGeometry(c));
    const labels = this.placeLabels(g, { units, incidents, facilities, closures });

    for (const label of labels) if (label.kind === "street") this.paintStreetLabel(g, label);
    this.drawnClosures = closures.map((c) => this.drawClosure(g, c));
    this.canvas.dataset.closures = String(this.drawnClosures.length);
    for (const facility of facilities) this.drawFacility(g, facility);
    this.drawnFacilities = facilities.map(({ id, x, y, status, text }) => ({ id, x, y, status, text }));
    this.canvas.dataset.diversions = String(facilities.filter((f) => f.status === "diversion").length);
    for (const route of this.data.routes) this.drawRoute(g, route);
    for (const incident of incidents) this.drawIncident(g, incident);
    for (const unit of units) this.drawUnit(g, unit);
    for (const label of labels) if (label.kind !== "street") this.paintLabel(g, label);
    this.drawScale(g);
    this.labels = labels.map(({ kind, id, text, x, y, w, h, angle, corners }) => ({ kind, id, text, x, y, w, h, angle, corners }));
    this.canvas.dataset.markers = String(this.markers.size);
    this.canvas.dataset.labels = String(labels.length);
    this.canvas.dataset.stale = String(units.filter((u) => u.stale).length);
  }

  drawRoads(g) {
    const zoomWidth = Math.min(Math.max(this.view.k / 60_000, 0.7), 3);
    g.lineCap = "round";
    g.lineJoin = "round";
    for (const line of this.lines) {
      const p = line.points;
      g.beginPath();
      let [x, y] = this.project(p[0], p[1]);
      g.moveTo(x, y);
      for (let i = 2; i < p.length; i += 2) {
        [x, y] = this.project(p[i], p[i + 1]);
        g.lineTo(x, y);
      }
      g.strokeStyle = line.style[0];
      g.lineWidth = line.style[1] * zoomWidth;
      g.stroke();
    }
  }

  // --- markers: where each goes and what it says ----------------------------------------
  unitMarker(unit, now) {
    const { lat, lon } = unit.location;
    const [x, y] = this.project(lat, lon);
    const at = unit.located_at ? Date.parse(unit.located_at) : NaN;
    const ageMs = Number.isFinite(at) ? Math.max(0, now - at) : null;
    const stale = ageMs !== null && ageMs > this.staleAfterMs;
    const eta = unit.eta ? ` · ${unit.eta}` : "";
    const age = stale ? ` · ${positionAge(ageMs)} ago` : "";
    const status = unit.status ? ` · ${statusLabel(unit.status)}` : "";
    return {
      kind: "unit", id: unit.id, x, y, lat, lon, r: unit.emergency ? 15 : 8, unit, stale, ageMs,
      text: `${unit.id}${stale ? age : eta}`,
      short: unit.id,
      colour: stale ? "#93a4b7" : unit.eta ? "#fff3c4" : "#e8eef5",
      tip: `${unit.id}${status}${ageMs === null ? "" : ` · position ${positionAge(ageMs)} old${stale ? " (not fresh)" : ""}`}`,
    };
  }

  incidentMarker(incident) {
    const location = incident.location;
    if (!location || location.lat === null || location.lat === undefined) return null;
    const [x, y] = this.project(location.lat, location.lon);
    const size = incident.priority === 1 ? 11 : 9;
    return {
      kind: "incident", id: incident.id, x, y, lat: location.lat, lon: location.lon, r: size, size, incident,
      text: `${incident.id} ${incident.type}`,
      short: incident.id,
      colour: "#ffe9a8",
      tip: `${incident.id} ${incident.type} P${incident.priority}`,
    };
  }

  facilityMarker(facility) {
    const location = facility.location;
    if (!location || location.lat === undefined) return null;
    const [x, y] = this.project(location.lat, location.lon);
    // A hospital's status (facility.status) is in its label and its marker's colour:
    // a crew choosing where to take a patient must see a diversion without a click.
    const status = facility.kind === "hospital" ? facility.status || "open" : null;
    const services = (facility.diversion || []).join(", ");
    const text = status === "diversion" ? `${facility.name} · diversion: ${services}`
      : status === "closed" ? `${facility.name} · closed` : facility.name;
    return { kind: "facility", id: facility.id, x, y, r: 7, facility, status, text, colour: FACILITY_COLOURS[status] || "#9fb1c3" };
  }

  closureGeometry(closure) {
    const closed = closure.factor === null || closure.factor === undefined;
    const segments = closure.lines.map(([lat1, lon1, lat2, lon2]) => [...this.project(lat1, lon1), ...this.project(lat2, lon2)]);
    let middle = null;
    if (segments.length) {
      const [x1, y1, x2, y2] = segments[Math.floor(segments.length / 2)];
      middle = [(x1 + x2) / 2, (y1 + y2) / 2];
    }
    return {
      closure, closed, segments, middle,
      text: `${closure.id} ${closed ? "closed" : `×${closure.factor}`}`,
      colour: closed ? "#ff8a8a" : "#ffd27a",
    };
  }

  // --- labels -------------------------------------------------------------------------
  /** The boxes no label may cover: the controls over the map, and the scale bar. */
  obstacles() {
    const boxes = [];
    const here = this.canvas.getBoundingClientRect();
    for (const el of this.canvas.parentElement.children) {
      if (el === this.canvas) continue;
      const r = el.getBoundingClientRect();
      if (r.width < 4 || r.height < 4) continue; // hidden, or visually hidden for readers
      const x1 = r.left - here.left;
      const y1 = r.top - here.top;
      boxes.push(box(x1 + r.width / 2, y1 + r.height / 2, r.width + 4, r.height + 4));
    }
    const { px } = this.scale();
    boxes.push(box((8 + px + 60) / 2, this.height - 16, px + 52, 26)); // the scale bar and its text
    return boxes;
  }

  placeLabels(g, { units, incidents, facilities, closures }) {
    const placer = new Placer(this.width, this.height);
    for (const b of this.obstacles()) placer.take(b);
    // markers are not to be covered by any label (their own label sits beside them)
    for (const m of [...incidents, ...units, ...facilities]) placer.take(box(m.x, m.y, m.r * 2 + 2, m.r * 2 + 2));
    const labels = [];
    const dropped = [];
    const selected = this.data.selected;
    const wanted = [
      ...units.filter((u) => u.unit.emergency),
      ...incidents.filter((i) => i.id === selected),
      ...incidents.filter((i) => i.id !== selected).sort((a, b) => a.incident.priority - b.incident.priority),
      ...units.filter((u) => !u.unit.emergency && !u.stale && u.unit.eta),
      ...units.filter((u) => !u.unit.emergency && !u.stale && !u.unit.eta),
      ...units.filter((u) => !u.unit.emergency && u.stale),
    ];
    g.font = MARKER_FONT;
    for (const m of wanted) {
      const label = this.placeBeside(g, placer, m, m.text) || (m.short !== m.text && this.placeBeside(g, placer, m, m.short));
      if (label) labels.push(label);
      else dropped.push({ kind: m.kind, id: m.id, text: m.text });
    }
    for (const c of closures) {
      if (!c.middle) continue;
      const label = this.placeBeside(g, placer, { kind: "closure", id: c.closure.id, x: c.middle[0], y: c.middle[1], r: 4, colour: c.colour }, c.text);
      if (label) labels.push(label);
      else dropped.push({ kind: "closure", id: c.closure.id, text: c.text });
    }
    // Hospitals are named at every zoom (their status is in the name); other
    // facilities only close in.
    for (const f of facilities) {
      if (f.status === null && this.view.k <= 40_000) continue;
      const label = this.placeBeside(g, placer, f, f.text);
      if (label) labels.push(label);
    }
    labels.push(...this.placeStreets(placer));
    this.dropped = dropped;
    return labels;
  }

  placeBeside(g, placer, marker, text) {
    const w = g.measureText(text).width + 2 * PAD;
    const h = MARKER_HEIGHT;
    for (const [x, y] of spotsAround(marker.x, marker.y, marker.r, w, h)) {
      const b = box(x, y, w, h);
      if (placer.fits(b)) {
        placer.take(b);
        return Object.assign(b, {
          kind: marker.kind, id: marker.id, text, colour: marker.colour,
          anchor: [marker.x, marker.y, marker.r], far: Math.hypot(x - marker.x, y - marker.y) > marker.r + w / 2 + 10,
        });
      }
    }
    return null;
  }

  /**
   * Every place along the roads in view where a street's name fits straight: a
   * stretch at least as long as the name that bends less than BEND pixels. Made
   * once per view (with the road layer); which of them are drawn is decided per frame.
   */
  streetCandidates(g) {
    const spots = [];
    const margin = 20;
    // what is in view, in degrees (a path wholly outside it is not projected)
    const [north, west] = this.unproject(-margin, -margin);
    const [south, east] = this.unproject(this.width + margin, this.height + margin);
    for (const street of this.streets) {
      if (street.box[2] > north || street.box[0] < south || street.box[1] > east || street.box[3] < west) continue;
      g.font = street.rank >= 3 ? MAJOR_STREET_FONT : STREET_FONT;
      street.w = street.w || g.measureText(street.name).width + 2 * PAD + 4;
      const w = street.w;
      const mine = [];
      for (const path of street.paths) {
        const xy = this.projectPath(path, margin);
        if (!xy) continue;
        const along = [0];
        for (let i = 2; i < xy.length; i += 2) {
          along.push(along[along.length - 1] + Math.hypot(xy[i] - xy[i - 2], xy[i + 1] - xy[i - 1]));
        }
        const length = along[along.length - 1];
        if (length < w + 6) continue;
        // the middle first, then every so often both ways
        const every = w + STREET_REPEAT;
        const offsets = [length / 2];
        for (let s = length / 2 + every; s + w / 2 < length; s += every) offsets.push(s);
        for (let s = length / 2 - every; s - w / 2 > 0; s -= every) offsets.push(s);
        for (const s of offsets) {
          const spot = this.straightSpot(xy, along, s, w) || this.straightSpot(xy, along, s + w / 2, w)
            || this.straightSpot(xy, along, s - w / 2, w);
          if (spot) mine.push(spot);
        }
      }
      if (mine.length) spots.push({ name: street.name, rank: street.rank, spots: mine, w });
    }
    return spots;
  }

  /** The path in canvas pixels, or null when none of it is in view. */
  projectPath(path, margin) {
    const xy = new Float64Array(path.length);
    let seen = false;
    for (let i = 0; i < path.length; i += 2) {
      const [x, y] = this.project(path[i], path[i + 1]);
      xy[i] = x;
      xy[i + 1] = y;
      if (x > -margin && y > -margin && x < this.width + margin && y < this.height + margin) seen = true;
    }
    return seen ? xy : null;
  }

  /** A label box of width w centred s pixels along the path, if the road is straight there. */
  straightSpot(xy, along, s, w) {
    const length = along[along.length - 1];
    const from = s - w / 2;
    const to = s + w / 2;
    if (from < 0 || to > length) return null;
    const at = (d) => {
      let i = 1;
      while (i < along.length - 1 && along[i] < d) i += 1;
      const span = along[i] - along[i - 1] || 1;
      const t = (d - along[i - 1]) / span;
      return [xy[(i - 1) * 2] + (xy[i * 2] - xy[(i - 1) * 2]) * t, xy[(i - 1) * 2 + 1] + (xy[i * 2 + 1] - xy[(i - 1) * 2 + 1]) * t];
    };
    const [x1, y1] = at(from);
    const [x2, y2] = at(to);
    const chord = Math.hypot(x2 - x1, y2 - y1);
    if (chord < w * 0.97) return null;
    for (let i = 0; i < along.length; i += 1) {
      if (along[i] <= from || along[i] >= to) continue;
      const off = Math.abs((x2 - x1) * (y1 - xy[i * 2 + 1]) - (x1 - xy[i * 2]) * (y2 - y1)) / chord;
      if (off > BEND) return null;
    }
    let angle = Math.atan2(y2 - y1, x2 - x1);
    if (angle > Math.PI / 2) angle -= Math.PI;
    if (angle <= -Math.PI / 2) angle += Math.PI;
    return { x: (x1 + x2) / 2, y: (y1 + y2) / 2, angle };
  }

  placeStreets(placer) {
    const labels = [];
    for (const street of this.streetSpots || []) {
      const placed = [];
      for (const spot of street.spots) {
        if (placed.some((p) => Math.hypot(p.x - spot.x, p.y - spot.y) < STREET_REPEAT)) continue;
        const b = box(spot.x, spot.y, street.w, STREET_HEIGHT, spot.angle);
        if (!placer.fits(b)) continue;
        placer.take(b);
        placed.push(b);
        labels.push(Object.assign(b, { kind: "street", id: null, text: street.name, major: street.rank >= 3 }));
      }
    }
    return labels;
  }

  paintStreetLabel(g, label) {
    g.save();
    g.translate(label.x, label.y);
    g.rotate(label.angle);
    g.font = label.major ? MAJOR_STREET_FONT : STREET_FONT;
    g.textAlign = "center";
    g.textBaseline = "middle";
    g.lineWidth = 3;
    g.strokeStyle = BG;
    g.strokeText(label.text, 0, 0.5);
    g.fillStyle = label.major ? "#9db0c4" : "#7f93a8";
    g.fillText(label.text, 0, 0.5);
    g.restore();
  }

  paintLabel(g, label) {
    if (label.far) {
      // a label moved away from its marker keeps a line to it, edge to edge
      const [ax, ay, r] = label.anchor;
      const [x1, y1, x2, y2] = label.aabb;
      const ex = Math.min(Math.max(ax, x1), x2);
      const ey = Math.min(Math.max(ay, y1), y2);
      const d = Math.hypot(ex - ax, ey - ay) || 1;
      g.beginPath();
      g.moveTo(ax + ((ex - ax) / d) * (r + 1), ay + ((ey - ay) / d) * (r + 1));
      g.lineTo(ex, ey);
      g.strokeStyle = label.colour;
      g.globalAlpha = 0.75;
      g.lineWidth = 1.5;
      g.stroke();
      g.globalAlpha = 1;
    }
    this.text(g, label.text, label.x, label.y, label.colour, "center");
  }

  text(g, text, x, y, colour = "#e8eef5", align = "left") {
    g.font = MARKER_FONT;
    g.textAlign = align;
    g.textBaseline = "middle";
    g.lineWidth = 3.5;
    g.strokeStyle = "rgba(5, 8, 12, 0.95)";
    g.strokeText(text, x, y);
    g.fillStyle = colour;
    g.fillText(text, x, y);
  }

  // --- shapes -------------------------------------------------------------------------
  drawFacility(g, { x, y, facility, status }) {
    if (status && status !== "open") {
      // diversion or closed: a square of the status colour behind the usual marker,
      // so the hospital stands out from across the map
      g.fillStyle = FACILITY_COLOURS[status];
      g.fillRect(x - 9, y - 9, 18, 18);
    }
    g.fillStyle = facility.kind === "hospital" ? (status === "open" ? "#d8e2ec" : BG) : "#5b6b7c";
    g.fillRect(x - 6, y - 6, 12, 12);
    g.fillStyle = facility.kind === "hospital" ? (status === "open" ? "#c62828" : FACILITY_COLOURS[status]) : BG;
    g.font = "bold 10px system-ui, sans-serif";
    g.textAlign = "center";
    g.textBaseline = "middle";
    g.fillText(facility.kind === "hospital" ? "H" : facility.kind[0].toUpperCase(), x, y + 0.5);
  }

  drawClosure(g, { closure, closed, segments, middle }) {
    g.save();
    g.lineCap = "butt";
    g.strokeStyle = closed ? "#ff3b3b" : "#ffb020";
    g.lineWidth = closed ? 4 : 3.5;
    g.setLineDash(closed ? [6, 4] : [10, 3]);
    g.beginPath();
    for (const [x1, y1, x2, y2] of segments) {
      g.moveTo(x1, y1);
      g.lineTo(x2, y2);
    }
    g.stroke();
    g.restore();
    return { id: closure.id, kind: closed ? "closed" : "slowed", segments: segments.length, at: middle };
  }

  drawRoute(g, route) {
    if (!route.points || route.points.length < 2) return;
    g.beginPath();
    route.points.forEach(([lat, lon], i) => {
      const [x, y] = this.project(lat, lon);
      if (i === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    });
    g.setLineDash(route.status === "dispatched" ? [7, 5] : []);
    g.strokeStyle = STATUS_COLOURS[route.status] || "#ffd84d";
    g.globalAlpha = 0.9;
    g.lineWidth = 3.5;
    g.stroke();
    g.globalAlpha = 1;
    g.setLineDash([]);
  }

  drawIncident(g, { x, y, size, incident }) {
    const selected = this.data.selected === incident.id;
    g.beginPath();
    g.moveTo(x, y - size);
    g.lineTo(x + size, y);
    g.lineTo(x, y + size);
    g.lineTo(x - size, y);
    g.closePath();
    g.fillStyle = PRIORITY_COLOURS[incident.priority] || "#93a4b5";
    g.fill();
    g.lineWidth = selected ? 3 : 1.5;
    g.strokeStyle = selected ? "#ffffff" : "#05080c";
    g.stroke();
  }

  drawUnit(g, { x, y, unit, stale }) {
    const colour = STATUS_COLOURS[unit.status] || "#9aa7b4";
    if (unit.emergency) {
      g.beginPath();
      g.arc(x, y, 15, 0, Math.PI * 2);
      g.strokeStyle = "#ff2d2d";
      g.lineWidth = 4;
      g.stroke();
    }
    g.beginPath();
    if (unit.kind && unit.kind.startsWith("ambulance")) g.rect(x - 7, y - 7, 14, 14);
    else g.arc(x, y, 7.5, 0, Math.PI * 2);
    if (stale) {
      // hollow and grey, dashed: where the unit was, not where it is
      g.fillStyle = "rgba(10, 15, 21, 0.85)";
      g.fill();
      g.setLineDash([3, 2]);
      g.lineWidth = 2;
      g.strokeStyle = "#93a4b7";
      g.stroke();
      g.setLineDash([]);
      return;
    }
    g.fillStyle = colour;
    g.fill();
    g.lineWidth = 2;
    g.strokeStyle = "#05080c";
    g.stroke();
  }

  /** The scale bar: a round distance at least 60 px long. */
  scale() {
    const mpp = this.metresPerPixel();
    const nice = [50, 100, 200, 500, 1000, 2000, 5000, 10000];
    const metres = nice.find((m) => m / mpp >= 60) || 10000;
    return { metres, px: metres / mpp };
  }

  drawScale(g) {
    const { metres, px } = this.scale();
    const x = 14;
    const y = this.height - 18;
    g.strokeStyle = "#c9d4df";
    g.lineWidth = 2;
    g.beginPath();
    g.moveTo(x, y - 5);
    g.lineTo(x, y);
    g.lineTo(x + px, y);
    g.lineTo(x + px, y - 5);
    g.stroke();
    this.text(g, metres >= 1000 ? `${metres / 1000} km` : `${metres} m`, x + px + 6, y - 2, "#c9d4df");
  }
}

/**
 * The drawing's lines grouped by street name and joined end to end into the longest
 * paths they make (the server breaks a street at every crossing), so that a name can
 * be placed along a whole straight stretch rather than one short block. Major streets
 * first, then longer ones.
 */
function streetsOf(lines) {
  const byName = new Map();
  for (const line of lines) {
    if (!line.name || line.points.length < 4) continue;
    if (!byName.has(line.name)) byName.set(line.name, []);
    byName.get(line.name).push(line);
  }
  const streets = [];
  for (const [name, pieces] of byName) {
    const paths = joinPieces(pieces.map((l) => l.points));
    const rank = Math.max(...pieces.map((l) => ROAD_RANK[l.klass] || 0));
    let length = 0;
    const box = [-Infinity, Infinity, Infinity, -Infinity]; // [north, west, south, east]
    for (const p of paths) {
      for (let i = 0; i < p.length; i += 2) {
        if (i) length += Math.hypot(p[i] - p[i - 2], p[i + 1] - p[i - 1]);
        box[0] = Math.max(box[0], p[i]);
        box[1] = Math.min(box[1], p[i + 1]);
        box[2] = Math.min(box[2], p[i]);
        box[3] = Math.max(box[3], p[i + 1]);
      }
    }
    streets.push({ name, rank, paths, length, box });
  }
  return streets.sort((a, b) => b.rank - a.rank || b.length - a.length);
}

function joinPieces(pieces) {
  const key = (p, i) => `${p[i]},${p[i + 1]}`;
  const ends = new Map();
  pieces.forEach((p, n) => {
    for (const k of [key(p, 0), key(p, p.length - 2)]) {
      if (!ends.has(k)) ends.set(k, []);
      ends.get(k).push(n);
    }
  });
  const used = new Set();
  // The next piece at the path's end, the one going on straightest (within 60°).
  const next = (path) => {
    const n = path.length;
    const k = `${path[n - 2]},${path[n - 1]}`;
    const heading = Math.atan2(path[n - 2] - path[n - 4], path[n - 1] - path[n - 3]);
    let best = null;
    for (const m of ends.get(k) || []) {
      if (used.has(m)) continue;
      const p = pieces[m];
      const forward = key(p, 0) === k;
      const q = forward ? p : reverse(p);
      const turn = Math.abs(angleBetween(heading, Math.atan2(q[2] - q[0], q[3] - q[1])));
      if (turn < Math.PI / 3 && (!best || turn < best.turn)) best = { m, q, turn };
    }
    return best;
  };
  const paths = [];
  pieces.forEach((piece, n) => {
    if (used.has(n)) return;
    used.add(n);
    let path = Array.from(piece);
    for (let pass = 0; pass < 2; pass += 1) {
      for (let step = next(path); step; step = next(path)) {
        used.add(step.m);
        path = path.concat(Array.from(step.q.subarray(2)));
      }
      path = Array.from(reverse(Float64Array.from(path)));
    }
    paths.push(Float64Array.from(path));
  });
  return paths;
}

function reverse(points) {
  const out = new Float64Array(points.length);
  for (let i = 0; i < points.length; i += 2) {
    out[points.length - 2 - i] = points[i];
    out[points.length - 1 - i] = points[i + 1];
  }
  return out;
}

function angleBetween(a, b) {
  let d = b - a;
  while (d > Math.PI) d -= 2 * Math.PI;
  while (d < -Math.PI) d += 2 * Math.PI;
  return d;
}
