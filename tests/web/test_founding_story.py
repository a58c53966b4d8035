"""The founding story (shared/scenarios/priority-one.yaml), played through the screens
only, in real Chromium, against a real server on a simulated clock.

An anonymous tip on the tip page; the dispatcher promotes it (P1 DRUGS) and sends ZPD-7
from the console; Judy Hopps and Nick Wilde acknowledge on their MDTs; Wilde steps out
for coffee; Hopps starts a foot pursuit at her position and asks for two units of urgent
backup, and the system sends the nearest two; the dispatcher records the suspect the
pursuit is after with `subj` on the command line. Wilde's check-ins are his own contact, not hers: the
console names HOPPS overdue 60 s after her last word and unresponsive 60 s later. Wilde
declares her down at his position; the console pins the red emergency first, her MDT
says help is coming, his shows the officer-down banner, and the plan sends more police,
a supervisor and an ambulance. Fangmeyer records the arrest of that suspect on his MDT,
the M-51 crew
takes her to Zootopia General from theirs, the supervisor clears the emergency on her
console, and the dispatcher closes the incident (asked first when he tries while M-51
is still transporting). Then the journal, read through the API, must hold each step's
event, in order, by the right actor.

Only accounts and the work open at 0:00 (ZPD-4 on a noise call, as in the scenario
file) are set up through the API; every step of the story is a click or a key on a
page. Units without an MDT in the test answer "on the radio": the dispatcher types
their status on the command line, as a dispatch desk does. The clock moves when the
story says, so the status-check timers fire at exact times.

Where the screens make the story differ from the scenario file: the arrest names the
suspect the dispatcher recorded at 7:31 (the file describes him afresh), and Fangmeyer
records it as the one arresting officer.

Screenshots of each step: out/screenshots/story-<width>-NN-<step>-<screen>.png.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tenfour.api.app import create_app
from tenfour.api.settings import Settings
from tenfour.clock import SimClock, iso
from tests.api.live_server import serving

from .conftest import PASSWORD, PHONE, Site, screenshot, wait_for, watch

#: The scenario's 0:00.
START = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
TIP_TEXT = "Night Howlers are being traded on Main Street tonight."
#: Where the tipster is when she sends it (her phone's position).
TIP_AT = {"latitude": 37.7920, "longitude": -122.3952}
#: Where ZPD-7 parks on the drugs case, and where Wilde buys his coffee.
CASE_SCENE = {"latitude": 37.7915, "longitude": -122.3946}
COFFEE = {"latitude": 37.7918, "longitude": -122.3950}
#: The back alley off Main Street: the pursuit, and where Hopps goes down.
ALLEY = {"latitude": 37.7925893, "longitude": -122.3958821}
PURSUIT_TEXT = (
    "In pursuit of suspect, black fox with silver patches, heading down a back alley "
    "off Main Street. Need backup."
)
SUSPECT = "black fox, silver patches on back, clothed, on foot"
CHARGE = "Assault on a police officer"
PATIENT = "Officer Judy Hopps, ZPD: conscious, leg injury, in pain"
RIDING = "riding with M-51 to Zootopia General"
#: Where each crew with an MDT starts its shift (src/tenfour/data/demo-city.yaml).
HOME = {
    "ZPD-7": {"latitude": 37.7948573, "longitude": -122.4014146},
    "ZPD-3": {"latitude": 37.7880097, "longitude": -122.3998107},
    "M-51": {"latitude": 37.7871562, "longitude": -122.4098893},
}
#: The noise call ZPD-4 is on at 0:00 (the scenario's open work).
NOISE_AT = {"lat": 37.7932709, "lon": -122.3987816}
#: Accounts: username -> (role, member). Usernames are the scenario's actors, so the
#: journal's ``by`` reads as the scenario's ``as``.
ACCOUNTS = {
    "clawhauser": ("dispatcher", None),
    "francine": ("supervisor", "francine"),
    "hopps": ("officer", "hopps"),
    "wilde": ("officer", "wilde"),
    "fangmeyer": ("officer", "fangmeyer"),
    "medic1": ("officer", "medic1"),
}
#: The console on a laptop and on a desk screen (the MDTs are phones: PHONE).
VIEWPORTS = [{"width": 1366, "height": 768}, {"width": 1920, "height": 1080}]


def moment(when: str) -> datetime:
    """``m:ss`` after the story's start."""
    minutes, seconds = when.split(":")
    return START + timedelta(minutes=int(minutes), seconds=int(seconds))


class Story:
    """One run of the story: the server, its clock, the pages and the screenshots."""

    def __init__(
        self, browser: Any, site: Site, clock: SimClock, viewport: dict[str, int], errors: list[str]
    ) -> None:
        self.browser, self.site, self.clock = browser, site, clock
        self.viewport, self.errors = viewport, errors
        self.shots: list[Path] = []
        self.contexts: list[Any] = []

    def at(self, when: str) -> None:
        """Move the simulated clock to ``m:ss`` (timers fire on the way, each at its
        own deadline)."""
        self.clock.advance_to(moment(when))
        self.site.rt.service.settle()

    # --- the journal, as the test watches it --------------------------------------------
    def journal(self) -> list[dict[str, Any]]:
        self.site.rt.service.settle()
        return [e.to_json() for e in self.site.rt.service.store.read()]

    def head(self) -> int:
        self.site.rt.service.settle()
        return int(self.site.rt.service.store.head())

    def expect(self, after: int, type_: str, **match: Any) -> dict[str, Any]:
        """The first event of ``type_`` after seq ``after`` with these fields, waited for
        (a click's command reaches the journal a moment after the click)."""

        def found() -> dict[str, Any] | None:
            for event in self.journal():
                if event["seq"] > after and event["type"] == type_ and matches(event, match):
                    return event
            return None

        event: dict[str, Any] = wait_for(found, timeout=10)
        return event

    def located(self, member: str, where: dict[str, float]) -> None:
        """Wait until the server has ``member`` at ``where`` (from his phone)."""
        wait_for(
            lambda: (
                (self.site.rt.service.state.members[member].location or {}).get("lat")
                == where["latitude"]
            )
        )

    # --- pages --------------------------------------------------------------------------
    def log_in(self, *who: tuple[str, dict[str, Any]]) -> list[Any]:
        """Log these accounts in through the login page, each in its own browser
        context, the pages loading side by side; (username, context options)."""
        pages = []
        for username, options in who:
            context = self.browser.new_context(**options)
            self.contexts.append(context)
            page = watch(context.new_page(), self.errors)
            page.goto(f"{self.site.url}/login")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            pages.append(page)
        for (username, _), page in zip(who, pages, strict=True):
            landing = "/mdt" if ACCOUNTS[username][0] == "officer" else "/console"
            page.wait_for_url(f"**{landing}")
            page.wait_for_function("() => window.tenfour && window.tenfour.state")
        return pages

    def desk(self) -> dict[str, Any]:
        return {"viewport": self.viewport}

    @staticmethod
    def phone(where: dict[str, float]) -> dict[str, Any]:
        return {
            "viewport": PHONE,
            "is_mobile": True,
            "has_touch": True,
            "geolocation": where,
            "permissions": ["geolocation"],
        }

    def shot(self, page: Any, name: str) -> None:
        number = len(self.shots) + 1
        path = screenshot(page, f"story-{self.viewport['width']}-{number:02d}-{name}.png")
        self.shots.append(path)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def matches(event: dict[str, Any], fields: dict[str, Any]) -> bool:
    return all(event.get(k) == v for k, v in fields.items())


def ready(site: Site, username: str, role: str, member: str | None) -> None:
    """An account to log in with. The demo city made some (clawhauser, hopps, wilde)
    with generated passwords: given a known one, as an admin would; the rest are made."""
    existing = site.rt.accounts.get(username)
    if existing is None:
        site.account(username, role, member=member)
        return
    assert (existing.role, existing.member) == (role, member), existing
    site.rt.accounts.set_password(username, PASSWORD, now=site.rt.now())
    answer = httpx.post(f"{site.url}/api/login", json={"username": username, "password": PASSWORD})
    answer.raise_for_status()
    site.tokens[username] = answer.json()["token"]


@contextmanager
def story_site(tmp: Path, clock: SimClock) -> Iterator[Site]:
    """A server as conftest.start_site makes one, with a live-feed heartbeat of 2 s: a
    closed page's feed ends on the server at its next heartbeat, and the server's stop
    waits for it (15 s with the default)."""
    settings = Settings(
        database=str(tmp / "tenfour.db"), fast_hashing=True, clock=clock, heartbeat_s=2.0
    )
    app = create_app(settings)
    with serving(app) as url:
        yield Site(url, app)


@pytest.fixture(params=VIEWPORTS, ids=[f"{v['width']}x{v['height']}" for v in VIEWPORTS])
def story(
    request: pytest.FixtureRequest, browser: Any, tmp_path: Path, errors: list[str]
) -> Iterator[Story]:
    clock = SimClock(START)
    with story_site(tmp_path, clock) as site:
        for username, (role, member) in ACCOUNTS.items():
            ready(site, username, role, member)
        # The work open at 0:00 (priority-one.yaml "incidents"): ZPD-4 on a noise call,
        # so the backup and the MAYDAY plan choose among the scenario's units.
        noise = site.command(
            "clawhauser", "incident.create", {"type": "NOISE", "priority": 4, "location": NOISE_AT}
        )[0]["incident"]
        site.command("clawhauser", "unit.dispatch", {"incident": noise, "units": ["ZPD-4"]})
        site.command("clawhauser", "unit.status", {"unit": "ZPD-4", "status": "onscene"})
        run = Story(browser, site, clock, request.param, errors)
        try:
            yield run
        finally:
            run.close()


# --- what the screens are asked ---------------------------------------------------------
def type_line(console: Any, text: str) -> str:
    """Run a command line as the dispatcher types it; what the line answers."""
    result = console.locator("#command-result")
    result.evaluate("n => { n.textContent = ''; n.dataset.kind = ''; }")
    line = console.locator("#command")
    line.fill(text)
    line.press("Enter")
    wait_for(lambda: result.get_attribute("data-kind") in ("ok", "error", "info"))
    said: str = result.inner_text()
    assert result.get_attribute("data-kind") == "ok", said
    return said


def unit_row(console: Any, unit: str, **data: str) -> Any:
    extra = "".join(f'[data-{k}="{v}"]' for k, v in data.items())
    return console.locator(f'#units tr[data-unit="{unit}"]{extra}')


def acknowledge_backup(console: Any, officer: str) -> None:
    """The dispatcher acknowledges an officer's urgent-backup alert: seen, it leaves the
    bar (which keeps three lines before "+N more"), as the missed checks must not."""
    row = console.locator('#alerts .alert-row[data-kind="backup_requested"]', has_text=officer)
    row.get_by_role("button", name="Acknowledge").click()
    row.wait_for(state="detached")


def pressed(page: Any, group: str, status: str) -> None:
    page.locator(f'#{group} [data-status="{status}"][aria-pressed="true"]').wait_for()


def rgb(css: str) -> tuple[int, int, int]:
    inside = css[css.index("(") + 1 : css.index(")")]
    red, green, blue = (int(float(part)) for part in inside.split(",")[:3])
    return red, green, blue


# --- the story ----------------------------------------------------------------------------
def test_the_founding_story_through_the_screens(story: Story, errors: list[str]) -> None:
    began = time.monotonic()
    site = story.site

    # The crews are on shift before anything happens, their phones sharing positions.
    hopps, wilde, fangmeyer, medic, desk = story.log_in(
        ("hopps", story.phone(HOME["ZPD-7"])),
        ("wilde", story.phone(HOME["ZPD-7"])),
        ("fangmeyer", story.phone(HOME["ZPD-3"])),
        ("medic1", story.phone(HOME["M-51"])),
        ("clawhauser", story.desk()),
    )
    wait_for(
        lambda: (
            {"hopps", "wilde", "fangmeyer", "medic1"}
            <= {e["member"] for e in story.journal() if e["type"] == "member.located"}
        )
    )

    # --- 0:00 an anonymous tip from the tip page ------------------------------------------
    public = story.browser.new_context(**{**story.phone(TIP_AT), "is_mobile": False})
    story.contexts.append(public)
    tip_page = watch(public.new_page(), errors)
    tip_page.goto(f"{site.url}/tip")
    tip_page.get_by_label("What happened?").fill(TIP_TEXT)
    tip_page.get_by_role("button", name="Use my location").click()
    wait_for(lambda: "will be sent" in tip_page.locator("#tip-here-status").inner_text())
    mark = story.head()
    tip_page.get_by_role("button", name="Send tip").click()
    tip_page.locator("#tip-code").wait_for()
    tip = story.expect(mark, "tip.received")
    assert (tip["location"]["lat"], tip["location"]["lon"]) == (
        TIP_AT["latitude"],
        TIP_AT["longitude"],
    )
    story.shot(tip_page, "tip-public")

    # --- 0:30 the dispatcher promotes it: P1 DRUGS -----------------------------------------
    story.at("0:30")
    card = desk.locator("article.tip", has_text="Night Howlers")
    card.get_by_role("button", name="Promote…").click()
    card.get_by_label("Type").fill("DRUGS")
    card.get_by_label("Priority").select_option("1")
    mark = story.head()
    card.get_by_role("button", name="Promote to incident").click()
    created = story.expect(mark, "incident.created", tip=tip["tip"])
    case = created["incident"]
    assert (created["incident_type"], created["priority"]) == ("DRUGS", 1)
    desk.locator(f'tr[data-incident="{case}"]', has_text="DRUGS").wait_for()
    story.shot(desk, "promoted-console")

    # --- 0:45 ...and sends ZPD-7 from the command line --------------------------------------
    story.at("0:45")
    said = type_line(desk, f"d {case} ZPD-7")
    assert "ZPD-7" in said and case in said
    unit_row(desk, "ZPD-7", status="dispatched").wait_for()

    # --- 0:50 Hopps acknowledges on her MDT; 6:00 Wilde puts the unit on scene --------------
    story.at("0:50")
    acknowledge = hopps.get_by_role("button", name="Acknowledge · en route")
    acknowledge.wait_for()
    assert case in hopps.locator("#assignment").inner_text()
    # what the tipster said reaches the officers with the incident (not the tip itself)
    wait_for(lambda: TIP_TEXT in hopps.locator("#incident-details").inner_text())
    mark = story.head()
    acknowledge.click()
    story.expect(mark, "unit.status_changed", unit="ZPD-7", to="enroute", by="hopps")
    pressed(wilde, "status-buttons", "enroute")  # one unit: his MDT follows hers
    unit_row(desk, "ZPD-7", status="enroute").wait_for()
    story.shot(hopps, "enroute-hopps-mdt")
    for phone in (hopps, wilde):
        phone.context.set_geolocation(CASE_SCENE)
    story.located("hopps", CASE_SCENE)
    story.at("6:00")
    wilde.locator('#status-buttons [data-status="onscene"]').click()
    story.expect(mark, "unit.status_changed", unit="ZPD-7", to="onscene", by="wilde")
    pressed(hopps, "status-buttons", "onscene")
    unit_row(desk, "ZPD-7", status="onscene").wait_for()
    story.shot(wilde, "onscene-wilde-mdt")

    # --- 6:20 Wilde steps out for coffee ----------------------------------------------------
    story.at("6:20")
    wilde.locator("#member-note").fill("coffee")
    wilde.get_by_role("button", name="I'm on foot / away").click()
    away = story.expect(mark, "member.status_changed", member="wilde", to="away", by="wilde")
    assert away["text"] == "coffee"
    pressed(wilde, "member-buttons", "away")
    wilde.context.set_geolocation(COFFEE)
    story.shot(wilde, "coffee-wilde-mdt")

    # --- 7:00 Hopps checks the alley on foot; 7:30 she gives chase --------------------------
    story.at("7:00")
    hopps.get_by_role("button", name="I'm on foot / away").click()
    pressed(hopps, "member-buttons", "away")
    hopps.context.set_geolocation(ALLEY)  # on foot: her phone moves her, not the car
    story.located("hopps", ALLEY)
    story.at("7:30")
    hopps.locator("#start-box summary").click()
    assert "this phone's GPS" in hopps.locator("#start-where").inner_text()
    hopps.locator("#start-type").select_option("PURSUIT")
    hopps.locator("#start-priority").select_option("1")
    hopps.get_by_label("What is happening").fill(PURSUIT_TEXT)
    mark = story.head()
    hopps.get_by_role("button", name="Start incident at my position").click()
    started = story.expect(mark, "incident.created", source="officer", by="hopps")
    pursuit = started["incident"]
    assert (started["incident_type"], started["priority"]) == ("PURSUIT", 1)
    assert (started["location"]["lat"], started["location"]["lon"]) == (
        ALLEY["latitude"],
        ALLEY["longitude"],
    )
    hopps.locator("#assignment .id", has_text=pursuit).wait_for()
    hopps.get_by_role("button", name="I'm in foot pursuit").click()
    story.expect(mark, "member.status_changed", member="hopps", to="pursuit", incident=pursuit)
    pressed(hopps, "member-buttons", "pursuit")
    hopps.get_by_label("How many units").select_option("2")
    hopps.get_by_role("button", name="Urgent backup").click()
    requested = story.expect(mark, "backup.requested", incident=pursuit, by="hopps")
    assert (requested["urgency"], requested["count"]) == ("urgent", 2)
    # the system sends the nearest two by drive time, at once; her MDT names them
    ranked = story.expect(requested["seq"], "recommendation.made", incident=pursuit)
    nearest = [c["unit"] for c in ranked["candidates"][:2]]
    assert nearest == ["ZPD-6", "ZPD-3"], ranked["candidates"]
    for unit in nearest:
        story.expect(requested["seq"], "unit.dispatched", incident=pursuit, unit=unit, by="system")
    wait_for(
        lambda: (
            hopps.locator("#action-result").inner_text()
            == "✓ urgent backup requested: ZPD-6 and ZPD-3 are being sent"
        )
    )
    story.shot(hopps, "pursuit-hopps-mdt")
    # the console shows the pursuit and the units the system sent to it
    desk.locator(f'tr[data-incident="{pursuit}"]', has_text="PURSUIT").click()
    for unit in nearest:
        unit_row(desk, unit, status="dispatched").wait_for()
        assert pursuit in unit_row(desk, unit).inner_text()
        desk.locator("#d-units", has_text=unit).wait_for()
    story.shot(desk, "pursuit-console")

    # --- 7:31 the dispatcher has seen the urgent backup; records the suspect on the line ---
    story.at("7:31")
    mark = story.head()
    acknowledge_backup(desk, "Judy Hopps")
    story.expect(mark, "alert.acknowledged", kind="backup_requested", by="clawhauser")
    said = type_line(desk, f"subj . suspect -- {SUSPECT}")
    described = story.expect(mark, "subject.added", incident=pursuit, by="clawhauser")
    assert (described["role"], described["description"]) == ("suspect", SUSPECT)
    assert said == f"✓ suspect {described['subject']} added to {pursuit}"
    desk.locator(
        f'#d-subjects li[data-subject="{described["subject"]}"]', has_text=SUSPECT
    ).wait_for()

    # --- 7:40 ZPD-6 answers on the radio (the dispatcher records it), ZPD-3 on its MDT -----
    story.at("7:40")
    type_line(desk, "st ZPD-6 enroute")
    fangmeyer.get_by_role("button", name="Acknowledge · en route").click()
    story.expect(mark, "unit.status_changed", unit="ZPD-3", to="enroute", by="fangmeyer")

    # --- 7:45 Wilde runs after her: his urgent backup adds nobody; his own pursuit ----------
    story.at("7:45")
    wilde.get_by_role("button", name="Urgent backup").click()
    story.expect(mark, "backup.requested", incident=pursuit, by="wilde")
    wait_for(
        lambda: (
            wilde.locator("#action-result").inner_text()
            == "✓ urgent backup requested: none added, ZPD-6 and ZPD-3 already coming"
        )
    )
    mark = story.head()
    acknowledge_backup(desk, "Nick Wilde")
    story.expect(mark, "alert.acknowledged", kind="backup_requested", by="clawhauser")
    story.at("7:46")
    wilde.get_by_role("button", name="I'm in foot pursuit").click()
    story.expect(mark, "member.status_changed", member="wilde", to="pursuit", incident=pursuit)
    pressed(wilde, "member-buttons", "pursuit")

    # --- 8:10 Wilde checks in: his contact, not hers -----------------------------------------
    story.at("8:10")
    wilde.get_by_role("button", name="Check in · I'm OK").click()
    story.expect(mark, "member.checked_in", member="wilde", at=iso(moment("8:10")))
    # --- 8:30 sixty seconds since Hopps's last word: overdue, for her, by name -------------
    story.at("8:30")
    line = desk.locator('#alerts .alert-row[data-line="contact:member:hopps"]')
    line.wait_for()
    wait_for(lambda: line.get_attribute("data-kind") == "status_check_overdue")
    assert line.locator(".what").text_content() == "Status check overdue"
    assert "Judy Hopps" in line.inner_text(), line.inner_text()
    hopps.locator("#check-prompt").wait_for()  # her MDT asks; she does not answer
    assert wilde.locator("#check-prompt").is_hidden()
    story.shot(desk, "overdue-console")
    story.shot(hopps, "overdue-hopps-mdt")
    # --- 9:05 Wilde checks in again; 9:30 Hopps is unresponsive ------------------------------
    story.at("9:05")
    wilde.get_by_role("button", name="Check in · I'm OK").click()
    story.expect(mark, "member.checked_in", member="wilde", at=iso(moment("9:05")))
    story.at("9:30")
    wait_for(lambda: line.get_attribute("data-kind") == "member_unresponsive")
    assert line.locator(".what").text_content() == "Officer unresponsive"
    assert "Judy Hopps" in line.inner_text(), line.inner_text()
    assert desk.locator('#alerts .alert-row[data-line="contact:member:wilde"]').count() == 0
    story.shot(desk, "unresponsive-console")

    # --- 9:50 Wilde reaches the alley; 10:00 he declares her down at his position ----------
    story.at("9:50")
    wilde.context.set_geolocation(ALLEY)
    story.located("wilde", ALLEY)
    story.at("10:00")
    assert wilde.locator("#down-member").input_value() == "hopps"  # his partner, offered
    mark = story.head()
    wilde.locator("#down").click()  # a tap asks first, naming her
    confirm = wilde.locator("#down-confirm")
    confirm.wait_for()
    assert "Judy Hopps" in confirm.inner_text()
    wilde.get_by_role("button", name="Yes, officer down").click()
    declared = story.expect(mark, "emergency.declared", member="hopps", by="wilde")
    assert declared["incident"] == pursuit
    assert (declared["location"]["lat"], declared["location"]["lon"]) == (
        ALLEY["latitude"],
        ALLEY["longitude"],
    )
    # the console: the red emergency, pinned first, naming her
    first = desk.locator("#alerts .alert-row").first
    wait_for(lambda: first.get_attribute("data-kind") == "emergency")
    assert first.get_attribute("role") == "alert"
    assert "Judy Hopps" in first.inner_text(), first.inner_text()
    red, green, blue = rgb(first.evaluate("n => getComputedStyle(n).backgroundColor"))
    assert red > 150 and green < 80 and blue < 80, (red, green, blue)
    unit_row(desk, "ZPD-7", emergency="true").wait_for()
    desk.locator(f'tr[data-incident="{pursuit}"]', has_text="MAYDAY").wait_for()
    # her MDT: help is coming, called in by him; his: the officer-down banner
    hopps.locator("#help-coming").wait_for()
    assert "by Nick Wilde" in hopps.locator("#help-detail").inner_text()
    banner = wilde.locator("#partner-down")
    banner.wait_for()
    assert "Judy Hopps (hopps)" in banner.inner_text() and "by you" in banner.inner_text()
    # the plan: police to four besides ZPD-7 (ZPD-6 and ZPD-3 already coming; ZPD-4
    # taken off its noise call), a supervisor and an ambulance; all on the console
    plan = {
        e["unit"]
        for e in story.journal()
        if e["seq"] > declared["seq"] and e["type"] == "unit.dispatched" and e["by"] == "system"
    }
    assert plan == {"ZPD-4", "ZPD-8", "ZPD-S1", "M-51"}, plan
    for unit in sorted(plan):
        unit_row(desk, unit, status="dispatched").wait_for()
        assert pursuit in unit_row(desk, unit).inner_text()
    wait_for(lambda: hopps.locator("#help-units li[data-unit]").count() == len(plan) + 2)
    story.shot(desk, "officer-down-console")
    story.shot(wilde, "officer-down-wilde-mdt")
    story.shot(hopps, "officer-down-hopps-mdt")
    # the dispatcher has it: acknowledged (the alarm stops; the emergency stays open)
    first.get_by_role("button", name="Acknowledge").click()
    story.expect(mark, "alert.acknowledged", kind="emergency", by="clawhauser")

    # --- 10:10 the plan's units answer: one on its MDT, three on the radio -----------------
    story.at("10:10")
    medic.get_by_role("button", name="Acknowledge · en route").click()
    story.expect(mark, "unit.status_changed", unit="M-51", to="enroute")
    for unit in ("ZPD-4", "ZPD-8", "ZPD-S1"):
        type_line(desk, f"st {unit} enroute")
    story.at("10:30")
    wilde.get_by_role("button", name="I'm on scene").click()
    story.expect(mark, "member.status_changed", member="wilde", to="onscene")

    # --- 11:30-12:00 backup on scene; Fangmeyer records the arrest on his MDT -------------
    story.at("11:30")
    type_line(desk, "st ZPD-6 onscene")
    story.at("11:45")
    fangmeyer.context.set_geolocation(ALLEY)
    story.located("fangmeyer", ALLEY)
    fangmeyer.locator('#status-buttons [data-status="onscene"]').click()
    story.expect(mark, "unit.status_changed", unit="ZPD-3", to="onscene", by="fangmeyer")
    story.at("12:00")
    fangmeyer.locator("#arrest-box summary").click()
    assert pursuit in fangmeyer.locator("#records-title").inner_text()
    # the suspect the dispatcher described, offered by his MDT
    fangmeyer.get_by_label("Who is arrested").select_option(described["subject"])
    assert fangmeyer.get_by_label("Suspect's description").is_hidden()
    fangmeyer.get_by_label("Charges (one per line)").fill(CHARGE)
    mark = story.head()
    fangmeyer.get_by_role("button", name="Record arrest").click()
    arrest = story.expect(mark, "arrest.recorded", incident=pursuit, by="fangmeyer")
    assert (arrest["charges"], arrest["members"]) == ([CHARGE], ["fangmeyer"])
    assert arrest["subject"] == described["subject"]
    wait_for(lambda: "✓ arrest" in fangmeyer.locator("#arrest-form .result").inner_text())
    story.shot(fangmeyer, "arrest-fangmeyer-mdt")

    # --- 13:30-15:00 the M-51 crew on scene, then on the way to Zootopia General ----------
    story.at("13:30")
    medic.context.set_geolocation(ALLEY)
    story.located("medic1", ALLEY)
    medic.locator('#status-buttons [data-status="onscene"]').click()
    medic.locator("#transport-form").wait_for()
    story.at("15:00")
    medic.locator("#transport-destination").select_option("ZGH")
    medic.get_by_label("Patient's description").fill(PATIENT)
    mark = story.head()
    medic.get_by_role("button", name="Start transport").click()
    transport = story.expect(mark, "transport.started", unit="M-51", by="medic1")
    assert (transport["incident"], transport["destination"]) == (pursuit, "ZGH")
    going = medic.locator('.transport-line[data-phase="transporting"]')
    going.wait_for()
    assert "Zootopia General Hospital" in going.inner_text()
    assert going.locator("time").get_attribute("datetime") == transport["at"]
    story.shot(medic, "transport-medic-mdt")
    wilde.locator("#member-note").fill(RIDING)
    wilde.get_by_role("button", name="I'm on foot / away").click()
    story.expect(mark, "member.status_changed", member="wilde", to="away", text=RIDING)

    # --- 15:30 the dispatcher tries to close too early: the console asks, he keeps it ------
    story.at("15:30")
    unit_row(desk, "M-51", status="transporting").wait_for()
    desk.locator(f'tr[data-incident="{pursuit}"]').click()
    desk.locator("#close-disposition").fill("ARREST")
    mark = story.head()
    desk.get_by_role("button", name="Close incident").click()
    question = desk.locator("#confirm")
    question.wait_for()
    asked = question.inner_text()
    assert "M-51 transporting" in asked and declared["emergency"] in asked, asked
    story.shot(desk, "close-asked-console")
    question.get_by_role("button", name="Keep open").click()
    question.wait_for(state="hidden")
    wait_for(lambda: "stays open" in desk.locator("#command-result").inner_text())
    assert [e for e in story.journal() if e["seq"] > mark and e["type"] == "incident.closed"] == []

    # --- 21:00 at the hospital, with the times -----------------------------------------------
    story.at("21:00")
    mark = story.head()
    medic.get_by_role("button", name="Arrived at hospital").click()
    arrived = story.expect(mark, "transport.arrived", unit="M-51", destination="ZGH", by="medic1")
    there = medic.locator('.transport-line[data-phase="athospital"]')
    there.wait_for()
    times = [t.get_attribute("datetime") for t in there.locator("time").all()]
    assert times == [transport["at"], arrived["at"]] == [iso(moment("15:00")), iso(moment("21:00"))]
    story.shot(medic, "hospital-medic-mdt")

    # --- 30:00 the supervisor clears the emergency from her console -------------------------
    story.at("30:00")
    (sergeant,) = story.log_in(("francine", story.desk()))
    sergeant.locator(f'tr[data-incident="{pursuit}"]').click()
    clear = sergeant.get_by_role("button", name="Clear emergency")
    clear.wait_for()
    assert desk.get_by_role("button", name="Clear emergency").count() == 0  # not a dispatcher's
    story.shot(sergeant, "clear-supervisor-console")
    mark = story.head()
    clear.click()
    story.expect(mark, "emergency.cleared", emergency=declared["emergency"], by="francine")
    banner.wait_for(state="hidden")
    hopps.locator("#help-coming").wait_for(state="hidden")
    unit_row(desk, "ZPD-7", emergency="false").wait_for()

    # --- 31:00 the dispatcher closes it: nothing committed now, so no question -------------
    story.at("31:00")
    desk.locator(f'tr[data-incident="{pursuit}"]').click()
    desk.locator("#close-disposition").fill("ARREST")
    mark = story.head()
    desk.get_by_role("button", name="Close incident").click()
    closed = story.expect(mark, "incident.closed", incident=pursuit, by="clawhauser")
    assert closed["disposition"] == "ARREST" and not closed.get("force")
    assert desk.locator("#confirm").is_hidden()
    desk.locator(f'tr[data-incident="{pursuit}"]').wait_for(state="detached")
    desk.locator(".closed-notice", has_text="ARREST").wait_for()
    story.shot(desk, "closed-console")

    assert_journal(story, case=case, pursuit=pursuit)
    assert errors == []
    print(f"\nthe story at {story.viewport['width']}: {time.monotonic() - began:.1f} s")


# --- the journal, read back through the API ------------------------------------------------
#: Each step of the story and the events it must have journaled, steps in this order
#: (within a step, any order): (type, fields, by).
Step = list[tuple[str, dict[str, Any], str]]


def story_steps(case: str, pursuit: str, tip: str) -> list[Step]:
    def status(unit: str, to: str, by: str, incident: str = pursuit) -> tuple[Any, ...]:
        return ("unit.status_changed", {"unit": unit, "to": to, "incident": incident}, by)

    def member(who: str, to: str, **more: Any) -> tuple[Any, ...]:
        return ("member.status_changed", {"member": who, "to": to, **more}, who)

    def dispatched(unit: str) -> tuple[Any, ...]:
        return ("unit.dispatched", {"incident": pursuit, "unit": unit}, "system")

    def overdue(kind: str) -> tuple[Any, ...]:
        return ("alert.raised", {"kind": kind, "member": "hopps", "incident": pursuit}, "system")

    steps: list[list[tuple[Any, ...]]] = [
        [("tip.received", {"tip": tip}, "public")],
        [("incident.created", {"incident": case, "source": "tip", "priority": 1}, "clawhauser")],
        [("unit.dispatched", {"incident": case, "unit": "ZPD-7"}, "clawhauser")],
        [status("ZPD-7", "enroute", "hopps", case)],
        [status("ZPD-7", "onscene", "wilde", case)],
        [member("wilde", "away", text="coffee")],
        [member("hopps", "away")],
        [("incident.created", {"incident": pursuit, "source": "officer"}, "hopps")],
        [member("hopps", "pursuit", incident=pursuit)],
        [("backup.requested", {"incident": pursuit, "urgency": "urgent", "count": 2}, "hopps")],
        [dispatched("ZPD-6"), dispatched("ZPD-3")],
        [("subject.added", {"incident": pursuit, "role": "suspect"}, "clawhauser")],
        [status("ZPD-6", "enroute", "clawhauser"), status("ZPD-3", "enroute", "fangmeyer")],
        [("backup.requested", {"incident": pursuit, "urgency": "urgent"}, "wilde")],
        [member("wilde", "pursuit", incident=pursuit)],
        [("member.checked_in", {"member": "wilde"}, "wilde")],
        [overdue("status_check_overdue")],
        [("member.checked_in", {"member": "wilde"}, "wilde")],
        [overdue("member_unresponsive")],
        [("emergency.declared", {"member": "hopps", "incident": pursuit}, "wilde")],
        [("alert.raised", {"kind": "emergency", "member": "hopps"}, "wilde")],
        [dispatched(u) for u in ("ZPD-4", "ZPD-8", "ZPD-S1", "M-51")],
        [("alert.acknowledged", {"kind": "emergency"}, "clawhauser")],
        [
            status("M-51", "enroute", "medic1"),
            status("ZPD-4", "enroute", "clawhauser"),
            status("ZPD-8", "enroute", "clawhauser"),
            status("ZPD-S1", "enroute", "clawhauser"),
        ],
        [member("wilde", "onscene", incident=pursuit)],
        [status("ZPD-6", "onscene", "clawhauser")],
        [status("ZPD-3", "onscene", "fangmeyer")],
        [("arrest.recorded", {"incident": pursuit, "members": ["fangmeyer"]}, "fangmeyer")],
        [status("M-51", "onscene", "medic1")],
        [("transport.started", {"unit": "M-51", "destination": "ZGH"}, "medic1")],
        [member("wilde", "away", text=RIDING)],
        [("transport.arrived", {"unit": "M-51", "destination": "ZGH"}, "medic1")],
        [("emergency.cleared", {"member": "hopps"}, "francine")],
        [("incident.closed", {"incident": pursuit, "disposition": "ARREST"}, "clawhauser")],
    ]
    return [[(t, f, b) for t, f, b in step] for step in steps]


def read_journal(site: Site, username: str) -> list[dict[str, Any]]:
    """The whole journal through GET /api/journal, page by page, as ``username`` sees it
    (logged in afresh: half an hour of simulated time ends an idle session)."""
    answer = httpx.post(f"{site.url}/api/login", json={"username": username, "password": PASSWORD})
    answer.raise_for_status()
    site.tokens[username] = answer.json()["token"]
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        page = site.get(username, f"/api/journal?after={after}&limit=500")
        events += page["events"]
        if page["next_after"] >= page["head"]:
            return events
        after = page["next_after"]


def assert_journal(story: Story, *, case: str, pursuit: str) -> None:
    story.site.rt.service.settle()
    events = read_journal(story.site, "francine")
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    tip = next(e["tip"] for e in events if e["type"] == "tip.received")
    # each step's events, after the step before, by the right actor
    cursor = 0
    for number, step in enumerate(story_steps(case, pursuit, tip), start=1):
        found = []
        for type_, fields, by in step:
            hit = next(
                (
                    i
                    for i, e in enumerate(events)
                    if i >= cursor and e["type"] == type_ and matches(e, fields)
                ),
                None,
            )
            assert hit is not None, f"step {number}: no {type_} {fields} after #{cursor}"
            assert events[hit]["by"] == by, (number, events[hit])
            found.append(hit)
        cursor = max(found) + 1

    def seconds(event: dict[str, Any]) -> float:
        return (datetime.fromisoformat(event["at"]) - START).total_seconds()

    def one(type_: str, **fields: Any) -> dict[str, Any]:
        hits = [e for e in events if e["type"] == type_ and matches(e, fields)]
        assert len(hits) == 1, (type_, fields, hits)
        return hits[0]

    # Timed per member: Hopps's clock ran from her own last word (the backup request at
    # 7:30); Wilde's check-ins, one before each alert, did not reset it.
    last_word = one("backup.requested", by="hopps")
    checks = [seconds(e) for e in events if e["type"] == "member.checked_in"]
    late = one("alert.raised", kind="status_check_overdue", member="hopps")
    silent = one("alert.raised", kind="member_unresponsive", member="hopps")
    assert seconds(last_word) == 450
    assert seconds(late) - seconds(last_word) == 60
    assert seconds(silent) - seconds(last_word) == 120
    assert checks == [490, 545] and 490 < seconds(late) < 545 < seconds(silent)
    assert not [
        e
        for e in events
        if e["type"] == "alert.raised"
        and e.get("member") == "wilde"
        and e["kind"] in ("status_check_overdue", "member_unresponsive")
    ]
    # Wilde's request added nobody: no unit sent and no incident opened till the MAYDAY
    wilde_asked = one("backup.requested", by="wilde")
    down = one("emergency.declared", member="hopps")
    between = [e for e in events if wilde_asked["seq"] < e["seq"] < down["seq"]]
    assert not [e for e in between if e["type"] in ("unit.dispatched", "incident.created")]
    # the units the story never needed were never sent
    for unit in ("ZPD-5", "ZPD-9", "ZPD-11", "M-53"):
        assert not [e for e in events if e["type"] == "unit.dispatched" and e["unit"] == unit]
    assert [e for e in events if e["type"] == "unit.dispatched" and e["unit"] == "ZPD-8"] == [
        one("unit.dispatched", unit="ZPD-8", by="system")
    ]
    # one suspect: the one the dispatcher described is the one arrested
    described = one("subject.added", incident=pursuit, role="suspect")
    assert (described["by"], described["description"]) == ("clawhauser", SUSPECT)
    assert one("arrest.recorded", incident=pursuit)["subject"] == described["subject"]
    # the emergency went where the declarer stood, and the incident became a MAYDAY
    assert one("incident.updated", incident=pursuit)["changes"]["incident_type"] == "MAYDAY"
    assert seconds(down) == 600
    assert seconds(one("incident.closed", incident=pursuit)) == 1860
