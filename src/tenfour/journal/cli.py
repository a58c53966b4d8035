"""Text for the `tenfour journal` commands: listing events and a verify verdict.

Pure functions returning strings, so the command-line app decides where they go.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tenfour.journal.model import StoredEvent, VerifyReport
from tenfour.journal.store import EventStore


def show(store: EventStore, after: int = 0, as_json: bool = False) -> Iterator[str]:
    """One line per event after seq `after`: human-readable, or one JSON object a line."""
    for event in store.read(after):
        if as_json:
            yield json.dumps(event.to_json(), ensure_ascii=False)
        else:
            yield event_line(event)


def event_line(event: StoredEvent) -> str:
    """`seq  at  by  type  key=value ...`; values are JSON unless a plain word."""
    fields = " ".join(f"{key}={_value(value)}" for key, value in event.data.items())
    parts = (str(event.seq), event.at, event.by, event.type, fields)
    return "  ".join(part for part in parts if part)


def _value(value: Any) -> str:
    # Bare words read best; anything with spaces, quotes or structure is quoted as
    # JSON so one line still parses unambiguously into key=value pairs.
    if (
        isinstance(value, str)
        and value
        and value.isprintable()
        and not any(char in value for char in ' "=\\')
    ):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def verify_text(report: VerifyReport) -> str:
    """A one-line verdict on a `VerifyReport`."""
    if report.ok:
        if report.checked == 0:
            return "journal ok: empty"
        return f"journal ok: {report.checked} events, chain intact, head hash {report.head_hash}"
    return (
        f"journal BROKEN at seq {report.first_bad_seq}: {report.reason}; "
        f"{report.checked} events before it are intact"
    )
