// The city map on a <canvas>, drawn from the server's own road data (GET /api/map):
// no tiles, no outside connection. Units, incidents, facilities and the route and ETA
// of every responding unit are drawn over the roads and follow the live feed, and so
// are road closures: closed roads in red dashes, slowed ones in amber.
//
// Keyboard (when the map has focus): arrows pan (Shift: further), + and - zoom,
// 0 fits the whole city. Mouse: drag to pan, wheel to zoom, click a marker to select.

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

export const PRIORITY_COLOURS = { 1: "#ff3b3b", 2: "#ff8c1a", 3: "#ffd21f", 4: "#6cb6ff", 5: "#93a4b5" };

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
const LABEL_CLASSES = new Set(["motorway", "trunk", "primary", "secondary", "tertiary"]);

export class CityMap {
  constructor(canvas, { onSelect = () => {} } = {}) {
    this.canvas = canvas;
    this.onSelect = onSelect;
    this.lines = [];
    this.bounds = null;
    this.view = null; // {lat, lon, k}: centre and pixels per degree of latitude
    this.data = { units: [], incidents: [], facilities: [], routes: [], closures: [], selected: null };
    /** What the last frame drew of each closure: [{id, kind, segments}] (for tests too). */
    this.drawnClosures = [];
    this.markers = new Map();
    this.pending = false;
    this.width = 0;
    this.height = 0;
    this.ready = false;
    this.listen();
    new ResizeObserver(() => this.resize()).observe(canvas.parentElement);
    this.resize();
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
  set(data) {
    Object.assign(this.data, data);
    this.request();
  }

  /** Where a unit or incident marker is drawn: {x, y, lat, lon} in canvas pixels. */
  markerPosition(id) {
    const marker = this.markers.get(id);
    return marker ? { x: marker.x, y: marker.y, lat: marker.lat, lon: marker.lon } : null;
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
      if (!drag) return;
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

  click(x, y) {
    let best = null;
    for (const [id, marker] of this.markers) {
      const d = Math.hypot(marker.x - x, marker.y - y);
      if (d <= 14 && (!best || d < best.d)) best = { id, kind: marker.kind, d };
    }
    if (best) this.onSelect(best);
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
      g.fillStyle = "#0a0f15";
      g.fillRect(0, 0, this.canvas.width, this.canvas.height);
      return;
    }
    // The roads change only when the view does: drawn once, then copied each frame.
    const key = [this.view.lat, this.view.lon, this.view.k, this.width, this.height, this.ratio].join();
    if (key !== this.roadKey) {
      this.roadKey = key;
      this.roadLayer = this.roadLayer || document.createElement("canvas");
      this.roadLayer.width = this.canvas.width;
      this.roadLayer.height = this.canvas.height;
      const r = this.roadLayer.getContext("2d");
      r.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
      r.fillStyle = "#0a0f15";
      r.fillRect(0, 0, this.width, this.height);
      this.drawRoads(r);
      this.drawLabels(r);
    }
    g.drawImage(this.roadLayer, 0, 0);
    g.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
    this.markers = new Map();
    this.drawnClosures = this.data.closures.map((closure) => this.drawClosure(g, closure));
    this.canvas.dataset.closures = String(this.drawnClosures.length);
    for (const facility of this.data.facilities) this.drawFacility(g, facility);
    for (const route of this.data.routes) this.drawRoute(g, route);
    for (const incident of this.data.incidents) this.drawIncident(g, incident);
    for (const unit of this.data.units) this.drawUnit(g, unit);
    this.drawScale(g);
    this.canvas.dataset.markers = String(this.markers.size);
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

  drawLabels(g) {
    if (this.view.k < 25_000) return;
    const taken = [];
    g.font = "11px system-ui, sans-serif";
    g.textAlign = "center";
    g.textBaseline = "middle";
    const minor = this.view.k >= 60_000;
    for (let n = this.lines.length - 1; n >= 0; n -= 1) {
      const line = this.lines[n];
      if (!line.name || (!minor && !LABEL_CLASSES.has(line.klass))) continue;
      const p = line.points;
      const mid = Math.floor(p.length / 4) * 2;
      if (mid + 3 >= p.length) continue;
      const [x1, y1] = this.project(p[mid], p[mid + 1]);
      const [x2, y2] = this.project(p[mid + 2], p[mid + 3]);
      const x = (x1 + x2) / 2;
      const y = (y1 + y2) / 2;
      if (x < 0 || y < 0 || x > this.width || y > this.height) continue;
      const width = g.measureText(line.name).width;
      const length = Math.hypot(x2 - x1, y2 - y1);
      if (length < Math.min(width, 40)) continue;
      const box = [x - width / 2 - 4, y - 9, x + width / 2 + 4, y + 9];
      if (taken.some((t) => box[0] < t[2] && box[2] > t[0] && box[1] < t[3] && box[3] > t[1])) {
        continue;
      }
      taken.push(box);
      let angle = Math.atan2(y2 - y1, x2 - x1);
      if (angle > Math.PI / 2) angle -= Math.PI;
      if (angle < -Math.PI / 2) angle += Math.PI;
      g.save();
      g.translate(x, y);
      g.rotate(angle);
      g.lineWidth = 3;
      g.strokeStyle = "#0a0f15";
      g.strokeText(line.name, 0, 0);
      g.fillStyle = "#7f93a8";
      g.fillText(line.name, 0, 0);
      g.restore();
    }
  }

  label(g, text, x, y, colour = "#e8eef5", align = "left") {
    g.font = "600 12px system-ui, sans-serif";
    g.textAlign = align;
    g.textBaseline = "middle";
    g.lineWidth = 3.5;
    g.strokeStyle = "rgba(5, 8, 12, 0.95)";
    g.strokeText(text, x, y);
    g.fillStyle = colour;
    g.fillText(text, x, y);
  }

  drawFacility(g, facility) {
    const location = facility.location;
    if (!location || location.lat === undefined) return;
    const [x, y] = this.project(location.lat, location.lon);
    g.fillStyle = facility.kind === "hospital" ? "#d8e2ec" : "#5b6b7c";
    g.fillRect(x - 6, y - 6, 12, 12);
    g.fillStyle = facility.kind === "hospital" ? "#c62828" : "#0a0f15";
    g.font = "bold 10px system-ui, sans-serif";
    g.textAlign = "center";
    g.textBaseline = "middle";
    g.fillText(facility.kind === "hospital" ? "H" : facility.kind[0].toUpperCase(), x, y + 0.5);
    if (this.view.k > 40_000) this.label(g, facility.name, x + 10, y, "#9fb1c3");
  }

  drawClosure(g, closure) {
    const closed = closure.factor === null || closure.factor === undefined;
    g.save();
    g.lineCap = "butt";
    g.strokeStyle = closed ? "#ff3b3b" : "#ffb020";
    g.lineWidth = closed ? 4 : 3.5;
    g.setLineDash(closed ? [6, 4] : [10, 3]);
    g.beginPath();
    let middle = null;
    for (const [lat1, lon1, lat2, lon2] of closure.lines) {
      const [x1, y1] = this.project(lat1, lon1);
      const [x2, y2] = this.project(lat2, lon2);
      g.moveTo(x1, y1);
      g.lineTo(x2, y2);
    }
    g.stroke();
    g.restore();
    if (closure.lines.length) {
      const [lat1, lon1, lat2, lon2] = closure.lines[Math.floor(closure.lines.length / 2)];
      middle = this.project((lat1 + lat2) / 2, (lon1 + lon2) / 2);
      const text = `${closure.id} ${closed ? "closed" : `×${closure.factor}`}`;
      this.label(g, text, middle[0] + 6, middle[1] - 10, closed ? "#ff8a8a" : "#ffd27a");
    }
    return { id: closure.id, kind: closed ? "closed" : "slowed", segments: closure.lines.length, at: middle };
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

  drawIncident(g, incident) {
    const location = incident.location;
    if (!location || location.lat === null || location.lat === undefined) return;
    const [x, y] = this.project(location.lat, location.lon);
    const size = incident.priority === 1 ? 11 : 9;
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
    this.label(g, `${incident.id} ${incident.type}`, x + size + 4, y - 1, "#ffe9a8");
    this.markers.set(incident.id, { x, y, kind: "incident", lat: location.lat, lon: location.lon });
  }

  drawUnit(g, unit) {
    if (!unit.location) return;
    const { lat, lon } = unit.location;
    const [x, y] = this.project(lat, lon);
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
    g.fillStyle = colour;
    g.fill();
    g.lineWidth = 2;
    g.strokeStyle = "#05080c";
    g.stroke();
    const eta = unit.eta ? ` · ${unit.eta}` : "";
    this.label(g, `${unit.id}${eta}`, x + 11, y, unit.eta ? "#fff3c4" : "#e8eef5");
    this.markers.set(unit.id, { x, y, kind: "unit", lat, lon });
  }

  drawScale(g) {
    const mpp = this.metresPerPixel();
    const nice = [50, 100, 200, 500, 1000, 2000, 5000, 10000];
    const metres = nice.find((m) => m / mpp >= 80) || 10000;
    const px = metres / mpp;
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
    this.label(g, metres >= 1000 ? `${metres / 1000} km` : `${metres} m`, x + px + 6, y - 2, "#c9d4df");
  }
}
