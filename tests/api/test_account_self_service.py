"""What a person does to their own account (POST /api/me/password), the lock a name
with no account gets so a lock tells nothing (api.lockout), and the administrator's
list of live sessions (GET /api/sessions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tenfour.api.lockout import ShadowLocks

from .conftest import PASSWORD, Server

NEW = "grey heron over the harbour"


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    return client.post("/api/login", json={"username": username, "password": password})


def from_address(server: Server, address: str) -> TestClient:
    return TestClient(server.client.app, client=(address, 40000))


def change(server: Server, token: str, current: str, new: str) -> Any:
    return server.client.post(
        "/api/me/password",
        json={"current_password": current, "new_password": new},
        headers={"Authorization": f"Bearer {token}"},
    )


def problem(answer: Any) -> tuple[str, str]:
    [only] = answer.json()["error"]["problems"]
    return only["field"], only["reason"]


# --- changing one's own password ---------------------------------------------------------


def test_an_officer_changes_his_password_and_his_other_sessions_end(server: Server) -> None:
    phone = server.account("judy", "officer", member="hopps")
    laptop = server.login("judy")
    answer = change(server, laptop, PASSWORD, NEW)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["username"] == "judy" and body["sessions_ended"] == 1
    # whoever had the old password (or a session of it) is out ...
    assert server.get(phone, "/api/me").status_code == 401
    assert server.get(laptop, "/api/me").status_code == 401
    assert login(server.client, "judy").status_code == 401
    # ... and this one goes on with its new token and cookie
    assert server.get(body["token"], "/api/me").json()["username"] == "judy"
    assert server.client.cookies.get("tenfour_session") == body["token"]
    assert login(server.client, "judy", NEW).status_code == 200
    [audit] = server.journal("audit.account")
    assert audit["user"] == audit["target"] == "judy"
    assert audit["outcome"] == "password_changed"
    assert audit["detail"] == "by the account itself; 1 other sessions ended"


def test_a_wrong_current_password_is_named_and_counts_as_a_failed_login(server: Server) -> None:
    token = server.account("claw", "dispatcher")
    answer = change(server, token, "not it at all", NEW)
    assert answer.status_code == 403  # not 401: the session itself is fine
    assert problem(answer) == ("current_password", "is not your current password")
    assert server.journal("audit.login_failed")[-1]["outcome"] == "bad_password"
    for _ in range(4):
        answer = change(server, token, "still not it", NEW)
    assert answer.status_code == 429
    assert problem(answer) == ("current_password", "too many failed attempts; try again in 10 min")
    assert answer.headers["retry-after"] == "600"
    assert len(server.journal("audit.locked")) == 1
    # locked: even the right one is refused until the lock ends; the session still works
    assert change(server, token, PASSWORD, NEW).status_code == 429
    assert server.get(token, "/api/me").status_code == 200
    server.advance(minutes=10)
    assert change(server, token, PASSWORD, NEW).status_code == 200


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        ("short", "String should have at least 12 characters"),
        ("password1234", "is one of the most common passwords"),
        ("!!dragon2024!!", "is a common password with digits or symbols added"),
        ("clawclawclaw", "repeats one short pattern"),
        ("abcdefghijklmn", "is a run of sequential characters"),
        ("claw12345678!", "must not be the username"),
        (PASSWORD, "is the current password; choose a new one"),
    ],
)
def test_the_password_policy_names_the_new_password(server: Server, new: str, reason: str) -> None:
    token = server.account("claw", "dispatcher")
    answer = change(server, token, PASSWORD, new)
    assert answer.status_code == 422, answer.text
    field, why = problem(answer)
    assert field == "new_password" and why.startswith(reason), why
    assert answer.json()["error"]["message"].startswith("new_password: ")
    assert server.get(token, "/api/me").status_code == 200  # nothing changed
    assert login(server.client, "claw").status_code == 200


def test_changing_a_password_needs_a_session_and_both_fields(server: Server) -> None:
    answer = server.client.post(
        "/api/me/password", json={"current_password": PASSWORD, "new_password": NEW}
    )
    assert answer.status_code == 401
    token = server.account("claw", "dispatcher")
    answer = server.client.post(
        "/api/me/password",
        json={"current_password": PASSWORD},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 422
    assert problem(answer)[0] == "new_password"


# --- a lock tells nothing --------------------------------------------------------------


def test_a_name_with_no_account_locks_as_a_real_one_does(server: Server) -> None:
    server.rt.accounts.create("claw", "dispatcher", PASSWORD, now=server.clock.now())
    server.rt.accounts.create("off", "dispatcher", PASSWORD, now=server.clock.now())
    server.rt.accounts.disable("off", now=server.clock.now())
    answers: dict[str, list[Any]] = {}
    for n, name in enumerate(("claw", "ghost", "off")):
        client = from_address(server, f"203.0.113.{n + 1}")
        answers[name] = [login(client, name, "guess") for _ in range(7)]
    seen = {
        name: [(a.status_code, a.json(), a.headers.get("retry-after")) for a in answered]
        for name, answered in answers.items()
    }
    assert seen["claw"] == seen["ghost"] == seen["off"]
    messages = [body["error"]["message"] for _, body, _ in seen["claw"]]
    assert messages[:4] == [messages[0]] * 4 and messages[0].startswith("wrong username")
    assert (
        messages[4:]
        == ["too many failed logins for this username; try again in 10 min (at 09:10:00 UTC)"] * 3
    )
    # and both unlock at the same moment
    server.advance(minutes=10)
    again = [login(from_address(server, "203.0.113.1"), "claw", "guess")]
    again.append(login(from_address(server, "203.0.113.2"), "ghost", "guess"))
    assert again[0].json() == again[1].json()
    assert again[0].json()["error"]["message"].startswith("wrong username")


def test_failures_from_three_sources_lock_a_made_up_name_everywhere_too(server: Server) -> None:
    server.rt.accounts.create("claw", "dispatcher", PASSWORD, now=server.clock.now())
    for name in ("claw", "ghost"):
        for n in range(3):
            client = from_address(server, f"203.0.113.{n + 1}")
            for _ in range(5):
                login(client, name, "guess")
    fresh = from_address(server, "192.0.2.50")  # never failed from here
    real, made_up = login(fresh, "claw", PASSWORD), login(fresh, "ghost", PASSWORD)
    assert real.status_code == made_up.status_code == 401
    assert real.json() == made_up.json()
    assert "too many failed logins for this username" in real.json()["error"]["message"]


def test_a_locked_account_disabled_since_still_answers_locked(server: Server) -> None:
    server.rt.accounts.create("claw", "dispatcher", PASSWORD, now=server.clock.now())
    attacker, prober = from_address(server, "203.0.113.1"), from_address(server, "203.0.113.2")
    for _ in range(5):
        login(attacker, "claw", "guess")
        login(prober, "ghost", "guess")
    server.rt.accounts.disable("claw", now=server.clock.now())  # the desk reacts
    server.advance(minutes=3)
    real, made_up = login(attacker, "claw", "guess"), login(prober, "ghost", "guess")
    assert real.json() == made_up.json()
    assert real.headers["retry-after"] == made_up.headers["retry-after"] == "420"
    server.advance(minutes=7)  # both locks end together, and counting starts afresh
    real, made_up = login(attacker, "claw", "guess"), login(prober, "ghost", "guess")
    assert real.json() == made_up.json()
    assert real.json()["error"]["message"].startswith("wrong username")


def test_the_throttle_answers_every_name_alike(server: Server) -> None:
    server.rt.accounts.create("claw", "dispatcher", PASSWORD, now=server.clock.now())
    for n in range(10):  # the burst one address may spend on failures
        login(server.client, f"guess{n}", "guess")
    answers = [login(server.client, name, PASSWORD) for name in ("claw", "ghost", "guess1")]
    assert {a.status_code for a in answers} == {429}
    assert len({(a.text, a.headers["retry-after"]) for a in answers}) == 1


def test_shadow_locks_follow_the_store_rules_exactly() -> None:
    now = datetime(2026, 11, 25, 9, tzinfo=UTC)
    locks = ShadowLocks(5, timedelta(minutes=10), 3)
    # failures further apart than the lock time start again from one
    for minute in range(0, 60, 11):
        assert locks.fail("Ghost", "a", now + timedelta(minutes=minute)) is None
    later = now + timedelta(hours=2)
    for _ in range(4):
        assert locks.fail("ghost", "a", later) is None
    until = later + timedelta(minutes=10)
    assert locks.fail("GHOST", "a", later) == until  # names are case-insensitive
    # while locked, attempts neither count nor extend the lock; other sources are free
    assert locks.fail("ghost", "a", later + timedelta(minutes=5)) == until
    assert locks.fail("ghost", "b", later) is None
    # a name that is no ASCII is not folded into a real one's count
    assert locks.fail("\u212aate", "c", later) is None
    assert locks.fail("kate", "c", later) is None
    assert locks.tracked() == 3


def test_shadow_locks_stay_bounded_forgetting_the_idle_first() -> None:
    now = datetime(2026, 11, 25, 9, tzinfo=UTC)
    locks = ShadowLocks(2, timedelta(minutes=10), 3, max_names=3)
    locks.fail("old", "a", now)
    for _ in range(2):
        locks.fail("locked", "a", now + timedelta(minutes=15))
    locks.fail("b", "a", now + timedelta(minutes=15))
    locks.fail("c", "a", now + timedelta(minutes=15))  # "old" no longer counts: it goes
    assert locks.tracked() == 3
    assert locks.fail("locked", "a", now + timedelta(minutes=16)) is not None
    with pytest.raises(ValueError, match="lock_for"):
        ShadowLocks(5, timedelta(0), 3)


# --- the administrator's list of sessions --------------------------------------------------


def test_an_admin_lists_live_sessions_and_sees_which_is_his(server: Server) -> None:
    admin = server.account("root", "admin")
    server.account("claw", "dispatcher")
    server.advance(minutes=20)
    server.get(admin, "/api/me")  # root's session is used; claw's is not
    server.account("judy", "officer", member="hopps")
    answer = server.get(admin, "/api/sessions")
    assert answer.status_code == 200, answer.text
    sessions = answer.json()
    assert [(s["username"], s["role"], s["current"]) for s in sessions] == [
        ("claw", "dispatcher", False),
        ("judy", "officer", False),
        ("root", "admin", True),
    ]
    claw = sessions[0]
    assert claw["created_at"] == claw["last_used_at"] == "2026-11-25T09:00:00Z"
    assert claw["expires_at"] == "2026-11-25T09:30:00Z"  # idle for 30 min
    assert len(claw["id"]) == 16 and all(PASSWORD not in str(s) for s in sessions)
    # claw's idles out, and revoking judy's ends hers: the list follows
    server.advance(minutes=11)
    server.client.post(
        "/api/accounts/judy/revoke-sessions", headers={"Authorization": f"Bearer {admin}"}
    )
    assert [s["username"] for s in server.get(admin, "/api/sessions").json()] == ["root"]
    # the counts of GET /api/accounts agree
    counts = {a["username"]: a["sessions"] for a in server.get(admin, "/api/accounts").json()}
    assert {name: counts[name] for name in ("claw", "judy", "root")} == {
        "claw": 0,
        "judy": 0,
        "root": 1,
    }


def test_only_an_admin_lists_sessions(server: Server) -> None:
    token = server.account("chief", "supervisor")
    answer = server.get(token, "/api/sessions")
    assert answer.status_code == 403
    assert server.journal("audit.denied")[-1]["detail"] == "GET /api/sessions needs admin"
    assert from_address(server, "192.0.2.1").get("/api/sessions").status_code == 401


def test_an_account_named_sessions_is_still_reachable(server: Server) -> None:
    admin = server.account("root", "admin")
    server.rt.accounts.create("sessions", "analyst", PASSWORD, now=server.clock.now())
    answer = server.get(admin, "/api/accounts/sessions")
    assert answer.status_code == 200 and answer.json()["username"] == "sessions"
