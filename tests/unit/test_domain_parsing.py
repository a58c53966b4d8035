"""``parse_command``: raw ``{do, with}`` pairs become typed commands, or problems that
name the field; plus the small value types commands rely on (actors, problems)."""

from __future__ import annotations

from typing import Any

import pytest

from tenfour.domain import COMMANDS, Actor, CommandRejected, Problem, parse_command
from tenfour.domain.commands import IncidentCreate

from .domain_support import PLACE

INCIDENT: dict[str, Any] = {"type": "THEFT", "priority": 3, "location": PLACE}


def _problems(do: object, with_: object, key: str | None = None) -> list[Problem]:
    with pytest.raises(CommandRejected) as caught:
        parse_command(do, with_, Actor.parse("calltaker:ursula"), key)
    return list(caught.value.problems)


def test_a_valid_command_is_typed_and_keeps_its_actor_and_key() -> None:
    cmd = parse_command("incident.create", INCIDENT, Actor.parse("calltaker:ursula"), "key-1")
    assert cmd.do == "incident.create"
    assert isinstance(cmd.payload, IncidentCreate)
    assert cmd.payload.priority == 3
    assert (cmd.actor, cmd.idempotency_key) == (Actor("calltaker", "ursula"), "key-1")


@pytest.mark.parametrize("do", ["incident.explode", "", None, 42])
def test_an_unknown_command_is_refused_on_do_with_the_known_ones(do: object) -> None:
    [problem] = _problems(do, INCIDENT)
    assert (problem.field, problem.code) == ("do", "invalid")
    assert problem.allowed == tuple(sorted(COMMANDS))


def test_with_must_be_an_object() -> None:
    [problem] = _problems("incident.create", ["THEFT", 3])
    assert (problem.field, problem.code) == ("with", "invalid")


def test_a_missing_with_reports_each_missing_field() -> None:
    fields = {p.field for p in _problems("incident.create", None)}
    assert fields == {"with.type", "with.priority", "with.location"}


@pytest.mark.parametrize(
    "do", ["incident.create", "call.create", "tip.promote", "incident.initiate", "incident.update"]
)
@pytest.mark.parametrize("priority", [0, 6])
def test_a_priority_out_of_1_to_5_is_refused(do: str, priority: int) -> None:
    with_ = {
        "incident.create": INCIDENT,
        "call.create": {**INCIDENT, "text": "x"},
        "tip.promote": {"tip": "T-000001", "type": "THEFT"},
        "incident.initiate": {**INCIDENT, "member": "hopps"},
        "incident.update": {"incident": "2026-000001"},
    }[do]
    problems = _problems(do, {**with_, "priority": priority})
    assert [(p.field, p.code) for p in problems] == [("with.priority", "invalid")]


def test_an_unknown_field_is_named() -> None:
    [problem] = _problems("incident.create", {**INCIDENT, "colour": "red"})
    assert (problem.field, problem.code) == ("with.colour", "invalid")


def test_a_problem_inside_a_location_names_the_coordinate() -> None:
    [problem] = _problems("incident.create", {**INCIDENT, "location": {"lat": 91, "lon": 0}})
    assert problem.field == "with.location.lat"


def test_a_location_with_half_a_point_is_refused() -> None:
    [problem] = _problems("incident.create", {**INCIDENT, "location": {"lat": 37.79}})
    assert problem.field == "with.location"
    assert "lon is required" in problem.reason


def test_a_location_with_neither_point_nor_address_is_refused() -> None:
    [problem] = _problems("incident.create", {**INCIDENT, "location": {}})
    assert problem.field == "with.location"


def test_a_list_item_problem_names_its_index() -> None:
    problems = _problems("unit.dispatch", {"incident": "2026-000001", "units": ["ZPD-1", 7]})
    assert [p.field for p in problems] == ["with.units.1"]


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_an_idempotency_key_must_be_1_to_200_characters(key: str) -> None:
    [problem] = _problems("incident.create", INCIDENT, key)
    assert problem.field == "idempotency_key"


def test_actor_parse_reads_role_and_id() -> None:
    assert Actor.parse("officer:hopps") == Actor("officer", "hopps")
    assert Actor.parse("public") == Actor("public", "public")
    assert Actor.parse("officer:hopps").by == "hopps"
    assert str(Actor("officer", "hopps")) == "officer:hopps"


def test_actor_parse_refuses_an_unknown_role() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        Actor.parse("mayor:lionheart")


def test_the_most_telling_code_of_several_problems_wins() -> None:
    rejected = CommandRejected(
        (
            Problem("a", "x", "invalid"),
            Problem("b", "y", "not_found"),
            Problem("c", "z", "forbidden"),
        )
    )
    assert rejected.code == "forbidden"
    assert CommandRejected((Problem("a", "x"),)).code == "invalid"
    assert str(rejected) == "a: x; b: y; c: z"


def test_a_problem_lists_allowed_values_only_when_there_are_some() -> None:
    assert Problem("with.x", "bad").as_dict() == {
        "field": "with.x",
        "reason": "bad",
        "code": "invalid",
    }
    assert Problem("with.x", "bad", "transition", ("a",)).as_dict()["allowed"] == ["a"]


@pytest.mark.parametrize(
    ("do", "with_", "field"),
    [
        # Found by schemathesis: lax parsing took ``false`` for a longitude of 0.
        ("tip.submit", {"text": "x", "location": {"lat": 0.0, "lon": False}}, "with.location"),
        ("unit.locate", {"unit": "ZPD-1", "lat": "37.79", "lon": -122.4}, "with.lat"),
        (
            "incident.create",
            {"type": "X", "priority": True, "location": {"address": "a"}},
            "with.priority",
        ),
        (
            "backup.request",
            {"incident": "2026-000001", "unit": "ZPD-1", "count": "2"},
            "with.count",
        ),
    ],
)
def test_numbers_must_be_json_numbers(do: str, with_: dict[str, object], field: str) -> None:
    with pytest.raises(CommandRejected) as rejected:
        parse_command(do, with_)
    assert any(p.field.startswith(field) for p in rejected.value.problems), rejected.value


def test_an_integral_float_is_a_valid_priority() -> None:
    # JSON Schema's integer takes 1.0 (schemathesis sends it); 1.5 is refused.
    command = parse_command("incident.create", {"type": "X", "priority": 1.0, "location": PLACE})
    assert isinstance(command.payload, IncidentCreate) and command.payload.priority == 1
    with pytest.raises(CommandRejected):
        parse_command("incident.create", {"type": "X", "priority": 1.5, "location": PLACE})
