"""The floors of ``bench_commit --floors`` answer the bench's commands: both apps take
the same request and give the same answer, the FastAPI floor validates the body (a
command without ``do`` is refused 422, in FastAPI's own error format), and neither
answers what the bench does not ask."""

from __future__ import annotations

import importlib

import pytest
from starlette.testclient import TestClient

COMMAND = {"do": "unit.locate", "with": {"unit": "ZPD-1", "lat": 37.79, "lon": -122.4}}


@pytest.mark.parametrize("kind", ["fastapi", "asgi"])
def test_each_floor_answers_a_command_and_its_health(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOOR", kind)
    import bench.floor_app as floor

    app = importlib.reload(floor).app
    with TestClient(app) as client:
        assert client.get("/api/health").json() == {"status": "ok"}
        answer = client.post("/api/commands", json=COMMAND)
        assert answer.status_code == 200
        assert answer.json() == [{"do": "unit.locate", "unit": "ZPD-1"}]
        assert client.get("/api/commands").status_code in (404, 405)
        assert client.post("/elsewhere", json=COMMAND).status_code == 404
        if kind == "fastapi":
            refused = client.post("/api/commands", json={"with": {}})
            assert refused.status_code == 422
            assert refused.json()["detail"][0]["loc"] == ["body", "do"]
