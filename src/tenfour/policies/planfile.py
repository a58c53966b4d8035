"""Response plan files (run cards): YAML read, validated, and written back.

A plan file is a policy-settings file with only ``plans:`` (and optionally ``needs:``,
the unit kinds answering each need), so the same file serves ``serve --config`` (where
it replaces the shipped plans type by type) and ``replay sffd --plans`` (where its
plans are the whole set)::

    plans:
      STRUCTURE_FIRE: {engine: 3, truck: 1, chief: 1, ambulance-als: 1}
      MEDICAL/P1: {ambulance-als: 1, engine: 1}

Errors name the file, the line, the field and the reason
(``plans.yaml:3: plans.MEDICAL/P1.engine: Input should be greater than or equal to 1``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tenfour.policies.config import NeedName, Plan, PlanKey
from tenfour.sim.yaml_lines import LineDict, YamlFileError, line_at, line_of, read_yaml_file


class PlanFileError(ValueError):
    """A plan file that cannot be used: the file, the line, the field and why."""


class PlanFile(BaseModel):
    """What a plan file holds."""

    model_config = ConfigDict(extra="forbid")
    plans: dict[PlanKey, Plan]
    needs: dict[NeedName, list[NeedName]] = Field(default_factory=dict)


def load_plan_file(path: str | Path) -> PlanFile:
    """The plans in the YAML file at ``path``; ``PlanFileError`` says what is wrong."""
    where = str(path)
    try:
        raw = read_yaml_file(path)
    except YamlFileError as error:
        raise PlanFileError(str(error)) from None
    if not isinstance(raw, LineDict):
        raise PlanFileError(
            f"{where}: a plan file is a YAML mapping with plans: (type code -> need -> units)"
        )
    try:
        return PlanFile.model_validate(raw)
    except ValidationError as error:
        raise PlanFileError("\n".join(_describe(where, raw, e) for e in error.errors())) from None


def _describe(where: str, raw: LineDict, error: Any) -> str:
    """``FILE:LINE: plans.DRUGS/P1.police: reason`` for one pydantic error."""
    path = [str(p) for p in error["loc"] if p != "[key]"]
    line = line_at(raw, path) or line_of(raw)
    reason = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        reason = "unknown setting (allowed: plans, needs)"
    elif error["type"] == "missing":
        reason = "missing (the plans: type code -> need -> units)"
    return f"{where}:{line}: {'.'.join(path) or 'file'}: {reason}"


def dump_plan_file(plans: dict[str, dict[str, int]], header: list[str] | None = None) -> str:
    """YAML text of ``plans`` (one flow mapping a line), ``header`` as comments; it
    loads back through ``load_plan_file`` unchanged."""
    PlanFile.model_validate({"plans": plans})  # never write a file that cannot be read
    lines = [f"# {h}".rstrip() for h in header or []]
    lines.append("plans:")
    for key, plan in plans.items():
        needs = ", ".join(f"{need}: {count}" for need, count in plan.items())
        lines.append(f"  {key}: {{{needs}}}")
    return "\n".join(lines) + "\n"
