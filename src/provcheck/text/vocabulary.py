"""The words registers use for the same thing in other forms and other languages.

Three vocabularies, each mapping the forms people write (English, French, German, Italian,
Spanish, Dutch; singular and plural; British and American spelling) to one canonical English term,
each form tagged with its language:

- materials and techniques (`huile sur toile` and `Öl auf Leinwand` are both {oil, canvas});
- object types, with the group each belongs to (`Brooches and Pins` is jewellery, as is `ring`;
  Lost Art's `Plastik / Skulptur` is sculpture);
- the generic words of titles (`Portrait de femme` and `Bildnis einer Frau` are both
  {portrait, woman}).

The vocabulary only says which words are the same term; how much a shared term counts is decided
by `provcheck.text.specificity`, from how many registered titles use it.

German compounds made of known words are read as their parts (`Frauenbildnis` is {portrait,
woman}): see `provcheck.text.compounds`.

The tables are in `provcheck.text.vocabulary_tables`. Forms are read normalised (lower case, no
accents: see `provcheck.text.normalise`). A form belongs to one concept only, checked here at
import: false friends (German `See` is a lake, French `marine` a seascape, German `Akte` are files,
not nudes) are left out of the language where they mislead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from provcheck.text.compounds import split_compound
from provcheck.text.normalise import normalise_text
from provcheck.text.vocabulary_tables import MATERIALS, OBJECT_TYPES, TITLE_WORDS

__all__ = [
    "LANGUAGES",
    "canonical_materials",
    "canonical_title_words",
    "is_vague_object_type",
    "material_equivalences",
    "object_type_equivalences",
    "object_type_of",
    "title_equivalences",
    "title_term_forms",
    "title_terms",
]

# The languages forms are tagged with, in the order a form written alike in several is reported.
LANGUAGES = ("en", "de", "fr", "it", "es", "nl")

# canonical term -> {language: "form, form, ..."}; the canonical term is itself an English form.
_Table = Mapping[str, Mapping[str, str]]
# A match: the canonical term, the words as written, the language of the form.
_Match = tuple[str, str, str]


class _Index:
    """The forms of one table: single words and multi-word phrases, each with term and language."""

    def __init__(self, table: _Table) -> None:
        self.words: dict[str, tuple[str, str]] = {}
        phrases: dict[tuple[str, ...], tuple[str, str]] = {}
        for canonical, by_language in table.items():
            forms = [(canonical, "en")] + [
                (form, language)
                for language in LANGUAGES
                for form in by_language.get(language, "").split(",")
            ]
            for form, language in forms:
                tokens = tuple(normalise_text(form).split())
                if not tokens:
                    continue
                # The first language listed wins: a form written alike is tagged once.
                if len(tokens) == 1:
                    entry = self.words.setdefault(tokens[0], (canonical, language))
                else:
                    entry = phrases.setdefault(tokens, (canonical, language))
                if entry[0] != canonical:  # one form, two concepts: a false friend let in
                    raise ValueError(f"{form!r} is both {entry[0]!r} and {canonical!r}")
        forms_of: dict[str, set[str]] = {}
        for word, (canonical, _) in self.words.items():
            forms_of.setdefault(canonical, set()).add(word)
        self._forms = {canonical: frozenset(words) for canonical, words in forms_of.items()}
        phrases_of: dict[str, set[str]] = {}
        for phrase_tokens, (canonical, _) in phrases.items():
            phrases_of.setdefault(canonical, set()).add(" ".join(phrase_tokens))
        self._phrases = {canonical: frozenset(found) for canonical, found in phrases_of.items()}
        # Longest phrase first, so that "virgin and child" is read before "virgin".
        self.phrases = sorted(phrases.items(), key=lambda p: -len(p[0]))
        self.first_words = {phrase[0] for phrase in phrases}

    def phrase_at(self, tokens: list[str], i: int) -> _Match | None:
        """The longest phrase starting at `tokens[i]`, if any."""
        if tokens[i] not in self.first_words:
            return None
        for phrase, (canonical, language) in self.phrases:
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                return canonical, " ".join(phrase), language
        return None

    def lookup(self, word: str) -> tuple[str, str] | None:
        """The term and language of one word, reading an English plural as its singular."""
        found = self.words.get(word)
        if found is None and word.endswith("s"):
            found = self.words.get(word[:-1])
        return found

    def forms(self, canonical: str) -> frozenset[str]:
        """Every single-word form of one term, in every language."""
        return self._forms.get(canonical, frozenset())

    def phrase_forms(self, canonical: str) -> frozenset[str]:
        """Every form of several words of one term ("still life", "nature morte")."""
        return self._phrases.get(canonical, frozenset())


def _german_words(table: _Table) -> frozenset[str]:
    """The single-word German forms of `table`: the parts a German compound is read into."""
    forms = (
        form for by_language in table.values() for form in by_language.get("de", "").split(",")
    )
    return frozenset(
        w for form in forms if len(words := normalise_text(form).split()) == 1 for w in words
    )


def _written_forms(text: str) -> dict[str, str]:
    """Each normalised word of `text` -> the word as written (punctuation trimmed)."""
    written: dict[str, str] = {}
    for chunk in text.split():
        words = normalise_text(chunk).split()
        # A chunk of several words ("Öl/Leinwand") cannot be cut back into its written words.
        trimmed = re.sub(r"^\W+|\W+$", "", chunk) if len(words) == 1 else None
        for word in words:
            written.setdefault(word, trimmed or word)
    return written


_MOST_WORDS_READ = 200
_MOST_LETTERS_READ = 4_000


def _matches(
    text: str | None, index: _Index, compound_parts: frozenset[str] | None
) -> tuple[list[_Match], list[str]]:
    """The terms found in `text` (in order, as normalised words), and the words none accounts for.

    With `compound_parts`, a word no form accounts for is read as a German compound of those
    parts; the terms of its parts are tagged German.
    """
    if not text:
        return [], []
    # A page pasted into a field is read by its first words: what names a title's, a material's
    # or a type's terms comes early, and the rest would cost as much as the page is long.
    tokens = normalise_text(text[:_MOST_LETTERS_READ]).split()[:_MOST_WORDS_READ]
    found: list[_Match] = []
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        word = tokens[i]
        phrase = index.phrase_at(tokens, i)
        if phrase is not None:
            found.append(phrase)
            i += len(phrase[1].split())
            continue
        term = index.lookup(word)
        if term is not None:
            found.append((term[0], word, term[1]))
        elif compound_parts is not None and len(parts := split_compound(word, compound_parts)) > 1:
            for part in parts:
                part_term = index.lookup(part)
                if part_term is None:
                    rest.append(part)
                else:
                    found.append((part_term[0], word, "de"))
        else:
            rest.append(word)
        i += 1
    return found, rest


def _equivalences(text: str | None, found: list[_Match]) -> dict[str, tuple[str, str]]:
    written = _written_forms(text or "")
    result: dict[str, tuple[str, str]] = {}
    for canonical, words, language in found:
        as_written = " ".join(written.get(w, w) for w in words.split())
        result.setdefault(canonical, (as_written, language))
    return result


# --- Materials and techniques -------------------------------------------------------------------

_MATERIAL_INDEX = _Index(MATERIALS)
_GERMAN_MATERIAL_WORDS = _german_words(MATERIALS)
# Connecting words of materials ("oil on canvas", "Öl auf Leinwand") carry no material.
_MATERIAL_FILLER = frozenset(
    ["on", "and", "with", "in", "of", "over", "sur", "et", "avec", "sous", "auf", "und", "mit",
     "su", "e", "con", "sobre", "y", "op", "en", "met"]
)  # fmt: skip


@lru_cache(maxsize=4096)
def _material_matches(text: str | None) -> tuple[tuple[_Match, ...], tuple[str, ...]]:
    # A compound reads as materials only when all its parts are materials ("Eichenholz" is oak
    # wood, "silbervergoldet" gilt silver), not when a part is an object ("Goldrahmen").
    found, rest = _matches(text, _MATERIAL_INDEX, _GERMAN_MATERIAL_WORDS)
    return tuple(found), tuple(w for w in rest if w not in _MATERIAL_FILLER and len(w) > 1)


def canonical_materials(text: str | None) -> tuple[set[str], list[str]]:
    """Canonical materials and techniques named in `text`, and its other (unknown) words."""
    found, rest = _material_matches(text)
    return {canonical for canonical, _, _ in found}, list(rest)


def material_equivalences(text: str | None) -> dict[str, tuple[str, str]]:
    """Canonical material -> (the words as written in `text`, their language), for each found.

    `material_equivalences("Öl auf Leinwand")` is {"oil": ("Öl", "de"), "canvas": ("Leinwand", "de")}.
    A form written alike in several languages is tagged with the first of `LANGUAGES`.
    """
    found, _ = _material_matches(text)
    return _equivalences(text, list(found))


# --- Object types -------------------------------------------------------------------------------
# Two types of one group are related (a drawing and a watercolour); types of different groups
# contradict (a painting is not a coin).

_TYPE_GROUP: dict[str, str] = {t: group for t, (group, _) in OBJECT_TYPES.items()}
_TYPE_INDEX = _Index({t: forms for t, (_, forms) in OBJECT_TYPES.items()})
# Catch-all categories ("Other - Arts and Antiques", Lost Art's "Kunsthandwerk / -gewerbe") say
# nothing about what the object is.
_VAGUE_TYPES = frozenset(
    ["other", "assorted", "arts", "antiques", "collectibles", "objects", "object", "miscellaneous",
     "various", "none", "ethnographic", "works", "art", "sports",
     "kunsthandwerk", "gewerbe", "kunstgewerbe", "kleinkunst", "accessoire", "zubehor",
     "bildende", "und", "angewandte", "kunst", "objet", "objets", "d", "oggetto", "oggetti"]
)  # fmt: skip


@lru_cache(maxsize=1024)
def _object_type_match(text: str | None) -> _Match | None:
    if not text:
        return None
    for part in text.replace(",", ">").replace("/", ">").split(">"):
        found, _ = _matches(part, _TYPE_INDEX, None)
        if found:
            return min(found)  # the same type whatever order the words come in
    return None


def object_type_of(text: str | None) -> tuple[str, str] | None:
    """(canonical type, group) of a register's object type, or None if it names none we know.

    A hierarchical type ("painting > portrait") is read from its most general named part.
    """
    match = _object_type_match(text)
    return None if match is None else (match[0], _TYPE_GROUP[match[0]])


def object_type_equivalences(text: str | None) -> dict[str, tuple[str, str]]:
    """Canonical type -> (the words as written in `text`, their language), for the type read.

    `object_type_equivalences("Plastik / Skulptur")` is {"sculpture": ("Plastik", "de")}.
    """
    match = _object_type_match(text)
    return {} if match is None else _equivalences(text, [match])


def is_vague_object_type(text: str) -> bool:
    return set(normalise_text(text).split()) <= _VAGUE_TYPES


# --- Generic title words ------------------------------------------------------------------------

_TITLE_INDEX = _Index(TITLE_WORDS)
# The German forms of titles, of which compounds are read (`Flusslandschaft`).
GERMAN_TITLE_WORDS = _german_words(TITLE_WORDS)


@lru_cache(maxsize=65536)
def _title_matches(text: str | None) -> tuple[tuple[_Match, ...], tuple[str, ...]]:
    found, rest = _matches(text, _TITLE_INDEX, GERMAN_TITLE_WORDS)
    return tuple(found), tuple(rest)


def canonical_title_words(text: str | None) -> list[str]:
    """A title's words with generic words in every language replaced by one canonical form.

    German compounds of known words count as their parts: `Frauenbildnis` is portrait and woman.
    """
    found, rest = _title_matches(text)
    return sorted({canonical for canonical, _, _ in found}) + list(rest)


def title_term_forms(word: str) -> frozenset[str]:
    """Every single-word form, in every language, of the title term `word` (normalised) is a
    form of or names: "bildnis" and "portrait" both give {"portrait", "bildnis", "ritratto",
    ...}; a word of no term gives nothing."""
    found = _TITLE_INDEX.lookup(word)
    return _TITLE_INDEX.forms(found[0] if found else word)


def title_terms(text: str | None) -> dict[str, frozenset[str]]:
    """Each term the vocabulary finds in a title (phrases and German compounds too), with all its
    forms in every language, single words and phrases: "Still life with flowers" gives
    {"still life": {"still life", "stillleben", "nature morte", ...}, "flowers": {...}}."""
    found, _ = _title_matches(text)
    return {
        term: _TITLE_INDEX.forms(term) | _TITLE_INDEX.phrase_forms(term) for term, _, _ in found
    }


def title_equivalences(text: str | None) -> dict[str, tuple[str, str]]:
    """Canonical title word -> (the words as written in `text`, their language), for each found.

    `title_equivalences("Bildnis einer Dame")` is {"portrait": ("Bildnis", "de"),
    "woman": ("Dame", "de")}: a form written alike in several languages is tagged with the first
    of `LANGUAGES`, and the parts of a compound with the whole word ("Frauenbildnis", "de").
    """
    found, _ = _title_matches(text)
    return _equivalences(text, list(found))
