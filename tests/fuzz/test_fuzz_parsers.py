"""Any text into the free-text parsers: a result within its documented bounds, never an exception."""

from __future__ import annotations

import re

from fuzzing import CHEAP, text
from hypothesis import example, given

from provcheck.text.makers import parse_makers
from provcheck.text.measurements import MAX_VALUE, parse_measurements
from provcheck.text.normalise import STOPWORDS, normalise_text, tokens
from provcheck.text.periods import parse_period
from provcheck.text.vocabulary import (
    canonical_materials,
    canonical_title_words,
    is_vague_object_type,
    object_type_of,
)

HUGE = "1" + "0" * 400
NORMALISED = re.compile(r"(?:[a-z0-9]+(?: [a-z0-9]+)*)?")


@CHEAP
@given(text)
@example("-")
@example("?")
@example("!")
@example("attributed to ?")
@example("Rembrandt; -; ?")
@example("\x03\x9f")
def test_parse_makers(value: str) -> None:
    makers = parse_makers(value)
    assert isinstance(makers, tuple)
    for maker in makers:
        assert normalise_text(maker.name), "a maker without a letter or digit is no maker"
        assert maker.text.strip() and maker.text in value.strip()


@CHEAP
@given(text)
@example(f"{HUGE} cm")
@example(f"{HUGE} x 20 cm")
@example(f"{HUGE}/3 in")
@example("1" * 5000 + "/2 in")
@example("1/0 in")
@example(f"3 lb {HUGE} oz")
@example(f"{HUGE} cm; W. 20 cm")
def test_parse_measurements(value: str) -> None:
    for measurement in parse_measurements(value):
        assert 0.0 <= measurement.value <= MAX_VALUE
        assert measurement.text and measurement.text in value
        assert (measurement.centimetres is None) != (measurement.grams is None)


@CHEAP
@given(text)
@example(HUGE)
@example(f"{HUGE}th century")
@example("xxxxx siècle")
@example("9990s")
@example("9999-01-01")
@example("04/27/9999")
def test_parse_period(value: str) -> None:
    period = parse_period(value)
    if not value.strip():
        assert period is None
        return
    assert period is not None and period.text == value.strip()
    for year in (period.earliest, period.latest):
        assert year is None or -10_000 <= year <= 2100
    if period.earliest is not None and period.latest is not None:
        assert period.earliest <= period.latest


@CHEAP
@given(text)
def test_normalise_text_and_tokens(value: str) -> None:
    normal = normalise_text(value)
    assert NORMALISED.fullmatch(normal), normal
    assert tokens(value) == [word for word in normal.split() if word not in STOPWORDS]


@CHEAP
@given(text)
def test_vocabulary(value: str) -> None:
    terms, rest = canonical_materials(value)
    assert all(isinstance(t, str) and t for t in terms)
    assert all(NORMALISED.fullmatch(word) and word for word in rest)
    kind = object_type_of(value)
    assert kind is None or (kind[0] and kind[1])
    assert isinstance(is_vague_object_type(value), bool)
    assert all(word for word in canonical_title_words(value))
