"""The role matrix over HTTP: each role against each command, allowed or 403."""

from __future__ import annotations

import pytest

from tenfour.api.schemas import PUBLIC_COMMANDS
from tenfour.domain.commands import COMMANDS
from tenfour.domain.rules import PERMISSIONS

from .conftest import ROLES, Server
from .examples import EXAMPLES


def test_every_command_has_an_example() -> None:
    assert set(EXAMPLES) == set(PUBLIC_COMMANDS)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_against_each_command(server: Server, role: str) -> None:
    token = server.account(f"user-{role}", role, member="hopps" if role == "officer" else None)
    wrong = []
    for do, payload in EXAMPLES.items():
        answer = server.command(token, do, payload)
        assert answer.status_code < 500, (do, answer.text)
        allowed = role in PERMISSIONS[do]
        if allowed == (answer.status_code == 403):
            wrong.append((do, answer.status_code, answer.json()))
    assert wrong == []


@pytest.mark.parametrize("do", sorted(set(COMMANDS) - set(PUBLIC_COMMANDS)))
def test_system_commands_cannot_be_sent_over_http(server: Server, do: str) -> None:
    token = server.account("boss", "admin")
    answer = server.command(token, do, {})
    assert answer.status_code == 422
    assert answer.json()["error"]["problems"][0]["field"].startswith("do") or "do" in answer.text


@pytest.mark.parametrize(
    ("do", "payload", "field"),
    [
        ("unit.status", {"unit": "ZPD-3", "status": "busy"}, "with.unit"),
        ("unit.locate", {"unit": "ZPD-3", "lat": 37.79, "lon": -122.4}, "with.unit"),
        ("member.status", {"member": "fangmeyer", "status": "away"}, "with.member"),
        ("member.checkin", {"member": "fangmeyer"}, "with.member"),
    ],
)
def test_an_officer_acts_only_for_his_own_unit_and_status(
    server: Server, do: str, payload: dict[str, object], field: str
) -> None:
    token = server.account("judy", "officer", member="hopps")
    answer = server.command(token, do, payload)
    assert answer.status_code == 403
    assert answer.json()["error"]["problems"][0]["field"] == field


def test_an_officer_may_declare_an_emergency_for_his_partner(server: Server) -> None:
    token = server.account("nick", "officer", member="wilde")
    answer = server.command(
        token, "emergency.declare", {"member": "hopps", "text": "Hopps is down"}
    )
    assert answer.status_code == 200, answer.text
    types = [e["type"] for e in answer.json()["events"]]
    assert "emergency.declared" in types and "alert.raised" in types
