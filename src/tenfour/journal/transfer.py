"""Moving a journal between databases (SQLite <-> PostgreSQL) as a JSONL file.

    line 1:  {"format": "tenfour-journal", "format_version": 1, "events": N,
              "head_hash": H, "exported_at": T}
    lines 2..N+1, one event each, in seq order, exactly as stored:
             {"seq", "stream", "version", "type", "at", "by", "data",
              "idempotency_key", "prev_hash", "hash"}
    then one line per reader's bookmark: {"position": NAME, "seq": S}

Every row keeps its seq, stream version, hashes and idempotency key, so the
imported journal is the same chain: `journal verify` gives the same head hash on
both sides. The header's count and head hash make a cut file (even one cut at a
line's end) an error, not a shorter journal. The reactor's bookmark travels too,
so reactions still owed when the export was taken are still made after import.

Both directions stream: export reads the journal a page at a time, import inserts
a batch at a time, so memory does not grow with the journal's length. (It does
grow with the number of streams, one integer each, as in `verify`: the per-stream
versions are checked too.) Import runs in one transaction into an empty journal
and checks the chain as it goes: a broken or cut file leaves the target empty,
and the error names the line and the field.

The accounts, sessions and devices are not exported: they are configuration and
secrets, not the record (see `tenfour.accounts.sql`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from tenfour.journal.chain import GENESIS_HASH, Row, encode_data, verify_rows
from tenfour.journal.model import InvalidEventError, JournalError, NewEvent
from tenfour.journal.sql import COLUMNS, POSITIONS, TABLE, SqlEventStore

FORMAT = "tenfour-journal"
FORMAT_VERSION = 1
#: Rows per INSERT batch on import.
BATCH = 1000
_HASH = re.compile(r"^[0-9a-f]{64}$")
_INSERT = f"INSERT INTO {TABLE} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_SAVE_POSITION = (
    f"INSERT INTO {POSITIONS} (name, seq) VALUES (?, ?) "
    "ON CONFLICT (name) DO UPDATE SET seq = excluded.seq"
)

#: Told the number of events done so far, every batch.
Progress = Callable[[int], None]


class TransferError(JournalError):
    """An export or import that cannot be done: the line, the field and the reason."""


@dataclass(frozen=True, slots=True)
class TransferReport:
    """How many events went across, the chain's head hash, and the bookmarks carried."""

    events: int
    head_hash: str
    positions: dict[str, int]


def _line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"


# -- export ---------------------------------------------------------------------------


def export_journal(
    store: SqlEventStore, out: TextIO, progress: Progress | None = None
) -> TransferReport:
    """Write the journal, as far as its head when the export starts, to `out`.

    The chain is checked as it is read: a broken journal raises `TransferError`
    naming the first bad seq (the file is then incomplete; do not keep it)."""
    head = store.head()
    last = next(iter(store.read(after=head - 1, limit=1)), None) if head else None
    head_hash = GENESIS_HASH if last is None else last.hash
    exported_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    out.write(
        _line(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "events": head,
                "head_hash": head_hash,
                "exported_at": exported_at,
            }
        )
    )

    def rows() -> Iterator[Row]:
        for count, event in enumerate(store.read(limit=head), 1):
            row = Row(
                event.seq,
                event.stream,
                event.version,
                event.type,
                event.at,
                event.by,
                encode_data(event.data),
                event.idempotency_key,
                event.prev_hash,
                event.hash,
            )
            yield row
            # Written only once the chain check has passed this row.
            out.write(
                _line(
                    {
                        "seq": event.seq,
                        "stream": event.stream,
                        "version": event.version,
                        "type": event.type,
                        "at": event.at,
                        "by": event.by,
                        "data": event.data,
                        "idempotency_key": event.idempotency_key,
                        "prev_hash": event.prev_hash,
                        "hash": event.hash,
                    }
                )
            )
            if progress is not None and count % BATCH == 0:
                progress(count)

    report = verify_rows(rows())
    if not report.ok:
        raise TransferError(
            f"the journal is broken at seq {report.first_bad_seq}: {report.reason}; "
            "nothing usable was exported"
        )
    if report.checked != head:
        raise TransferError(f"the journal ended at seq {report.checked}, before its head {head}")
    positions = {name: min(seq, head) for name, seq in _positions(store)}
    for name, seq in sorted(positions.items()):
        out.write(_line({"position": name, "seq": seq}))
    if progress is not None:
        progress(head)
    return TransferReport(head, head_hash, positions)


def _positions(store: SqlEventStore) -> list[tuple[str, int]]:
    with store._reading() as cur:
        cur.execute(f"SELECT name, seq FROM {POSITIONS} ORDER BY name")
        return [(str(name), int(seq)) for name, seq in cur.fetchall()]


# -- import ---------------------------------------------------------------------------


def read_header(line: str) -> tuple[int, str]:
    """The event count and head hash the header (line 1) promises."""
    header = _object(line, 1)
    if header.get("format") != FORMAT:
        raise TransferError(f"line 1: format: expected {FORMAT!r} (not a journal export)")
    if header.get("format_version") != FORMAT_VERSION:
        raise TransferError(
            f"line 1: format_version: {header.get('format_version')!r} is not one this "
            f"Ten-Four reads ({FORMAT_VERSION})"
        )
    events = _count(header, "events", 1, minimum=0)
    head_hash = _hash(header, "head_hash", 1)
    return events, head_hash


def import_journal(
    store: SqlEventStore, lines: Iterable[str], progress: Progress | None = None
) -> TransferReport:
    """Append an export's events, exactly as they were stored, to the EMPTY `store`,
    checking the chain as it goes; all in one transaction (nothing on any error)."""
    numbered = enumerate(lines, 1)
    first = next(numbered, None)
    if first is None:
        raise TransferError("line 1: the file is empty (expected the export's header)")
    promised, promised_hash = read_header(first[1])
    with store._writing() as cur:
        cur.execute(store._sql(f"SELECT seq FROM {TABLE} ORDER BY seq DESC LIMIT 1"))
        found = cur.fetchone()
        if found is not None:
            raise TransferError(
                f"the target journal is not empty (its head is seq {found[0]}): "
                "import only into a new database"
            )
        checker = _Chain()
        batch: list[Row] = []
        positions: dict[str, int] = {}
        for number, text in numbered:
            if not text.strip():
                raise TransferError(f"line {number}: empty line")
            item = _object(text, number)
            if "position" in item:
                name, seq = _position(item, number, checker.head)
                positions[name] = seq
                continue
            if positions:
                raise TransferError(f"line {number}: an event after the positions")
            batch.append(checker.check(_row(item, number), number))
            if len(batch) == BATCH:
                cur.executemany(store._sql(_INSERT), batch)
                batch.clear()
                if progress is not None:
                    progress(checker.head)
        if batch:
            cur.executemany(store._sql(_INSERT), batch)
        if checker.head != promised or checker.head_hash != promised_hash:
            raise TransferError(
                f"the file holds {checker.head} events ending in hash {checker.head_hash}, "
                f"but its header promises {promised} ending in {promised_hash} "
                "(a cut or altered file)"
            )
        for name, seq in positions.items():
            cur.execute(store._sql(_SAVE_POSITION), (name, seq))
    if progress is not None:
        progress(checker.head)
    return TransferReport(checker.head, checker.head_hash, positions)


class _Chain:
    """The chain rules of `chain.verify_rows`, one row at a time, naming the line."""

    def __init__(self) -> None:
        self.head = 0
        self.head_hash = GENESIS_HASH
        self._versions: dict[str, int] = {}

    def check(self, row: Row, number: int) -> Row:
        where = f"line {number}"
        if row.seq != self.head + 1:
            raise TransferError(f"{where}: seq: {row.seq} where {self.head + 1} was expected")
        if row.prev_hash != self.head_hash:
            before = "the genesis hash" if row.seq == 1 else f"the hash of seq {row.seq - 1}"
            raise TransferError(f"{where}: prev_hash: does not match {before} (broken chain)")
        expected_version = self._versions.get(row.stream, 0) + 1
        if row.version != expected_version:
            raise TransferError(
                f"{where}: version: stream {row.stream!r} at {row.version} where "
                f"{expected_version} was expected"
            )
        if row.computed_hash() != row.hash:
            raise TransferError(f"{where}: hash: does not match the event's content (altered)")
        self._versions[row.stream] = row.version
        self.head, self.head_hash = row.seq, row.hash
        return row


def _object(text: str, number: int) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise TransferError(f"line {number}: not JSON ({error})") from None
    if not isinstance(value, dict):
        raise TransferError(f"line {number}: expected a JSON object")
    return value


def _count(item: dict[str, Any], field: str, number: int, *, minimum: int = 1) -> int:
    value = item.get(field)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise TransferError(f"line {number}: {field}: expected an integer >= {minimum}")
    return value


def _hash(item: dict[str, Any], field: str, number: int) -> str:
    value = item.get(field)
    if not isinstance(value, str) or not _HASH.match(value):
        raise TransferError(f"line {number}: {field}: expected 64 lowercase hex digits")
    return value


def _row(item: dict[str, Any], number: int) -> Row:
    seq = _count(item, "seq", number)
    version = _count(item, "version", number)
    data = item.get("data")
    if not isinstance(data, dict):
        raise TransferError(f"line {number}: data: expected a JSON object")
    key = item.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not key or "\x00" in key):
        raise TransferError(f"line {number}: idempotency_key: expected null or a non-empty string")
    try:
        # The same checks an append makes (names, UTC time, JSON payload).
        event = NewEvent(
            type=item.get("type"),  # type: ignore[arg-type]  # checked by NewEvent
            stream=item.get("stream"),  # type: ignore[arg-type]
            at=item.get("at"),  # type: ignore[arg-type]
            by=item.get("by"),  # type: ignore[arg-type]
            data=data,
        )
        data_text = encode_data(data)
    except InvalidEventError as error:
        raise TransferError(f"line {number}: {error}") from None
    return Row(
        seq,
        event.stream,
        version,
        event.type,
        event.at,
        event.by,
        data_text,
        key,
        _hash(item, "prev_hash", number),
        _hash(item, "hash", number),
    )


def _position(item: dict[str, Any], number: int, head: int) -> tuple[str, int]:
    name = item.get("position")
    if not isinstance(name, str) or not name:
        raise TransferError(f"line {number}: position: expected a non-empty name")
    seq = _count(item, "seq", number, minimum=0)
    if seq > head:
        raise TransferError(f"line {number}: seq: {seq} is past the journal's head {head}")
    return name, seq
