"""German compound words read as their parts: `Frauenbildnis` is `Frau` + `Bildnis`.

German writes as one word what English writes as several (`Flusslandschaft`, river landscape), so a
register's compound would otherwise match nothing a buyer writes. A word is split only when every
part is a known word, so that names and rare words stay whole: `Goldschmidt` is not gold, nor
`Rosenberg` roses on a mountain.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

from provcheck.text.normalise import LONGEST_WORD

__all__ = ["split_compound"]

# Shorter words are rarely compounds, and their parts would be too short to tell apart.
_MIN_WORD = 8
_MIN_PART = 3
# What German puts between the parts of a compound (Frau-en-bildnis, Kind-er-bildnis,
# Gebirg-s-landschaft), longest first so that "en" is tried before "n".
_LINKS = ("ens", "en", "er", "es", "n", "s", "e")
# Heads that name no vocabulary term but make compounds of known words ("Blumenstück",
# "Marienbild"); they are returned as parts but add no term.
_HEADS = frozenset(["bild", "bilder", "stuck", "partie", "motiv", "darstellung", "szene"])
# Heads that end family and place names more often than compounds (Rosenberg, Hermann,
# Baumgarten, Magdeburg, Sommerfeld): a word ending in one stays whole.
_NAME_HEADS = frozenset(
    ["mann", "berg", "burg", "dorf", "feld", "hof", "tal", "wald", "garten", "bach", "stein",
     "heim", "hausen", "thal"]
)  # fmt: skip


# First parts that mean something else in compounds: `Großvater` is a grandfather, not a large
# father; `Altstadt` and `Jungfrau` are not old and young (but `Altarbild` is an altar's).
_NOT_FIRST = frozenset(["gross", "grosse", "klein", "kleine", "alt", "alte", "jung", "junge"])
# First parts read only as written: `Aktenstücke` are files, not nudes.
_AS_WRITTEN = frozenset(["akten"])
# Compounds of known parts that mean something else: a `Vogelbauer` is a birdcage, not a peasant;
# `Jungfrauen` are virgins; a `Dachreiter` is a roof turret. Weißenfels and Waldersee are names.
_WHOLE = frozenset(
    ["vogelbauer", "feldherr", "feldherrn", "jungfrauen", "geburtsbrief", "dachreiter",
     "weissenfels", "waldersee"]
)  # fmt: skip


def _stems(left: str) -> list[str]:
    """The forms a compound's first part may stand for: as written (a `Schäfer` is not a sheep),
    without a linking element, and with the final `e` German drops (Kirch-turm is Kirche)."""
    if left in _AS_WRITTEN:
        return [left]
    stems = [left] + [left[: -len(link)] for link in _LINKS if left.endswith(link)]
    return stems + [stem + "e" for stem in stems]


def _split(word: str, known: Collection[str], longest_first: bool) -> list[str] | None:
    if word in known or word in _HEADS:
        return [word]
    ends = range(_MIN_PART, len(word) - _MIN_PART + 1)
    for end in reversed(ends) if longest_first else ends:
        stem = next((s for s in _stems(word[:end]) if len(s) >= _MIN_PART and s in known), None)
        if stem is None or stem in _NOT_FIRST:
            continue
        if (rest := _split(word[end:], known, longest_first)) is not None:
            return [stem, *rest]
    return None


@lru_cache(maxsize=16384)
def _split_cached(word: str, known: frozenset[str]) -> tuple[str, ...]:
    if (
        not _MIN_WORD <= len(word) <= LONGEST_WORD
        or word in known
        or any(word.endswith(h) for h in _NAME_HEADS)
    ):
        return (word,)
    # The reading in fewest parts: `Armbrustbolzen` is Armbrust + Bolzen, not Arm + Brust + ...;
    # between readings in as many parts, the shortest first part, so that a linking `s` or `n`
    # stays with it (`Seesturm` is See + Sturm, not Sees + Turm; `Sommernacht` is not Sommern +
    # Acht).
    readings = [p for p in (_split(word, known, False), _split(word, known, True)) if p]
    parts = min(readings, key=len) if readings else None
    return tuple(parts) if parts and len(parts) > 1 else (word,)


def split_compound(word: str, known: Collection[str] | None = None) -> list[str]:
    """The known parts of a normalised German compound, or `[word]` if it is not one.

    Parts are returned as written when they are known words (`frauenbildnis` is
    `["frauen", "bildnis"]`), else without their linking element (`gebirgslandschaft` is
    `["gebirge", "landschaft"]`). `known` is the words a part may be; by default the German
    words of the title vocabulary (`provcheck.text.vocabulary`). A word that is itself known
    (`selbstbildnis`), shorter than eight letters, or with any part unknown stays whole.
    """
    if known is None:
        # Imported here: the vocabulary reads its compounds with this module.
        from provcheck.text.vocabulary import GERMAN_TITLE_WORDS

        known = GERMAN_TITLE_WORDS
    if word in _WHOLE:
        return [word]
    return list(_split_cached(word, known if isinstance(known, frozenset) else frozenset(known)))
