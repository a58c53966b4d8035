"""``tenfour serve --config FILE``: policy settings checked before the server starts.

A good file changes the running service's numbers; a bad one stops the command with
exit 2 and a message naming the file, the line, the setting and why, before any
journal is opened or port bound.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tenfour.api.app import create_app
from tenfour.api.context import Runtime
from tenfour.api.settings import ConfigFileError, Settings, load_policy_config
from tenfour.cli import app as cli
from tenfour.clock import SimClock
from tests.api.conftest import START

GOOD = "timers:\n  pursuit_s: 30\nmayday: {police: 2}\ninitial_units: {1: 3}\n"
runner = CliRunner()


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _runtime(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


def test_a_good_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    config = load_policy_config(_file(tmp_path, GOOD))
    assert config.timers.pursuit_s == 30
    assert config.timers.onscene_s == 600  # left at its default
    assert config.mayday["police"] == 2 and config.mayday["supervisor"] == 1
    assert config.initial_units[1] == 3


def test_an_empty_file_means_the_defaults(tmp_path: Path) -> None:
    assert load_policy_config(_file(tmp_path, "")).timers.pursuit_s == 60


def test_the_server_runs_with_the_settings_given(tmp_path: Path) -> None:
    settings = Settings(
        database=str(tmp_path / "tenfour.db"),
        demo=False,
        fast_hashing=True,
        clock=SimClock(START),
        config=load_policy_config(_file(tmp_path, GOOD)),
    )
    app = create_app(settings)
    with TestClient(app):
        service = _runtime(app).service
        assert service.config.timers.pursuit_s == 30
        assert service.config.mayday["police"] == 2


def test_serve_config_reaches_the_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    database = tmp_path / "tenfour.db"
    result = runner.invoke(
        cli,
        ["serve", "--no-demo", "--database", str(database), "--config", str(_file(tmp_path, GOOD))],
    )
    assert result.exit_code == 0, result.output
    assert "policy.yaml" in result.output
    (app,) = served
    with TestClient(app):
        assert _runtime(app).service.config.timers.pursuit_s == 30


@pytest.mark.parametrize(("flag", "deflate"), [([], False), (["--ws-compression"], True)])
def test_the_live_feed_is_uncompressed_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: list[str], deflate: bool
) -> None:
    # Compressing every message doubled the CPU of an emergency's fan-out to 200 desks.
    options: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **given: options.append(given))
    database = tmp_path / "tenfour.db"
    result = runner.invoke(cli, ["serve", "--no-demo", "--database", str(database), *flag])
    assert result.exit_code == 0, result.output
    assert options[0]["ws_per_message_deflate"] is deflate


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (None, ["policy.yaml: cannot read: No such file or directory"]),
        ("timers: [\n", ["policy.yaml:2: not valid YAML"]),
        ("timers: {pursuit_s: 1}\ntimers: {pursuit_s: 2}\n", ["duplicate key 'timers'"]),
        ("- timers\n", ["policy.yaml: policy settings are a YAML mapping"]),
        (
            "timers:\n  pursuit: 30\n",
            ["policy.yaml:2: config.timers.pursuit: unknown setting", "pursuit_s"],
        ),
        ("timerz: {pursuit_s: 30}\n", ["policy.yaml:1: config.timerz: unknown setting", "timers"]),
        (
            "timers:\n  pursuit_s: 0\n",
            ["policy.yaml:2: config.timers.pursuit_s: Input should be greater than 0"],
        ),
        ("mayday: {police: many}\n", ["policy.yaml:1: config.mayday.police: Input should be"]),
    ],
)
def test_a_bad_file_stops_serve_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str | None, words: list[str]
) -> None:
    def must_not_run(app: Any, **options: Any) -> None:
        raise AssertionError("the server started with a bad config")

    monkeypatch.setattr(uvicorn, "run", must_not_run)
    path = tmp_path / "policy.yaml" if text is None else _file(tmp_path, text)
    database = tmp_path / "tenfour.db"
    result = runner.invoke(
        cli, ["serve", "--no-demo", "--database", str(database), "--config", str(path)]
    )
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output
    assert not database.exists()  # nothing was opened


def test_the_loader_raises_one_error_for_every_bad_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_policy_config(_file(tmp_path, "timers: {pursuit_s: -1, onscene_s: 0}\n"))
    message = str(caught.value)
    assert "config.timers.pursuit_s" in message and "config.timers.onscene_s" in message


def test_allowed_origins_reach_the_live_feed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    database = str(tmp_path / "tenfour.db")
    origins = "https://cad.example.org, https://backup.example.org"
    result = runner.invoke(
        cli, ["serve", "--no-demo", "--database", database, "--allowed-origins", origins]
    )
    assert result.exit_code == 0, result.output
    (app,) = served
    with TestClient(app):
        assert _runtime(app).settings.allowed_origins == (
            "https://cad.example.org",
            "https://backup.example.org",
        )


def test_a_bad_allowed_origin_stops_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: pytest.fail("served"))
    result = runner.invoke(cli, ["serve", "--allowed-origins", "cad.example.org"])
    assert result.exit_code == 2
    assert "--allowed-origins" in result.output and "cad.example.org" in result.output
