"""What an officer records from the MDT, and how the MDT reads on a phone and in a car:
an incident he starts at his position (a traffic stop), subjects with descriptions, an
arrest with its charges and both officers, an ambulance's transport to a hospital with
the times, the incident's timeline in the server's sentences, and a layout of thumb-size
controls with nothing cut off at 390 x 844 (and two columns on a car laptop)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import (
    ZPD7_HOME,
    Site,
    journal_events,
    log_in,
    phone,
    screenshot,
    wait_for,
    watch,
)

HERE = {"lat": 37.7925893, "lon": -122.3958821}
#: Where M-51 starts its shift.
M51_HOME = {"latitude": 37.7871562, "longitude": -122.4098893}
CAR_LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def hopps(browser: Any, site: Site) -> Iterator[Any]:
    site.account("desk", "dispatcher")
    site.account("judy", "officer", member="hopps")
    page = phone(browser, site, "judy", ZPD7_HOME)
    yield page
    page.context.close()


def test_i_start_a_traffic_stop_at_my_position(hopps: Any, site: Site, errors: list[str]) -> None:
    watch(hopps, errors)
    wait_for(lambda: journal_events(site, "member.located"))
    assert hopps.locator("#records").is_hidden()  # nothing to record on yet
    hopps.locator("#start-box summary").click()
    assert "this phone's GPS" in hopps.locator("#start-where").inner_text()
    hopps.locator("#start-type").select_option("TRAFFIC_STOP")
    hopps.locator("#start-priority").select_option("4")
    hopps.get_by_label("What is happening").fill("grey sedan, plate 7XYZ123, stopped on Kearny")
    hopps.get_by_role("button", name="Start incident at my position").click()
    result = hopps.locator("#start-form .result")
    wait_for(lambda: result.inner_text().startswith("✓ incident"))
    created = journal_events(site, "incident.created")[-1]
    assert created["source"] == "officer" and created["by"] == "hopps"
    assert (created["member"], created["unit"]) == ("hopps", "ZPD-7")
    assert (created["incident_type"], created["priority"]) == ("TRAFFIC_STOP", 4)
    assert created["text"] == "grey sedan, plate 7XYZ123, stopped on Kearny"
    assert (created["location"]["lat"], created["location"]["lon"]) == (
        ZPD7_HOME["latitude"],
        ZPD7_HOME["longitude"],
    )
    incident = created["incident"]
    hopps.locator("#assignment .id", has_text=incident).wait_for()
    hopps.locator("#records").wait_for()
    assert incident in hopps.locator("#records-title").inner_text()
    assert errors == []


def test_i_add_a_witness_and_arrest_a_suspect_with_my_partner(
    hopps: Any, site: Site, errors: list[str]
) -> None:
    watch(hopps, errors)
    incident = journal_events(site, "incident.created")[-1]["incident"]
    # a subject without a description is refused on the phone, next to the field
    hopps.locator("#subject-box summary").click()
    hopps.get_by_role("button", name="Add subject").click()
    assert hopps.locator("#subject-description").get_attribute("aria-invalid") == "true"
    assert "Describe the subject" in hopps.locator("#subject-description-error").inner_text()
    assert journal_events(site, "subject.added") == []
    hopps.locator("#subject-role").select_option("witness")
    hopps.locator("#subject-description").fill("woman in a yellow coat, saw the driver run north")
    hopps.get_by_role("button", name="Add subject").click()
    wait_for(lambda: hopps.locator("#subject-form .result").inner_text().startswith("✓ witness"))
    witness = journal_events(site, "subject.added")[-1]
    assert (witness["incident"], witness["role"], witness["by"]) == (incident, "witness", "hopps")
    assert witness["description"] == "woman in a yellow coat, saw the driver run north"
    assert hopps.locator("#subject-description").get_attribute("aria-invalid") is None

    hopps.locator("#arrest-box summary").click()
    assert hopps.locator("#arrest-subject").input_value() == ""  # a new suspect
    hopps.get_by_label("Suspect's description").fill("male, 30s, red hoodie, tattoo on left hand")
    # no charge: refused next to the charges, nothing journaled
    hopps.get_by_role("button", name="Record arrest").click()
    assert hopps.locator("#arrest-charges").get_attribute("aria-invalid") == "true"
    assert journal_events(site, "arrest.recorded") == []
    hopps.get_by_label("Charges (one per line)").fill(
        "Evading arrest\n\nDriving without a licence\n"
    )
    hopps.get_by_label("Nick Wilde (wilde)").check()
    hopps.get_by_role("button", name="Record arrest").click()
    wait_for(lambda: hopps.locator("#arrest-form .result").inner_text().startswith("✓ arrest"))
    arrest = journal_events(site, "arrest.recorded")[-1]
    assert arrest["incident"] == incident and arrest["by"] == "hopps"
    assert arrest["charges"] == ["Evading arrest", "Driving without a licence"]
    assert arrest["members"] == ["hopps", "wilde"]
    suspect = next(
        s for s in journal_events(site, "subject.added") if s["subject"] == arrest["subject"]
    )
    assert suspect["role"] == "suspect"
    assert suspect["description"] == "male, 30s, red hoodie, tattoo on left hand"
    # the suspect can be picked for the next arrest; the form is ready for it
    hopps.locator(f'#arrest-subject option[value="{arrest["subject"]}"]').wait_for(state="attached")
    assert hopps.locator("#arrest-charges").input_value() == ""
    # the incident's details list both
    details = hopps.locator("#incident-details")
    details.locator(f'li[data-subject="{arrest["subject"]}"]').wait_for()
    assert "yellow coat" in details.inner_text()
    assert errors == []


def test_the_timeline_reads_the_servers_sentences_with_the_event_in_the_title(
    hopps: Any, site: Site, errors: list[str]
) -> None:
    watch(hopps, errors)
    incident = journal_events(site, "incident.created")[-1]["incident"]
    hopps.locator('#incident-details li[title="arrest.recorded"]').wait_for()
    timeline = {e["seq"]: e for e in site.get("desk", f"/api/incidents/{incident}")["timeline"]}
    lines = hopps.locator("#incident-details .timeline li")
    assert lines.count() >= 4
    shown = set()
    for i in range(lines.count()):
        line = lines.nth(i)
        entry = timeline[int(line.get_attribute("data-seq"))]
        assert line.get_attribute("title") == entry["type"]
        assert line.locator(".what").inner_text().startswith(entry["text"])
        shown.add(entry["type"])
    assert {"incident.created", "subject.added", "arrest.recorded"} <= shown
    # newest first
    seqs = [int(lines.nth(i).get_attribute("data-seq")) for i in range(lines.count())]
    assert seqs == sorted(seqs, reverse=True)
    assert errors == []


def test_an_ambulance_transports_its_patient_and_arrives_with_the_times(
    browser: Any, hopps: Any, site: Site, errors: list[str]
) -> None:
    assert hopps.locator("#transport").is_hidden()  # a patrol car carries no patients
    site.account("medic", "officer", member="medic1")
    medic = watch(phone(browser, site, "medic", M51_HOME), errors)
    card = medic.locator("#transport")
    card.wait_for()
    assert medic.locator("#transport-form").is_hidden()
    assert "starts on scene" in card.inner_text()
    incident = site.command(
        "desk", "incident.create", {"type": "MEDICAL", "priority": 2, "location": HERE}
    )[0]["incident"]
    site.command("desk", "unit.dispatch", {"incident": incident, "units": ["M-51"]})
    medic.get_by_role("button", name="Acknowledge · en route").click()
    medic.locator('#status-buttons [data-status="onscene"]:not([disabled])').click()
    medic.locator("#transport-form").wait_for()
    # hospitals only, not the police station
    options = medic.locator("#transport-destination option")
    assert [options.nth(i).get_attribute("value") for i in range(options.count())] == ["ZGH"]
    # a new patient needs a description: refused next to it
    medic.get_by_role("button", name="Start transport").click()
    assert medic.locator("#transport-description").get_attribute("aria-invalid") == "true"
    assert journal_events(site, "transport.started") == []
    medic.get_by_label("Patient's description").fill("adult male, 40s, chest pain, conscious")
    medic.get_by_role("button", name="Start transport").click()
    going = medic.locator('.transport-line[data-phase="transporting"]')
    going.wait_for()
    started = journal_events(site, "transport.started")[-1]
    assert (started["unit"], started["incident"], started["destination"]) == (
        "M-51",
        incident,
        "ZGH",
    )
    patient = next(
        s for s in journal_events(site, "subject.added") if s["subject"] == started["patient"]
    )
    assert (patient["role"], patient["description"]) == (
        "patient",
        "adult male, 40s, chest pain, conscious",
    )
    assert "Zootopia General Hospital" in going.inner_text()
    assert going.locator("time").get_attribute("datetime") == started["at"]
    assert site.rt.service.state.units["M-51"].status == "transporting"
    medic.get_by_role("button", name="Arrived at hospital").click()
    there = medic.locator('.transport-line[data-phase="athospital"]')
    there.wait_for()
    arrived = journal_events(site, "transport.arrived")[-1]
    assert (arrived["unit"], arrived["destination"]) == ("M-51", "ZGH")
    times = [t.get_attribute("datetime") for t in there.locator("time").all()]
    assert times == [started["at"], arrived["at"]]
    assert medic.locator("#arrive").is_hidden()
    screenshot(medic, "mdt-transport.png", full_page=True)
    medic.context.close()
    assert errors == []


#: Every control a person can touch that is on screen, with its size, and any element
#: whose text does not fit (cut off or spilling out of its box).
MEASURE = """() => {
  const seen = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const touch = [...document.querySelectorAll('button, input, select, textarea, summary, a[href]')]
    .filter(seen).filter(el => !el.classList.contains('skip-link'))
    .map(el => {
      const target = el.type === 'checkbox' ? el.closest('label') || el : el;
      const r = target.getBoundingClientRect();
      return {what: el.id || el.textContent.trim().slice(0, 30), w: r.width, h: r.height};
    });
  const cut = [...document.querySelectorAll('main *, header *')].filter(seen)
    .filter(el => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible'
                  && !['SELECT', 'INPUT', 'TEXTAREA'].includes(el.tagName))
    .map(el => el.id || el.className || el.tagName);
  const spill = [...document.querySelectorAll('main *, header *')].filter(seen)
    .filter(el => el.getBoundingClientRect().right > innerWidth + 1).map(el => el.id || el.tagName);
  return {touch, cut, spill, scroll: document.documentElement.scrollWidth, width: innerWidth};
}"""


def test_thumb_size_controls_and_nothing_cut_off_on_a_phone(
    hopps: Any, site: Site, errors: list[str]
) -> None:
    watch(hopps, errors)
    for box in ("#subject-box", "#arrest-box", "#start-box"):
        hopps.locator(box).evaluate("d => { d.open = true; }")
    hopps.locator("#records").wait_for()
    measured = hopps.evaluate(MEASURE)
    small = [t for t in measured["touch"] if t["h"] < 44 or t["w"] < 44]
    assert small == [], small
    assert len(measured["touch"]) > 25
    assert measured["cut"] == [] and measured["spill"] == [], measured
    assert measured["scroll"] <= measured["width"]
    # times read on one line (a wrapped "12:18:4 5" is unreadable at a glance)
    lines = hopps.locator("#incident-details time").evaluate_all(
        """ts => ts.map(t => {
          const range = document.createRange();
          range.selectNodeContents(t);
          return range.getClientRects().length;
        })"""
    )
    assert lines and set(lines) == {1}, lines
    # the essentials read whole
    assert hopps.locator("#unit-id").inner_text() == "ZPD-7"
    assert "Judy Hopps" in hopps.locator("#who").inner_text()
    screenshot(hopps, "mdt-phone.png", full_page=True)
    assert errors == []


def test_two_columns_on_a_car_laptop(browser: Any, site: Site, errors: list[str]) -> None:
    context = browser.new_context(
        viewport=CAR_LAPTOP, geolocation=ZPD7_HOME, permissions=["geolocation"]
    )
    page = watch(context.new_page(), errors)
    log_in(page, site, "judy", "/mdt")
    page.locator("#records").wait_for()
    me = page.locator("#me-card").bounding_box()
    unit = page.locator("#status-title").locator("xpath=..").bounding_box()
    assert abs(me["y"] - unit["y"]) < 1 and unit["x"] > me["x"] + me["width"]  # side by side
    emergency = page.locator("#emergency").bounding_box()
    assert emergency["width"] > CAR_LAPTOP["width"] * 0.8  # across both
    measured = page.evaluate(MEASURE)
    assert measured["scroll"] <= measured["width"] and measured["cut"] == []
    assert [t for t in measured["touch"] if t["h"] < 44 or t["w"] < 44] == []
    screenshot(page, "mdt-laptop.png")
    context.close()
    assert errors == []
