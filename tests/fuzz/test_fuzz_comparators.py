"""Every field comparator, and the matcher, on descriptions made of arbitrary text and values.

Whatever two descriptions say, each comparison is absent or a similarity in [0, 1] with a finite,
non-negative weight, and the matcher's score is in [0, 1]: never an exception.
"""

from __future__ import annotations

import math
from typing import Any

from fuzzing import fuzz, text
from hypothesis import example, given
from hypothesis import strategies as st

from provcheck import ImageRef, Matcher, ObjectDescription, Record
from provcheck.matching import comparators as c
from provcheck.text.makers import AttributionQualifier, Maker
from provcheck.text.measurements import MAX_VALUE, Measurement, Unit
from provcheck.text.periods import MAX_YEARS, DatePeriod

COMPARATORS = [getattr(c, name) for name in c.__all__ if name.startswith("compare_")]
TEXT_FIELDS = [
    "title",
    "maker",
    "measurements",
    "period",
    "materials",
    "object_type",
    "inscriptions",
    "distinguishing_features",
    "description",
    "subject",
    "inventory_number",
    "keywords",
]

# As people and registers write them: free text in every field.
described = st.fixed_dictionaries({}, optional=dict.fromkeys(TEXT_FIELDS, text)).map(
    ObjectDescription.model_validate
)
# As a register's structured record may give them, past any parser: names without a letter,
# zero and extreme sizes, the widest years.
makers = st.builds(
    Maker,
    name=text,
    text=st.just("as written"),
    qualifier=st.none() | st.sampled_from(AttributionQualifier),
)
measurements = st.builds(
    Measurement,
    value=st.floats(min_value=0.0, max_value=MAX_VALUE) | st.sampled_from([0.0, MAX_VALUE]),
    unit=st.sampled_from(Unit),
    context=st.none() | st.sampled_from(["framed", "image", "overall"]),
    text=st.just("as written"),
)
years = st.none() | st.integers(min_value=-MAX_YEARS, max_value=MAX_YEARS)
periods = st.builds(DatePeriod, text=text, earliest=years, latest=years, circa=st.booleans())
# Fingerprints as a record or a query may bring them: hashes, and what only looks like one
# (refused by ImageRef; built here without validation, as a plugin's own code could).
hashes = st.one_of(
    st.from_regex(r"[0-9a-f]{16}", fullmatch=True),
    st.sampled_from(["", "zz", "0x12", "1_2", " 12 ", "-1", "f" * 40]),
    text,
)
kinds = st.sampled_from(["phash", "dhash", "phash@mirror", "dhash@rot90", "other", "@"])
images = st.builds(
    ImageRef.model_construct,
    url=st.just("https://example.org/a.jpg"),
    sha256=st.just("0" * 64),
    fingerprints=st.dictionaries(kinds, hashes, max_size=4),
)
structured = st.builds(
    ObjectDescription,
    images=st.lists(images, max_size=2).map(tuple),
    title=st.none() | text,
    makers=st.lists(makers, max_size=3).map(tuple),
    measurements=st.lists(measurements, max_size=4).map(tuple),
    period=st.none() | periods,
    inscriptions=st.none() | text,
)
descriptions = described | structured


def _check(comparison: Any) -> None:
    if comparison is not None:
        assert 0.0 <= comparison.similarity <= 1.0
        assert math.isfinite(comparison.weight_factor) and comparison.weight_factor >= 0.0


@fuzz(300)
@given(descriptions, descriptions)
@example(
    ObjectDescription.model_validate({"maker": "-"}),
    ObjectDescription.model_validate({"maker": "Rembrandt"}),
)
@example(
    ObjectDescription(makers=(Maker(name="!", text="!"),)),
    ObjectDescription.model_validate({"maker": "Salvador Dali"}),
)
@example(
    ObjectDescription(makers=(Maker(name="Dali", text="Dali"),)),
    ObjectDescription(makers=(Maker(name="?", text="?"),)),
)
@example(
    ObjectDescription(period=DatePeriod(text="a", earliest=-MAX_YEARS, latest=MAX_YEARS)),
    ObjectDescription(period=DatePeriod(text="b", earliest=MAX_YEARS)),
)
@example(
    ObjectDescription(measurements=(Measurement(value=0, unit=Unit.G, text="0 g"),)),
    ObjectDescription(measurements=(Measurement(value=5, unit=Unit.KG, text="5 kg"),)),
)
@example(
    ObjectDescription(
        images=(ImageRef.model_construct(url="u", sha256="s", fingerprints={"phash": "zz"}),)
    ),
    ObjectDescription(
        images=(ImageRef.model_construct(url="u", sha256="s", fingerprints={"phash": "0x12"}),)
    ),
)
@example(ObjectDescription(inscriptions="7" * 5000), ObjectDescription(inscriptions="7" * 5000))
def test_comparators_and_the_matcher(query: ObjectDescription, record: ObjectDescription) -> None:
    for compare in COMPARATORS:
        _check(compare(query, record))
        _check(compare(record, query))
    candidate = Matcher().judge(query, Record(registry="r", record_id="1", description=record))
    assert 0.0 <= candidate.score <= 1.0
    assert candidate.band == Matcher().band(candidate.score)
