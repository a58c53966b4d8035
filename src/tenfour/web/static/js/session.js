// A staff page's session: who is logged in, the server's idle rule, logging out.
//
// The server ends a session after `session_idle_s` without a request. A console that
// only listens to the live feed makes no requests, so the page keeps the session in
// step with the person: activity (keys, pointer, touch) is reported with a light
// request at most once a minute, and when neither the person nor the page has done
// anything for the idle time the page closes itself and shows the login, as the
// server would on the next request.

import { api, requests, whenLoggedOut } from "./api.js";

const REPORT_EVERY_MS = 60_000;

export function toLogin(reason = "expired") {
  const next = encodeURIComponent(location.pathname);
  location.assign(`/login?next=${next}${reason ? `&${reason}=1` : ""}`);
}

export async function startSession() {
  let leaving = false;
  const leave = (reason) => {
    if (leaving) return;
    leaving = true;
    toLogin(reason);
  };
  whenLoggedOut(() => leave("expired"));
  const [me, vocabulary] = await Promise.all([api("/api/me"), api("/api/vocabulary")]);
  const idleMs = vocabulary.session_idle_s * 1000;
  let lastActivity = Date.now();
  const activity = () => {
    lastActivity = Date.now();
  };
  for (const kind of ["keydown", "pointerdown", "pointermove", "wheel", "touchstart"]) {
    window.addEventListener(kind, activity, { passive: true, capture: true });
  }
  const tick = setInterval(async () => {
    const now = Date.now();
    if (now - Math.max(lastActivity, requests.last) > idleMs) {
      clearInterval(tick);
      leave("expired");
      return;
    }
    if (lastActivity > requests.last && now - requests.last >= REPORT_EVERY_MS) {
      try {
        await api("/api/me");
      } catch {
        // offline: the live feed shows it; a 401 already sent us to the login
      }
    }
  }, 5000);
  return {
    me,
    vocabulary,
    leave,
    async logout() {
      try {
        await api("/api/logout", { method: "POST" });
      } finally {
        leaving = true;
        location.assign("/login?loggedout=1");
      }
    },
  };
}
