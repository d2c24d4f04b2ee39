from __future__ import annotations

import pytest

from provcheck import parse_period

# text -> (earliest, latest, circa)
CASES: list[tuple[str, tuple[int | None, int | None, bool]]] = [
    ("1906", (1906, 1906, False)),
    ("c. 1880", (1880, 1880, True)),
    ("ca. 1944", (1944, 1944, True)),
    ("Circa 1910", (1910, 1910, True)),
    ("1527-1580", (1527, 1580, False)),
    ("1527–1580", (1527, 1580, False)),
    ("1850-70", (1850, 1870, False)),
    ("20th Century", (1900, 1999, False)),
    ("13TH CENTURY", (1200, 1299, False)),
    ("early 19th century", (1800, 1833, False)),
    ("Mid-20th Century", (1933, 1966, False)),
    ("Late 19th century", (1866, 1899, False)),
    ("Last quarter of 19th Century", (1875, 1899, False)),
    ("second half of the 18th century", (1750, 1799, False)),
    ("18th-19th c.", (1700, 1899, False)),
    ("18-19th Century", (1700, 1899, False)),
    ("Late 19th - early 20th century", (1866, 1933, False)),
    ("1880s", (1880, 1889, False)),
    ("1950's", (1950, 1959, False)),
    ("Early 1990s", (1990, 1993, False)),
    ("late 1800's", (1866, 1899, False)),
    ("1800s", (1800, 1899, False)),
    ("1940s-1950s", (1940, 1959, False)),
    ("2nd-3rd Century AD", (100, 299, False)),
    ("4th Century BC", (-400, -301, False)),
    ("1st c. BC to 2nd c. AD", (-100, 199, False)),
    ("1500 to 500 BC", (-1500, -500, False)),
    ("125-128 A.D.", (125, 128, False)),
    ("600", (600, 600, False)),
    ("Circa A.D. 1250-1375", (1250, 1375, True)),
    ("XIXe siècle", (1800, 1899, False)),
    ("04/27/1937", (1937, 1937, False)),
    # A range written with a slash (the Lost Art Database's `1701/1800`), the second year
    # keeping the first one's century when short; a month and year is not one.
    ("1701/1800", (1701, 1800, False)),
    ("1701 / 1800", (1701, 1800, False)),
    ("ca. 1880/1890", (1880, 1890, True)),
    ("1901/02", (1901, 1902, False)),
    ("500/400 BC", (-500, -400, False)),
    ("12/1901", (1901, 1901, False)),
    ("15/16th century", (1400, 1599, False)),
    ("1/2 19th century", (1800, 1899, False)),
    # ISO dates as services give them; a year and month is not a range back in time.
    ("2015-07-14", (2015, 2015, False)),
    ("2015-07", (2015, 2015, False)),
    ("1908-12", (1908, 1912, False)),
    ("May 30, 1755", (1755, 1755, False)),
    ("Prior to 1934", (None, 1934, False)),
    ("post-1978", (1978, None, False)),
    ("1950 or 1951", (1950, 1951, False)),
    # The Lost Art Database's forms: year.month.day, month.year, unknown digits, a qualifier
    # after the year, a range of three-digit years after a name.
    ("1693.04.06.", (1693, 1693, False)),
    ("1613.08.02./1614.01.05.", (1613, 1614, False)),
    ("1921.03.", (1921, 1921, False)),
    ("3.1911 - 12.1914", (1911, 1914, False)),
    ("19XX", (1900, 1999, False)),
    ("184x", (1840, 1849, False)),
    ("1945 (vor)", (None, 1945, False)),
    ("1850 (nach)", (1850, None, False)),
    ("Tang Epoche 618 - 907", (618, 907, False)),
    ("1850er Jahre", (1850, 1859, False)),
    ("die 1900er Jahre", (1900, 1909, False)),
    ("années 2000", (2000, 2009, False)),
    ("um 1920er Jahre", (1920, 1929, True)),
    ("années 1930", (1930, 1939, False)),
    ("Copyright 1875", (1875, 1875, False)),
    # Named periods keep their text and get no invented years.
    ("Ming dynasty", (None, None, False)),
    ("Late Bronze Age", (None, None, False)),
    ("Han Dynasty Period- 2200 years old", (None, None, False)),
    ("Late 90's", (None, None, False)),
    ("2/4/06", (None, None, False)),
    ("48 x 36 in", (None, None, False)),
    ("Copyright", (None, None, False)),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_parses(text: str, expected: tuple[int | None, int | None, bool]) -> None:
    period = parse_period(text)
    assert period is not None
    assert (period.earliest, period.latest, period.circa) == expected
    assert period.text == text


def test_empty_is_none() -> None:
    assert parse_period("") is None
    assert parse_period("   ") is None
    assert parse_period(None) is None


def test_roman_centuries() -> None:
    period = parse_period("New Hispanic Baroque of the XVIII Century")
    assert period is not None
    assert (period.earliest, period.latest) == (1700, 1799)
    italian = parse_period("XV secolo")
    assert italian is not None
    assert (italian.earliest, italian.latest) == (1400, 1499)


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("2. Hälfte 19. Jahrhundert", 1850, 1899),
        ("zweite Hälfte des 19. Jahrhunderts", 1850, 1899),
        ("1. Hälfte 18. Jh.", 1700, 1749),
        ("1. Hälfte 18. Jhdt.", 1700, 1749),
        ("Erste Hälfte des 17. Jhds", 1600, 1649),
        ("3. Viertel 18. Jh.", 1750, 1774),
        ("17.-18.Jh.", 1600, 1799),
        ("18.Jh.", 1700, 1799),
        ("Anfang 20. Jh.", 1900, 1933),
    ],
)
def test_german_centuries_and_their_parts(text: str, earliest: int, latest: int) -> None:
    period = parse_period(text)
    assert period is not None and (period.earliest, period.latest) == (earliest, latest)


@pytest.mark.parametrize(
    "text",
    [
        "Nr. 3.1911",
        "Bd. 3.1911",
        "Vol. 12.2000",
        "Inv. 1234.5.6",
        "Nr. 618 - 907",
        "Seiten 120 - 180",
        "Nr. 1850-1860",
        "Inv. 19XX",
        "120x 80 cm",
        "Auflage 100 - 200 Exemplare",
        "Band 120-180",
        "00XX",
        "000x",
    ],
)
def test_reference_numbers_are_no_dates(text: str) -> None:
    period = parse_period(text)
    assert period is not None and not period.is_structured, period


@pytest.mark.parametrize(
    ("text", "year"), [("Picasso's 1905", 1905), ("U.S. 1850", 1850), ("S. Dalí 1850", 1850)]
)
def test_a_word_ending_like_a_reference_does_not_hide_the_year(text: str, year: int) -> None:
    period = parse_period(text)
    assert period is not None and (period.earliest, period.latest) == (year, year)


def test_a_reference_number_does_not_widen_the_date_beside_it() -> None:
    period = parse_period("Öl auf Leinwand, 1850, Inv. 1234.5.6")
    assert period is not None and (period.earliest, period.latest) == (1850, 1850)
