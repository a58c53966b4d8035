"""evolve.js folds a journal exactly as ``tenfour.domain.state.evolve`` does, checked
without a browser: evolve.js runs in V8 embedded through mini-racer (a PyPI wheel, so
a fresh CI machine needs no Node), over real journals: every scenario in scenarios/
and the API's day that journals every event type there is (road closures included).

The browser test (tests/web/test_live_fold.py) checks the pages end to end; this one
is quick enough to run on every change to either fold, and names the first table
and row where the two differ.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from py_mini_racer import MiniRacer

from tenfour.api.app import create_app
from tenfour.api.settings import Settings
from tenfour.clock import SimClock
from tenfour.domain import state as domain_state
from tenfour.domain.events import EVENTS
from tenfour.domain.snapshot import state_to_json
from tenfour.domain.state import State, evolve
from tenfour.domain.visibility import SIGHTS, WHOLE, Sight
from tenfour.journal import StoredEvent
from tenfour.sim import load_scenario, run_scenario
from tenfour.web import STATIC_DIR
from tests.api.conftest import START, Server
from tests.api.test_live import every_event_type

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
EVOLVE_JS = STATIC_DIR / "js" / "evolve.js"
#: Every way a role may read the journal (need to know): whole, redacted tips, none.
SIGHTS_TO_CHECK = sorted(set(SIGHTS.values()) | {WHOLE}, key=repr)

# What the test adds to evolve.js: fold a list of flat events (and the positions of
# the ones a role is not sent, as the live feed's `position` message does) into a
# snapshot, as live.js does on a page.
_FOLD = """
function foldJournal(state, items) {
  for (const item of items) {
    if (item.position !== undefined) state.seq = item.position;
    else evolve(state, item);
  }
  return JSON.stringify(state);
}
function applyTypes() { return JSON.stringify(Object.keys(APPLY)); }
function nothingTypes() {
  return JSON.stringify(Object.keys(APPLY).filter((type) => APPLY[type] === nothing));
}
"""


def _module_source() -> str:
    """evolve.js as a classic script: an ES module's `export` keywords taken out (it
    imports nothing; if it ever does, evaluating it fails here, loudly)."""
    source = EVOLVE_JS.read_text(encoding="utf-8")
    stripped, exports = re.subn(r"^export\s+", "", source, flags=re.MULTILINE)
    assert exports >= 2, "evolve.js exports nothing: has it moved?"
    return stripped + _FOLD


@pytest.fixture(scope="module")
def js() -> Iterator[MiniRacer]:
    context = MiniRacer()
    try:
        context.eval(_module_source())
        yield context
    finally:
        context.close()


def _js_fold(js: MiniRacer, start: dict[str, Any], items: Sequence[dict[str, Any]]) -> Any:
    call = f"foldJournal({json.dumps(start)}, {json.dumps(list(items))})"
    return json.loads(str(js.eval(call)))


def _python_fold(events: Sequence[StoredEvent], state: State | None = None) -> State:
    state = state or State()
    for event in events:
        evolve(state, event)
    return state


def _feed(sight: Sight, events: Sequence[StoredEvent]) -> list[dict[str, Any]]:
    """What a role's live feed carries of these events (api.live._texts), as JSON."""
    items: list[dict[str, Any]] = []
    for event in events:
        seen = sight.event(json.loads(json.dumps(event.to_json())))
        items.append(seen if seen is not None else {"position": event.seq})
    return items


def _first_difference(mine: Any, theirs: Any, where: str = "state") -> str | None:
    """Where two JSON values first differ, e.g. "state.units.ZPD-7.location"."""
    if isinstance(mine, dict) and isinstance(theirs, dict):
        for key in sorted(set(mine) | set(theirs)):
            if key not in mine or key not in theirs:
                return f"{where}.{key}: only in {'JS' if key in mine else 'Python'}"
            found = _first_difference(mine[key], theirs[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
        for n, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            found = _first_difference(a, b, f"{where}[{n}]")
            if found:
                return found
        return None
    return None if mine == theirs else f"{where}: JS {mine!r} != Python {theirs!r}"


def assert_same_fold(js: MiniRacer, events: Sequence[StoredEvent]) -> None:
    """Folded from nothing, and from a snapshot taken halfway (a page that joins
    late), by every role's sight: evolve.js ends where state.py does."""
    assert events, "an empty journal proves nothing"
    python = state_to_json(_python_fold(events))
    half = len(events) // 2
    halfway = state_to_json(_python_fold(events[:half]))
    for sight in SIGHTS_TO_CHECK:
        expected = json.loads(json.dumps(sight.state(python)))
        for start, rest in ((State(), events), (None, events[half:])):
            snapshot = sight.state(halfway) if start is None else sight.state(state_to_json(start))
            folded = _js_fold(js, snapshot, _feed(sight, rest))
            difference = _first_difference(folded, expected)
            assert difference is None, f"{sight}, from seq {snapshot['seq']}: {difference}"
            assert folded == expected


def test_evolve_js_handles_every_event_type_state_py_folds(js: MiniRacer) -> None:
    python = domain_state._APPLY
    history_only = {t for t, apply in python.items() if apply is domain_state._nothing}
    in_js = set(json.loads(str(js.eval("applyTypes()"))))
    nothing_in_js = set(json.loads(str(js.eval("nothingTypes()"))))
    # Every event that changes the state has its own handler in evolve.js, road.* too.
    assert set(python) - history_only - in_js == set()
    # evolve.js knows no type the server does not, and folds nothing for history.
    assert in_js - set(python) == set()
    assert nothing_in_js <= history_only
    # An event left out of evolve.js's table only moves the position, so that is
    # allowed for history alone (audit.*, which an officer's feed never carries).
    assert {t for t in python if t not in in_js} <= history_only
    # And state.py folds every event type the domain defines.
    assert set(EVENTS) <= set(python)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_evolve_js_folds_each_scenario_as_state_py_does(js: MiniRacer, path: Path) -> None:
    result = run_scenario(load_scenario(path))
    assert_same_fold(js, result.events)


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> list[StoredEvent]:
    """The journal of the API's day that journals every event type there is."""
    clock = SimClock(START)
    database = tmp_path_factory.mktemp("day") / "tenfour.db"
    settings = Settings(database=str(database), clock=clock, fast_hashing=True)
    with TestClient(create_app(settings), client=("198.51.100.7", 50000)) as client:
        server = Server(client, clock, database)
        every_event_type(server)
        server.rt.service.settle()
        events = list(server.rt.service.store.read())
        # The journal folds into the running service's own state.
        assert state_to_json(_python_fold(events)) == state_to_json(server.rt.service.state)
    return events


def test_evolve_js_folds_a_day_of_every_event_type_as_state_py_does(
    js: MiniRacer, day: list[StoredEvent]
) -> None:
    assert {e.type for e in day} >= set(EVENTS)  # road.closed and road.reopened too
    assert_same_fold(js, day)


def test_a_drift_is_caught(day: list[StoredEvent]) -> None:
    """The comparison can fail: a JS fold that forgets one event type differs."""
    broken = MiniRacer()
    try:
        broken.eval(_module_source())
        broken.eval('APPLY["road.reopened"] = nothing;')
        with pytest.raises(AssertionError, match=r"closures\..*\.reopened_at"):
            assert_same_fold(broken, day)
    finally:
        broken.close()
