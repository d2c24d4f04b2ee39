"""Records of one register that are alike -- one of a series, a set or a theft, or one object
recorded twice -- are named on each other's candidates, so that a person neither takes the first of
twelve alike records for "the" object nor misses that the object may be a sibling of one.

Registers list pairs, sets and series side by side: a pair of candlesticks, seventeen "Faces in the
Hood", twelve plates of one service, every object of one theft under its case number; and now and
then one object twice, in records that share no URL (`model.duplicates` merges only what is
certainly one object). Two records of one register are alike when they have:

- the same case number and alike titles (one theft's objects of a kind);
- the same maker, not an anonymous one, and titles that are the same once numbers, single letters,
  roman numerals and words for a set are left out ("Faces in the Hood #3" and "#7", 'Letter "A"'
  and 'Letter "Y"', "Candlestick" and "Candlesticks (pair)");
- or the same title, maker, date, type, materials and measurements (one object recorded twice).

Alike is said of a pair, never carried through a chain: a record alike with two others does not
make those two alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from provcheck.model.candidate import Candidate
from provcheck.model.duplicates import case_number
from provcheck.model.record import Record
from provcheck.text.normalise import normalise_text, tokens

__all__ = ["ALIKE_SHOWN", "RELEVANT", "mark_alike"]

# A candidate below this score is not worth a note; the records it is alike with may be lower.
RELEVANT = 0.4
# At most this many alike records are named on one candidate; the sentence gives the count.
ALIKE_SHOWN = 20
# Titles whose words overlap this much (of all the words of both) are alike within one case.
_TITLES_OVERLAP = 0.5

_QUOTED_MARK = re.compile(r"[\"'“”‘’«»]\s*\w{1,3}\s*[\"'“”‘’«»]")
_ROMAN = re.compile(r"x{0,3}(?:ix|iv|v?i{0,3})")
_DIGIT = re.compile(r"\d")
# Words that say an object is one of several, in the registers' languages.
_SET_WORDS = frozenset(
    ["pair", "pairs", "set", "sets", "series", "part", "piece", "pieces", "paar", "teil", "serie"]
)

_SAME_CASE = "same case number, alike titles"
_SAME_MAKER = "same maker and title, numbers and letters aside"
_SAME_RECORD = "same title, maker, date and description"


def _title_stem(title: str | None) -> frozenset[str]:
    """The title's words without what tells one of a series from another: numbers, a quoted or
    single letter, a roman numeral, a word for a set; a plural as its singular."""
    text = _QUOTED_MARK.sub(" ", title or "")
    return frozenset(
        word[:-1] if len(word) > 3 and word.endswith("s") else word
        for word in tokens(text)
        if len(word) > 1
        and not _DIGIT.search(word)
        and not _ROMAN.fullmatch(word)
        and word not in _SET_WORDS
    )


def _makers(record: Record) -> frozenset[str]:
    """The record's named makers, normalised; an unknown maker, a place or a culture names no
    one."""
    return frozenset(
        normalise_text(maker.name) for maker in record.description.makers if maker.names_someone
    )


def _fields(record: Record) -> tuple[str, ...] | None:
    """What a record says of its object, normalised; None when it says no more than a title (an
    anonymous maker says nothing)."""
    described = record.description
    title = " ".join(tokens(described.title))
    written = (
        described.period.text if described.period else None,
        described.object_type,
        described.materials,
        described.measurements_text,
    )
    others = (" ".join(sorted(_makers(record))), *(" ".join(tokens(text)) for text in written))
    if not title or not any(others):
        return None
    return (title, *others)


def _why_alike(one: Record, other: Record) -> list[str]:
    """What makes two records alike, if anything (none when they are of different registers)."""
    if one.registry != other.registry or one.key == other.key:
        return []
    reasons: list[str] = []
    stems = _title_stem(one.description.title), _title_stem(other.description.title)
    case = case_number(one)
    if case is not None and case == case_number(other) and all(stems):
        overlap = len(stems[0] & stems[1]) / len(stems[0] | stems[1])
        if overlap >= _TITLES_OVERLAP:
            reasons.append(_SAME_CASE)
    if stems[0] and stems[0] == stems[1] and _makers(one) & _makers(other):
        reasons.append(_SAME_MAKER)
    fields = _fields(one)
    if fields is not None and fields == _fields(other):
        reasons.append(_SAME_RECORD)
    return reasons


def _sentence(registry: str, count: int, reasons: set[str]) -> str:
    why = "; ".join(r for r in (_SAME_CASE, _SAME_MAKER, _SAME_RECORD) if r in reasons)
    if reasons == {_SAME_RECORD}:
        meaning = "perhaps one object recorded more than once, or objects made alike"
    else:
        meaning = "the object may be any of them, or another of their series, set or theft"
    return f"one of {count} alike records in {registry} ({why}): {meaning}"


def mark_alike(candidates: Sequence[Candidate]) -> list[Candidate]:
    """`candidates` in the same order, each of at least `RELEVANT` score naming in `alike` the
    others (best first, at most `ALIKE_SHOWN`) of its register that are alike with it, and why in
    `alike_reason`. The others are looked for among `candidates` only."""
    marked: list[Candidate] = []
    for candidate in candidates:
        if candidate.score < RELEVANT:
            marked.append(candidate)
            continue
        keys: list[str] = []
        reasons: set[str] = set()
        for other in candidates:
            why = _why_alike(candidate.record, other.record)
            if why:
                keys.append(other.record.key)
                reasons.update(why)
        if not keys:
            marked.append(candidate)
            continue
        keys = list(dict.fromkeys(keys))
        reason = _sentence(candidate.record.registry, len(keys) + 1, reasons)
        marked.append(
            candidate.model_copy(
                update={"alike": tuple(keys[:ALIKE_SHOWN]), "alike_reason": reason}
            )
        )
    return marked
