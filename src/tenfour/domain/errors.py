"""Why a command was rejected: which field, what rule, what would have been allowed.

A rejected command writes nothing; the caller gets one or more ``Problem``s that
name the field in the vocabulary of DOMAIN.md so a person can fix the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

#: What kind of rule was broken; the HTTP layer maps these to status codes.
ProblemCode = Literal["invalid", "not_found", "conflict", "forbidden", "transition"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule: ``field`` is a dotted path into the command (``with.units.1``)."""

    field: str
    reason: str
    code: ProblemCode = "invalid"
    allowed: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"field": self.field, "reason": self.reason, "code": self.code}
        if self.allowed:
            out["allowed"] = list(self.allowed)
        return out

    def __str__(self) -> str:
        text = f"{self.field}: {self.reason}"
        if self.allowed:
            text += f" (allowed: {', '.join(self.allowed)})"
        return text


@dataclass
class CommandRejected(Exception):
    """Raised by ``decide`` (and command parsing) when a command breaks a rule."""

    problems: Sequence[Problem] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        super().__init__("; ".join(str(p) for p in self.problems))

    @classmethod
    def one(
        cls,
        field_: str,
        reason: str,
        code: ProblemCode = "invalid",
        allowed: Sequence[str] = (),
    ) -> CommandRejected:
        return cls((Problem(field_, reason, code, tuple(allowed)),))

    @property
    def code(self) -> ProblemCode:
        """The most telling code: forbidden beats not-found beats conflict beats invalid."""
        order: tuple[ProblemCode, ...] = ("forbidden", "not_found", "conflict", "transition")
        codes = {p.code for p in self.problems}
        for c in order:
            if c in codes:
                return c
        return "invalid"
