"""Named places found by what a caller calls them: "the Ferry Building", "Ferry Bldg",
"Ghiradelli Square" (misspelt), "the food truck by the Ferry Building".

Names and aliases are matched on their normalised key (a leading "the" dropped):
exactly, then as a run of words inside the query, then fuzzily (rapidfuzz), and by
word prefix for autocomplete.
"""

from __future__ import annotations

import bisect
from typing import Final

from rapidfuzz import fuzz, process

from tenfour.geo.addresses import Place
from tenfour.geo.parsing import normalise

EXACT: Final = 0.97
CONTAINED: Final = 0.85
FUZZY_CUTOFF: Final = 85.0


def place_key(text: str) -> str:
    """A place name's lookup key: the street key without a leading "the"."""
    key = normalise(text)
    return key[4:] if key.startswith("the ") else key


class PlaceIndex:
    """The named places of a map, by name and alias."""

    def __init__(self, places: tuple[Place, ...]) -> None:
        self.places = places
        by_key: dict[str, list[int]] = {}
        for i, place in enumerate(places):
            for name in (place.name, *place.aliases):
                key = place_key(name)
                if key and i not in by_key.setdefault(key, []):
                    by_key[key].append(i)
        self._by_key = by_key
        self._keys = list(by_key)
        # every word-start suffix of every key, sorted, for prefix search
        starts = []
        for key in self._keys:
            words = key.split()
            for w in range(len(words)):
                starts.append((" ".join(words[w:]), key))
        self._starts = sorted(starts)

    def __len__(self) -> int:
        return len(self.places)

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` (a :func:`place_key`) is a name or alias of a place."""
        return key in self._by_key

    def lookup(self, text: str) -> list[tuple[Place, float]]:
        """Places ``text`` may name, with a score, best first."""
        key = place_key(text)
        if not key:
            return []
        if key in self._by_key:
            return [(self.places[i], EXACT) for i in self._by_key[key]]
        found: dict[int, float] = {}
        padded = f" {key} "
        for other, rows in self._by_key.items():
            if len(other) >= 4 and f" {other} " in padded:
                for i in rows:
                    found[i] = max(found.get(i, 0.0), CONTAINED)
        for other, score, _ in process.extract(
            key, self._keys, scorer=fuzz.token_sort_ratio, score_cutoff=FUZZY_CUTOFF, limit=5
        ):
            for i in self._by_key[other]:
                found[i] = max(found.get(i, 0.0), 0.9 * score / 100)
        ranked = sorted(found.items(), key=lambda item: (-item[1], self.places[item[0]].name))
        return [(self.places[i], score) for i, score in ranked]

    def starting(self, prefix: str, limit: int) -> list[Place]:
        """Places with a name or alias that has a word starting with ``prefix``."""
        if not prefix:
            return []
        i = bisect.bisect_left(self._starts, (prefix, ""))
        out: list[int] = []
        while i < len(self._starts) and self._starts[i][0].startswith(prefix):
            for row in self._by_key[self._starts[i][1]]:
                if row not in out:
                    out.append(row)
            if len(out) >= limit:
                break
            i += 1
        return [self.places[i] for i in out]
