from __future__ import annotations

import pytest

from provcheck import Dimension, Unit, parse_measurements

H, W, D, DIA, WT = (
    Dimension.HEIGHT,
    Dimension.WIDTH,
    Dimension.DEPTH,
    Dimension.DIAMETER,
    Dimension.WEIGHT,
)

# text -> [(dimension, value, unit, context)]
CASES: list[tuple[str, list[tuple[Dimension | None, float, Unit, str | None]]]] = [
    ('72" x 60"', [(None, 72, Unit.IN, None), (None, 60, Unit.IN, None)]),
    ("31.5 in x 47.25 in", [(None, 31.5, Unit.IN, None), (None, 47.25, Unit.IN, None)]),
    ("20.10 x 13.20 cm", [(None, 20.1, Unit.CM, None), (None, 13.2, Unit.CM, None)]),
    ("H. 24 cm", [(H, 24, Unit.CM, None)]),
    ("Diameter: 38.1 mm", [(DIA, 38.1, Unit.MM, None)]),
    ("14 x 7 in", [(None, 14, Unit.IN, None), (None, 7, Unit.IN, None)]),
    ("24 in", [(None, 24, Unit.IN, None)]),
    ("1.2 kg", [(WT, 1.2, Unit.KG, None)]),
    ("3 lb 4 oz", [(WT, 3.25, Unit.LB, None)]),
    ("24 1/2 in", [(None, 24.5, Unit.IN, None)]),
    ("24½ in", [(None, 24.5, Unit.IN, None)]),
    ("17 1/8 x 22 1/2 in", [(None, 17.125, Unit.IN, None), (None, 22.5, Unit.IN, None)]),
    ("3 x 13/16 in", [(None, 3, Unit.IN, None), (None, 0.8125, Unit.IN, None)]),
    ("9' x 6'", [(None, 9, Unit.FT, None), (None, 6, Unit.FT, None)]),
    ("6 ft 6 in", [(None, 6.5, Unit.FT, None)]),
    (
        "H 24 x W 30 x D 5 cm",
        [(H, 24, Unit.CM, None), (W, 30, Unit.CM, None), (D, 5, Unit.CM, None)],
    ),
    ("Height: 10 in; Width: 8 in", [(H, 10, Unit.IN, None), (W, 8, Unit.IN, None)]),
    (
        'Approximately 34.5" length; 6" width',
        [(Dimension.LENGTH, 34.5, Unit.IN, None), (W, 6, Unit.IN, None)],
    ),
    ("60 cm in height", [(H, 60, Unit.CM, None)]),
    ("24 in high", [(H, 24, Unit.IN, None)]),
    ("20,5 cm", [(None, 20.5, Unit.CM, None)]),
    ("1,200 mm", [(None, 1200, Unit.MM, None)]),
    ("9.5 x 7 .5 in", [(None, 9.5, Unit.IN, None), (None, 7.5, Unit.IN, None)]),
    (
        "21 x 16 inches (image); 33 x 26 inches (framed)",
        [
            (None, 21, Unit.IN, "image"),
            (None, 16, Unit.IN, "image"),
            (None, 33, Unit.IN, "framed"),
            (None, 26, Unit.IN, "framed"),
        ],
    ),
    ("Framed: 30 x 40 in", [(None, 30, Unit.IN, "framed"), (None, 40, Unit.IN, "framed")]),
    ("16 x 12 in - frame", [(None, 16, Unit.IN, "framed"), (None, 12, Unit.IN, "framed")]),
    (
        'approximately 15" x 7"; 25 lbs',
        [(None, 15, Unit.IN, None), (None, 7, Unit.IN, None), (WT, 25, Unit.LB, None)],
    ),
    ("2.5 carats", [(WT, 2.5, Unit.CT, None)]),
    # Nothing is guessed: no unit, no measurement.
    ("Height", []),
    ("16 1/2 x 23 3/16", []),
    ("y", []),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] or "empty" for c in CASES])
def test_parses(
    text: str, expected: list[tuple[Dimension | None, float, Unit, str | None]]
) -> None:
    got = [(m.dimension, m.value, m.unit, m.context) for m in parse_measurements(text)]
    assert [(d, pytest.approx(v), u, c) for d, v, u, c in expected] == got


def test_keeps_the_verbatim_text_of_each_value() -> None:
    (height,) = parse_measurements("Object: H. 24 cm (approx.)")
    assert height.text == "H. 24 cm"


def test_converts_units() -> None:
    inches, kilos = parse_measurements("10 in; 2 kg")
    assert inches.centimetres == pytest.approx(25.4)
    assert inches.grams is None
    assert kilos.grams == pytest.approx(2000)
    assert kilos.centimetres is None


def test_a_leading_zero_before_a_comma_is_a_decimal_comma() -> None:
    # French notices write metres as "0,082 m": never 82 m (no number starts "0," with thousands).
    (depth,) = parse_measurements("P. 0,082 m.")
    assert depth.value == 0.082
    assert [m.value for m in parse_measurements("0,158 x 0,047 m")] == [0.158, 0.047]
    (thousands,) = parse_measurements("1,200 cm")
    assert thousands.value == 1200.0  # a thousands separator where one can be


def test_a_unit_word_after_other_words_measures_nothing() -> None:
    # Dutch "in" (and a possessive "'s") far from a number are no inches or feet: a word that
    # is neither a unit nor a filler between a number and a unit ends the group.
    assert parse_measurements("Inventarnummer 719: Te 's-Gravenhage ontvreemd in 1943") == ()
    assert parse_measurements("719: Te s-Gravenhage ontvreemd in") == ()
    (height,) = parse_measurements("24 approximately cm")  # a filler keeps the group
    assert (height.value, height.unit) == (24.0, Unit.CM)


@pytest.mark.parametrize(
    "text",
    [
        "Ausgestellt 1931 in London",  # a year, and German "in" before a name
        "Um 1900 in Öl gemalt",
        "1920 in der Galerie Thannhauser",
        "Gestohlen 1944 in einem Depot",
    ],
)
def test_german_in_after_a_number_is_no_inch(text: str) -> None:
    assert parse_measurements(text) == ()


@pytest.mark.parametrize(
    ("text", "centimetres"),
    [
        ("24 in high", [60.96]),
        ("8 in barrel", [20.32]),
        ("12 x 16 in oil on canvas", [30.48, 40.64]),
        ("Gemalt 1890 in Paris. 40 x 30 cm", [40.0, 30.0]),
    ],
)
def test_inches_are_still_inches(text: str, centimetres: list[float]) -> None:
    assert [round(m.centimetres or 0.0, 2) for m in parse_measurements(text)] == centimetres
