"""The pure parts: event validation, canonical JSON, the hash formula, linking, verifying."""

from __future__ import annotations

import hashlib
import json
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenfour.journal import ConcurrencyError, IntegrityError, InvalidEventError, NewEvent
from tenfour.journal.chain import (
    GENESIS_HASH,
    Row,
    canonical_json,
    check_expected,
    decode_data,
    encode_data,
    link,
    row_hash,
    verify_rows,
)

from .support import AT, event


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"type": ""}, "type"),
        ({"stream": "unit:\x00"}, "stream"),
        ({"by": 7}, "by"),
        ({"at": "yesterday"}, "at"),
        ({"at": "2026-11-24T14:07:30"}, "at: must be UTC"),
        ({"at": "2026-11-24T15:07:30+01:00"}, "at: must be UTC"),
        ({"data": ["not", "a", "mapping"]}, "data"),
    ],
)
def test_new_event_refuses_bad_fields(changes: dict[str, object], field: str) -> None:
    fields: dict[str, object] = {"type": "t.x", "stream": "s", "at": AT, "by": "b", "data": {}}
    with pytest.raises(InvalidEventError, match=field):
        NewEvent(**{**fields, **changes})  # type: ignore[arg-type]


def test_new_event_accepts_utc_offsets_and_keeps_the_text() -> None:
    assert NewEvent("t.x", "s", "2026-11-24T14:07:30.250+00:00", "b", {}).at.endswith("+00:00")


def test_canonical_json_is_sorted_compact_and_unescaped() -> None:
    assert canonical_json({"b": [1, 2.5], "a": "ü", "c": None}) == '{"a":"ü","b":[1,2.5],"c":null}'


def test_encode_data_takes_any_mapping_and_sequence() -> None:
    data = MappingProxyType({"units": ("ZPD-7", "ZPD-8"), "at": {"lat": 1.5}})
    assert encode_data(data) == '{"at":{"lat":1.5},"units":["ZPD-7","ZPD-8"]}'


def test_row_hash_is_the_documented_formula() -> None:
    data = {"z": 1, "a": "ü"}
    record = [3, "unit:A", 2, "unit.located", AT, "hopps", data, "key", "ab" * 32]
    expected = hashlib.sha256(canonical_json(record).encode()).hexdigest()
    assert (
        row_hash(3, "unit:A", 2, "unit.located", AT, "hopps", encode_data(data), "key", "ab" * 32)
        == expected
    )


def _rows(count: int) -> list[Row]:
    events = [event(f"unit:U{i % 2}", n=i) for i in range(count)]
    return link(
        events,
        [encode_data(e.data) for e in events],
        head_seq=0,
        head_hash=GENESIS_HASH,
        versions={},
        idempotency_key=None,
    )


def test_link_numbers_versions_and_chains() -> None:
    rows = _rows(4)
    assert [(r.seq, r.stream, r.version) for r in rows] == [
        (1, "unit:U0", 1),
        (2, "unit:U1", 1),
        (3, "unit:U0", 2),
        (4, "unit:U1", 2),
    ]
    assert rows[0].prev_hash == GENESIS_HASH
    assert all(r.computed_hash() == r.hash for r in rows)
    report = verify_rows(rows)
    assert report.ok and report.checked == 4 and report.head_hash == rows[-1].hash


def test_link_continues_from_a_head() -> None:
    [row] = link(
        [event("unit:U0")],
        ["{}"],
        head_seq=41,
        head_hash="c" * 64,
        versions={"unit:U0": 7},
        idempotency_key="k",
    )
    assert (row.seq, row.version, row.prev_hash, row.idempotency_key) == (42, 8, "c" * 64, "k")


def test_verify_rows_reports_a_chain_that_does_not_start_at_one() -> None:
    report = verify_rows(_rows(3)[1:])
    assert (report.ok, report.first_bad_seq, report.checked) == (False, 1, 0)
    assert "seq 1 is missing" in report.reason
    with pytest.raises(IntegrityError, match="seq 1"):
        report.raise_if_bad()


def test_verify_rows_catches_whitespace_edits_of_the_payload() -> None:
    rows = _rows(2)
    rows[1] = rows[1]._replace(data=json.dumps(json.loads(rows[1].data), indent=1))
    assert verify_rows(rows).first_bad_seq == 2


def test_check_expected_names_stream_and_versions() -> None:
    check_expected({"a": 2, "b": 0}, {"a": 2})
    with pytest.raises(ConcurrencyError, match="'b' is at version 1, expected 0"):
        check_expected({"a": 2, "b": 0}, {"a": 2, "b": 1})


# Payloads as encode_data writes them: any JSON of finite numbers and valid text.
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(exclude_categories=["Cs"])), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(), _json, max_size=5))
def test_decode_data_reads_what_encode_data_wrote_as_json_loads_does(
    data: dict[str, object],
) -> None:
    text = encode_data(data)
    decoded = decode_data(text)
    assert decoded == json.loads(text)
    assert canonical_json(decoded) == text  # same types too: 1 stays an int, 1.0 a float


@pytest.mark.parametrize(
    "text",
    [
        '{"a":123456789012345678901234567890}',  # beyond 64 bits
        '{"a":"\\ud800"}',  # a lone surrogate escape: only a tampered row has one
        '{"a":1e400}',  # beyond a double
        '{"a":-0.0,"b":1.5e-07,"c":"\\u00e9\\n"}',
    ],
)
def test_decode_data_decodes_what_json_loads_decodes(text: str) -> None:
    assert repr(decode_data(text)) == repr(json.loads(text))


def test_decode_data_refuses_what_json_loads_refuses() -> None:
    with pytest.raises(ValueError):
        decode_data('{"a":')
