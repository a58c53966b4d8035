"""Road closures and slow-downs: ``road.close`` and ``road.reopen``.

The domain never reads the map: the service places a closure on it first and hands
over the road ``segments`` it covers (and the map they belong to), so the journaled
event says exactly which roads were closed, and replaying it closes the same ones.
"""

from __future__ import annotations

from tenfour.domain import commands as c
from tenfour.domain.errors import CommandRejected
from tenfour.domain.events import Event
from tenfour.domain.lookup import Context, numbered
from tenfour.domain.state import State


def road_close(state: State, cmd: c.RoadClose, ctx: Context) -> list[Event]:
    segments = sorted(set(cmd.segments or ([cmd.segment] if cmd.segment is not None else [])))
    if not segments:
        raise CommandRejected.one(
            "with.location", "no map is loaded to place the closure on a road", "invalid"
        )
    closure = numbered(state, "closure", "RC")
    data: dict[str, object] = cmd.model_dump(
        mode="json", exclude_none=True, exclude={"segment", "segments", "factor"}
    )
    data.update(closure=closure, segments=segments, closed=cmd.factor is None, factor=cmd.factor)
    return [Event("road.closed", f"closure:{closure}", data)]


def road_reopen(state: State, cmd: c.RoadReopen, ctx: Context) -> list[Event]:
    closure = state.closures.get(cmd.closure)
    if closure is None:
        raise CommandRejected.one("with.closure", f"unknown closure {cmd.closure!r}", "not_found")
    if not closure.active:
        raise CommandRejected.one(
            "with.closure", f"closure {closure.id} is already reopened", "conflict"
        )
    data: dict[str, object] = {"closure": closure.id}
    if cmd.reason is not None:
        data["reason"] = cmd.reason
    return [Event("road.reopened", f"closure:{closure.id}", data)]
