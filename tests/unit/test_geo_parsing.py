"""Reading address texts: name keys (abbreviations, ordinals) and the form of a text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenfour.geo.parsing import base_of, clean, normalise, ordinal, parse


@pytest.mark.parametrize(
    ("name", "key"),
    [
        # US agencies (SFFD writes "03RD ST", "10TH AV", "CASA WY")
        ("03RD ST", "3rd street"),
        ("3rd St", "3rd street"),
        ("Third Street", "3rd street"),
        ("3th St", "3rd street"),
        ("10TH AV", "10th avenue"),
        ("Forty-Eighth Avenue", "48th avenue"),
        ("twenty first ave", "21st avenue"),
        ("CASA WY", "casa way"),
        ("GOLDEN GATE HY", "golden gate highway"),
        ("JUNIPERO SERRA BL", "junipero serra boulevard"),
        ("N Point Blvd", "north point boulevard"),
        ("St Joseph's Ave", "saint josephs avenue"),
        ("PIER 045", "pier 45"),
        # UK
        ("Kensington Gdns", "kensington gardens"),
        ("Acacia Gr", "acacia grove"),
        ("Royal Cres", "royal crescent"),
        ("Marine Pde", "marine parade"),
        # Portuguese
        ("R. de Santa Catarina", "rua de santa catarina"),
        ("Av. da Boavista", "avenue da boavista"),
        ("Avenida da Boavista", "avenue da boavista"),
        ("Pç. da Batalha", "praca da batalha"),
        ("Tv. do Carregal", "travessa do carregal"),
        ("Lg. dos Lóios", "largo dos loios"),
    ],
)
def test_normalise_spells_out_what_agencies_abbreviate(name: str, key: str) -> None:
    assert normalise(name) == key


def test_ordinals() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st",
        "111th",
    ]  # fmt: skip


@given(st.text(max_size=60))
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


@given(
    st.lists(
        st.sampled_from(
            ["st", "n", "third", "twenty", "first", "03rd", "ave", "r", "main", "45", "0", "s"]
        ),
        max_size=6,
    )
)
def test_normalise_is_idempotent_on_abbreviation_soup(words: list[str]) -> None:
    once = normalise(" ".join(words))
    assert normalise(once) == once


def test_base_drops_the_street_type() -> None:
    assert base_of("mission street") == "mission"
    assert base_of("rua de santa catarina") == "de santa catarina"
    assert base_of("broadway") == "broadway"


@pytest.mark.parametrize(
    ("text", "form", "streets", "number"),
    [
        ("523 Mission", "house", ("Mission",), 523),
        ("523A Mission St", "house", ("Mission St",), 523),
        ("3735-3739 SACRAMENTO ST", "house", ("SACRAMENTO ST",), 3735),
        ("Rua de Santa Catarina, 312", "house", ("Rua de Santa Catarina",), 312),
        ("500 Block of MISSION ST", "block", ("MISSION ST",), 500),
        ("the 500 block of South Van Ness", "block", ("South Van Ness",), 500),
        ("5XX Mission St", "block", ("Mission St",), 500),
        ("12XX Geary Blvd", "block", ("Geary Blvd",), 1200),
        ("MISSION ST/01ST ST", "intersection", ("MISSION ST", "01ST ST"), None),
        ("Mission & 1st", "intersection", ("Mission", "1st"), None),
        ("Mission and 1st", "intersection", ("Mission", "1st"), None),
        ("corner of Mission and First", "intersection", ("Mission", "First"), None),
        ("Market St between 4th and 5th", "between", ("Market St", "4th", "5th"), None),
    ],
)
def test_forms(text: str, form: str, streets: tuple[str, ...], number: int | None) -> None:
    first = parse(text)[0]
    assert (first.form, first.streets, first.number) == (form, streets, number)


def test_ordinal_street_is_not_a_house_number() -> None:
    assert parse("3RD ST")[0].form == "free"
    assert parse("10TH AV/GEARY BLVD")[0].form == "intersection"


def test_coordinates() -> None:
    first = parse("@37.79,-122.40")[0]
    assert (first.form, first.lat, first.lon) == ("coordinates", 37.79, -122.40)
    assert parse("@0,0")[0].form == "coordinates"
    assert parse("37.7955, -122.3937")[0].form == "coordinates"


def test_clean_drops_units_notes_and_the_city() -> None:
    assert clean("Apartment 12B, 1001 Grant Avenue (buzzer broken)") == "1001 Grant Avenue"
    assert clean("OFARRELL ST #RM206") == "OFARRELL ST"
    assert clean("12 Main St Apt 4B") == "12 Main St"
    assert clean("523 Mission St, San Francisco, CA 94105") == "523 Mission St"
    # no unit hides in a street's name
    assert clean("3300 Block of STEINER ST") == "3300 Block of STEINER ST"
    assert clean("0 Block of UNITED NATIONS PLZ") == "0 Block of UNITED NATIONS PLZ"
    assert clean("123 Flat Rock Rd") == "123 Flat Rock Rd"


def test_a_landmark_phrase_reads_the_landmark() -> None:
    readings = [r.streets[0] for r in parse("the food truck by the Ferry Building")]
    assert "Ferry Building" in readings
