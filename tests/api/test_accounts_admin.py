"""Accounts run by an administrator over HTTP: list, create, password, disable,
enable, unlock, revoke sessions, remove; admin only, every change journaled."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from .conftest import PASSWORD, ROLES, Server

NEW_PASSWORD = "a different passphrase entirely"


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    return client.post("/api/login", json={"username": username, "password": password})


@pytest.fixture
def admin(server: Server) -> str:
    return server.account("root", "admin")


def post(server: Server, token: str, path: str, body: Any = None) -> Any:
    return server.client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def changes(server: Server) -> list[tuple[str, str, str]]:
    return [(e["user"], e["target"], e["outcome"]) for e in server.journal("audit.account")]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_an_admin_may(server: Server, role: str) -> None:
    token = server.account("someone", role, member="hopps" if role == "officer" else None)
    server.rt.accounts.create("fangmeyer", "officer", PASSWORD, now=server.clock.now())
    headers = {"Authorization": f"Bearer {token}"}
    answers = [
        server.client.get("/api/accounts", headers=headers),
        server.client.get("/api/accounts/fangmeyer", headers=headers),
        server.client.post("/api/accounts/fangmeyer/disable", headers=headers),
        server.client.post("/api/accounts/fangmeyer/revoke-sessions", headers=headers),
        server.client.post("/api/accounts/fangmeyer/password", json={}, headers=headers),
        server.client.delete("/api/accounts/fangmeyer", headers=headers),
    ]
    assert [a.status_code for a in answers] == [403] * len(answers)
    assert answers[0].json()["error"]["code"] == "forbidden"
    assert len(server.journal("audit.denied")) == len(answers)
    assert server.rt.accounts.get("fangmeyer") is not None
    anonymous = TestClient(server.client.app)  # no session cookie at all
    assert anonymous.get("/api/accounts").status_code == 401


def test_list_and_get(server: Server, admin: str) -> None:
    fangmeyer = server.account("fangmeyer", "officer")
    listed = server.get(admin, "/api/accounts").json()
    names = [a["username"] for a in listed]
    assert names == sorted(names) and {"fangmeyer", "root", "clawhauser"} <= set(names)
    one = server.get(admin, "/api/accounts/FANGMEYER").json()
    assert one == listed[names.index("fangmeyer")]
    assert one["role"] == "officer" and one["member"] == "fangmeyer" and one["sessions"] == 1
    assert one["disabled"] is False and one["locked_until"] is None
    assert one["last_login_at"] == "2026-11-25T09:00:00Z"
    assert fangmeyer
    missing = server.get(admin, "/api/accounts/nobody")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_a_stolen_phone_is_cut_off_in_one_call(server: Server, admin: str) -> None:
    phone = server.account("fangmeyer", "officer")
    answer = post(server, admin, "/api/accounts/fangmeyer/revoke-sessions")
    assert answer.status_code == 200 and answer.json()["sessions_ended"] == 1
    assert server.get(phone, "/api/me").status_code == 401
    assert login(server.client, "fangmeyer").status_code == 200  # the password still works
    assert changes(server) == [("root", "fangmeyer", "sessions_revoked")]


def test_disable_and_enable(server: Server, admin: str) -> None:
    phone = server.account("fangmeyer", "officer")
    answer = post(server, admin, "/api/accounts/fangmeyer/disable")
    assert answer.status_code == 200
    assert answer.json()["sessions_ended"] == 1 and answer.json()["account"]["disabled"] is True
    assert server.get(phone, "/api/me").status_code == 401
    assert login(server.client, "fangmeyer").status_code == 401
    assert (
        post(server, admin, "/api/accounts/fangmeyer/enable").json()["account"]["disabled"] is False
    )
    assert login(server.client, "fangmeyer").status_code == 200
    assert changes(server) == [("root", "fangmeyer", "disabled"), ("root", "fangmeyer", "enabled")]


def test_a_new_password_ends_sessions_and_may_be_generated(server: Server, admin: str) -> None:
    phone = server.account("fangmeyer", "officer")
    chosen = post(server, admin, "/api/accounts/fangmeyer/password", {"password": NEW_PASSWORD})
    assert chosen.status_code == 200
    assert chosen.json()["sessions_ended"] == 1 and chosen.json()["password"] is None
    assert server.get(phone, "/api/me").status_code == 401
    assert login(server.client, "fangmeyer", NEW_PASSWORD).status_code == 200
    generated = post(server, admin, "/api/accounts/fangmeyer/password", {}).json()["password"]
    assert login(server.client, "fangmeyer", generated).status_code == 200
    common = post(server, admin, "/api/accounts/fangmeyer/password", {"password": "password1234"})
    assert common.status_code == 422
    assert common.json()["error"]["problems"][0]["field"] == "password"
    assert "common" in common.json()["error"]["message"]
    assert [c[2] for c in changes(server)] == ["password_set", "password_set"]


def test_unlock(server: Server, admin: str) -> None:
    server.rt.accounts.create("fangmeyer", "officer", PASSWORD, now=server.clock.now())
    for _ in range(5):
        login(server.client, "fangmeyer", "a wrong guess")
    locked = server.get(admin, "/api/accounts/fangmeyer").json()
    assert [s["source"] for s in locked["locked_sources"]] == ["198.51.100.7"]
    assert login(server.client, "fangmeyer").status_code == 401
    answer = post(server, admin, "/api/accounts/fangmeyer/unlock")
    assert answer.status_code == 200 and answer.json()["account"]["locked_sources"] == []
    assert login(server.client, "fangmeyer").status_code == 200
    assert changes(server) == [("root", "fangmeyer", "unlocked")]


def test_create_and_remove(server: Server, admin: str) -> None:
    created = post(server, admin, "/api/accounts", {"username": "Bellwether", "role": "analyst"})
    assert created.status_code == 201
    body = created.json()
    assert body["account"]["username"] == "bellwether" and body["account"]["role"] == "analyst"
    assert login(server.client, "bellwether", body["password"]).status_code == 200
    again = post(server, admin, "/api/accounts", {"username": "bellwether", "role": "analyst"})
    assert again.status_code == 422 and again.json()["error"]["problems"][0]["field"] == "username"
    removed = server.client.delete(
        "/api/accounts/bellwether", headers={"Authorization": f"Bearer {admin}"}
    )
    assert removed.status_code == 204
    assert login(server.client, "bellwether", body["password"]).status_code == 401
    assert server.get(admin, "/api/accounts/bellwether").status_code == 404
    assert changes(server) == [
        ("root", "bellwether", "created"),
        ("root", "bellwether", "removed"),
    ]


def test_an_admin_cannot_disable_or_remove_himself(server: Server, admin: str) -> None:
    assert post(server, admin, "/api/accounts/ROOT/disable").status_code == 409
    answer = server.client.delete(
        "/api/accounts/root", headers={"Authorization": f"Bearer {admin}"}
    )
    assert answer.status_code == 409 and "his own account" in answer.json()["error"]["message"]
    assert server.get(admin, "/api/me").status_code == 200


def test_unknown_accounts_are_404(server: Server, admin: str) -> None:
    for path in ("disable", "enable", "unlock", "revoke-sessions", "password"):
        answer = post(server, admin, f"/api/accounts/nobody/{path}", {})
        assert answer.status_code == 404, path
        assert answer.json()["error"]["code"] == "not_found"
    answer = server.client.delete(
        "/api/accounts/nobody", headers={"Authorization": f"Bearer {admin}"}
    )
    assert answer.status_code == 404
    assert changes(server) == []
