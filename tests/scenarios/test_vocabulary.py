"""The event vocabulary table stays honest: every event a shipped scenario journals fits it.

``EVENT_FIELDS`` is what the scenario checker trusts to refuse a misspelt ``match:``
key. Were a handler to start journaling a field the table does not list, a scenario
matching on that field would be refused; this test finds it first, by running every
scenario the project ships (and those in ../shared/scenarios) through the real service.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tenfour.domain.events import EVENTS
from tenfour.domain.vocabulary import EVENT_FIELDS
from tenfour.sim import load_scenario, run_scenario
from tests.scenarios.test_scenarios import OWN, SHARED


def test_the_table_covers_every_event_type() -> None:
    assert set(EVENTS) <= set(EVENT_FIELDS)
    for name, always in EVENTS.items():
        assert always <= EVENT_FIELDS[name], f"{name} always carries {sorted(always)}"


@pytest.mark.parametrize("path", OWN + SHARED, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_journaled_event_fits_the_table(path: Path) -> None:
    result = run_scenario(load_scenario(path))
    assert result.events, "a scenario that journals nothing checks nothing"
    strays = {
        (event.type, key)
        for event in result.events
        for key in (
            event.data.keys() - EVENT_FIELDS[event.type]
            if event.type in EVENT_FIELDS
            else {"(the event type itself)"}
        )
    }
    assert not strays, f"not in vocabulary.EVENT_FIELDS: {sorted(strays)}"
