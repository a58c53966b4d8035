"""Values of the journal: events going in, events stored, results and errors.

Everything here is plain data. The stores in `sqlite.py` and `postgres.py` turn
`NewEvent`s into `StoredEvent`s; the hashing rules live in `chain.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple


class JournalError(Exception):
    """Anything the journal refuses or cannot do."""


class InvalidEventError(JournalError, ValueError):
    """An event, key or expected version that cannot be stored as given."""


class ConcurrencyError(JournalError):
    """A stream moved on since the caller last saw it; nothing was written."""

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        super().__init__(f"stream {stream!r} is at version {actual}, expected {expected}")
        self.stream = stream
        self.expected = expected
        self.actual = actual


class IntegrityError(JournalError):
    """The stored journal is not what was written (tampering or corruption)."""


def _check_name(field: str, value: object) -> str:
    # NUL cannot be stored in PostgreSQL text, and lone surrogates cannot be
    # encoded as UTF-8: refuse both here so every backend accepts the same events.
    if not isinstance(value, str) or not value:
        raise InvalidEventError(f"{field}: must be a non-empty string, got {value!r}")
    if "\x00" in value:
        raise InvalidEventError(f"{field}: must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidEventError(f"{field}: not valid Unicode text ({exc.reason})") from exc
    return value


def _check_utc(value: object) -> None:
    text = _check_name("at", value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidEventError(f"at: not an ISO-8601 time: {value!r}") from exc
    # Naive times are ambiguous and other offsets make the journal hard to read;
    # the string itself is stored as given because the hash covers it.
    if moment.utcoffset() != timedelta(0):
        raise InvalidEventError(f"at: must be UTC (e.g. 2026-11-24T14:07:30Z), got {value!r}")


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append. `at` comes from the caller's clock; the store never reads one."""

    type: str
    stream: str
    at: str
    by: str
    data: Mapping[str, Any]

    def __post_init__(self) -> None:
        _check_name("type", self.type)
        _check_name("stream", self.stream)
        _check_utc(self.at)
        _check_name("by", self.by)
        if not isinstance(self.data, Mapping):
            raise InvalidEventError(f"data: must be a mapping, got {type(self.data).__name__}")


# Envelope fields of `StoredEvent.to_json`, in output order. A data field with one
# of these names is shadowed in that view (it is still in `StoredEvent.data`).
ENVELOPE_FIELDS = ("seq", "type", "at", "by", "stream", "version", "idempotency_key")


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the journal holds it: its place in the global order and in its stream.

    `data` is the payload as read back from its canonical JSON, so an event returned
    by `append` equals the same event returned by `read`.
    """

    seq: int
    stream: str
    version: int
    type: str
    at: str
    by: str
    data: Mapping[str, Any]
    idempotency_key: str | None
    prev_hash: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        """A flat JSON object: the data fields at top level plus the envelope.

        The envelope (`seq`, `type`, `at`, `by`, `stream`, `version`,
        `idempotency_key`) wins over data fields of the same name, so a consumer can
        always trust those keys. The hashes are left out; `verify()` is the way to
        check the chain.
        """
        envelope = {name: getattr(self, name) for name in ENVELOPE_FIELDS}
        return {**self.data, **envelope}


class EventBrief(NamedTuple):
    """An event without its stream, version, actor, key and hashes (`read_brief`).

    For a reader that folds a great many events and needs only what happened, when
    and in which order: fetching and building the rest would cost it more than
    decoding the payloads (bench/RESULTS.md, interval reports).
    """

    seq: int
    type: str
    at: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AppendResult:
    """The events an append stored, or with `duplicate=True` those its key stored before."""

    events: tuple[StoredEvent, ...]
    duplicate: bool


@dataclass(frozen=True, slots=True)
class Append:
    """One caller's share of ``EventStore.append_batch``: the arguments of one ``append``."""

    events: Sequence[NewEvent]
    expected: Mapping[str, int] | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of walking the whole hash chain.

    `checked` counts the rows found good before the first bad one (all of them
    when `ok`). `head_hash` is the hash of the last good row; keeping it outside
    the database lets a later check notice a rewritten chain.
    """

    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str
    head_hash: str

    def raise_if_bad(self) -> None:
        """Raise `IntegrityError` with the reason when the chain is broken."""
        if not self.ok:
            raise IntegrityError(f"journal broken at seq {self.first_bad_seq}: {self.reason}")
