from __future__ import annotations

from typing import Any

import pytest

from provcheck import AttributionQualifier, parse_makers

Q = AttributionQualifier

CASES: list[tuple[str, list[dict[str, Any]]]] = [
    ("Rembrandt", [{"name": "Rembrandt"}]),
    ("attributed to Rembrandt", [{"name": "Rembrandt", "qualifier": Q.ATTRIBUTED}]),
    ("circle of Rembrandt van Rijn", [{"name": "Rembrandt van Rijn", "qualifier": Q.CIRCLE}]),
    ("workshop of Rubens", [{"name": "Rubens", "qualifier": Q.STUDIO}]),
    ("Studio of Giovanni Bellini", [{"name": "Giovanni Bellini", "qualifier": Q.STUDIO}]),
    ("Jacob Jordaens Studio", [{"name": "Jacob Jordaens", "qualifier": Q.STUDIO}]),
    ("after Vermeer", [{"name": "Vermeer", "qualifier": Q.AFTER}]),
    ("School of Raphael", [{"name": "Raphael", "qualifier": Q.SCHOOL}]),
    ("Follower of Giulio Romano", [{"name": "Giulio Romano", "qualifier": Q.FOLLOWER}]),
    ("in the manner of Canaletto", [{"name": "Canaletto", "qualifier": Q.MANNER}]),
    (
        "Rembrandt (Dutch, 1606–1669)",
        [{"name": "Rembrandt", "nationality": "Dutch", "birth_year": 1606, "death_year": 1669}],
    ),
    ("Rijn, Rembrandt van", [{"name": "Rembrandt van Rijn"}]),
    ("Calder, Alexander", [{"name": "Alexander Calder"}]),
    ("Robert Stark, Jr.", [{"name": "Robert Stark, Jr."}]),
    (
        "Alain Hieronimus; Aubusson, France",
        [{"name": "Alain Hieronimus"}, {"name": "Aubusson, France", "role": "place"}],
    ),
    ("Henry Klar; Gloria Klar", [{"name": "Henry Klar"}, {"name": "Gloria Klar"}]),
    ("Thomas Moore; English", [{"name": "Thomas Moore", "nationality": "English"}]),
    ("Venini & Co.", [{"name": "Venini & Co."}]),
    ("Tiffany and Company Jewelers", [{"name": "Tiffany and Company Jewelers"}]),
    ("Joy Navasie (Frog Woman)", [{"name": "Joy Navasie", "other_names": ("Frog Woman",)}]),
    ("Horace (author)", [{"name": "Horace", "role": "author"}]),
    (
        "Leonid Mikhailovich Brailovsky | Rimma Nikitichna Brailovsky",
        [{"name": "Leonid Mikhailovich Brailovsky"}, {"name": "Rimma Nikitichna Brailovsky"}],
    ),
    (
        "Kuniteru (1808-1876) & Kunichika (1835-1900)",
        [
            {"name": "Kuniteru", "birth_year": 1808, "death_year": 1876},
            {"name": "Kunichika", "birth_year": 1835, "death_year": 1900},
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_parses(text: str, expected: list[dict[str, Any]]) -> None:
    makers = parse_makers(text)
    assert len(makers) == len(expected)
    for maker, fields in zip(makers, expected, strict=True):
        for name, value in fields.items():
            assert getattr(maker, name) == value, name


def test_each_maker_keeps_its_verbatim_text() -> None:
    first, second = parse_makers("Alain Hieronimus; Aubusson, France")
    assert first.text == "Alain Hieronimus"
    assert second.text == "Aubusson, France"


def test_anonymous_makers_are_recognised() -> None:
    assert parse_makers("Unknown (Chinese)")[0].is_anonymous
    assert parse_makers("Anonymous")[0].is_anonymous
    assert not parse_makers("Tiffany")[0].is_anonymous


def test_empty_gives_nothing() -> None:
    assert parse_makers("") == ()
    assert parse_makers(None) == ()


def test_a_qualified_second_maker_after_a_comma() -> None:
    engraver, painter = parse_makers("Philips Galle, after Hans Holbein (II)")
    assert engraver.name == "Philips Galle"
    assert (painter.name, painter.qualifier) == ("Hans Holbein", AttributionQualifier.AFTER)
    assert painter.other_names == ("II",)
