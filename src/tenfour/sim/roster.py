"""A roster (agencies, facilities, members, units, open incidents) entered at start.

Used by scenarios (their ``agencies:`` ... ``incidents:`` blocks) and by the server's
demo city. Everything goes through the service like any other command, so the
roster is in the journal too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from tenfour.domain.commands import parse_command
from tenfour.domain.errors import CommandRejected
from tenfour.domain.values import Actor
from tenfour.service import Service
from tenfour.sim.labels import Labels

SETUP = Actor("admin", "scenario")


class RosterError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(message)


class Roster(Protocol):
    @property
    def agencies(self) -> Sequence[Mapping[str, Any]]: ...
    @property
    def facilities(self) -> Sequence[Mapping[str, Any]]: ...
    @property
    def members(self) -> Sequence[Mapping[str, Any]]: ...
    @property
    def units(self) -> Sequence[Mapping[str, Any]]: ...
    @property
    def incidents(self) -> Sequence[Mapping[str, Any]]: ...


def _line(item: Any) -> int:
    return int(getattr(item, "line", 0))


def apply_roster(
    service: Service, roster: Roster, labels: Labels | None = None, actor: Actor = SETUP
) -> None:
    """Register and log on everything in ``roster``; label open incidents by name."""
    labels = labels or Labels()

    def do(name: str, payload: dict[str, Any], item: Any) -> Any:
        try:
            return service.handle(parse_command(name, payload, actor))
        except CommandRejected as error:
            raise RosterError(_line(item), f"set-up {name} rejected: {error}") from None

    for a in roster.agencies:
        do("agency.register", {"id": a["id"], "kind": a["kind"], "name": a.get("name", a["id"])}, a)
    for f in roster.facilities:
        payload = {
            "id": f["id"],
            "kind": f["kind"],
            "name": f.get("name", f["id"]),
            "location": f["at"],
        }
        do("facility.register", payload, f)
    for m in roster.members:
        payload = {k: m[k] for k in ("id", "agency", "rank", "radio") if k in m}
        do("member.register", {"name": m.get("name", m["id"]), **payload}, m)
    for u in roster.units:
        register: dict[str, Any] = {"id": u["id"], "agency": u["agency"], "kind": u["kind"]}
        if "at" in u:
            register["home"] = u["at"]
        do("unit.register", register, u)
        status = u.get("status", "available")
        if status == "offduty":
            continue
        shift: dict[str, Any] = {"unit": u["id"], "members": list(u.get("members") or [])}
        if u.get("vehicle"):
            shift["vehicle"] = u["vehicle"]
        do("shift.start", shift, u)
        if status in ("outofservice", "busy"):
            do("unit.status", {"unit": u["id"], "status": status}, u)
        elif status != "available":
            raise RosterError(
                _line(u),
                f"a unit can start as available, busy, outofservice or offduty, not {status}"
                " (put it on an incident under incidents:)",
            )
    for i in roster.incidents:
        payload = {"type": i["type"], "priority": i["priority"], "location": i["at"]}
        if i.get("text"):
            payload["text"] = i["text"]
        handled = do("incident.create", payload, i)
        labels.record(i["name"], handled.events)
        incident = labels.resolve(f"@{i['name']}", "incident")
        units = list(i.get("units") or [])
        if units:
            do("unit.dispatch", {"incident": incident, "units": units, "mode": "routine"}, i)
            status = i.get("unit_status", "onscene")
            if status != "dispatched":
                for unit in units:
                    do("unit.status", {"unit": unit, "status": status, "incident": incident}, i)
