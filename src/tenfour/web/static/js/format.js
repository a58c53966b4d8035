// How times, statuses and places read on the pages.

export const STATUS_LABELS = {
  available: "Available",
  dispatched: "Dispatched",
  enroute: "En route",
  onscene: "On scene",
  pursuit: "Pursuit",
  transporting: "Transporting",
  athospital: "At hospital",
  busy: "Busy",
  outofservice: "Out of service",
  offduty: "Off duty",
  with_unit: "With unit",
  away: "Away",
  down: "DOWN",
};

export const statusLabel = (status) => STATUS_LABELS[status] || status;

/** "0:42", "12:07", "3:04:10": how long since, for boards that tick every second. */
export function elapsed(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const secs = String(s % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${secs}` : `${minutes}:${secs}`;
}

/** Seconds from an ISO time to `nowMs`. */
export function since(iso, nowMs) {
  if (!iso) return null;
  return (nowMs - Date.parse(iso)) / 1000;
}

/** "1 min 20 s", "45 s": an ETA. */
export function eta(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "no route";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  return s % 60 ? `${minutes} min ${s % 60} s` : `${minutes} min`;
}

export function distance(metres) {
  if (metres === null || metres === undefined || !Number.isFinite(metres)) return "–";
  return metres < 1000 ? `${Math.round(metres)} m` : `${(metres / 1000).toFixed(1)} km`;
}

/** Local wall-clock time "14:03:22" of an ISO time. */
export function clock(iso) {
  if (!iso) return "–";
  const at = new Date(iso);
  return at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

export function place(location) {
  if (!location) return "no location";
  if (location.address) return location.address;
  if (location.lat !== undefined && location.lat !== null) {
    return `${Number(location.lat).toFixed(5)}, ${Number(location.lon).toFixed(5)}`;
  }
  return "no location";
}

/**
 * How late an incident is, for its elapsed-time colour: "ok", "warn" or "late".
 * A pending incident (no unit yet) is late fast, faster the higher its priority;
 * an active one only after a long time on it.
 */
export function lateness(incident, seconds) {
  const pending = !incident.units || incident.units.length === 0;
  const limits = pending
    ? { 1: [15, 30], 2: [60, 120], 3: [120, 300], 4: [300, 600], 5: [600, 1200] }[incident.priority]
      || [300, 600]
    : [1200, 3600];
  if (seconds >= limits[1]) return "late";
  if (seconds >= limits[0]) return "warn";
  return "ok";
}

/** "Officer Judy Hopps", "Chief Bogo": a member as a dispatcher names him on the radio. */
export function personName(member) {
  if (!member) return "";
  const rank = String(member.rank || "").trim();
  const name = member.name || member.id;
  if (!rank || name.toLowerCase().startsWith(rank.toLowerCase())) return name;
  return `${rank[0].toUpperCase()}${rank.slice(1)} ${name}`;
}

/** "A", "A and B", "A, B and C". */
export function joinAnd(items) {
  const list = items.filter(Boolean);
  if (list.length < 2) return list.join("");
  return `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
}
