"""The chain's head kept outside the database, so a cut or rewritten tail shows.

The hash chain (`chain.py`) catches any edit of a row that leaves later rows in
place. It cannot catch someone who deletes the last rows, or rewrites the tail and
recomputes every hash after the change: what is left is a perfect chain. So the
head is also written outside the database, authenticated with a key that is not
in the database either:

    anchor file (JSON): {"version": 1, "seq": N, "hash": H, "at": T, "mac": M}
    M = HMAC-SHA256(key, "tenfour-anchor-v1:" + N + ":" + H), hex

- The anchor file sits beside a SQLite journal (`journal.db.anchor`) or wherever
  `--anchor FILE` says (PostgreSQL: each node its own, on its own disk).
- The key is 32 random bytes in a file of mode 0600, created on first use: by
  default `$TENFOUR_ANCHOR_KEY`, else `~/.config/tenfour/anchor.key`, so not in
  the database's folder either.
- The server moves the anchor forward (never back) after appends: at most once per
  `every_appends` appends or `every_s` seconds, and when the journal closes; a
  timer writes the last head within `every_s` when appends stop.
- `check_anchor` (used by `tenfour journal verify` and at server start) reports a
  journal whose head is below the anchored seq (truncated) or whose row at the
  anchored seq has another hash (rewritten), naming the row.

What it cannot see: rows appended after the last anchor write and then removed
(at most the last second or `every_appends` appends); changes by someone holding
the key (whoever controls the server's account can re-sign); a journal and its
anchor both rolled back to an older, consistent pair. `tenfour journal head`
prints the head for an outside notary, which closes the last two gaps for the
heads it was given.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tenfour.journal.chain import GENESIS_HASH
from tenfour.journal.model import JournalError
from tenfour.journal.store import EventStore

log = logging.getLogger(__name__)

KEY_ENV = "TENFOUR_ANCHOR_KEY"
VERSION = 1
_KEY_BYTES = 32


class AnchorError(JournalError):
    """An anchor or its key that cannot be used: missing, unreadable, or forged."""


class ForgedAnchorError(AnchorError):
    """An anchor whose signature does not match: altered, or made with another key."""


def resolve_anchor(database: str, setting: str | None) -> Path | None:
    """The anchor file a server keeps: `setting` if a path, beside a SQLite journal
    for "auto", none for None or "none" (and for "auto" on PostgreSQL)."""
    if setting is None or setting == "none":
        return None
    if setting != "auto":
        return Path(setting)
    if database.startswith(("postgresql://", "postgres://")):
        return None
    from tenfour.journal import sqlite_path

    return default_anchor_path(sqlite_path(database))


def default_key_path() -> Path:
    """`$TENFOUR_ANCHOR_KEY`, else `$XDG_CONFIG_HOME/tenfour/anchor.key`
    (`~/.config/tenfour/anchor.key`): outside the journal's database and folder."""
    configured = os.environ.get(KEY_ENV)
    if configured:
        return Path(configured)
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "tenfour" / "anchor.key"


def default_anchor_path(sqlite_file: str) -> Path | None:
    """Beside a SQLite journal file; None for an in-memory one."""
    if sqlite_file in (":memory:", ""):
        return None
    return Path(f"{sqlite_file}.anchor")


def load_key(path: Path, *, create: bool) -> bytes:
    """The key in `path`; with `create`, a new random one (mode 0600) if there is none."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        if not create:
            raise AnchorError(f"no anchor key at {path}") from None
        return _create_key(path)
    except (OSError, UnicodeDecodeError) as error:
        raise AnchorError(f"cannot read the anchor key {path}: {error}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise AnchorError(f"anchor key {path}: not a hex key") from None
    if len(key) < 16:
        raise AnchorError(f"anchor key {path}: too short")
    return key


def _create_key(path: Path) -> bytes:
    key = secrets.token_bytes(_KEY_BYTES)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # O_EXCL: two servers starting at once must not each write their own key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_key(path, create=False)
    except OSError as error:
        raise AnchorError(f"cannot create the anchor key {path}: {error}") from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key.hex() + "\n")
        out.flush()
        os.fsync(out.fileno())
    log.warning("created the journal anchor key %s (keep it, and a copy, safe)", path)
    return key


def _mac(key: bytes, seq: int, head: str) -> str:
    message = f"tenfour-anchor-v{VERSION}:{seq}:{head}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Anchor:
    """A head the journal had: row `seq` had hash `hash`, as written at `at`."""

    seq: int
    hash: str
    at: str


def read_anchor(path: Path, key: bytes) -> Anchor:
    """The anchor in `path`, its MAC checked with `key` (`AnchorError` if forged)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnchorError(f"no anchor at {path}") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise AnchorError(f"anchor {path} cannot be read: {error}") from None
    try:
        seq, head, at, mac = data["seq"], data["hash"], data["at"], data["mac"]
        if data.get("version") != VERSION or not isinstance(seq, int) or seq < 0:
            raise TypeError
        if not all(isinstance(v, str) for v in (head, at, mac)):
            raise TypeError
    except (KeyError, TypeError):
        raise AnchorError(f"anchor {path} is not an anchor file (version {VERSION})") from None
    if not hmac.compare_digest(_mac(key, seq, head), mac):
        raise ForgedAnchorError(
            f"anchor {path}: its signature does not match (the anchor was altered, "
            "or it was made with another key)"
        )
    return Anchor(seq, head, at)


def write_anchor(path: Path, key: bytes, seq: int, head: str) -> Anchor:
    """Replace the anchor atomically and durably (temp file, fsync, rename, fsync dir)."""
    at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    body = {"version": VERSION, "seq": seq, "hash": head, "at": at, "mac": _mac(key, seq, head)}
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "w", encoding="utf-8") as out:
            json.dump(body, out)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise AnchorError(f"cannot write the anchor {path}: {error}") from None
    return Anchor(seq, head, at)


@dataclass(frozen=True, slots=True)
class AnchorCheck:
    """`ok`, or what is wrong: `bad_seq` is the row named, `reason` says why."""

    ok: bool
    reason: str
    bad_seq: int | None = None


def head_hash(store: EventStore, seq: int) -> str | None:
    """The stored hash of row `seq` (the genesis hash for 0), None if there is no such row."""
    if seq == 0:
        return GENESIS_HASH
    rows = list(store.read(after=seq - 1, limit=1))
    return rows[0].hash if rows and rows[0].seq == seq else None


def check_anchor(store: EventStore, anchor: Anchor) -> AnchorCheck:
    """Compare the journal with an anchor: its head may be past it, never below it,
    and its row at the anchored seq must have the anchored hash."""
    if anchor.seq == 0:
        return AnchorCheck(True, "anchored when empty")
    head = store.head()
    written = f"the anchor (written {anchor.at}) says seq {anchor.seq} had hash {anchor.hash}"
    if head < anchor.seq:
        missing = f"seq {head + 1}" if head + 1 == anchor.seq else f"seq {head + 1}-{anchor.seq}"
        return AnchorCheck(
            False,
            f"TRUNCATED: the journal ends at seq {head} but {written}; {missing} removed",
            head + 1,
        )
    found = head_hash(store, anchor.seq)
    if found != anchor.hash:
        return AnchorCheck(
            False,
            f"REWRITTEN: seq {anchor.seq} has hash {found or '(no row)'} but {written}; "
            "that row or one before it was replaced and the hashes after it recomputed",
            anchor.seq,
        )
    return AnchorCheck(True, f"matches the anchor at seq {anchor.seq} (written {anchor.at})")


class Anchorer:
    """Keeps an anchor file at a store's head as it grows (a `HeadListener`)."""

    def __init__(
        self,
        path: Path,
        key: bytes,
        *,
        every_appends: int = 100,
        every_s: float = 1.0,
        start: Anchor | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path, self._key = path, key
        self.every_appends, self.every_s = every_appends, every_s
        self._clock = clock
        self._lock = threading.Lock()
        self._written = start.seq if start is not None else -1
        self._pending: tuple[int, str] | None = None
        self._since_write = 0
        self._last_write = clock()
        self._timer: threading.Timer | None = None
        self._closed = False
        self.writes = 0

    def note(self, seq: int, head: str) -> None:
        """The head after a committed append; written now if due, else within `every_s`."""
        with self._lock:
            if self._closed or seq <= max(self._written, self._pending[0] if self._pending else -1):
                return  # never backwards (appends from several threads finish in any order)
            self._pending = (seq, head)
            self._since_write += 1
            due = (
                self._since_write >= self.every_appends
                or self._clock() - self._last_write >= self.every_s
            )
            if due:
                self._write_locked()
            elif self._timer is None:
                self._timer = threading.Timer(self.every_s, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        with self._lock:
            self._write_locked()

    def close(self) -> None:
        with self._lock:
            self._write_locked()
            self._closed = True

    def _write_locked(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending is None:
            return
        seq, head = self._pending
        try:
            write_anchor(self.path, self._key, seq, head)
        except AnchorError:
            # Never fail an append (already durable) over its anchor: say so loudly;
            # the next append or the close tries again.
            log.exception("could not move the journal anchor to seq %s", seq)
            return
        self._pending = None
        self._written = seq
        self._since_write = 0
        self._last_write = self._clock()
        self.writes += 1


def anchor_store(
    store: EventStore,
    path: Path,
    key_path: Path,
    *,
    every_appends: int = 100,
    every_s: float = 1.0,
) -> Anchorer:
    """Check `store` against the anchor at `path` (if any), then keep it anchored there.

    `JournalError` if the journal no longer matches its anchor: a server must not
    start on a cut or rewritten journal, nor overwrite the evidence of it. (After a
    deliberate restore from a backup, move the old anchor away first.)
    """
    from tenfour.journal.sql import SqlEventStore

    if not isinstance(store, SqlEventStore):
        raise AnchorError(f"cannot anchor a {type(store).__name__}")
    key = load_key(key_path, create=True)
    start = None
    if path.exists():
        start = read_anchor(path, key)
        verdict = check_anchor(store, start)
        if not verdict.ok:
            raise JournalError(
                f"the journal does not match its anchor {path}: {verdict.reason}. "
                "`tenfour journal verify` tells more; if the database was replaced on "
                f"purpose (a fresh or restored one), move {path} away first"
            )
    anchorer = Anchorer(path, key, every_appends=every_appends, every_s=every_s, start=start)
    head = store.head()
    if head > (start.seq if start is not None else -1):
        anchorer.note(head, head_hash(store, head) or GENESIS_HASH)
        anchorer.flush()
    store.listen_head(anchorer)
    return anchorer
