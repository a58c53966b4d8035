"""Read-only queries: the board, incidents with timelines, units, members, tips,
alerts, recommendations, the journal from a position, and live-feed snapshots.

Need to know: what carries tips or audit events (the snapshot, tips, the journal,
timelines) is read through the asking role's ``Sight`` (``tenfour.domain.visibility``).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from tenfour.accounts import Account
from tenfour.api.auth import require
from tenfour.api.context import Runtime, runtime
from tenfour.api.errors import ERROR_RESPONSES
from tenfour.api.schemas import Board, IncidentDetail, JournalPage, Snapshot
from tenfour.domain.snapshot import state_to_json
from tenfour.domain.state import Alert, Bolo, Incident, Member, Tip, Unit
from tenfour.domain.visibility import sight_of
from tenfour.views import board
from tenfour.views.board import in_order

router = APIRouter(prefix="/api", tags=["queries"], responses=ERROR_RESPONSES)
STAFF = ("officer", "calltaker", "dispatcher", "supervisor", "admin", "analyst")
DESK = ("calltaker", "dispatcher", "supervisor", "admin", "analyst")
JOURNAL = ("supervisor", "admin", "analyst", "dispatcher")
Staff = Depends(require(*STAFF))
Desk = Depends(require(*DESK))
Rt = Annotated[Runtime, Depends(runtime)]
#: The asking account, for what depends on its role (need to know).
StaffAccount = Annotated[Account, Staff]
DeskAccount = Annotated[Account, Desk]
JournalAccount = Annotated[Account, Depends(require(*JOURNAL))]
#: A hospital's account reads its own view of the state (``visibility.py``) and nothing else.
SnapshotAccount = Annotated[Account, Depends(require(*STAFF, "hospital"))]


@router.get("/board", dependencies=[Staff], response_model=Board)
def get_board(rt: Rt) -> dict[str, Any]:
    """Open incidents (priority, then age), units with status and time in status, open alerts."""
    with rt.service.locked():
        return board(rt.service.state, rt.now())


@router.get("/snapshot", response_model=Snapshot)
def get_snapshot(rt: Rt, account: SnapshotAccount) -> dict[str, Any]:
    """The whole state as this role may read it, with its journal position: fold the
    live feed's events after ``position`` into it."""
    with rt.service.locked():
        state = sight_of(account.role, account.member).state(state_to_json(rt.service.state))
        return {"position": rt.service.state.seq, "state": state}


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


@router.get("/incidents/{incident}", response_model=IncidentDetail)
def get_incident(incident: IdPath, rt: Rt, account: StaffAccount) -> dict[str, Any]:
    """One incident with its timeline, subjects, calls, units and recommendations."""
    sight = sight_of(account.role, account.member)
    with rt.service.locked():
        state = rt.service.state
        found = state.incidents.get(incident)
        if found is None:
            raise HTTPException(404, f"unknown incident {incident!r}")
        timeline = [
            {**entry, "data": sight.data(entry["type"], entry["data"])}
            for entry in rt.service.timelines.of(incident)
            if sight.sees(entry["type"])
        ]
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


@router.get("/tips", response_model=list[Tip])
def list_tips(rt: Rt, account: DeskAccount) -> list[dict[str, Any]]:
    """The tip triage queue (desk roles only; an analyst's leaves out the tipsters'
    contacts and tracking codes)."""
    sight = sight_of(account.role, account.member)
    return [sight.tip(row) for row in _table(rt, "tips")]


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


@router.get("/journal", response_model=JournalPage)
def read_journal(
    rt: Rt,
    account: JournalAccount,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    """Journaled events after ``after``, in order, as this role may read them (a
    dispatcher's leave out audit events); ``next_after`` continues the read, even past
    a page of events all left out."""
    sight = sight_of(account.role, account.member)
    read = list(rt.service.store.read(after=after, limit=limit))
    shown = (sight.event(e.to_json()) for e in read)
    return {
        "events": [e for e in shown if e is not None],
        "head": rt.service.store.head(),
        "next_after": read[-1].seq if read else after,
    }
