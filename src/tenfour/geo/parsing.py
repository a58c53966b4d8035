"""What a call-taker typed, read: name keys, and the form of an address text.

Names are matched on a normalised key: lower case, accents and punctuation dropped,
street types and directions spelled out as US, UK and Portuguese agencies abbreviate
them ("St" -> "street", "AV" -> "avenue", "Gdns" -> "gardens", "R." -> "rua", a
leading "St" -> "saint"), ordinals written one way ("03RD", "3rd", "Third" -> "3rd"),
so "main st", "Main Street" and "MAIN STREET." are one street. The map's names and
the query go through the same function, so an odd expansion (Portuguese "Dr." for
"Doutor" becomes "drive") still matches itself.

:func:`parse` tells which form an address text has: coordinates, a house number, a
block ("500 Block of X", "5XX X"), an intersection ("X/Y", "X & Y", "corner of X and
Y", "X between Y and Z"), or free text (a street or a place).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

_ABBREVIATIONS: Final[dict[str, str]] = {
    # street types, US (USPS Publication 28 and what SFFD writes)
    "st": "street", "str": "street", "ave": "avenue", "av": "avenue", "avn": "avenue",
    "blvd": "boulevard", "bl": "boulevard", "blv": "boulevard", "dr": "drive",
    "drv": "drive", "rd": "road", "ln": "lane", "ct": "court", "crt": "court",
    "pl": "place", "ter": "terrace", "terr": "terrace", "tr": "terrace", "hwy": "highway",
    "hy": "highway", "pkwy": "parkway", "pky": "parkway", "sq": "square", "cir": "circle",
    "aly": "alley", "plz": "plaza", "pz": "plaza", "expy": "expressway", "fwy": "freeway",
    "wy": "way", "trl": "trail", "xing": "crossing", "ctr": "center", "hts": "heights",
    "lp": "loop",
    # street types, UK
    "gdns": "gardens", "gr": "grove", "cl": "close", "cres": "crescent", "pde": "parade",
    "esp": "esplanade", "grn": "green", "mws": "mews", "wk": "walk", "pk": "park",
    # street types and titles, Portuguese
    "avenida": "avenue", "r": "rua", "tv": "travessa", "trav": "travessa", "pc": "praca",
    "pca": "praca", "lg": "largo", "lgo": "largo", "estr": "estrada", "al": "alameda",
    "cc": "calcada", "calc": "calcada", "bc": "beco", "qta": "quinta", "rot": "rotunda",
    "eng": "engenheiro", "prof": "professor",
    # directions and titles
    "n": "north", "s": "south", "e": "east", "w": "west", "ne": "northeast",
    "nw": "northwest", "se": "southeast", "sw": "southwest", "mt": "mount", "ft": "fort",
    "gen": "general", "pt": "point",
}  # fmt: skip
_UNITS: Final = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS: Final = [
    "_",
    "_",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
]
_ORDINAL_UNITS: Final = [
    "zeroth",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
]
_ORDINAL_TENS: Final = [
    "_",
    "_",
    "twentieth",
    "thirtieth",
    "fortieth",
    "fiftieth",
    "sixtieth",
    "seventieth",
    "eightieth",
    "ninetieth",
]
# word ordinals 1..99 ("forty eighth" after hyphens became spaces) -> their number
_WORD_ORDINALS: Final[dict[tuple[str, ...], int]] = {
    **{(word,): n for n, word in enumerate(_ORDINAL_UNITS) if n},
    **{(word,): 10 * n for n, word in enumerate(_ORDINAL_TENS) if n >= 2},
    **{(_TENS[t], _ORDINAL_UNITS[u]): 10 * t + u for t in range(2, 10) for u in range(1, 10)},
}
_NUMERIC_ORDINAL: Final = re.compile(r"^0*(\d+)(?:st|nd|rd|th)$")
_PLAIN_NUMBER: Final = re.compile(r"^0+(\d)")

# Street types that may be left out of a query: trailing in English, leading in Portuguese.
TRAILING_TYPES: Final[frozenset[str]] = frozenset(
    {
        "street", "avenue", "boulevard", "drive", "road", "lane", "court", "place", "terrace",
        "highway", "parkway", "square", "circle", "alley", "plaza", "way", "loop", "row",
        "walk", "expressway", "freeway", "trail", "crescent", "gardens", "grove", "close",
        "parade", "mews", "green",
    }
)  # fmt: skip
LEADING_TYPES: Final[frozenset[str]] = frozenset(
    {"rua", "avenue", "travessa", "praca", "largo", "estrada", "alameda", "calcada", "beco"}
)


def ordinal(n: int) -> str:
    """``3`` -> ``"3rd"``, ``11`` -> ``"11th"``, ``21`` -> ``"21st"``."""
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def tokens_of(text: str) -> list[str]:
    """Lower-case ASCII words and numbers of ``text``, apostrophes dropped."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("'", "").replace("\u2019", "")
    return re.findall(r"[a-z0-9]+", text)


def normalise(name: str) -> str:
    """The lookup key of a street or place name (see the module docstring)."""
    tokens = _merge_ordinals(tokens_of(name))
    out: list[str] = []
    for i, token in enumerate(tokens):
        if token == "st" and i == 0 and len(tokens) > 1:
            out.append("saint")  # "St Joseph's Avenue"
            continue
        numeric = _NUMERIC_ORDINAL.match(token)
        if numeric:
            out.append(ordinal(int(numeric.group(1))))  # "03RD" and "3th" -> "3rd"
        elif token.isdigit():
            out.append(_PLAIN_NUMBER.sub(r"\1", token))  # "PIER 045" -> "pier 45"
        else:
            out.append(_ABBREVIATIONS.get(token, token))
    return " ".join(out)


def _merge_ordinals(tokens: list[str]) -> list[str]:
    """Word ordinals as numbers: "twenty first" -> "21st", "third" -> "3rd"."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        pair = tuple(tokens[i : i + 2])
        if len(pair) == 2 and pair in _WORD_ORDINALS:
            out.append(ordinal(_WORD_ORDINALS[pair]))
            i += 2
        elif (tokens[i],) in _WORD_ORDINALS:
            out.append(ordinal(_WORD_ORDINALS[(tokens[i],)]))
            i += 1
        else:
            out.append(tokens[i])
            i += 1
    return out


def base_of(key: str) -> str:
    """A normalised key without its street type: "main street" -> "main"."""
    tokens = key.split()
    if len(tokens) > 1 and tokens[-1] in TRAILING_TYPES:
        tokens = tokens[:-1]
    elif len(tokens) > 1 and tokens[0] in LEADING_TYPES:
        tokens = tokens[1:]
    return " ".join(tokens)


# ---- the form of an address text ------------------------------------------------------

Form = Literal["coordinates", "house", "block", "intersection", "between", "free"]

_COORDINATES: Final = re.compile(
    r"^\s*(?:@\s*(?P<a>[-+]?\d+(?:\.\d+)?)\s*[,; ]\s*(?P<b>[-+]?\d+(?:\.\d+)?)"
    r"|(?P<c>[-+]?\d{1,3}\.\d+)\s*[,;]\s*(?P<d>[-+]?\d{1,3}\.\d+))\s*$"
)
_CORNER: Final = re.compile(
    r"^(?:(?:at|on)\s+)?(?:the\s+)?(?:corner\s+of|intersection\s+of|junction\s+of|"
    r"esquina\s+(?:d[aoe]s?\s+)?)\s*(?P<rest>.+)$",
    re.IGNORECASE,
)
_BETWEEN: Final = re.compile(
    r"^(?P<street>.+?)\s+(?:between|btwn|b/w|entre)\s+(?P<a>.+?)\s+(?:and|&|e)\s+(?P<b>.+)$",
    re.IGNORECASE,
)
_CROSS: Final = re.compile(r"\s*(?:&|/|@|\+|\band\b|\bat\b|\bcom\b)\s*", re.IGNORECASE)
_BLOCK: Final = re.compile(
    r"^(?:the\s+)?(?P<n>\d+)\s*(?:-?\s*hundred)?\s+(?:block|blk)\s+(?:of\s+)?(?P<street>.+)$",
    re.IGNORECASE,
)
_BLOCK_X: Final = re.compile(r"^(?P<n>\d{1,3})(?P<x>[xX]{2})\s+(?P<street>.+)$")
_BARE_BLOCK: Final = re.compile(r"^(?:block|blk)\s+(?:of\s+)?(?P<street>.+)$", re.IGNORECASE)
_HOUSE: Final = re.compile(
    r"^(?:n[o\u00ba\u00b0.]*\s*)?(?P<n>\d{1,6})(?P<suffix>[a-zA-Z]\b|\s*[-\u2013/]\s*\d{1,6}|"
    r"\s*1/2)?,?\s+(?P<street>.+)$"
)
# Portuguese and much of Europe: the number after the street ("Rua de Santa Catarina, 312")
_HOUSE_AFTER: Final = re.compile(
    r"^(?P<street>.*?[a-zA-Z\u00c0-\u017f].*?)\s*,?\s+(?:n[o\u00ba\u00b0.]*\s*)?"
    r"(?P<n>\d{1,6})(?P<suffix>[a-zA-Z])?$"
)
# a unit: "#RM206", "Apt 12B", "Suite 100", "Unit B" (a value with a digit, or one or
# two letters, so "123 Flat Rock Rd" keeps its street)
_UNIT_VALUE: Final = r"(?:[a-z]?\d[\w-]*|[a-z]{1,2}\b)"
_UNIT: Final = re.compile(
    r"(?:\s*,\s*|\s+)(?:#\s*\S+|(?:apt|apartment|unit|suite|ste|room|rm|flat|fl|floor)\b"
    rf"\.?\s*#?\s*{_UNIT_VALUE})\.?",
    re.IGNORECASE,
)
_LEADING_UNIT: Final = re.compile(
    rf"^(?:apt|apartment|unit|suite|ste|room|rm|flat)\b\.?\s*#?\s*{_UNIT_VALUE}\s*,\s*",
    re.IGNORECASE,
)
_NOTE: Final = re.compile(r"\s*\([^)]*\)?")
_FILLER: Final = re.compile(
    r"^(?:(?:the|a|an|at|in|on|near|by|outside|inside|behind|opposite|across\s+from|"
    r"in\s+front\s+of|next\s+to|close\s+to|around|just|right)\s+)+",
    re.IGNORECASE,
)
_LANDMARK: Final = re.compile(
    r"\b(?:by|near|at|outside|behind|opposite|across\s+from|in\s+front\s+of|next\s+to|"
    r"close\s+to|beside)\s+(?P<tail>.+)$",
    re.IGNORECASE,
)
_TRAILING_CITY: Final = re.compile(
    r",\s*(?:[A-Za-z .'-]+,\s*)?(?:[A-Z]{2}\s*)?\d{5}(?:-\d{4})?\s*$|,\s*[A-Z]{2}\s*$"
)


@dataclass(frozen=True, slots=True)
class Parsed:
    """One reading of an address text.

    ``streets`` holds the street text(s): one for a house, block or free text, two
    for an intersection, three for "A between B and C" (A first). ``number`` is the
    house or block number; ``block`` says it names a block (the 500 block: 500-599).
    """

    form: Form
    streets: tuple[str, ...] = ()
    number: int | None = None
    block: bool = False
    lat: float | None = None
    lon: float | None = None
    text: str = ""


def clean(text: str) -> str:
    """The address part of a text: notes in brackets, unit numbers and a trailing
    city/state/ZIP dropped ("Apt 12B, 1001 Grant Ave (buzzer broken)" -> "1001 Grant Ave")."""
    text = _NOTE.sub(" ", text)
    text = _LEADING_UNIT.sub("", text.strip())
    text = _TRAILING_CITY.sub("", text)
    text = _UNIT.sub("", text)
    return re.sub(r"\s+", " ", text).strip(" ,;.")


def parse(text: str) -> list[Parsed]:
    """Every plausible reading of ``text``, the likeliest first (never empty).

    A comma-separated text is read part by part ("1455 New Montgomery St, rear of the
    building" is the first part), and free text is always a last reading, so a place
    named like an address ("Pier 45") is still found.
    """
    coordinates = _COORDINATES.match(text)
    if coordinates:
        a = coordinates.group("a") or coordinates.group("c")
        b = coordinates.group("b") or coordinates.group("d")
        return [Parsed("coordinates", lat=float(a), lon=float(b), text=text.strip())]
    cleaned = clean(text) or text.strip()
    readings = _read(cleaned)
    if "," in cleaned:
        for part in (p.strip() for p in cleaned.split(",")):
            if part and part != cleaned:
                readings += [r for r in _read(part) if r.form != "free"]
    readings.append(Parsed("free", (cleaned,), text=cleaned))
    stripped = _FILLER.sub("", cleaned)
    if stripped and stripped != cleaned:
        readings.append(Parsed("free", (stripped,), text=stripped))
    landmark = _LANDMARK.search(cleaned)
    if landmark:  # "the food truck by the Ferry Building": the landmark is the place
        tail = _FILLER.sub("", landmark.group("tail")).strip()
        if tail:
            readings.append(Parsed("free", (tail,), text=tail))
    return list(dict.fromkeys(readings))  # each reading once, in order


def _read(text: str) -> list[Parsed]:
    """The non-free readings of one address text."""
    out: list[Parsed] = []
    corner = _CORNER.match(text)
    body = corner.group("rest") if corner else text
    between = _BETWEEN.match(body)
    if between:
        streets = (between.group("street"), between.group("a"), between.group("b"))
        out.append(Parsed("between", tuple(s.strip() for s in streets), text=text))
    parts = [p.strip() for p in _CROSS.split(body) if p and p.strip()]
    if len(parts) == 2:
        out.append(Parsed("intersection", (parts[0], parts[1]), text=text))
    if corner:
        return out
    block = _BLOCK.match(text) or _BLOCK_X.match(text)
    if block:
        number = int(block.group("n")) * (100 if block.re is _BLOCK_X else 1)
        out.append(Parsed("block", (block.group("street"),), number, block=True, text=text))
        return out
    bare = _BARE_BLOCK.match(text)
    if bare:
        return [*out, Parsed("free", (bare.group("street"),), text=text)]
    house = _HOUSE.match(text)
    if house and re.search(r"[a-zA-Z]", house.group("street")):
        number = int(house.group("n"))
        street = house.group("street")
        if _starts_with_ordinal_suffix(street):  # "3RD ST": the number is the street's
            return out
        out.append(Parsed("house", (street,), number, text=text))
    else:
        after = _HOUSE_AFTER.match(text)
        if after:
            out.append(Parsed("house", (after.group("street"),), int(after.group("n")), text=text))
    return out


def _starts_with_ordinal_suffix(street: str) -> bool:
    return bool(re.match(r"^(?:st|nd|rd|th)\b", street, re.IGNORECASE))
