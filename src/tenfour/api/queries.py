"""Read-only queries: the board, incidents with timelines, units, members, tips,
alerts, recommendations, the journal from a position, and live-feed snapshots."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from tenfour.api.auth import require
from tenfour.api.context import Runtime, runtime
from tenfour.api.errors import ERROR_RESPONSES
from tenfour.api.schemas import Board, IncidentDetail, JournalPage, Snapshot
from tenfour.domain.snapshot import state_to_json
from tenfour.domain.state import Alert, Bolo, Incident, Member, Tip, Unit
from tenfour.views import board
from tenfour.views.board import in_order

router = APIRouter(prefix="/api", tags=["queries"], responses=ERROR_RESPONSES)
STAFF = ("officer", "calltaker", "dispatcher", "supervisor", "admin", "analyst")
DESK = ("calltaker", "dispatcher", "supervisor", "admin", "analyst")
Staff = Depends(require(*STAFF))
Desk = Depends(require(*DESK))
Rt = Annotated[Runtime, Depends(runtime)]


@router.get("/board", dependencies=[Staff], response_model=Board)
def get_board(rt: Rt) -> dict[str, Any]:
    """Open incidents (priority, then age), units with status and time in status, open alerts."""
    with rt.service.locked():
        return board(rt.service.state, rt.now())


@router.get("/snapshot", dependencies=[Staff], response_model=Snapshot)
def get_snapshot(rt: Rt) -> dict[str, Any]:
    """The whole state with its journal position: fold events after ``position`` into it."""
    with rt.service.locked():
        return {"position": rt.service.state.seq, "state": state_to_json(rt.service.state)}


@router.get("/incidents", dependencies=[Staff], response_model=list[Incident])
def list_incidents(
    rt: Rt, status: Annotated[str, Query(pattern="^(open|closed|all)$")] = "open"
) -> list[dict[str, Any]]:
    with rt.service.locked():
        rows = [
            dataclasses.asdict(i)
            for i in rt.service.state.incidents.values()
            if status == "all" or i.status == status
        ]
    return sorted(rows, key=lambda i: (i["priority"], i["created_at"]))


IdPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@-]*$")
]


@router.get("/incidents/{incident}", dependencies=[Staff], response_model=IncidentDetail)
def get_incident(incident: IdPath, rt: Rt) -> dict[str, Any]:
    """One incident with its timeline, subjects, calls, units and recommendations."""
    with rt.service.locked():
        state = rt.service.state
        found = state.incidents.get(incident)
        if found is None:
            raise HTTPException(404, f"unknown incident {incident!r}")
        timeline = rt.service.timelines.of(incident)
        return {
            **dataclasses.asdict(found),
            "timeline": timeline,
            "subjects": [dataclasses.asdict(state.subjects[s]) for s in found.subjects],
            "calls": [dataclasses.asdict(state.calls[c]) for c in found.calls],
            "unit_details": [dataclasses.asdict(state.units[u]) for u in found.units],
            "recommendations": [
                {"seq": e["seq"], "at": e["at"], **e["data"]}
                for e in timeline
                if e["type"] == "recommendation.made"
            ],
        }


def _table(rt: Runtime, name: str) -> list[dict[str, Any]]:
    with rt.service.locked():
        return [dataclasses.asdict(row) for row in getattr(rt.service.state, name).values()]


@router.get("/units", dependencies=[Staff], response_model=list[Unit])
def list_units(rt: Rt) -> list[dict[str, Any]]:
    return _table(rt, "units")


@router.get("/units/{unit}", dependencies=[Staff], response_model=Unit)
def get_unit(unit: IdPath, rt: Rt) -> dict[str, Any]:
    with rt.service.locked():
        found = rt.service.state.units.get(unit)
        if found is None:
            raise HTTPException(404, f"unknown unit {unit!r}")
        return dataclasses.asdict(found)


@router.get("/members", dependencies=[Staff], response_model=list[Member])
def list_members(rt: Rt) -> list[dict[str, Any]]:
    return _table(rt, "members")


@router.get("/tips", dependencies=[Desk], response_model=list[Tip])
def list_tips(rt: Rt) -> list[dict[str, Any]]:
    """The tip triage queue (desk roles only: tipsters' contacts are in it)."""
    return _table(rt, "tips")


@router.get("/alerts", dependencies=[Staff], response_model=list[Alert])
def list_alerts(rt: Rt, open_only: bool = True) -> list[dict[str, Any]]:
    """Open alerts (neither acknowledged nor resolved), or all with ``open_only=false``;
    open emergencies first, then high, then normal severity, oldest first."""
    with rt.service.locked():
        state = rt.service.state
        chosen = (a for a in state.alerts.values() if a.open or not open_only)
        return [dataclasses.asdict(a) for a in in_order(state, chosen)]


@router.get("/bolos", dependencies=[Staff], response_model=list[Bolo])
def list_bolos(rt: Rt) -> list[dict[str, Any]]:
    return [b for b in _table(rt, "bolos") if b["active"]]


@router.get("/recommendations", dependencies=[Staff])
def list_recommendations(rt: Rt, incident: Annotated[IdPath, Query()]) -> list[dict[str, Any]]:
    return [
        {"seq": e["seq"], "at": e["at"], **e["data"]}
        for e in rt.service.timelines.of(incident)
        if e["type"] == "recommendation.made"
    ]


@router.get(
    "/journal",
    response_model=JournalPage,
    dependencies=[Depends(require("supervisor", "admin", "analyst", "dispatcher"))],
)
def read_journal(
    rt: Rt,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    """Journaled events after ``after``, in order; ``next_after`` continues the read."""
    events = [e.to_json() for e in rt.service.store.read(after=after, limit=limit)]
    return {
        "events": events,
        "head": rt.service.store.head(),
        "next_after": events[-1]["seq"] if events else after,
    }
