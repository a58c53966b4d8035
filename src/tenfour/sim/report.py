"""Human-readable output of a scenario run: its journal as a timeline."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tenfour.views.timeline import describe

if TYPE_CHECKING:
    from tenfour.sim.runner import ScenarioResult


def timeline_lines(result: ScenarioResult) -> list[str]:
    """``m:ss  by  what`` for every event after the set-up, in journal order."""
    start = result.scenario.start
    lines = []
    for event in result.events:
        if event.by == "scenario":
            continue  # the roster set-up: many lines, no story
        offset = (datetime.fromisoformat(event.at) - start).total_seconds()
        m, s = divmod(int(offset), 60)
        lines.append(
            f"{m:3d}:{s:02d}  {event.by:<12} {event.type:<22} {describe(event.type, event.data)}"
        )
    return lines
