"""Autocomplete: answers for an address text still being typed ("523 Miss", "Mission &
1", "Ferr"), best first, quick enough to run on every key press.

The last word typed is taken as the start of a word ("Miss" -> Mission Street); the
words before it are read whole. Streets are found by a word prefix of their key,
places by a word prefix of a name or alias; a text that matches nothing is tried as
a misspelling (rapidfuzz).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tenfour.geo.errors import GeoError
from tenfour.geo.geocoding import Geocoded, Street
from tenfour.geo.parsing import normalise, parse, tokens_of

if TYPE_CHECKING:
    from tenfour.geo.geocoder import Geocoder


def prefixes(text: str) -> list[str]:
    """Key prefixes a partial text may stand for: all words read whole ("main st" ->
    "main street"), and the last one left as typed ("mission s" -> "mission s")."""
    words = tokens_of(text)
    if not words:
        return []
    whole = normalise(text)
    head = normalise(" ".join(words[:-1]))
    partial = f"{head} {words[-1]}".strip()
    return list(dict.fromkeys(p for p in (partial, whole) if p))


def complete_streets(geo: Geocoder, text: str, limit: int) -> list[Street]:
    """Streets whose key (or a word-start part of it) begins with what was typed."""
    starts = _street_starts(geo)
    found: dict[int, tuple[int, Street]] = {}
    for prefix in prefixes(text):
        for suffix, street in starts:
            if suffix.startswith(prefix):
                rank = 0 if street.key == prefix else (1 if street.key.startswith(prefix) else 2)
                if street.index not in found or rank < found[street.index][0]:
                    found[street.index] = (rank, street)
    ranked = sorted(found.values(), key=lambda item: (item[0], len(item[1].key), item[1].key))
    streets = [street for _, street in ranked[:limit]]
    if not streets:
        streets = [s for s, _ in geo.gazetteer.fuzzy_bases(normalise(text), limit)][:limit]
    return streets


def _street_starts(geo: Geocoder) -> list[tuple[str, Street]]:
    cached: list[tuple[str, Street]] | None = getattr(geo, "_street_starts", None)
    if cached is None:
        cached = []
        for street in geo.gazetteer.streets:
            # the key ("1st street") and the name as written ("first street")
            for words in (street.key.split(), tokens_of(street.display)):
                cached += [(" ".join(words[i:]), street) for i in range(len(words))]
        geo._street_starts = cached  # type: ignore[attr-defined]
    return cached


def suggestions(geo: Geocoder, text: str, limit: int) -> list[Geocoded]:
    """Up to ``limit`` answers for a partial ``text``."""
    reading = parse(text)[0]
    out: list[Geocoded] = []
    try:
        if reading.form == "coordinates":
            assert reading.lat is not None and reading.lon is not None
            return [geo._at(reading.lat, reading.lon)]
        if reading.form in ("house", "block"):
            assert reading.number is not None
            for street in complete_streets(geo, reading.streets[0], limit):
                placed = geo.numbering.place(street, reading.number, block=reading.block)
                if not isinstance(placed, str):
                    out += geo._numbered_answers(
                        street, 1.0, reading.number, reading.block, placed
                    )[:1]
        elif reading.form == "intersection":
            out += _corners(geo, reading.streets[0], reading.streets[1], limit)
        elif reading.form == "between":
            found = geo._between(*reading.streets, reasons=[])
            out += [found] if found is not None else []
    except GeoError:
        pass  # off the map or unreadable: nothing to suggest for that reading
    if len(out) < limit and reading.form not in ("intersection", "between"):
        out += _names(geo, text, limit - len(out))
    return _unique(out)[:limit]


def _corners(geo: Geocoder, first: str, second: str, limit: int) -> list[Geocoded]:
    gazetteer = geo.gazetteer
    mains = [s for s, _ in gazetteer.lookup(first)] or complete_streets(geo, first, 2)
    wanted = prefixes(second)
    out: list[Geocoded] = []
    for main in mains[:2]:
        for other in gazetteer.crossing(main):
            if any(s.startswith(p) for p in wanted for s in _word_starts(other.key)):
                out += geo._corners(main, other, 1.0)[:1]
    out.sort(key=lambda a: (len(a.address), a.address))
    return out[:limit]


def _word_starts(key: str) -> list[str]:
    words = key.split()
    return [" ".join(words[i:]) for i in range(len(words))]


def _names(geo: Geocoder, text: str, limit: int) -> list[Geocoded]:
    out: list[Geocoded] = []
    for prefix in prefixes(text):
        for place in geo.named.starting(prefix, limit):
            out.append(Geocoded(place.lat, place.lon, place.name, "place", confidence=0.9,
                                note=place.address or place.category))  # fmt: skip
    for street in complete_streets(geo, text, limit):
        out.append(geo._street(street, 1.0))
    if not out:
        for place, score in geo.named.lookup(text)[:limit]:
            out.append(Geocoded(place.lat, place.lon, place.name, "place", confidence=score))
    return out[:limit]


def _unique(answers: list[Geocoded]) -> list[Geocoded]:
    seen: set[str] = set()
    out = []
    for answer in answers:
        if answer.address not in seen:
            seen.add(answer.address)
            out.append(answer)
    return out
