"""The database as a whole: its schema version, upgrades and backups (`tenfour db`).

Every table Ten-Four keeps (the journal and the tables beside it: accounts,
sessions, idempotency keys, AVL devices, the reactor's position) lives in one
database, SQLite or PostgreSQL, at one schema version. The steps between versions
are in `tenfour.db.steps`; `tenfour.db.schema` reads, checks and upgrades.

For a readiness probe: ``schema_status(url).ok``.
"""

from __future__ import annotations

from tenfour.db.schema import SchemaError, SchemaStatus, schema_status, upgrade
from tenfour.db.steps import CURRENT

__all__ = ["CURRENT", "SchemaError", "SchemaStatus", "schema_status", "upgrade"]
