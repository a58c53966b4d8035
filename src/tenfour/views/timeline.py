"""Incident timelines: every journaled event that concerns an incident, in order.

Memory: an entry keeps a copy of its event's payload, and a ``recommendation.made``
payload lists every candidate unit (kilobytes with a large fleet), so keeping every
incident's entries forever made a server grow with its journal (issue 15's soak: about
13 KB per incident lifecycle with 2,000 units). So only the most recent
``keep_closed`` closed incidents (and every open one) keep their entries in memory;
an older closed incident keeps only each entry's seq and sentence, and its timeline
is read back from the journal by seq when someone opens it. The sentence is kept, not
re-rendered, so a name registered again later does not rewrite history: the timeline
reads the same after it leaves memory as before.
"""

from __future__ import annotations

import os
import sys
from array import array
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from tenfour.domain.state import Recorded
from tenfour.views.sentences import Names, sentence

#: Closed incidents whose full timelines stay in memory (the most recently closed);
#: the console shows these without a journal read. The environment variable
#: ``TENFOUR_TIMELINE_KEEP_CLOSED`` sets another number (0: read every closed one back).
KEEP_CLOSED = 1000
KEEP_CLOSED_VARIABLE = "TENFOUR_TIMELINE_KEEP_CLOSED"

#: The journaled event at a seq (``Service`` reads its store), None if there is none.
EventAt = Callable[[int], Recorded | None]


def describe(type_: str, d: Mapping[str, Any], names: Names | None = None) -> str:
    """One line a dispatcher can read at a glance (see ``views.sentences``)."""
    return sentence(type_, d, names)


def keep_closed_setting() -> int:
    """``KEEP_CLOSED``, or the number the environment sets."""
    raw = os.environ.get(KEEP_CLOSED_VARIABLE, "").strip()
    if not raw:
        return KEEP_CLOSED
    try:
        number = int(raw)
    except ValueError:
        number = -1
    if number < 0:
        raise ValueError(f"{KEEP_CLOSED_VARIABLE}: {raw!r} is not a whole number >= 0")
    return number


class Timelines:
    """Incident id -> its timeline entries; fed every event by the service.

    ``event_at``: how to read an event back from the journal. Without it (a one-off
    export folding a journal file) every timeline stays in memory. ``keep_closed``:
    how many closed incidents keep their full timelines in memory (see the module
    docstring), by default ``keep_closed_setting()``; the others are read back through
    ``event_at`` on demand.
    """

    def __init__(self, event_at: EventAt | None = None, keep_closed: int | None = None) -> None:
        if keep_closed is None:
            keep_closed = keep_closed_setting()
        if keep_closed < 0:
            raise ValueError(f"keep_closed: {keep_closed} is negative")
        self._entries: dict[str, list[dict[str, Any]]] = {}
        # An incident that left memory: its entries' seqs (8 bytes each) and sentences,
        # read back by seq.
        self._archived: dict[str, tuple[array[int], list[str]]] = {}
        # Closed incidents still in memory, the earliest closed first.
        self._closed: OrderedDict[str, None] = OrderedDict()
        self._event_at = event_at
        self._keep_closed = keep_closed
        self._names = Names()

    def apply(self, event: Recorded) -> None:
        self._names.learn(event.type, event.data)
        incident = event.data.get("incident")
        if not isinstance(incident, str):
            return
        text = describe(event.type, event.data, self._names)
        entry: dict[str, Any] | None = None
        concerned = [incident]
        if event.type == "incident.unlinked":
            concerned.append(event.data["new_incident"])
        for one in concerned:
            archived = self._archived.get(one)
            if archived is not None:  # after it left memory (a late note): seq only
                archived[0].append(event.seq)
                archived[1].append(sys.intern(text))
                continue
            if entry is None:
                entry = {
                    "seq": event.seq,
                    "at": event.at,
                    "by": event.by,
                    "type": event.type,
                    "text": text,
                    "data": dict(event.data),
                }
            self._entries.setdefault(one, []).append(entry)
        if event.type == "incident.closed" and incident in self._entries:
            self._closed[incident] = None
            self._closed.move_to_end(incident)
            self._forget_oldest()

    def _forget_oldest(self) -> None:
        if self._event_at is None:
            return
        while len(self._closed) > self._keep_closed:
            incident, _ = self._closed.popitem(last=False)
            entries = self._entries.get(incident, [])
            # Interned: most sentences ("On scene") repeat across incidents.
            self._archived[incident] = (
                array("q", (e["seq"] for e in entries)),
                [sys.intern(e["text"]) for e in entries],
            )
            # Only then forgotten: a reader outside the service's lock finds one or
            # the other (``of`` looks in memory first).
            del self._entries[incident]

    def in_memory(self, incident: str) -> bool:
        """Whether the incident's full timeline is held (False: read from the journal)."""
        return incident in self._entries

    def of(self, incident: str) -> list[dict[str, Any]]:
        entries = self._entries.get(incident)
        if entries is not None:
            return list(entries)
        archived = self._archived.get(incident)
        if archived is None:
            return []
        seqs, texts = archived
        # Not strict: a reader outside the service's lock may copy the seqs just
        # after an event added its seq and before its sentence; that entry waits.
        pairs = zip(list(seqs), list(texts), strict=False)
        return [self._read_back(seq, text) for seq, text in pairs]

    def _read_back(self, seq: int, text: str) -> dict[str, Any]:
        assert self._event_at is not None  # nothing is archived without a way back
        event = self._event_at(seq)
        if event is None or event.seq != seq:
            raise LookupError(f"timeline: the journal has no event at seq {seq}")
        return {
            "seq": seq,
            "at": event.at,
            "by": event.by,
            "type": event.type,
            "text": text,
            "data": dict(event.data),
        }
