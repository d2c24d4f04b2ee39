"""Measurements (Object ID 1.3): one dimension's value and unit, parsed from registers' free text.

Registers write sizes every way there is: `72" x 60"`, `31.5 in x 47.25 in`, `20.10 x 13.20 cm`,
`H. 24 cm`, `Diameter: 38.1 mm`, `17 1/8 x 22 1/2 in`, `3 lb 4 oz`, `21 x 16 inches (image); 33 x 26
inches (framed)`. `parse_measurements` reads what it can into `Measurement`s and never guesses: a
number with no unit stays unstructured, an unlabelled dimension keeps `dimension=None` (its position
in the list is the order the register wrote), and the verbatim text always travels with the value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = ["MAX_VALUE", "Dimension", "Measurement", "Unit", "parse_measurements"]

# The largest value, in any unit, that can measure a movable object (100 km in millimetres, 100 t
# in grams). A larger number is a typo or an attack: the parser leaves it unread (the text keeps
# it), and a structured value beyond it is refused, so that whatever is read can be compared.
MAX_VALUE = 100_000_000.0


class Dimension(StrEnum):
    HEIGHT = "height"
    WIDTH = "width"
    DEPTH = "depth"
    LENGTH = "length"
    DIAMETER = "diameter"
    THICKNESS = "thickness"
    CIRCUMFERENCE = "circumference"
    WEIGHT = "weight"


class Unit(StrEnum):
    MM = "mm"
    CM = "cm"
    M = "m"
    IN = "in"
    FT = "ft"
    G = "g"
    KG = "kg"
    LB = "lb"
    OZ = "oz"
    CT = "ct"  # carat, for gems and jewellery

    @property
    def is_weight(self) -> bool:
        return self in _GRAMS_PER_UNIT


_CM_PER_UNIT: dict[Unit, float] = {
    Unit.MM: 0.1,
    Unit.CM: 1.0,
    Unit.M: 100.0,
    Unit.IN: 2.54,
    Unit.FT: 30.48,
}
_GRAMS_PER_UNIT: dict[Unit, float] = {
    Unit.G: 1.0,
    Unit.KG: 1000.0,
    Unit.LB: 453.59237,
    Unit.OZ: 28.349523125,
    Unit.CT: 0.2,
}


class Measurement(BaseModel):
    """One measured value: `dimension` (None when the register did not say), `value`, `unit`.

    `context` says what was measured when the register said so (`framed`, `image`, `sheet`, ...),
    and `text` is the verbatim part of the register's text it was read from.
    """

    model_config = ConfigDict(frozen=True)

    dimension: Dimension | None = None
    value: float
    unit: Unit
    context: str | None = None
    text: str

    @field_validator("value")
    @classmethod
    def _within_bounds(cls, value: float) -> float:
        if not _plausible(value):
            raise ValueError(f"a measurement is a number from 0 to {MAX_VALUE:,.0f}, not {value!r}")
        return value

    @property
    def centimetres(self) -> float | None:
        """The value as a length in centimetres, or None for a weight."""
        factor = _CM_PER_UNIT.get(self.unit)
        return None if factor is None else self.value * factor

    @property
    def grams(self) -> float | None:
        """The value as a weight in grams, or None for a length."""
        factor = _GRAMS_PER_UNIT.get(self.unit)
        return None if factor is None else self.value * factor


_UNIT_WORDS: dict[str, Unit] = {
    **dict.fromkeys(
        ["mm", "mms", "millimeter", "millimeters", "millimetre", "millimetres"], Unit.MM
    ),
    **dict.fromkeys(
        ["cm", "cms", "centimeter", "centimeters", "centimetre", "centimetres"], Unit.CM
    ),
    **dict.fromkeys(["m", "meter", "meters", "metre", "metres"], Unit.M),
    **dict.fromkeys(["in", "ins", "inch", "inches"], Unit.IN),
    **dict.fromkeys(["ft", "foot", "feet"], Unit.FT),
    **dict.fromkeys(["g", "gr", "grs", "gram", "grams", "gramme", "grammes"], Unit.G),
    **dict.fromkeys(["kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"], Unit.KG),
    **dict.fromkeys(["lb", "lbs", "pound", "pounds"], Unit.LB),
    **dict.fromkeys(["oz", "ozs", "ounce", "ounces"], Unit.OZ),
    **dict.fromkeys(["ct", "cts", "carat", "carats"], Unit.CT),
}
# Words that may stand between a number and its unit ("24 approximately cm", "24 ca. cm").
_FILLER_WORDS = frozenset(
    {"approximately", "approx", "about", "around", "ca", "c", "circa", "env", "environ", "etwa"}
)
# A compound value ("3 lb 4 oz", "5 ft 6 in") continues in the next smaller unit.
_SUB_UNIT: dict[Unit, Unit] = {Unit.FT: Unit.IN, Unit.LB: Unit.OZ, Unit.M: Unit.CM}

_LABEL_WORDS: dict[str, Dimension] = {
    **dict.fromkeys(
        ["h", "ht", "hgt", "height", "hauteur", "höhe", "hohe", "altezza"], Dimension.HEIGHT
    ),
    **dict.fromkeys(
        ["w", "wd", "width", "breadth", "largeur", "breite", "larghezza"], Dimension.WIDTH
    ),
    **dict.fromkeys(["d", "dp", "depth", "profondeur", "tiefe", "profondità"], Dimension.DEPTH),
    **dict.fromkeys(
        ["l", "len", "length", "longueur", "länge", "lange", "lunghezza"], Dimension.LENGTH
    ),
    **dict.fromkeys(
        ["diameter", "diam", "dia", "dm", "ø", "durchmesser", "diamètre"], Dimension.DIAMETER
    ),
    **dict.fromkeys(["thickness", "th", "épaisseur"], Dimension.THICKNESS),
    **dict.fromkeys(["circumference", "circ"], Dimension.CIRCUMFERENCE),
    **dict.fromkeys(["weight", "wt", "weighs", "poids", "gewicht", "peso"], Dimension.WEIGHT),
}
# Adjectives come after the value: "24 in high", "60 cm tall".
_POST_LABEL_WORDS: dict[str, Dimension] = {
    "high": Dimension.HEIGHT,
    "tall": Dimension.HEIGHT,
    "wide": Dimension.WIDTH,
    "deep": Dimension.DEPTH,
    "long": Dimension.LENGTH,
    "thick": Dimension.THICKNESS,
}
_CONTEXT_WORDS: dict[str, str] = {
    "framed": "framed",
    "frame": "framed",
    "unframed": "unframed",
    "image": "image",
    "sight": "sight",
    "sheet": "sheet",
    "plate": "plate",
    "overall": "overall",
    "base": "base",
    "mount": "mount",
}
_FRACTION_CHARS = {"½": 0.5, "¼": 0.25, "¾": 0.75, "⅓": 1 / 3, "⅔": 2 / 3}
_FRACTION_CHARS |= {"⅛": 0.125, "⅜": 0.375, "⅝": 0.625, "⅞": 0.875}
_FRACTION_CLASS = "".join(_FRACTION_CHARS)

_TOKEN = re.compile(
    rf"""
    (?P<num>
        \d+/\d+(?!\d)                                                   # 13/16
      | \d+(?:\x20?[.,]\d+)?(?:(?:\s+|-)\d+/\d+(?!\d)|\s*[{_FRACTION_CLASS}])?  # 24, 20.5, 17 1/8
      | \.\d+                                                              # .5
      | [{_FRACTION_CLASS}]
    )
    | (?P<quote>''|["”″“]|[’′'])
    | (?P<times>[x×*](?![^\W\d_])|\bby\b)
    | (?P<sep>[;\n|]|,(?!\d)|\band\b|\s-\s|\()
    | (?P<word>[^\W\d_]+|[øØ])
    """,
    re.VERBOSE | re.IGNORECASE,
)


def _plausible(value: float) -> bool:
    return math.isfinite(value) and 0.0 <= value <= MAX_VALUE


def _read_number(text: str) -> float | None:
    """The number a token writes, or None when it is no plausible measurement (see `MAX_VALUE`)."""
    try:
        value = _number(text)
    except (ValueError, OverflowError, ZeroDivisionError):
        return None  # too many digits for an int (Python refuses over 4,300), or for a float
    return value if _plausible(value) else None


def _number(text: str) -> float:
    text = text.strip()
    fraction = 0.0
    if text and text[-1] in _FRACTION_CHARS:
        fraction = _FRACTION_CHARS[text[-1]]
        text = text[:-1].strip()
        if not text:
            return fraction
    text = re.sub(r"(\d) ([.,])", r"\1\2", text)  # "7 .5" is a typed 7.5
    whole, _, tail = text.replace("-", " ").partition(" ")
    if "/" in whole:
        numerator, denominator = whole.split("/")
        return int(numerator) / int(denominator) if int(denominator) else 0.0
    if "," in whole:
        # "1,200" is a thousands separator; "20,5" and "0,082" (no number starts "0,"
        # with thousands) a decimal comma.
        head, _, decimals = whole.partition(",")
        thousands = len(decimals) == 3 and head.lstrip("0") != ""
        whole = head + decimals if thousands else f"{head}.{decimals}"
    value = float(whole) + fraction
    if tail:
        numerator, denominator = tail.strip().split("/")
        if int(denominator):
            value += int(numerator) / int(denominator)
    return value


@dataclass
class _Pending:
    value: float | None  # None: a number that is no measurement, which spoils its group
    start: int
    dimension: Dimension | None
    compound_of: int | None = None  # index of the measurement this number continues


@dataclass
class _Reader:
    text: str
    out: list[Measurement] = field(default_factory=list)
    chain: list[_Pending] = field(default_factory=list)
    label: Dimension | None = None
    label_start: int | None = None
    context: str | None = None
    last: str = ""  # kind of the previous token: num, unit, times, sep, word
    last_sep: str = ""
    last_unit_at: int | None = None  # index in `out` of the measurement a unit just closed
    group_start: int = 0  # index in `out` of the first value since the last ";"

    def number(self, value: float | None, start: int) -> None:
        compound_of = self.last_unit_at if self.last == "unit" else None
        if self.label_start is not None and not self.chain:
            start = self.label_start
        self.chain.append(_Pending(value, start, self.label, compound_of))
        self.label = None
        self.label_start = None
        self.last = "num"

    def unit(self, unit: Unit, end: int) -> None:
        pending, self.chain = self.chain, []
        closed: int | None = None
        if any(item.value is None for item in pending):
            # "1e400 x 20 cm": which value is which dimension is lost with the absurd one; the
            # whole group stays unread rather than guessed.
            pending = []
        for item in pending:
            assert item.value is not None  # (a group with None was emptied above)
            at = item.compound_of
            base = self.out[at] if at is not None else None
            if at is not None and base is not None and _SUB_UNIT.get(base.unit) is unit:
                factor = _factor(unit) / _factor(base.unit)
                value = round(base.value + item.value * factor, 6)
                if not _plausible(value):
                    continue
                merged = base.model_copy(
                    update={
                        "value": value,
                        "text": self.text[self.text.find(base.text) : end].strip(),
                    }
                )
                self.out[at] = merged
                closed = at
                continue
            dimension = item.dimension or (Dimension.WEIGHT if unit.is_weight else None)
            self.out.append(
                Measurement(
                    dimension=dimension,
                    value=item.value,
                    unit=unit,
                    context=self.context,
                    text=self.text[pending[0].start : end].strip(),
                )
            )
            closed = len(self.out) - 1
        self.last_unit_at = closed
        self.last = "unit"

    def separator(self) -> None:
        # Numbers left without a unit stay unstructured: no unit is guessed.
        self.chain = []
        self.label = None
        self.label_start = None
        self.last = "sep"


def _factor(unit: Unit) -> float:
    return _CM_PER_UNIT.get(unit) or _GRAMS_PER_UNIT[unit]


def parse_measurements(text: str | None) -> tuple[Measurement, ...]:
    """Read every measurement in a register's free text; what cannot be read is left out.

    >>> [(m.dimension, m.value, m.unit.value) for m in parse_measurements("H. 24 cm")]
    [(<Dimension.HEIGHT: 'height'>, 24.0, 'cm')]
    """
    if not text or not text.strip():
        return ()
    reader = _Reader(text)
    tokens = list(_TOKEN.finditer(text))
    for index, token in enumerate(tokens):
        kind = token.lastgroup
        raw = token.group()
        following = tokens[index + 1].lastgroup if index + 1 < len(tokens) else None
        if kind == "num":
            reader.number(_read_number(raw), token.start())
        elif kind == "quote":
            if reader.last == "num" and reader.chain:
                is_feet = raw in "’′'" and raw != "''"
                reader.unit(Unit.FT if is_feet else Unit.IN, token.end())
        elif kind == "times":
            reader.last = "times"
        elif kind == "sep":
            reader.separator()
            reader.last_sep = raw.strip()
            if reader.last_sep == ";":
                reader.context = None
                reader.group_start = len(reader.out)
        elif kind == "word":
            word = raw.lower()
            if (
                reader.last == "num"
                and reader.chain
                and word in _UNIT_WORDS
                and not (len(reader.chain) == 1 and _in_as_preposition(word, text, token.end()))
            ):
                end = token.end()
                if text[end : end + 1] == ".":
                    end += 1
                reader.unit(_UNIT_WORDS[word], end)
            elif word in _POST_LABEL_WORDS and reader.last == "unit" and reader.out:
                _label_last(reader, _POST_LABEL_WORDS[word])
            elif word in _LABEL_WORDS:
                if following == "num":
                    reader.label = _LABEL_WORDS[word]
                    if reader.label_start is None:
                        reader.label_start = token.start()
                elif reader.last in ("unit", "word") and reader.out and not reader.chain:
                    _label_last(reader, _LABEL_WORDS[word])
                reader.last = "word"
            elif word in _CONTEXT_WORDS:
                _set_context(reader, _CONTEXT_WORDS[word])
            elif reader.chain and word not in _FILLER_WORDS:
                # "719: Te 's-Gravenhage ontvreemd in": a number and a unit with other words
                # between them are no measurement (the Dutch "in" is no inch).
                reader.chain = []
            # Fillers ("approximately", "ca") between a number and its unit are passed over.
    return tuple(reader.out)


_NEXT_WORD = re.compile(r"\s+([^\W\d_]+)")
_ARTICLES_AFTER_IN = frozenset(
    ["der", "die", "das", "dem", "den", "einem", "einer", "eine", "de", "het", "een"]
)


def _in_as_preposition(word: str, text: str, end: int) -> bool:
    """Whether "in" after a single number is the preposition of German or Dutch prose
    ("ausgestellt 1931 in London", "um 1900 in Öl", "1920 in der Galerie") rather than inches:
    a name, a German noun or an article follows it ("24 in high", "8 in barrel" are inches)."""
    if word != "in":
        return False
    following = _NEXT_WORD.match(text, end)
    if following is None:
        return False
    next_word = following.group(1)
    if next_word.lower() in _ARTICLES_AFTER_IN:
        return True
    sizes = _LABEL_WORDS.keys() | _POST_LABEL_WORDS.keys() | _CONTEXT_WORDS.keys()
    return next_word[0].isupper() and next_word.lower() not in sizes


def _label_last(reader: _Reader, dimension: Dimension) -> None:
    last = reader.out[-1]
    if last.dimension is None:
        reader.out[-1] = last.model_copy(update={"dimension": dimension})


def _set_context(reader: _Reader, context: str) -> None:
    # "21 x 16 inches (image)" names what the values before it measured; "Framed: 30 x 40 in" what
    # follows. A context word after values names every value since the last ";".
    backwards = reader.last == "unit" or (reader.last == "sep" and reader.last_sep != ";")
    if backwards and len(reader.out) > reader.group_start:
        for i in range(reader.group_start, len(reader.out)):
            if reader.out[i].context is None:
                reader.out[i] = reader.out[i].model_copy(update={"context": context})
    else:
        reader.context = context
