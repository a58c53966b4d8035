"""The hash chain: canonical JSON, row hashes, linking new rows and verifying old ones.

Every backend stores the same row and computes the same hash, so a journal copied
from SQLite to PostgreSQL (or checked by an outside tool) verifies the same way:

    canonical(x) = json.dumps(x, sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False, allow_nan=False)
    hash = sha256_hex(utf8(canonical(
        [seq, stream, version, type, at, by, data, idempotency_key, prev_hash])))

`prev_hash` is the hash of the row before, or `GENESIS_HASH` for seq 1. The payload
is stored as its canonical text (not jsonb) because a database's own JSON type may
reorder keys or rewrite numbers, which would change the hash.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import msgspec

from tenfour.journal.model import (
    ConcurrencyError,
    EventBrief,
    IntegrityError,
    InvalidEventError,
    NewEvent,
    StoredEvent,
    VerifyReport,
)

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """The one JSON text of `value` that the hashes are computed over."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _plain(value: Any, path: str) -> Any:
    """`value` as plain JSON types, or `InvalidEventError` naming the bad field.

    json.dumps alone would quietly turn `{1: "x"}` into `{"1": "x"}` and refuse
    a MappingProxyType, so the payload is checked and copied first.
    """
    if isinstance(value, str):
        _check_text(value, path)
        return value
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidEventError(f"{path}: {value} is not a finite number")
        return value
    if isinstance(value, Mapping):
        plain: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidEventError(f"{path}: key {key!r} is not a string")
            _check_text(key, path)
            plain[key] = _plain(item, f"{path}.{key}")
        return plain
    if isinstance(value, list | tuple):
        return [_plain(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise InvalidEventError(
        f"{path}: {type(value).__name__} is not JSON (use str, int, float, bool, None, "
        "list or mapping)"
    )


def _check_text(value: str, path: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidEventError(f"{path}: not valid Unicode text ({exc.reason})") from exc


_decoder = msgspec.json.Decoder()


def decode_data(text: str) -> Any:
    """The value of a stored payload text: what `json.loads` gives, several times faster.

    Reading the journal is mostly decoding payloads (a year's report reads a million),
    so msgspec decodes them. The few texts it refuses but `json.loads` reads (a number
    beyond a double, a lone surrogate escape: never written by `encode_data`, but a
    tampered row may hold one) go to `json.loads`, so every text decodes as before.
    """
    try:
        return _decoder.decode(text)
    except msgspec.DecodeError:
        return json.loads(text)


def encode_data(data: Mapping[str, Any]) -> str:
    """The canonical JSON text of an event payload, as stored and hashed."""
    return canonical_json(_plain(data, "data"))


def row_hash(
    seq: int,
    stream: str,
    version: int,
    type: str,
    at: str,
    by: str,
    data_text: str,
    idempotency_key: str | None,
    prev_hash: str,
) -> str:
    """The hash of one row (see the module docstring for the formula).

    The stored payload text is spliced in as is rather than parsed and dumped again:
    it is canonical when written, so the result is the same, and any later edit of
    the text (even whitespace) shows up as a changed hash.
    """
    head = canonical_json([seq, stream, version, type, at, by])
    tail = canonical_json([idempotency_key, prev_hash])
    text = f"{head[:-1]},{data_text},{tail[1:]}"
    # surrogatepass: a tampered row must give a wrong hash, not a crash in verify().
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Row(NamedTuple):
    """One journal row as stored, payload still as text. Column order of every SELECT."""

    seq: int
    stream: str
    version: int
    type: str
    at: str
    by: str
    data: str
    idempotency_key: str | None
    prev_hash: str
    hash: str

    def computed_hash(self) -> str:
        return row_hash(*self[:-1])

    def to_event(self) -> StoredEvent:
        try:
            data = decode_data(self.data)
        except ValueError as exc:
            raise IntegrityError(f"seq {self.seq}: stored data is not valid JSON") from exc
        if not isinstance(data, dict):
            raise IntegrityError(f"seq {self.seq}: stored data is not a JSON object")
        return StoredEvent(
            seq=self.seq,
            stream=self.stream,
            version=self.version,
            type=self.type,
            at=self.at,
            by=self.by,
            data=data,
            idempotency_key=self.idempotency_key,
            prev_hash=self.prev_hash,
            hash=self.hash,
        )


def brief_event(seq: int, type: str, at: str, data: str) -> EventBrief:
    """The `EventBrief` of a row's `BRIEF_COLUMNS`, its payload decoded."""
    try:
        decoded = decode_data(data)
    except ValueError as exc:
        raise IntegrityError(f"seq {seq}: stored data is not valid JSON") from exc
    if not isinstance(decoded, dict):
        raise IntegrityError(f"seq {seq}: stored data is not a JSON object")
    return EventBrief(seq, type, at, decoded)


def check_expected(expected: Mapping[str, int], versions: Mapping[str, int]) -> None:
    """Raise `ConcurrencyError` for the first stream not at the version the caller saw."""
    for stream, want in expected.items():
        actual = versions.get(stream, 0)
        if actual != want:
            raise ConcurrencyError(stream, want, actual)


def link(
    events: Sequence[NewEvent],
    data_texts: Sequence[str],
    *,
    head_seq: int,
    head_hash: str,
    versions: Mapping[str, int],
    idempotency_key: str | None,
) -> list[Row]:
    """The rows for `events`, numbered after the head and chained to it.

    Must run under the store's write lock: `head_*` and `versions` are only true
    while no one else can append.
    """
    next_version = dict(versions)
    rows: list[Row] = []
    prev_hash = head_hash
    for offset, (event, data_text) in enumerate(zip(events, data_texts, strict=True), 1):
        version = next_version.get(event.stream, 0) + 1
        next_version[event.stream] = version
        seq = head_seq + offset
        fields = (seq, event.stream, version, event.type, event.at, event.by, data_text)
        digest = row_hash(*fields, idempotency_key, prev_hash)
        rows.append(Row(*fields, idempotency_key, prev_hash, digest))
        prev_hash = digest
    return rows


def verify_rows(rows: Iterable[Row]) -> VerifyReport:
    """Walk rows in seq order and report the first that breaks the chain."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    versions: dict[str, int] = {}
    for row in rows:
        problem = _problem(row, expected_seq, prev_hash, versions.get(row.stream, 0) + 1)
        if problem is not None:
            bad_seq, reason = problem
            return VerifyReport(False, expected_seq - 1, bad_seq, reason, prev_hash)
        versions[row.stream] = row.version
        prev_hash = row.hash
        expected_seq += 1
    return VerifyReport(True, expected_seq - 1, None, "", prev_hash)


def _problem(
    row: Row, expected_seq: int, prev_hash: str, expected_version: int
) -> tuple[int, str] | None:
    # Checked in this order so the reason names the likeliest cause: a gap means a
    # removed row, a broken link a reordered or replaced one, a bad own hash an edit.
    if row.seq != expected_seq:
        if row.seq > expected_seq:
            return expected_seq, f"seq {expected_seq} is missing (the next row is seq {row.seq})"
        return expected_seq, f"seq {row.seq} found where seq {expected_seq} was expected"
    if row.prev_hash != prev_hash:
        before = "the genesis hash" if row.seq == 1 else f"the hash of seq {row.seq - 1}"
        return row.seq, (
            f"seq {row.seq}: prev_hash does not match {before} "
            "(row reordered or replaced, or the row before it rewritten)"
        )
    if row.computed_hash() != row.hash:
        return row.seq, f"seq {row.seq}: hash does not match the row's content (row altered)"
    if row.version != expected_version:
        return row.seq, (
            f"seq {row.seq}: stream {row.stream!r} has version {row.version} where "
            f"{expected_version} was expected"
        )
    return None
