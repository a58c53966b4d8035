"""The AVL device registry on SQLite and PostgreSQL, and ``tenfour device ...``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tenfour.accounts import Passwords
from tenfour.cli import app
from tenfour.interop.devices import DeviceError, DeviceStore, check_device
from tests.postgres import fresh_database

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with fresh_database("tenfour_test_devices") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "tenfour.db")
    found: str = request.getfixturevalue("postgres_url")
    with _cleared(found):
        pass
    return found


class _cleared:
    """Each test starts with an empty registry in the shared PostgreSQL database."""

    def __init__(self, url: str) -> None:
        self.store = DeviceStore(url)
        for device in self.store.list():
            self.store.remove(device.id)

    def __enter__(self) -> DeviceStore:
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store.close()


def test_devices_are_added_found_listed_and_removed(url: str) -> None:
    store = DeviceStore(url)
    try:
        secret = Passwords.fast().hash("pw")
        phone = store.add("judy/phone", "owntracks", member="hopps", secret_hash=secret, now=NOW)
        modem = store.add("modem-7", "nmea", unit="ZPD-7", now=NOW)
        assert store.get("judy/phone") == phone
        assert phone.target == "member:hopps" and modem.target == "unit:ZPD-7"
        assert [d.id for d in store.list()] == ["judy/phone", "modem-7"]
        with pytest.raises(DeviceError, match="already registered") as taken:
            store.add("modem-7", "osmand", unit="ZPD-3", now=NOW)
        assert taken.value.field == "id"
        assert store.get("modem-7") == modem  # the first registration stands
        assert store.remove("modem-7") and not store.remove("modem-7")
        assert store.get("modem-7") is None
    finally:
        store.close()
    again = DeviceStore(url)  # it is in the database, not the process
    try:
        assert [d.id for d in again.list()] == ["judy/phone"]
    finally:
        again.close()


@pytest.mark.parametrize(
    ("args", "field", "says"),
    [
        (("", "nmea", "U", None, None), "id", "letters"),
        (("a b", "nmea", "U", None, None), "id", "letters"),
        (("x" * 101, "nmea", "U", None, None), "id", "1-100"),
        (("d", "tcp", "U", None, None), "protocol", "owntracks, osmand, nmea"),
        (("d", "nmea", None, None, None), "unit", "exactly one"),
        (("d", "nmea", "U", "M", None), "unit", "exactly one"),
        (("d", "nmea", None, "bad member", None), "member", "letters"),
        (("d", "owntracks", "U", None, None), "secret", "needs a secret"),
        (("d", "nmea", "U", None, "two\nlines"), "secret", "one line"),
        (("d", "nmea", "U", None, "x" * 201), "secret", "1-200"),
    ],
)
def test_bad_devices_name_the_field(
    args: tuple[str, str, str | None, str | None, str | None], field: str, says: str
) -> None:
    with pytest.raises(DeviceError) as bad:
        check_device(*args)
    assert bad.value.field == field and says in bad.value.reason


def test_the_device_command_line(tmp_path: Path) -> None:
    database = str(tmp_path / "tenfour.db")
    DeviceStore(database).close()  # an existing database, as `tenfour serve` leaves one
    runner = CliRunner()
    added = runner.invoke(
        app,
        [
            "device",
            "add",
            "judy/phone",
            "--member",
            "hopps",
            "--protocol",
            "owntracks",
            "--secret-stdin",
            "--db",
            database,
        ],
        input="phone-secret\n",
    )
    assert added.exit_code == 0, added.output
    assert added.output.strip() == "added judy/phone (owntracks) for member:hopps"
    stored = DeviceStore(database).get("judy/phone")
    assert stored is not None and stored.secret_hash is not None
    assert "phone-secret" not in stored.secret_hash
    assert Passwords().verify(stored.secret_hash, "phone-secret")
    no_secret = runner.invoke(
        app, ["device", "add", "x", "--unit", "ZPD-7", "--protocol", "owntracks", "--db", database]
    )
    assert no_secret.exit_code == 2
    assert "--secret-stdin: an OwnTracks device needs a secret" in no_secret.output
    both = runner.invoke(
        app,
        [
            "device",
            "add",
            "m",
            "--unit",
            "U",
            "--member",
            "M",
            "--protocol",
            "nmea",
            "--db",
            database,
        ],
    )
    assert both.exit_code == 2 and "give exactly one of unit or member" in both.output
    assert (
        runner.invoke(
            app, ["device", "add", "m", "--unit", "ZPD-7", "--protocol", "nmea", "--db", database]
        ).exit_code
        == 0
    )
    listed = runner.invoke(app, ["device", "list", "--db", database])
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].split() == ["judy/phone", "owntracks", "member:hopps", "secret"]
    assert lines[1].split() == ["m", "nmea", "unit:ZPD-7", "no", "secret"]
    assert runner.invoke(app, ["device", "remove", "m", "--db", database]).exit_code == 0
    gone = runner.invoke(app, ["device", "remove", "m", "--db", database])
    assert gone.exit_code == 2 and "no device 'm'" in gone.output
    missing = runner.invoke(app, ["device", "list", "--db", str(tmp_path / "nope.db")])
    assert missing.exit_code == 2 and "no database at" in missing.output


def test_serve_takes_the_feeds_and_refuses_a_bad_broker_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    import tenfour.api.app

    made: list[Any] = []
    monkeypatch.setattr(tenfour.api.app, "create_app", lambda settings: made.append(settings))
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: None)
    database = str(tmp_path / "tenfour.db")
    runner = CliRunner()
    bad = runner.invoke(app, ["serve", "--db", database, "--mqtt", "http://127.0.0.1:1883"])
    assert bad.exit_code == 2
    assert "--mqtt: 'http://127.0.0.1:1883': expected mqtt://HOST" in bad.output
    assert made == []
    good = runner.invoke(
        app,
        [
            *("serve", "--db", database, "--anchor", "none", "--host", "0.0.0.0"),
            *("--mqtt", "mqtt://broker:1884", "--nmea-port", "5010"),
        ],
    )
    assert good.exit_code == 0, good.output
    [settings] = made
    assert (settings.mqtt, settings.nmea_port, settings.nmea_host) == (
        "mqtt://broker:1884",
        5010,
        "0.0.0.0",
    )
