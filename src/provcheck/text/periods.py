"""Dates and periods (Object ID 1.6), read from registers' free text into a range of years.

`1906`, `c. 1880`, `1527-1580`, `1850-70`, `20th Century`, `early 19th century`, `1880s`,
`late 1800's`, `2nd-3rd Century AD`, `1500 to 500 BC`, `XIXe siècle`, `04/27/1937`, and the Lost
Art Database's `2. Hälfte 19. Jh.`, `1850er Jahre`, `1693.04.06.`, `3.1911`, `19XX`, `1945 (vor)`.
A number after a reference word (`Nr. 3.1911`, `Inv. 1234.5.6`) is no year. A named period
(`Ming dynasty`, `Late Bronze Age`) keeps its text and gets no years: provcheck does not invent them.
Years before the common era are negative (`500 BC` is -500).
"""

from __future__ import annotations

import re
import unicodedata

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = ["MAX_YEARS", "DatePeriod", "parse_period"]

# The latest year a register can mean; later numbers are sizes, ages or typos.
_LATEST_PLAUSIBLE_YEAR = 2100
# The widest a structured year may be, either side of year 0: older than any made object, and
# small enough that every comparison of years stays exact arithmetic.
MAX_YEARS = 10_000_000


class DatePeriod(BaseModel):
    """A date or period: the verbatim `text`, and the years it spans where they can be read.

    `earliest` and `latest` are inclusive; either may be None ("before 1900" has no earliest).
    `circa` records that the register called the date approximate; it does not widen the range.
    """

    model_config = ConfigDict(frozen=True)

    text: str
    earliest: int | None = None
    latest: int | None = None
    circa: bool = False

    @field_validator("earliest", "latest")
    @classmethod
    def _within_bounds(cls, year: int | None) -> int | None:
        if year is not None and not -MAX_YEARS <= year <= MAX_YEARS:
            raise ValueError(f"a year is from {-MAX_YEARS:,} to {MAX_YEARS:,}")
        return year

    @property
    def is_structured(self) -> bool:
        return self.earliest is not None or self.latest is not None


_ERA = re.compile(
    r"\b(?P<bc>b\.?\s?c\.?(?:e\.?)?|bce|v\.\s?chr\.?|av\.\s?j\.?-?c\.?)(?!\w)|\b(?P<ad>a\.?\s?d\.?|ce|n\.\s?chr\.?)(?!\w)"
)
_CIRCA = re.compile(
    r"(?:^|\W)(?:c|ca|circa|approx|approximately|about|around|vers|um|cerca)(?:\.|\b)|~"
)
_BEFORE = re.compile(r"\b(?:before|prior to|pre|until|avant|vor)\b\W*$")
_AFTER = re.compile(r"\b(?:after|post|since|après|nach)\b\W*$")
_CENTURY_WORD = re.compile(
    r"centur|\bcent\b|jahrhundert|\bjh\b|siècle|siecle|secolo|siglo|\d\s*(?:st|nd|rd|th)\s*c\b"
)
_ORDINAL = re.compile(r"(?<!\d)(\d{1,2})\s*(?:st|nd|rd|th|e|ème|eme|er|\.)(?![a-z])")
_BARE_CENTURY_BEFORE_RANGE = re.compile(r"(?<!\d)(\d{1,2})(?=\s*[-/]\s*\d{1,2}\s*(?:st|nd|rd|th))")
_ROMAN_CENTURY = re.compile(
    r"\b(?P<a>[ivx]{1,5})(?:e|ème|eme|er)?\s*(?:siecle|siècle|s\.)"
    r"|\b(?:secolo|siglo)\s+(?P<b>[ivx]{1,5})\b|\b(?P<c>[ivx]{1,5})\s+(?:secolo|century)\b"
)
# "1880s", "1950's" ("1800s" is the century).
_DECADE = re.compile(r"(?<!\d)(\d{2,3})0\s?'?s\b")
# "1850er (Jahre)", "années 1930": a decade, even of a century's first ten years ("1900er").
_OTHER_DECADE = re.compile(r"(?<!\d)([1-9]\d{2})0er\b|\bann[ée]es\s+([1-9]\d{2})0(?!\d)")
_FULL_DATE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-](\d{4}|\d{2})\b")
# ISO dates ("2015-07-14", "2015-07"), as services give them. A year and month is told from a
# range ("1850-60") by reading backwards as a range: 2015-07 cannot mean 2015 to 2007.
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\b")
# The Lost Art Database's year.month.day ("1693.04.06.", "1921.03.") and month.year ("3.1911").
_DOTTED_DATE = re.compile(r"(?<![\d.])(\d{3,4})\.(\d{1,2})\.(?:(\d{1,2})\.?)?(?!\d)")
_MONTH_YEAR = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{4})(?![\d.])")
# Digits left open: "19XX" is the century, "184x" the decade.
# (Not a size: "120x 80 cm".)
_OPEN_DIGITS = re.compile(r"(?<![\w])(?:([1-9]\d)xx|([1-9]\d{2})x)(?!\w)(?!\s*\d)")
# A reference and the number or range it gives are no years: "Nr. 3.1911", "Inv. 1234.5.6",
# "Inv. 19XX", "Nr. 1850-1860", "Seiten 120 - 180" (not "Picasso's 1905", "U.S. 1850").
_REFERENCE = re.compile(
    r"(?<![\w'’.])(?:nr|no|nos|inv|bd|bde|band|vol|vols|blatt|bl|seite|seiten|kat|cat|heft|"
    r"taf|tafel|fig|abb|auflage|aufl)\b\.?\s*\d[\dx./]*(?:\s*(?:-|bis|to)\s*\d[\dx./]*)?"
)
# A qualifier after the year, as the Lost Art Database writes it: "1945 (vor)", "1850 (nach)".
_BEFORE_AFTER_YEAR = re.compile(r"\((?:(?P<before>vor|ante|before)|(?P<after>nach|post|after))\)")
# A number before a slash is no year ("1/2", "12/1901": a part, a month), unless it has three or
# four digits and a year follows the slash ("1701/1800", "1901/02": a range).
_NUMBER = re.compile(
    r"(?<![\d.,])(\d{1,4})"
    r"(?!\d|(?<!\d{3})/|/(?!\s*\d{2,4}\b)|\s?'?s\b|[.,]\d|\s*(?:st|nd|rd|th)\b)"
)
_NOT_A_YEAR_AFTER = re.compile(r"\s*(?:years?|yrs?|in\b|inch|cm|mm|ft|lbs?|kg|x\b|\")")
_MODIFIERS: tuple[tuple[str, tuple[int, int]], ...] = (
    (r"first half", (0, 49)),
    (r"second half", (50, 99)),
    (r"first quarter", (0, 24)),
    (r"second quarter", (25, 49)),
    (r"third quarter", (50, 74)),
    (r"(?:fourth|last) quarter", (75, 99)),
    (r"\bearly|beginning|start|début|anfang|inizio", (0, 33)),
    (r"\bmid|middle|milieu|mitte|metà", (33, 66)),
    (r"\blate|end\b|fin\b|ende|fine\b", (66, 99)),
)
_RANGE_JOIN = re.compile(r"\s*(?:-|to|/|or|and|bis|à|a)\s*")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}


# German ordinals: "2. Hälfte 19. Jh.", "1. Viertel des 18. Jahrhunderts", "17.-18.Jh.". Each is
# spelt out in English before the rest is read ("second half 19th century").
_GERMAN_CENTURY = re.compile(r"(\d{1,2})\.\s*(?:jahrhunderts?|jhdts?\.?|jhds?\.?|jhs?\.?|jh\b\.?)")
_GERMAN_CENTURY_RANGE = re.compile(r"(\d{1,2})\.\s*-\s*(?=\d{1,2}\.\s*j)")
_GERMAN_PART = re.compile(
    r"\b([1-4]\.|erste[ns]?|zweite[ns]?|dritte[ns]?|vierte[ns]?|letzte[ns]?)\s*"
    r"(hälfte|halfte|viertel|drittel)(?:\s+des)?"
)
_ORDINAL_WORDS = {"1": "first", "2": "second", "3": "third", "4": "fourth", "e": "first",
                  "z": "second", "d": "third", "v": "fourth", "l": "fourth"}  # fmt: skip
_PART_WORDS = {"hälfte": "half", "halfte": "half", "viertel": "quarter"}


def _english_ordinals(text: str) -> str:
    def part(match: re.Match[str]) -> str:
        which, name = _ORDINAL_WORDS[match.group(1)[0]], match.group(2)
        if name == "hälfte" or name == "halfte":
            which = "second" if which in ("second", "fourth") else which  # "letzte Hälfte"
        if name == "drittel":  # a third: early, mid, late
            return {"first": "early", "second": "mid", "third": "late"}.get(which, "late")
        return f"{which} {_PART_WORDS[name]}"

    text = _GERMAN_PART.sub(part, text)
    text = _GERMAN_CENTURY_RANGE.sub(lambda m: f"{m.group(1)}th century - ", text)
    return _GERMAN_CENTURY.sub(lambda m: f"{m.group(1)}th century", text)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    text = _english_ordinals(text)
    # "18th c." is a century, not circa: spell it out before anything looks for "c.".
    return re.sub(r"(\d\s*(?:st|nd|rd|th))\s*c\b\.?", r"\1 century", text)


def _roman(numeral: str) -> int:
    total = 0
    for i, char in enumerate(numeral):
        value = _ROMAN_VALUES[char]
        following = _ROMAN_VALUES[numeral[i + 1]] if i + 1 < len(numeral) else 0
        total += -value if value < following else value
    return total


def _eras(text: str) -> list[tuple[int, bool]]:
    return [(m.start(), m.group("bc") is not None) for m in _ERA.finditer(text)]


def _is_bc(position: int, eras: list[tuple[int, bool]]) -> bool:
    """A number takes the next era marker after it, else the last one before it (else AD)."""
    after = [bc for start, bc in eras if start > position]
    if after:
        return after[0]
    before = [bc for start, bc in eras if start <= position]
    return before[-1] if before else False


def _modifier(text: str, position: int) -> tuple[int, int] | None:
    """The part of a century or decade that words just before `position` name ("late 19th")."""
    window = text[max(0, position - 24) : position]
    window = re.split(r"\d|\bto\b|-\s*(?=\D*$)", window)[-1] if re.search(r"\d", window) else window
    found: tuple[int, tuple[int, int]] | None = None
    for pattern, span in _MODIFIERS:
        for match in re.finditer(pattern, window):
            if found is None or match.start() > found[0]:
                found = (match.start(), span)
    return None if found is None else found[1]


def _century(number: int, bc: bool, part: tuple[int, int] | None) -> tuple[int, int]:
    start = -number * 100 if bc else (number - 1) * 100
    low, high = part or (0, 99)
    return start + low, start + high


def _starts_range(s: str, number: re.Match[str], following: re.Match[str] | None) -> bool:
    """Whether `number` is the first year of a range: "618 - 907" after a dynasty's name."""
    if following is None:
        return False
    return _RANGE_JOIN.fullmatch(s[number.end() : following.start()]) is not None


def parse_period(text: str | None) -> DatePeriod | None:
    """Read a register's date or period; None for empty text.

    >>> parse_period("early 19th century")
    DatePeriod(text='early 19th century', earliest=1800, latest=1833, circa=False)
    """
    if text is None or not text.strip():
        return None
    verbatim = text.strip()
    s = _normalise(verbatim)
    eras = _eras(s)
    spans: list[tuple[int, int]] = []

    def blank(match: re.Match[str]) -> None:
        nonlocal s
        s = s[: match.start()] + " " * (match.end() - match.start()) + s[match.end() :]

    # Whole dates first ("04/27/1937"): their day and month must not be read as years.
    for match in list(_ISO_DATE.finditer(s)):
        year, month, day = match.group(1), int(match.group(2)), match.group(3)
        if 1 <= month <= 12 and (day is not None or month < int(year[2:])):
            spans.append((int(year), int(year)))
            blank(match)
    for match in list(_FULL_DATE.finditer(s)):
        year = match.group(1)
        if len(year) == 4:
            spans.append((int(year), int(year)))
        blank(match)
    for match in list(_REFERENCE.finditer(s)):
        blank(match)
    for match in list(_DOTTED_DATE.finditer(s)):
        month, day = int(match.group(2)), match.group(3)
        if 1 <= month <= 12 and (day is None or 1 <= int(day) <= 31):
            spans.append((int(match.group(1)), int(match.group(1))))
            blank(match)
    for match in list(_MONTH_YEAR.finditer(s)):
        if 1 <= int(match.group(1)) <= 12:
            spans.append((int(match.group(2)), int(match.group(2))))
            blank(match)
    for match in list(_OPEN_DIGITS.finditer(s)):
        if match.group(1):
            century = int(match.group(1)) * 100
            spans.append((century, century + 99))
        else:
            decade = int(match.group(2)) * 10
            spans.append((decade, decade + 9))
        blank(match)

    if _CENTURY_WORD.search(s):
        for match in list(_ROMAN_CENTURY.finditer(s)):
            numeral = match.group("a") or match.group("b") or match.group("c")
            if numeral and 1 <= _roman(numeral) <= 21:
                part = _modifier(s, match.start())
                spans.append(_century(_roman(numeral), _is_bc(match.start(), eras), part))
                blank(match)
        for pattern in (_BARE_CENTURY_BEFORE_RANGE, _ORDINAL):
            for match in list(pattern.finditer(s)):
                number = int(match.group(1))
                if 1 <= number <= 21:
                    part = _modifier(s, match.start())
                    spans.append(_century(number, _is_bc(match.start(), eras), part))
                    blank(match)

    for match in list(_OTHER_DECADE.finditer(s)):
        decade = int(match.group(1) or match.group(2)) * 10
        spans.append((decade, decade + 9))
        blank(match)
    for match in list(_DECADE.finditer(s)):
        head = match.group(1)
        if len(head) == 3:
            decade = int(head) * 10
            part = _modifier(s, match.start())
            if decade % 100 == 0:  # "1800s" is the century, not the decade
                low, high = part or (0, 99)
            else:
                low, high = (round(part[0] / 10), round(part[1] / 10)) if part else (0, 9)
            spans.append((decade + low, decade + high))
        blank(match)

    numbers = [m for m in _NUMBER.finditer(s) if not _NOT_A_YEAR_AFTER.match(s, m.end())]
    # With only numbers, circa and era words left, a short number is a year ("600", "125-128 A.D.").
    letters_left = re.sub(r"\b(?:ad|bc|bce|ce|circa|ca|c|a\.d|b\.c)\b|[^a-z]", "", s)
    previous: int | None = None
    previous_read = False  # whether the number before this one was read as a year
    for index, match in enumerate(numbers):
        digits = match.group(1)
        value = int(digits)
        between = s[numbers[index - 1].end() : match.start()] if index else ""
        range_end = previous_read and _RANGE_JOIN.fullmatch(between) is not None
        following = numbers[index + 1] if index + 1 < len(numbers) else None
        previous_read = False
        if len(digits) <= 2 and range_end and previous is not None and previous >= 100:
            # "1850-70": the second year keeps the first one's century.
            value = previous - previous % 100 + value
        elif (len(digits) < 3 and not eras) or (
            len(digits) == 3
            and eras == []
            and letters_left
            and not range_end
            and not _starts_range(s, match, following)
        ):
            continue
        bc = _is_bc(match.start(), eras)
        year = -value if bc else value
        if not bc and year > _LATEST_PLAUSIBLE_YEAR:
            continue
        spans.append((year, year))
        previous = value
        previous_read = True

    circa = _CIRCA.search(_normalise(verbatim)) is not None
    # Dates and decades read whole ("9999-01-01", "9990s") are bounded like single years.
    spans = [(low, high) for low, high in spans if high <= _LATEST_PLAUSIBLE_YEAR]
    if not spans:
        return DatePeriod(text=verbatim, circa=circa)
    earliest: int | None = min(low for low, _ in spans)
    latest: int | None = max(high for _, high in spans)
    first_number = re.search(r"\d", s)
    head = s[: first_number.start()] if first_number else s
    qualifier = _BEFORE_AFTER_YEAR.search(s)
    if len(spans) == 1 and (_BEFORE.search(head) or (qualifier and qualifier.group("before"))):
        earliest = None
    elif len(spans) == 1 and (_AFTER.search(head) or (qualifier and qualifier.group("after"))):
        latest = None
    return DatePeriod(text=verbatim, earliest=earliest, latest=latest, circa=circa)
