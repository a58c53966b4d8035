"""The AVL device registry: which phone, tracker or vehicle modem reports for whom.

A device is known by the id it sends (an OwnTracks ``user/device`` pair, a Traccar
client's identifier, a modem's greeting) and maps to one unit or one member. A device
mapped to a member follows him when he changes unit: ``member.locate`` records his
unit of the moment. Devices that authenticate (OwnTracks over HTTP, NMEA greetings)
carry a secret, hashed with argon2id like passwords and never stored in clear.

The registry is a small table in the journal's database, beside the accounts' tables
and like them outside the journal's hash chain (it is configuration, not history)::

    avl_devices(id PK, protocol, unit, member, secret_hash, created_at)
"""

from __future__ import annotations

import builtins
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tenfour.db.schema import SchemaError, ensure_schema
from tenfour.durable import connect_postgres, open_durable, write_transaction

PROTOCOLS = ("owntracks", "osmand", "nmea")
#: Letters, digits and ``_ . : @ - /`` (the slash for OwnTracks ``user/device``).
DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,99}$")
_TARGET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$")
MAX_SECRET = 200

TABLE = "avl_devices"
_COLUMNS = "id, protocol, unit, member, secret_hash, created_at"


class DeviceError(ValueError):
    """A device that cannot be registered as given: the field and the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class DeviceStoreError(Exception):
    """The database failed (or timed out) while reading or writing devices."""


@dataclass(frozen=True)
class Device:
    id: str
    protocol: str
    unit: str | None
    member: str | None
    secret_hash: str | None
    created_at: str

    @property
    def target(self) -> str:
        """``unit:U`` or ``member:M``: whom its positions move."""
        return f"unit:{self.unit}" if self.unit else f"member:{self.member}"

    def as_json(self) -> dict[str, Any]:
        """What an admin sees: never the secret's hash, only whether there is one."""
        return {
            "id": self.id,
            "protocol": self.protocol,
            "unit": self.unit,
            "member": self.member,
            "secret": self.secret_hash is not None,
            "created_at": self.created_at,
        }


def check_device(
    device_id: str, protocol: str, unit: str | None, member: str | None, secret: str | None
) -> None:
    """Raise ``DeviceError`` naming the first field that is wrong, and why."""
    if not isinstance(device_id, str) or not DEVICE_ID.match(device_id):
        raise DeviceError(
            "id",
            "1-100 letters, digits or _ . : @ - / starting with a letter or digit",
        )
    if protocol not in PROTOCOLS:
        raise DeviceError("protocol", f"one of {', '.join(PROTOCOLS)}")
    if (unit is None) == (member is None):
        raise DeviceError("unit", "give exactly one of unit or member")
    name, value = ("unit", unit) if unit is not None else ("member", member)
    if not isinstance(value, str) or not _TARGET.match(value):
        raise DeviceError(name, "1-64 letters, digits or _ . : @ - starting with one of them")
    if secret is not None and (not 0 < len(secret) <= MAX_SECRET or "\n" in secret):
        raise DeviceError("secret", f"1-{MAX_SECRET} characters on one line")
    if protocol == "owntracks" and secret is None:
        # Its HTTP mode authenticates every request with Basic auth; without a secret
        # anyone could move the unit. (Over MQTT the broker authenticates instead.)
        raise DeviceError("secret", "an OwnTracks device needs a secret (its HTTP password)")


class DeviceStore:
    """The registered devices, in the journal's database (SQLite or PostgreSQL)."""

    def __init__(self, url: str, *, busy_timeout_s: float = 30.0) -> None:
        self._lock = threading.Lock()
        self._postgres = url.startswith(("postgresql://", "postgres://"))
        self._url = url
        self._busy_timeout_s = busy_timeout_s
        self._conn: Any = None
        self._errors: tuple[type[Exception], ...] = (sqlite3.Error,)
        if self._postgres:
            import psycopg  # here, so that SQLite-only installs need no psycopg

            self._errors = (psycopg.Error,)
        with self._lock, self._translated():
            self._conn = self._connect()
            self._ensure_schema()

    def add(
        self,
        device_id: str,
        protocol: str,
        *,
        unit: str | None = None,
        member: str | None = None,
        secret_hash: str | None = None,
        now: datetime,
    ) -> Device:
        """Register a device; ``DeviceError`` if the id is taken. Check the fields with
        ``check_device`` first (the secret before it is hashed)."""
        device = Device(device_id, protocol, unit, member, secret_hash, now.isoformat())
        row = (device_id, protocol, unit, member, secret_hash, device.created_at)
        with self._lock, self._translated():
            inserted = self._write(
                f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO NOTHING",
                row,
            )
        if not inserted:
            raise DeviceError("id", f"device {device_id!r} is already registered")
        return device

    def get(self, device_id: str) -> Device | None:
        with self._lock, self._translated():
            rows = self._read(f"SELECT {_COLUMNS} FROM {TABLE} WHERE id = ?", (device_id,))
        return Device(*rows[0]) if rows else None

    def list(self) -> builtins.list[Device]:
        with self._lock, self._translated():
            rows = self._read(f"SELECT {_COLUMNS} FROM {TABLE} ORDER BY id", ())
        return [Device(*row) for row in rows]

    def remove(self, device_id: str) -> bool:
        """Forget a device; False if there was none of that id."""
        with self._lock, self._translated():
            return self._write(f"DELETE FROM {TABLE} WHERE id = ?", (device_id,))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- the database ------------------------------------------------------------------

    def _connect(self) -> Any:
        if self._postgres:
            return connect_postgres(self._url)
        return open_durable(_sqlite_path(self._url), self._busy_timeout_s)

    def _connection(self) -> Any:
        """The live connection, reconnecting once it broke. Call with the lock held."""
        if self._conn is None:
            raise DeviceStoreError("the device registry is closed")
        if self._postgres and self._conn.broken:
            self._conn.close()
            self._conn = self._connect()
        return self._conn

    def _ensure_schema(self) -> None:
        """The table is the database's (`tenfour.db`): created with the others in a
        new database, and an outdated database refused."""
        conn = self._connection()
        try:
            if self._postgres:
                with conn.transaction(), conn.cursor() as cur:
                    ensure_schema(cur, "postgres", self._url)
            else:
                with write_transaction(conn) as cur:
                    ensure_schema(cur, "sqlite", self._url)
        except SchemaError as error:
            raise DeviceStoreError(f"device registry: {error}") from None

    def _write(self, query: str, args: tuple[Any, ...]) -> bool:
        """Run one write in its own transaction; True if it changed a row."""
        conn = self._connection()
        if self._postgres:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(query.replace("?", "%s"), args)
                return bool(cur.rowcount and cur.rowcount > 0)
        with write_transaction(conn) as cur:
            cur.execute(query, args)
            return bool(cur.rowcount and cur.rowcount > 0)

    def _read(self, query: str, args: tuple[Any, ...]) -> builtins.list[tuple[Any, ...]]:
        conn = self._connection()
        if self._postgres:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(query.replace("?", "%s"), args)
                return list(cur.fetchall())
        return list(conn.execute(query, args).fetchall())

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except self._errors as exc:
            raise DeviceStoreError(f"device registry: {exc}") from exc


def _sqlite_path(url: str) -> str:
    """The file of a journal URL as ``open_store`` reads it (a path or sqlite:///path)."""
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if not path.startswith("/") or len(path) == 1:
            raise DeviceStoreError(f"database URL {url!r}: expected sqlite:///<path>")
        return path[1:]
    if "://" in url:
        raise DeviceStoreError(f"database URL {url!r}: unknown scheme")
    return url
