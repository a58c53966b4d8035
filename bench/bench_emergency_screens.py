"""Benchmark of the emergency button on the screens: from an officer confirming his
MDT's emergency button to the red alert on a dispatcher's console and to the
"officer down" banner on his partner's MDT, in real Chromium.

Run: ``.venv/bin/python -m bench.bench_emergency_screens [--runs 20] [--port 8771]``.

``tenfour serve`` runs in its own process on a temporary SQLite journal with the demo
city. Debian's Chromium (``/usr/bin/chromium``, driven by Playwright) opens three
pages, each logged in through the login page as a person would: the console of a
dispatcher, and the MDTs of the two officers of ZPD-7 (wilde and hopps, phones at the
unit's position). Each run wilde presses EMERGENCY and then "Yes, declare" (the
press-and-confirm way; the hold takes a fixed 1.5 s and would only add a constant).

The times are taken by the pages themselves: a capture listener on wilde's MDT
stamps the click on "Yes, declare"; a MutationObserver on the console's ``#alerts``
stamps the moment a visible ``.alert-row[data-kind="emergency"]`` is in the document;
one on hopps's ``#partner-down`` stamps the moment the banner is shown with the
emergency in its list. Each is ``performance.timeOrigin + performance.now()``, and
before each run each page's clock is read against this process's clock (the read with
the shortest round trip of five) so every stamp is put on one clock; Python's polling
only waits, it times nothing.

Baseline in the same run: the same press to the ``emergency.declared`` event (and its
``alert.raised``) arriving at a bare live-feed client (``WS /api/live`` in a Chromium
page of its own with the dispatcher's session, nothing drawn), i.e. what the server
takes to make the event durable and send it; also at a live-feed client in this
process, and to the MDT's own command answer (its ``/api/commands`` fetch, from the
page's resource timing). The console and the partner's MDT are also stamped when
their own feed has folded the event in (``window.tenfour.feed.on``), so the table
shows what the server, the wire and each page's drawing take.

Between runs a supervisor clears the emergency and the dispatcher closes its MAYDAY
incident (its units are available again), and wilde says he is back with his unit, so
every run starts from the same board. The bench fails, naming the selector, when an
alert or banner does not appear within ``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
from websockets.sync.client import ClientConnection, connect

from bench.bench_api import PASSWORD, login, start_server
from tenfour.accounts import open_accounts

# As in tests/web/conftest.py (not imported: that module needs pytest and the app).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
DESKTOP = {"width": 1600, "height": 900}
PHONE = {"width": 390, "height": 844}
#: Where ZPD-7 (hopps and wilde) starts its shift in the demo city.
ZPD7_HOME = {"latitude": 37.7948573, "longitude": -122.4014146}

#: What the console draws for an open emergency (console/alerts.js lineRow).
CONSOLE_ALERT = '#alerts .alert-row[data-kind="emergency"]'
#: What the partner's MDT shows (mdt/safety.js renderPartnerDown).
PARTNER_BANNER = "#partner-down #partner-down-list li[data-emergency]"

# The pages' clock, as epoch milliseconds.
NOW_JS = "performance.timeOrigin + performance.now()"

# On the officer's MDT: stamp every click on "Yes, declare" before the page's own
# handler runs (capture phase, on the window).
WATCH_CLICK = """() => {
  const bench = window.__bench = { clicks: [] };
  window.addEventListener("click", (e) => {
    if (e.target instanceof Element && e.target.closest("#confirm-yes")) {
      bench.clicks.push(performance.timeOrigin + performance.now());
    }
  }, true);
}"""

# On the console: stamp each emergency alert row the moment it is in the document and
# visible (in the bar, not behind "+N more").
WATCH_CONSOLE = """() => {
  const alerts = document.querySelector("#alerts");
  if (!alerts) return "the console has no #alerts";
  const bench = window.__bench = { seen: {}, fed: {}, long: [] };
  const feed = window.tenfour && window.tenfour.feed;
  if (!feed || typeof feed.on !== "function") return "the page has no window.tenfour.feed.on";
  // When the page's own feed has folded the event in (before it draws anything).
  feed.on((kind, event) => {
    if (kind === "event" && event.type === "emergency.declared") {
      bench.fed[event.emergency] = performance.timeOrigin + performance.now();
    }
  });
  // Tasks over 50 ms on the console's main thread: what an alert waits behind.
  new PerformanceObserver((list) => {
    for (const task of list.getEntries()) {
      bench.long.push([performance.timeOrigin + task.startTime, task.duration]);
    }
    if (bench.long.length > 500) bench.long.splice(0, bench.long.length - 500);
  }).observe({ type: "longtask" });
  const look = () => {
    const now = performance.timeOrigin + performance.now();
    for (const row of alerts.querySelectorAll('.alert-row[data-kind="emergency"]')) {
      const id = row.dataset.alert;
      if (id && !(id in bench.seen) && row.checkVisibility()) {
        bench.seen[id] = { at: now, text: row.textContent, role: row.getAttribute("role") };
      }
    }
  };
  new MutationObserver(look).observe(alerts, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["hidden", "data-kind"],
  });
  look();
  return "";
}"""

# On the partner's MDT: stamp the moment the banner shows an emergency.
WATCH_PARTNER = """() => {
  const box = document.querySelector("#partner-down");
  const list = document.querySelector("#partner-down-list");
  if (!box || !list) return "the MDT has no #partner-down with #partner-down-list";
  const bench = window.__bench = { seen: {}, fed: {} };
  const feed = window.tenfour && window.tenfour.feed;
  if (!feed || typeof feed.on !== "function") return "the page has no window.tenfour.feed.on";
  // When the page's own feed has folded the event in (before it draws anything).
  feed.on((kind, event) => {
    if (kind === "event" && event.type === "emergency.declared") {
      bench.fed[event.emergency] = performance.timeOrigin + performance.now();
    }
  });
  const look = () => {
    if (box.hidden) return;
    const now = performance.timeOrigin + performance.now();
    for (const item of list.querySelectorAll("li[data-emergency]")) {
      const id = item.dataset.emergency;
      if (!(id in bench.seen) && item.checkVisibility()) {
        bench.seen[id] = { at: now, text: item.textContent };
      }
    }
  };
  new MutationObserver(look).observe(box, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["hidden"],
  });
  look();
  return "";
}"""

# A bare live-feed client in the browser (its own page in the dispatcher's context, the
# session's cookie, no rendering): when each emergency's events arrive.
WATCH_FEED = """(url) => new Promise((resolve, reject) => {
  const bench = window.__bench = { declared: {}, alerts: {} };
  const socket = new WebSocket(url);
  socket.onmessage = (message) => {
    const now = performance.timeOrigin + performance.now();
    const data = JSON.parse(message.data);
    if (data.type === "snapshot") resolve("");
    if (data.type !== "event") return;
    const event = data.event;
    if (event.type === "emergency.declared") bench.declared[event.emergency] = now;
    else if (event.type === "alert.raised" && event.kind === "emergency") {
      bench.alerts[event.emergency] = now;
    }
  };
  socket.onclose = (event) => {
    bench.closed = event.code;
    reject(new Error(`the live feed closed: ${event.code} ${event.reason}`));
  };
})"""

# The MDT's own emergency.declare: the first command fetch that started at the click.
COMMAND_ANSWER = """(click) => {
  const start = click - performance.timeOrigin;
  const fetches = performance.getEntriesByType("resource")
    .filter((e) => new URL(e.name).pathname === "/api/commands" && e.startTime >= start)
    .sort((a, b) => a.startTime - b.startTime);
  return fetches.length ? performance.timeOrigin + fetches[0].responseEnd : null;
}"""


FRAMES_IN_HALF_A_SECOND = """() => new Promise((resolve) => {
  const start = performance.now();
  let frames = 0;
  const frame = (now) => {
    frames += 1;
    if (now - start < 500) requestAnimationFrame(frame);
    else resolve(frames);
  };
  requestAnimationFrame(frame);
})"""


class Feed:
    """A live-feed client in a thread: when each emergency's events arrived (epoch ms)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        first = json.loads(self.ws.recv())
        if first["type"] != "snapshot":
            raise SystemExit(f"the live feed opened with {first['type']!r}, not a snapshot")
        self.declared: dict[str, tuple[float, dict[str, Any]]] = {}
        self.alerts: dict[str, tuple[float, dict[str, Any]]] = {}  # by emergency
        self.changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for text in self.ws:
                arrived = time.time() * 1000
                message = json.loads(text)
                if message.get("type") != "event":
                    continue
                event = message["event"]
                with self.changed:
                    if event["type"] == "emergency.declared":
                        self.declared[event["emergency"]] = (arrived, event)
                    elif event["type"] == "alert.raised" and event.get("kind") == "emergency":
                        self.alerts[event["emergency"]] = (arrived, event)
                    else:
                        continue
                    self.changed.notify_all()
        except Exception:  # closed at the end, or the server went: waiters time out
            pass

    def emergency_after(self, known: set[str], timeout: float) -> str:
        """The first emergency declared (with its alert) that is not in ``known``."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                fresh = [e for e in self.declared if e not in known and e in self.alerts]
                if fresh:
                    return fresh[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SystemExit(
                        f"no emergency.declared with its alert on the live feed within {timeout} s"
                    )
                self.changed.wait(left)

    def close(self) -> None:
        self.ws.close()
        self._thread.join(timeout=5)

    @staticmethod
    def connect(base: str, token: str) -> ClientConnection:
        return connect(
            base.replace("http", "ws") + "/api/live",
            additional_headers={"Authorization": f"Bearer {token}"},
            max_size=2**24,
        )


class Api:
    """Commands as the supervisor, the dispatcher and the officer, for the set-up."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.tokens = {name: login(base, name) for name in ("bench", "sarge", "nick")}

    def command(self, username: str, do: str, with_: dict[str, Any]) -> None:
        answer = httpx.post(
            f"{self.base}/api/commands",
            json={"do": do, "with": with_},
            headers={"Authorization": f"Bearer {self.tokens[username]}"},
            timeout=30,
        )
        if answer.status_code != 200:
            raise SystemExit(f"{do} as {username}: {answer.status_code} {answer.text}")


def log_in(page: Any, base: str, username: str, landing: str) -> None:
    """Log in through the login page, as a person would."""
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{landing}")
    page.wait_for_function("() => window.tenfour && window.tenfour.state")


def offset_ms(page: Any) -> float:
    """The page's clock minus this process's (ms), from the read with the shortest
    round trip of five (its error is at most half that round trip)."""
    best: tuple[float, float] | None = None
    for _ in range(5):
        before = time.time() * 1000
        theirs = float(page.evaluate(f"() => {NOW_JS}"))
        after = time.time() * 1000
        if best is None or after - before < best[0]:
            best = (after - before, theirs - (before + after) / 2)
    assert best is not None
    return best[1]


def wait_in(page: Any, check: str, arg: Any, timeout: float, what: str, shows: str) -> Any:
    """Wait for ``check(arg)`` in the page; fail loudly, with what the page shows."""
    try:
        return page.wait_for_function(check, arg=arg, timeout=timeout * 1000, polling=20)
    except Exception as error:
        if "Timeout" not in type(error).__name__:
            raise
        html = page.evaluate(
            "(sel) => { const n = document.querySelector(sel); return n ? n.outerHTML : null; }",
            shows,
        )
        held = "missing" if html is None else html[:1500]
        raise SystemExit(f"{what} did not happen within {timeout} s; {shows} is: {held}") from None


def run_once(
    pages: dict[str, Any], feed: Feed, timeout: float
) -> tuple[dict[str, float], dict[str, Any]]:
    """One press; every time in ms after the press, and what each screen showed."""
    mdt, partner, console, live = pages["wilde"], pages["hopps"], pages["console"], pages["feed"]
    offsets = {name: offset_ms(page) for name, page in pages.items()}
    known = set(feed.declared)
    mdt.evaluate("() => performance.clearResourceTimings()")
    clicks = int(mdt.evaluate("() => window.__bench.clicks.length"))
    mdt.locator("#emergency").click()
    mdt.locator("#confirm-yes").click()
    emergency = feed.emergency_after(known, timeout)
    declared_at, declared = feed.declared[emergency]
    alert_at, raised = feed.alerts[emergency]
    if (declared.get("member"), declared.get("by")) != ("wilde", "wilde"):
        raise SystemExit(f"the emergency on the feed is not wilde's own: {declared}")
    alert = raised["alert"]
    wait_in(
        live,
        "(id) => window.__bench.declared[id] && window.__bench.alerts[id]",
        emergency,
        timeout,
        f"emergency {emergency} on the browser's live feed",
        "body",
    )
    wait_in(
        console,
        "(id) => window.__bench.seen[id]",
        alert,
        timeout,
        f"the console's red alert {alert} ({CONSOLE_ALERT})",
        "#alerts",
    )
    wait_in(
        partner,
        "(id) => window.__bench.seen[id]",
        emergency,
        timeout,
        f"the partner-down banner for {emergency} on hopps's MDT ({PARTNER_BANNER})",
        "#partner-down",
    )
    click = mdt.evaluate("(n) => window.__bench.clicks[n] ?? null", clicks)
    if click is None:
        raise SystemExit('the click on "Yes, declare" (#confirm-yes) was not seen on the MDT')
    answered = mdt.evaluate(COMMAND_ANSWER, click)
    if answered is None:
        raise SystemExit("the MDT's emergency.declare fetch is not in its resource timing")
    fed = live.evaluate(
        "(id) => [window.__bench.declared[id], window.__bench.alerts[id]]", emergency
    )
    shown = console.evaluate("(id) => window.__bench.seen[id]", alert)
    console_fed = console.evaluate("(id) => window.__bench.fed[id] ?? null", emergency)
    partner_fed = partner.evaluate("(id) => window.__bench.fed[id] ?? null", emergency)
    if console_fed is None or partner_fed is None:
        raise SystemExit(f"a page's feed did not pass on {emergency} (window.tenfour.feed.on)")
    # the console's long tasks that ran between the press and the alert (ms of them)
    busy = console.evaluate(
        """([from, to]) => window.__bench.long
          .map(([start, took]) => Math.min(to, start + took) - Math.max(from, start))
          .filter((ms) => ms > 0).reduce((a, b) => a + b, 0)""",
        [click - offsets["wilde"] + offsets["console"], shown["at"]],
    )
    banner = partner.evaluate("(id) => window.__bench.seen[id]", emergency)
    pressed = click - offsets["wilde"]  # on this process's clock from here on
    times = {
        "feed": fed[0] - offsets["feed"] - pressed,
        "alert_feed": fed[1] - offsets["feed"] - pressed,
        "python_feed": declared_at - pressed,
        "python_alert": alert_at - pressed,
        "answer": answered - offsets["wilde"] - pressed,
        "console_fed": console_fed - offsets["console"] - pressed,
        "console": shown["at"] - offsets["console"] - pressed,
        "partner_fed": partner_fed - offsets["hopps"] - pressed,
        "partner": banner["at"] - offsets["hopps"] - pressed,
        "console_busy": busy,
    }
    seen = {
        "emergency": emergency,
        "alert": alert,
        "incident": declared.get("incident"),
        "console": shown,
        "partner": banner,
        "offsets": offsets,
    }
    return times, seen


def check(seen: dict[str, Any]) -> None:
    """Both screens showed the emergency the feed carried, about wilde."""
    if seen["console"]["role"] != "alert":
        raise SystemExit(f"the console's emergency row is not role=alert: {seen['console']}")
    for where in ("console", "partner"):
        if "wilde" not in seen[where]["text"].lower():
            raise SystemExit(f"the {where}'s emergency does not name wilde: {seen[where]['text']}")


def reset(pages: dict[str, Any], api: Api, seen: dict[str, Any], timeout: float) -> None:
    """Clear the emergency, close its MAYDAY incident, wilde back with his unit; wait
    until every page shows the quiet board again."""
    api.command("sarge", "emergency.clear", {"emergency": seen["emergency"]})
    if seen["incident"]:
        api.command(
            "bench", "incident.close", {"incident": seen["incident"], "disposition": "BENCH"}
        )
    api.command("nick", "member.status", {"member": "wilde", "status": "with_unit"})
    wait_in(
        pages["console"],
        "(sel) => !document.querySelector(sel)",
        CONSOLE_ALERT,
        timeout,
        "the cleared emergency's alert leaving the console",
        "#alerts",
    )
    wait_in(
        pages["hopps"],
        "() => document.querySelector('#partner-down').hidden",
        None,
        timeout,
        "the partner-down banner leaving hopps's MDT",
        "#partner-down",
    )
    wait_in(
        pages["wilde"],
        "() => !document.querySelector('#emergency-box').hidden",
        None,
        timeout,
        "the emergency button coming back on wilde's MDT",
        "#emergency-box",
    )
    time.sleep(0.5)  # let the plan's last reactions land before the next press


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def open_pages(browser: Any, base: str) -> dict[str, Any]:
    console = browser.new_context(viewport=DESKTOP).new_page()
    log_in(console, base, "bench", "/console")
    # Its own context (a window of its own), with the console's session cookie: a second
    # page in the console's window would make the console a background tab, and
    # Chromium then runs its animation frames about once a second.
    live_context = browser.new_context()
    live_context.add_cookies(console.context.cookies())
    live = live_context.new_page()
    live.goto(f"{base}/api/health")  # same origin: the session's cookie goes with it
    live.evaluate(WATCH_FEED, base.replace("http", "ws") + "/api/live")
    pages = {"console": console, "feed": live}
    for username, member in (("nick", "wilde"), ("judy", "hopps")):
        context = browser.new_context(
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            geolocation=ZPD7_HOME,
            permissions=["geolocation"],
        )
        page = context.new_page()
        log_in(page, base, username, "/mdt")
        pages[member] = page
    problem = console.evaluate(WATCH_CONSOLE) or pages["hopps"].evaluate(WATCH_PARTNER)
    if problem:
        raise SystemExit(problem)
    pages["wilde"].evaluate(WATCH_CLICK)
    pages["wilde"].locator("#emergency").wait_for()
    for name, page in pages.items():
        # A throttled page (a background tab: about one frame a second) would time
        # Chromium's throttling, not the page.
        frames = page.evaluate(FRAMES_IN_HALF_A_SECOND)
        if frames < 10:
            raise SystemExit(f"the {name} page drew {frames} frames in 0.5 s: throttled")
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=1, help="runs not counted")
    parser.add_argument("--port", type=int, default=8771)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per screen")
    parser.add_argument("--each", action="store_true", help="print every run's times")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():  # as the other benches skip what the machine lacks
        print(f"(skipped: {CHROMIUM} is missing; apt-get install chromium)")
        return
    from playwright.sync_api import sync_playwright

    results: list[dict[str, float]] = []
    offsets: list[float] = []
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        database = str(Path(tmp) / "tenfour.db")
        with open_accounts(database) as accounts:
            accounts.create("judy", "officer", PASSWORD, member="hopps", now=datetime.now(UTC))
        server = start_server(database, args.port)
        base = f"http://127.0.0.1:{args.port}"
        try:
            api = Api(base)
            with Feed.connect(base, api.tokens["bench"]) as ws, sync_playwright() as playwright:
                feed = Feed(ws)
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    pages = open_pages(browser, base)
                    for n in range(args.warmup + args.runs):
                        times, seen = run_once(pages, feed, args.timeout)
                        check(seen)
                        if args.each:
                            print(
                                f"run {n + 1 - args.warmup}: "
                                + ", ".join(f"{k} {v:.1f}" for k, v in times.items()),
                                flush=True,
                            )
                        if n >= args.warmup:
                            results.append(times)
                            offsets += seen["offsets"].values()
                        reset(pages, api, seen, args.timeout)
                finally:
                    browser.close()
                    feed.close()
        finally:
            server.terminate()
            server.wait(timeout=30)

    rows = [
        ("`emergency.declared` at a bare live-feed client in Chromium (baseline)", "feed"),
        ("its `alert.raised` (kind emergency) at that client", "alert_feed"),
        ("`emergency.declared` at a live-feed client in Python (this process)", "python_feed"),
        ("the MDT's own `emergency.declare` answered (durable)", "answer"),
        ("the event folded in by the console page's own feed", "console_fed"),
        ("**red emergency alert in the console's `#alerts`**", "console"),
        ("the event folded in by the partner's MDT's own feed", "partner_fed"),
        ("**partner-down banner on the partner's MDT**", "partner"),
    ]
    print(
        f"## MDT emergency button -> the screens ({os.cpu_count()} cores; Chromium "
        f"{CHROMIUM}; {args.runs} runs after {args.warmup} warm-up)\n"
    )
    print('| from the click on "Yes, declare" to ... | p50 ms | p99 ms | max ms |')
    print("|---|---:|---:|---:|")
    for name, key in rows:
        values = [r[key] for r in results]
        print(
            f"| {name} | {statistics.median(values):.1f} | {nearest_rank(values, 0.99):.1f} "
            f"| {max(values):.1f} |"
        )
    for name, key in (("console", "console"), ("partner's MDT", "partner")):
        added = [r[key] - r["feed"] for r in results]
        drawing = [r[key] - r[f"{key}_fed"] for r in results]
        ratio = statistics.median(r[key] for r in results) / statistics.median(
            r["feed"] for r in results
        )
        print(
            f"\n{name}: {ratio:.2f}x the baseline at the median. Run by run, the screen "
            f"minus the bare feed client: {statistics.median(added):.1f} ms (p50) / "
            f"{nearest_rank(added, 0.99):.1f} ms (p99); the page's own drawing (its feed's "
            f"fold to the element shown): {statistics.median(drawing):.1f} ms (p50) / "
            f"{nearest_rank(drawing, 0.99):.1f} ms (p99)"
        )
    busy = [r["console_busy"] for r in results]
    print(
        f"\nThe console's main thread was in long tasks (> 50 ms) for {statistics.median(busy):.0f} "
        f"ms (p50) / {max(busy):.0f} ms (max) of the time between the press and its alert."
    )
    print(
        f"\nCheck: in all {args.runs} runs the console's row (role=alert) carried the alert "
        "id and the partner's banner the emergency id that the live feed carried, both "
        "naming wilde. Page clocks vs this process's, max |offset| "
        f"{max(abs(o) for o in offsets):.1f} ms (corrected). p99 is the nearest rank: with "
        "fewer than 100 runs, the worst run."
    )


if __name__ == "__main__":
    main()
