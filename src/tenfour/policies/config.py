"""The numbers behind every policy, in one place, overridable per center or scenario."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tenfour.domain.errors import CommandRejected
from tenfour.domain.lookup import DuplicateRules


class Timers(BaseModel):
    """Status-check intervals in seconds (DOMAIN.md: Status-check timers)."""

    model_config = ConfigDict(extra="forbid")
    pursuit_s: float = Field(default=60, gt=0)
    onscene_s: float = Field(default=600, gt=0)
    dispatch_ack_s: float = Field(default=60, gt=0)
    unassigned_p1_s: float = Field(default=30, gt=0)


class Duplicates(BaseModel):
    model_config = ConfigDict(extra="forbid")
    radius_m: float = Field(default=150, gt=0)
    window_s: float = Field(default=1800, gt=0)
    min_score: float = Field(default=0.5, ge=0, le=1)

    def rules(self) -> DuplicateRules:
        return DuplicateRules(self.radius_m, self.window_s, self.min_score)


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

    def kinds_for(self, need: str) -> frozenset[str]:
        return frozenset(self.needs.get(need, [need]))

    def with_overrides(
        self, overrides: Mapping[str, Any] | None, field_: str = "config"
    ) -> PolicyConfig:
        """A copy with ``overrides`` merged in; bad keys or values name the field."""
        if not overrides:
            return self
        merged = _deep_merge(self.model_dump(), dict(overrides))
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
