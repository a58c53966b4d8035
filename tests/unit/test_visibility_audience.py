"""``Sight.audience``: the live hub filters and encodes an event once per audience, so
an audience must read every event exactly as each of its sights does; otherwise one
officer would be sent what only another may read."""

from __future__ import annotations

from typing import Any

import pytest

from tenfour.domain.events import EVENTS
from tenfour.domain.visibility import SIGHTS, Sight, sight_of

MEMBERS = (None, "hopps", "fangmeyer")


def _rows(event_type: str) -> list[dict[str, Any]]:
    """Flat events of ``event_type`` as a sight reads them: to hopps, to others, to a
    hospital or not."""
    base = {"seq": 7, "type": event_type, "stream": "x:1", "version": 1, "at": "", "by": "x"}
    rows = []
    for parties in (["hopps"], ["fangmeyer", "wilde"], []):
        for place in ("ZGH", "OTHER"):
            rows.append({**base, "parties": parties, "facility": place, "destination": place})
    return rows


def _sights() -> list[Sight]:
    sights = [sight_of(role, member) for role in SIGHTS for member in MEMBERS]
    return [*sights, sight_of("hospital", "ZGH")]


@pytest.mark.parametrize("event_type", sorted(EVENTS))
def test_an_audience_reads_each_event_as_every_sight_in_it(event_type: str) -> None:
    for sight in _sights():
        audience = sight.audience(event_type)
        for row in _rows(event_type):
            assert audience.event(row) == sight.event(row), (sight, row)


def test_officers_share_an_audience_for_all_but_messages() -> None:
    hopps, other = sight_of("officer", "hopps"), sight_of("officer", "fangmeyer")
    assert hopps.audience("unit.located") == other.audience("unit.located")
    assert hopps.audience("message.sent") != other.audience("message.sent")
    # Roles stay apart: an officer never shares a dispatcher's audience (tips).
    assert hopps.audience("tip.received") != sight_of("dispatcher").audience("tip.received")
    # A hospital's facility matters for every event.
    assert sight_of("hospital", "ZGH").audience("transport.started") != sight_of(
        "hospital", "OTHER"
    ).audience("transport.started")
