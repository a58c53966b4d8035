"""A real server app per test: temp SQLite journal, demo city, simulated clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tenfour.api.app import create_app
from tenfour.api.context import Runtime
from tenfour.api.settings import Settings
from tenfour.clock import SimClock

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ROLES = ("officer", "calltaker", "dispatcher", "supervisor", "admin", "analyst")
PASSWORD = "correct horse battery staple"


@dataclass
class Server:
    client: TestClient
    clock: SimClock
    database: Path

    @property
    def rt(self) -> Runtime:
        rt: Runtime = self.client.app.state.runtime  # type: ignore[attr-defined]
        return rt

    def account(self, username: str, role: str, member: str | None = None) -> str:
        """Create an account and log in; returns its bearer token."""
        self.rt.accounts.create(username, role, PASSWORD, member=member, now=self.clock.now())
        return self.login(username)

    def login(self, username: str, password: str = PASSWORD) -> str:
        answer = self.client.post("/api/login", json={"username": username, "password": password})
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["token"]
        return token

    def command(self, token: str, do: str, with_: dict[str, Any], key: str | None = None) -> Any:
        body: dict[str, Any] = {"do": do, "with": with_}
        if key:
            body["idempotency_key"] = key
        answer = self.client.post(
            "/api/commands", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        self.rt.service.settle()  # the policies' answers, before the test looks
        return answer

    def get(self, token: str, path: str) -> Any:
        return self.client.get(path, headers={"Authorization": f"Bearer {token}"})

    def advance(self, **delta: float) -> None:
        self.clock.advance_to(self.clock.now() + timedelta(**delta))
        self.rt.service.settle()

    def journal(self, type_prefix: str = "") -> list[dict[str, Any]]:
        self.rt.service.settle()
        return [e.to_json() for e in self.rt.service.store.read() if e.type.startswith(type_prefix)]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    clock = SimClock(START)
    database = tmp_path / "tenfour.db"
    settings = Settings(database=str(database), clock=clock, fast_hashing=True, heartbeat_s=0.2)
    with TestClient(create_app(settings), client=("198.51.100.7", 50000)) as client:
        yield Server(client, clock, database)
