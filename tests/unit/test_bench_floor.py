"""The floors of ``bench_commit --floors`` answer the bench's commands as the product
would be asked them: both apps take the same request and give the same answer, and a
body that is not a command is refused by the FastAPI floor as the product refuses it
(so its rate is of requests parsed and validated, not of requests skipped)."""

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
        if kind == "fastapi":
            refused = client.post("/api/commands", json={"with": {}})
            assert refused.status_code == 422
            assert refused.json()["detail"][0]["loc"] == ["body", "do"]
