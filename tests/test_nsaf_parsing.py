"""Every row of the real FBI National Stolen Art File through the parsers.

The figures are counted the same way the closing note of the core issue reports them: a
measurement field counts when it is non-empty and contains a digit; a period counts when it
contains a year (three or four digits) or a century. "Structured" means the parser read at least
one measurement, or at least one bound of the period's years.
"""

from __future__ import annotations

import csv
import re

import pytest
from conftest import NSAF

from provcheck import ObjectDescription, parse_makers, parse_measurements, parse_period

_HAS_YEAR_OR_CENTURY = re.compile(r"\d{3,4}|centur|\d\s*(?:st|nd|rd|th)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with NSAF.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_the_fixture_is_the_whole_file(rows: list[dict[str, str]]) -> None:
    assert len(rows) == 4523


def test_every_row_parses_into_a_description(rows: list[dict[str, str]]) -> None:
    for line, row in enumerate(rows, start=2):
        description = ObjectDescription(
            title=row["Title"],
            object_type=row["Category"],
            maker=row["Maker/Artist"],
            materials=row["Materials"],
            measurements=row["Measurements"],
            period=row["Time Period"],
            description=row["Additional Information"],
        )
        # The verbatim text always survives beside what was read from it.
        assert (description.measurements_text or "") == row["Measurements"].strip(), line
        assert (description.period.text if description.period else "") == row["Time Period"].strip()
        assert (description.maker_text or "") == row["Maker/Artist"].strip(), line


def test_measurements_are_structured(rows: list[dict[str, str]]) -> None:
    counted = [r["Measurements"] for r in rows if re.search(r"\d", r["Measurements"])]
    structured = [text for text in counted if parse_measurements(text)]
    assert len(counted) > 3000
    assert len(structured) / len(counted) >= 0.90


def test_periods_are_structured(rows: list[dict[str, str]]) -> None:
    counted = [r["Time Period"] for r in rows if _HAS_YEAR_OR_CENTURY.search(r["Time Period"])]
    structured = [text for text in counted if (p := parse_period(text)) and p.is_structured]
    assert len(counted) > 3000
    assert len(structured) / len(counted) >= 0.90


def test_makers_are_split_and_named(rows: list[dict[str, str]]) -> None:
    fields = [r["Maker/Artist"] for r in rows if r["Maker/Artist"].strip()]
    for text in fields:
        makers = parse_makers(text)
        assert makers, text
        assert all(m.name.strip() for m in makers), text
