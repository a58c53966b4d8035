"""The numbers behind every policy, in one place, overridable per center or scenario."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from tenfour.domain.errors import CommandRejected
from tenfour.domain.lookup import DuplicateRules


class Timers(BaseModel):
    """Status-check intervals in seconds (DOMAIN.md: Status-check timers)."""

    model_config = ConfigDict(extra="forbid")
    pursuit_s: float = Field(default=60, gt=0)
    onscene_s: float = Field(default=600, gt=0)
    dispatch_ack_s: float = Field(default=60, gt=0)
    unassigned_p1_s: float = Field(default=30, gt=0)
    #: A priority message nobody has read this long raises ``message_unread``.
    message_unread_s: float = Field(default=120, gt=0)


class Duplicates(BaseModel):
    """When a new call links to an open incident instead of opening one (DOMAIN.md).

    A call links to an open incident of a compatible type whose location is within
    ``radius_m`` of the call and which opened at most ``window_s`` before it. Both are
    limits, nothing else decides; the score journaled with the link only ranks several
    such incidents (the best one gets the call) and tells the dispatcher how close it was.
    """

    model_config = ConfigDict(extra="forbid")
    radius_m: float = Field(default=150, gt=0)
    window_s: float = Field(default=1800, gt=0)
    #: Type codes that may be the same event, by family: callers name one fight FIGHT,
    #: ASSAULT or DISTURBANCE. The same code is always compatible; a code is in one
    #: family at most, so where two fit the choice is made here: ROBBERY is theft,
    #: OVERDOSE medical (a patient first), VEHICLE_FIRE fire. Overrides merge by family
    #: name: give a family ``[]`` to drop it.
    families: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "violence": [
                "ASSAULT",
                "BATTERY",
                "DISTURBANCE",
                "DOMESTIC",
                "FIGHT",
                "SHOOTING",
                "SHOTS",
                "SHOTS_FIRED",
                "STABBING",
            ],
            "theft": [
                "BURGLARY",
                "LARCENY",
                "ROBBERY",
                "SHOPLIFTING",
                "THEFT",
                "VEHICLE_THEFT",
            ],
            "traffic": ["ACCIDENT", "COLLISION", "HIT_AND_RUN", "TRAFFIC", "TRAFFIC_COLLISION"],
            "medical": [
                "BREATHING",
                "CARDIAC",
                "FALL",
                "MEDICAL",
                "OVERDOSE",
                "SEIZURE",
                "STROKE",
                "UNCONSCIOUS",
            ],
            "fire": [
                "ALARM",
                "FIRE",
                "FIRE_ALARM",
                "OUTSIDE_FIRE",
                "SMOKE",
                "SMOKE_INVESTIGATION",
                "STRUCTURE_FIRE",
                "VEHICLE_FIRE",
            ],
            "hazard": ["FUEL_SPILL", "GAS_LEAK", "HAZMAT", "ODOR"],
            "drugs": ["DRUGS", "DRUG_DEALING", "NARCOTICS"],
        }
    )

    @field_validator("families")
    @classmethod
    def _one_family_per_code(cls, families: dict[str, list[str]]) -> dict[str, list[str]]:
        # Calls are journaled with upper-case codes; compare them that way.
        out: dict[str, list[str]] = {}
        family_of: dict[str, str] = {}
        for family, codes in families.items():
            out[family] = []
            for raw in codes:
                code = raw.upper()
                if not (code.isascii() and code.replace("_", "").replace("-", "").isalnum()):
                    raise ValueError(f"{raw!r} in {family} is not a type code")
                other = family_of.setdefault(code, family)
                if other != family:
                    raise ValueError(f"{code} is in both {other} and {family}: one family at most")
                if code not in out[family]:
                    out[family].append(code)
        return out

    def rules(self) -> DuplicateRules:
        families = {name: frozenset(codes) for name, codes in self.families.items()}
        return DuplicateRules(self.radius_m, self.window_s, families)


_PLAN_KEY = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,39}(/P[1-5])?$")
_NEED = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
#: A recommendation lists at most 50 units (``recommendation.make``).
MAX_PLAN_UNITS = 50


def _plan_key(key: str) -> str:
    if not _PLAN_KEY.match(key):
        raise ValueError(
            f"{key!r} is not a plan key: an upper-case incident type code (DRUGS) or a "
            "type code and a priority 1-5 (DRUGS/P1)"
        )
    return key


def _need_name(need: str) -> str:
    if not _NEED.match(need):
        raise ValueError(
            f"{need!r} is not a need: a lower-case unit kind or need name such as "
            "police, engine or ambulance-als (letters, digits, - and _, at most 40)"
        )
    return need


def _plan_size(plan: dict[str, int]) -> dict[str, int]:
    if not plan:
        raise ValueError("a plan needs at least one unit (give the type null to drop its plan)")
    total = sum(plan.values())
    if total > MAX_PLAN_UNITS:
        raise ValueError(f"{total} units in one plan: at most {MAX_PLAN_UNITS}")
    return plan


PlanKey = Annotated[str, AfterValidator(_plan_key)]
NeedName = Annotated[str, AfterValidator(_need_name)]
#: Units of one need in a plan (strict: ``true`` or ``2.5`` are not counts).
UnitCount = Annotated[int, Field(strict=True, ge=1, le=20)]
#: One response plan: need (or unit kind) -> units, the shape of the MAYDAY plan.
Plan = Annotated[dict[NeedName, UnitCount], AfterValidator(_plan_size)]


def plan_key(type_code: str, priority: int | None = None) -> str:
    """The key of the plan for ``type_code`` (at one ``priority``, or any)."""
    return type_code if priority is None else f"{type_code}/P{priority}"


def _demo_plans() -> dict[str, dict[str, int]]:
    """Run cards for the demo city's police and EMS calls. Types not listed keep the
    plain rule (``type_needs`` x ``initial_units``): one unit, two at priority 1."""
    return {
        "DRUGS/P1": {"police": 2},
        "DRUGS": {"police": 1},
        "SHOTS/P1": {"police": 3, "supervisor": 1, "ambulance-als": 1},
        "SHOOTING/P1": {"police": 3, "supervisor": 1, "ambulance-als": 1},
        "STABBING/P1": {"police": 2, "ambulance-als": 1},
        "DOMESTIC/P1": {"police": 2},
        "ROBBERY/P1": {"police": 2},
        "BURGLARY/P1": {"police": 2},
        "COLLISION/P1": {"police": 1, "ambulance-als": 1},
        "TRAFFIC_COLLISION/P1": {"police": 1, "ambulance-als": 1},
        "OVERDOSE/P1": {"ambulance-als": 1, "police": 1},
        "UNCONSCIOUS/P1": {"ambulance-als": 1},
        "BREATHING/P1": {"ambulance-als": 1},
    }


class PolicyConfig(BaseModel):
    """All policy settings; ``with_overrides`` applies a scenario's ``config:`` block."""

    model_config = ConfigDict(extra="forbid")
    timers: Timers = Field(default_factory=Timers)
    duplicates: Duplicates = Field(default_factory=Duplicates)
    #: Unit kinds that answer each need. A need not listed is answered by that kind.
    needs: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "police": ["patrol"],
            "supervisor": ["supervisor"],
            "ambulance": ["ambulance-als", "ambulance-bls"],
            "ambulance-als": ["ambulance-als"],
            "fire": ["engine", "truck"],
        }
    )
    #: The officer-emergency response plan (MAYDAY): need -> units responding.
    mayday: dict[str, int] = Field(
        default_factory=lambda: {"police": 4, "ambulance-als": 1, "supervisor": 1}
    )
    #: An emergency farther than this from the incident the member is on opens its own
    #: MAYDAY incident (DOMAIN.md "One scene, one plan").
    emergency_same_scene_m: float = Field(default=300, gt=0)
    #: Priorities of incidents whose units may be diverted to an officer emergency.
    divert_priorities: list[int] = Field(default_factory=lambda: [3, 4, 5])
    #: The need of a new incident, by type code; other types need police.
    type_needs: dict[str, str] = Field(
        default_factory=lambda: {
            "MEDICAL": "ambulance",
            "CARDIAC": "ambulance-als",
            "FIRE": "fire",
            "STRUCTURE_FIRE": "fire",
            "ALARM": "fire",
        }
    )
    #: Units recommended for a new incident, by priority (1 = highest).
    initial_units: dict[int, int] = Field(default_factory=lambda: {1: 2, 2: 1, 3: 1, 4: 1, 5: 1})
    #: How many ranked candidates a recommendation lists.
    listed_candidates: int = Field(default=10, ge=1, le=200)
    #: Response plans (run cards) for a new incident: by type code, or ``TYPE/P1`` for
    #: one priority (which wins over the type's), the units each need gets, nearest
    #: first (need -> units, as ``mayday``). A type with no plan gets ``initial_units``
    #: of its ``type_needs``. An override replaces a type's plan whole; ``null`` drops it.
    plans: dict[PlanKey, Plan] = Field(default_factory=_demo_plans)

    def kinds_for(self, need: str) -> frozenset[str]:
        return frozenset(self.needs.get(need, [need]))

    def plan_for(self, type_code: str, priority: int) -> tuple[str, dict[str, int]]:
        """The plan's key and needs for a new incident: its type's plan at this
        priority, else its type's, else the plain rule (key ``""``)."""
        for key in (plan_key(type_code, priority), plan_key(type_code)):
            if key in self.plans:
                return key, dict(self.plans[key])
        need = self.type_needs.get(type_code, "police")
        return "", {need: self.initial_units.get(priority, 1)}

    def with_overrides(
        self, overrides: Mapping[str, Any] | None, field_: str = "config"
    ) -> PolicyConfig:
        """A copy with ``overrides`` merged in; bad keys or values name the field."""
        if not overrides:
            return self
        over = dict(overrides)
        plans = over.pop("plans", None)
        merged = _deep_merge(self.model_dump(), over)
        if isinstance(plans, Mapping):
            # A type's plan is replaced whole: merging need by need would add the
            # shipped plan's needs to an agency's own.
            for key, plan in plans.items():
                if plan is None:
                    merged["plans"].pop(key, None)
                else:
                    merged["plans"][key] = plan
        elif "plans" in overrides:
            merged["plans"] = plans  # not a mapping: validation says so
        try:
            return PolicyConfig.model_validate(merged)
        except ValidationError as error:
            from tenfour.domain.commands import problems_from_validation

            raise CommandRejected(problems_from_validation(error, field_)) from None


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
