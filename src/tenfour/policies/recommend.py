"""Recommendation: rank units by road drive time and say why the others were left out.

The ranking itself comes from a ``DriveTimeOracle`` (the map, injected) so this module
stays pure; what it returns is exactly what is journaled as ``recommendation.made``,
so a dispatcher can see later why a unit was or was not sent.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tenfour.domain.lookup import committed_to
from tenfour.domain.rules import RESPONDING
from tenfour.domain.state import State, Unit
from tenfour.policies.config import PolicyConfig


class DriveTimeOracle(Protocol):
    """Drive times from many origins to one point (one search on the reversed graph)."""

    def rank(
        self, to: tuple[float, float], origins: Sequence[tuple[float, float]]
    ) -> tuple[Sequence[float], Sequence[float]]:
        """``(eta_s, distance_m)`` per origin; ``inf`` where no road leads there."""
        ...


@dataclass(frozen=True)
class Ranked:
    """A recommendation ready to journal, and the units it would send."""

    payload: dict[str, Any]
    chosen: list[str]


def responding_units(
    state: State,
    incident_id: str,
    kinds: Collection[str],
    statuses: Collection[str] = RESPONDING,
) -> list[str]:
    """Units of those kinds working the incident (dispatched through on scene, or the
    ``statuses`` given)."""
    incident = state.incidents.get(incident_id)
    if incident is None:
        return []
    return [
        u
        for u in incident.units
        if state.units[u].kind in kinds and state.units[u].status in statuses
    ]


def _why_not(
    unit: Unit,
    state: State,
    incident_id: str | None,
    exclude: Collection[str],
    allow_divert: bool,
    config: PolicyConfig,
    taken: Collection[str] = (),
) -> str | None:
    """None if the unit may be recommended, else the reason it may not."""
    if unit.id in exclude:
        return "the member's own unit"
    if unit.id in taken:
        return "chosen for another need of the plan"
    emergency = committed_to(state, unit)
    if emergency is not None:
        # DOMAIN.md: the distressed member's unit stays with him until it is cleared.
        return f"stays with emergency {emergency.id} (its member is down)"
    if incident_id is not None and unit.incident == incident_id:
        return f"already {unit.status} on this incident"
    if unit.status == "available":
        return None
    if unit.status == "pursuit":
        # A unit in pursuit cannot break off, and dispatch refuses it anyway.
        return f"in pursuit on {unit.incident} (cannot be diverted)"
    if allow_divert and unit.status in RESPONDING and unit.incident:
        other = state.incidents.get(unit.incident)
        helping = next(
            (e for e in state.emergencies.values() if e.open and e.incident == unit.incident),
            None,
        )
        if helping is not None:
            # Never rob one officer's emergency to answer another's: plans would take
            # units back and forth for ever.
            return f"{unit.status} on emergency {helping.id} ({unit.incident})"
        if other is not None and other.priority in config.divert_priorities:
            return None
        if other is not None:
            return f"{unit.status} on {other.id}, priority {other.priority} (not divertible)"
    return f"status {unit.status}"


def recommend(
    state: State,
    *,
    location: dict[str, Any],
    need: str,
    count: int,
    purpose: str,
    incident: str | None,
    oracle: DriveTimeOracle,
    config: PolicyConfig,
    exclude: Collection[str] = (),
    allow_divert: bool = False,
    reason: str | None = None,
    taken: Collection[str] = (),
) -> Ranked:
    """Rank every eligible unit of the needed kinds by drive time to ``location``;
    ``taken``: units an earlier need of the same plan already chose."""
    kinds = config.kinds_for(need)
    eligible: list[Unit] = []
    excluded: list[dict[str, Any]] = []
    other_kinds = 0
    for unit in state.units.values():
        if not unit.logged_on:
            continue
        if unit.kind not in kinds:
            other_kinds += 1
            continue
        why = _why_not(unit, state, incident, exclude, allow_divert, config, taken)
        if why is None and unit.location is None:
            why = "no known position"
        if why is None:
            eligible.append(unit)
        else:
            excluded.append({"unit": unit.id, "status": unit.status, "reason": why})
    target = (float(location["lat"]), float(location["lon"]))
    origins = [(float(u.location["lat"]), float(u.location["lon"])) for u in eligible if u.location]
    etas, dists = oracle.rank(target, origins) if origins else ((), ())
    ranked: list[tuple[float, float, str, Unit]] = []
    for unit, eta, dist in zip(eligible, etas, dists, strict=True):
        if math.isinf(eta):
            excluded.append({"unit": unit.id, "status": unit.status, "reason": "no road route"})
        else:
            ranked.append((float(eta), float(dist), unit.id, unit))
    ranked.sort(key=lambda r: (r[0], r[1], r[2]))
    candidates = []
    for eta, dist, _, unit in ranked[: max(count, config.listed_candidates)]:
        entry: dict[str, Any] = {
            "unit": unit.id,
            "kind": unit.kind,
            "eta_s": round(eta, 1),
            "distance_m": round(dist, 1),
            "status": unit.status,
            "position": dict(unit.location or {}),
        }
        if unit.status != "available":
            entry["divert_from"] = unit.incident
        candidates.append(entry)
    chosen = [c["unit"] for c in candidates[:count]]
    payload: dict[str, Any] = {
        "incident": incident,
        "location": dict(location),
        "purpose": purpose,
        "need": need,
        "count": count,
        "candidates": candidates,
        "excluded": excluded,
    }
    notes = [reason] if reason else []
    if len(ranked) > len(candidates):
        notes.append(f"{len(ranked) - len(candidates)} more eligible units not listed")
    if other_kinds:
        notes.append(f"{other_kinds} logged-on units of other kinds not considered")
    if len(chosen) < count:
        notes.append(f"only {len(chosen)} of {count} units could be found")
    if notes:
        payload["reason"] = "; ".join(notes)
    return Ranked(payload, chosen)
