"""Field comparators: how alike two descriptions are, one Object ID category at a time.

Each comparator takes the query's and the record's `ObjectDescription` and returns a `Comparison`
-- a similarity in [0, 1], how much this comparison should count (`weight_factor`: a generic title
or a century says less than a rare title or an exact year), and a few words of detail -- or None
when either side says nothing: absence is not disagreement.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from provcheck.images.fingerprints import fingerprint_kind, hamming
from provcheck.model.description import FINGERPRINT_PATTERN, ObjectDescription
from provcheck.text.makers import AttributionQualifier, Maker
from provcheck.text.measurements import Measurement
from provcheck.text.normalise import STOPWORDS, normalise_text
from provcheck.text.periods import DatePeriod
from provcheck.text.vocabulary import (
    GENERIC_TITLE_WORDS,
    canonical_materials,
    canonical_title_words,
    is_vague_object_type,
    object_type_of,
)

__all__ = [
    "Comparison",
    "compare_images",
    "compare_inventory_numbers",
    "compare_makers",
    "compare_markings",
    "compare_materials",
    "compare_measurements",
    "compare_object_types",
    "compare_periods",
    "compare_titles",
]


@dataclass(frozen=True)
class Comparison:
    similarity: float
    weight_factor: float = 1.0
    detail: str = ""


# --- Words --------------------------------------------------------------------------------------

_GENERIC_WEIGHT = 0.3


_STOPWORD_WEIGHT = 0.05


def _word_weight(word: str) -> float:
    if word in STOPWORDS or (len(word) == 1 and not word.isdigit()):
        return _STOPWORD_WEIGHT  # kept, so that 'Letter "A"' and 'Letter "Y"' differ a little
    return _GENERIC_WEIGHT if word in GENERIC_TITLE_WORDS else 1.0


def _word_match(a: str, b: str) -> float:
    """How well two words match, allowing a typo in longer words; 0 if they do not."""
    if a == b:
        return 1.0
    if a in STOPWORDS and b in STOPWORDS:
        return 1.0  # "of a" and "de": function words are interchangeable across languages
    if a.isdigit() or b.isdigit() or min(len(a), len(b)) < 4:
        return 0.0
    shared = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    if shared >= 5 and shared >= 0.7 * min(len(a), len(b)):
        return 0.8  # one stem in two languages or forms: "hysterique" and "hysterical"
    ratio = fuzz.ratio(a, b)
    # A letter left out or added is a typo even in a short word ("gret", "great"); a letter
    # changed in one is another word ("pond", "gond").
    needed = 85.0 if min(len(a), len(b)) == 4 else 80.0
    if ratio < needed:
        return 0.0
    return 0.8 + 0.2 * (ratio - needed) / (100.0 - needed)


def _coverage(words: list[str], others: list[str]) -> tuple[float, float]:
    """Weighted share of `words` found in `others`, and how much `words` identify in all."""
    total = found = 0.0
    for word in words:
        weight = _word_weight(word)
        total += weight
        found += weight * max((_word_match(word, other) for other in others), default=0.0)
    return (found / total if total else 0.0), total


_QUOTED_SHORT = re.compile(r"[\"“”'‘’]([^\"“”'‘’]{1,3})[\"“”'‘’]")


def _title_words(text: str | None) -> list[str]:
    words = canonical_title_words(text)
    if not any(w not in STOPWORDS for w in words):
        return []
    # A quoted letter or number names one work of a series: 'Letter "A"' is not 'Letter "Y"'.
    marks = [
        f"={normalise_text(q)}" for q in _QUOTED_SHORT.findall(text or "") if normalise_text(q)
    ]
    return words + marks


def compare_titles(query: ObjectDescription, record: ObjectDescription) -> Comparison | None:
    """Word by word, in any order, with typos, translations of generic words, and partial titles.

    A title found whole inside a longer one counts nearly fully ("Acorn" in "Tiffany Acorn lamp").
    A match of generic words only ("Portrait of a woman") counts for less.
    """
    ours, theirs = _title_words(query.title), _title_words(record.title)
    if not ours or not theirs:
        return None
    ours_found, ours_information = _coverage(ours, theirs)
    theirs_found, theirs_information = _coverage(theirs, ours)
    if ours_found >= theirs_found:
        # The query found whole in a longer title: the register's extra words barely count
        # against it (registers' titles run longer than sellers').
        similarity = ours_found * ours_found * (0.95 + 0.05 * theirs_found)
    else:
        # The register's shorter title found in the query: how much of the query it confirms
        # matters more. Both keeping words of their own ("Venus hysterique" and "Venus de Milo")
        # leaves what they share counting for much less.
        similarity = theirs_found * theirs_found * (0.8 + 0.2 * ours_found)
    # Two distinctive words make a title count fully; one ("Sunflowers") half; generic words
    # alone ("Portrait of a woman") little.
    information = min(ours_information, theirs_information)
    return Comparison(similarity, weight_factor=min(1.0, max(information / 2.0, 0.3)))


# --- Makers -------------------------------------------------------------------------------------

_PARTICLES = frozenset(
    [
        "van",
        "von",
        "vom",
        "de",
        "der",
        "den",
        "des",
        "di",
        "da",
        "del",
        "della",
        "dello",
        "du",
        "le",
        "la",
        "y",
        "ten",
        "ter",
        "zu",
        "d",
        "l",
        "dos",
        "das",
        "e",
    ]
)
_NAME_SUFFIXES = frozenset(
    ["jr", "sr", "junior", "senior", "elder", "younger", "the", "ii", "iii", "iv"]
)
_QUALIFIER_FACTOR = {
    AttributionQualifier.ATTRIBUTED: 0.9,
    AttributionQualifier.STUDIO: 0.85,
    AttributionQualifier.CIRCLE: 0.8,
    AttributionQualifier.SCHOOL: 0.75,
    AttributionQualifier.FOLLOWER: 0.75,
    AttributionQualifier.MANNER: 0.7,
    AttributionQualifier.AFTER: 0.7,
}


def _name_words(maker: Maker) -> list[str]:
    words = normalise_text(maker.name).split()
    return [w for w in words if w not in _PARTICLES and w not in _NAME_SUFFIXES] or words


def _given_names_agree(ours: list[str], theirs: list[str]) -> bool:
    """Given names agree when each of the shorter list matches one of the other, initials too."""
    shorter, longer = sorted((ours, theirs), key=len)
    for name in shorter:
        if len(name) == 1:
            if not any(other.startswith(name) for other in longer):
                return False
        elif not any(_word_match(name, other) or other == name[0] for other in longer):
            return False
    return True


def _name_similarity(ours: list[str], theirs: list[str]) -> float:
    if not ours or not theirs:
        return 0.0  # no words to compare (`compare_makers` passes over such makers)
    if sorted(ours) == sorted(theirs):
        return 1.0
    if len(ours) == 1 or len(theirs) == 1:
        # "Rembrandt" against "Rembrandt van Rijn"; "Dali" against "Salvador Dali".
        single, other = (ours, theirs) if len(ours) == 1 else (theirs, ours)
        best = max(_word_match(single[0], word) for word in other)
        if best and (single[0][0] == other[-1][0] or single[0][0] == other[0][0]):
            return 0.9 * best
        return 0.0
    surname = _word_match(ours[-1], theirs[-1])
    if surname:
        # Same surname: the given names decide between one person and a relative.
        return surname * (0.97 if _given_names_agree(ours[:-1], theirs[:-1]) else 0.45)
    # Surname first on one side ("Dali Salvador") or an unparsed form: any strong word in common.
    common = sum(1 for w in ours if len(w) > 2 and any(_word_match(w, o) for o in theirs))
    if common >= 2 or (common == 1 and min(len(ours), len(theirs)) == 2 and common == 1):
        return 0.7 if common >= 2 else 0.5
    return 0.0


def compare_makers(query: ObjectDescription, record: ObjectDescription) -> Comparison | None:
    """Name forms, initials, diacritics and particles; qualifiers weaken but do not erase."""
    ours = [m for m in query.makers if not m.is_anonymous]
    theirs = [m for m in record.makers if not m.is_anonymous]
    if not ours or not theirs:
        return None
    best = 0.0
    for a in ours:
        for b in theirs:
            similarity = _name_similarity(_name_words(a), _name_words(b))
            for qualifier in (a.qualifier, b.qualifier):
                if qualifier is not None:
                    similarity *= _QUALIFIER_FACTOR[qualifier]
            best = max(best, similarity)
    return Comparison(best)


# --- Measurements -------------------------------------------------------------------------------

_FRAME_ALLOWANCE = 0.35  # a frame may add this share to each side of a picture
_FRAMED = frozenset({"framed", "overall", "mount"})


def _size_group(measurements: Iterable[Measurement]) -> tuple[list[float], bool]:
    """The lengths to compare (in cm, largest first) and whether they include a frame.

    When a register gives several sizes (image and framed), the unframed ones are used.
    """
    lengths = [m for m in measurements if m.centimetres]
    unframed = [m for m in lengths if m.context not in _FRAMED]
    chosen = unframed or lengths
    framed = bool(chosen) and all(m.context in _FRAMED for m in chosen)
    return sorted((m.centimetres or 0.0 for m in chosen), reverse=True), framed


def _size_similarity(a: float, b: float, frame_between: bool) -> float:
    larger, smaller = max(a, b), min(a, b)
    tolerance = max(0.02 * larger, 1.0)
    if larger - smaller <= tolerance:
        return 1.0 - 0.05 * (larger - smaller) / tolerance  # within tolerance; closer is better
    if frame_between and larger <= smaller * (1 + _FRAME_ALLOWANCE):
        return 0.6
    relative = (larger - smaller) / larger
    return max(0.0, 1.0 - (relative - 0.02) / 0.3)  # nothing left at about a third off


def _format_cm(values: list[float]) -> str:
    return " x ".join(f"{v:.1f}" for v in values) + " cm"


def compare_measurements(query: ObjectDescription, record: ObjectDescription) -> Comparison | None:
    """Sizes in any unit, in any order (height and width swapped), framed against unframed,
    one dimension against several; weights likewise. A clear contradiction scores 0."""
    ours, ours_framed = _size_group(query.measurements)
    theirs, theirs_framed = _size_group(record.measurements)
    frame_between = ours_framed != theirs_framed
    if ours and theirs:
        if len(ours) == 1 or len(theirs) == 1:
            single, other = (ours, theirs) if len(ours) == 1 else (theirs, ours)
            similarity = max(_size_similarity(single[0], o, frame_between) for o in other)
            factor = 0.6
        else:
            sizes = [
                _size_similarity(a, b, frame_between) for a, b in zip(ours, theirs, strict=False)
            ]
            # Every dimension must agree: one far off makes another object. A frame enlarges all
            # sides together, so framed against unframed counts its least agreeing side once.
            similarity = min(sizes) if frame_between else math.prod(sizes)
            factor = 1.0
        return Comparison(similarity, factor, f"{_format_cm(ours)} vs {_format_cm(theirs)}")
    our_weights = [m.grams for m in query.measurements if m.grams]
    their_weights = [m.grams for m in record.measurements if m.grams]
    if our_weights and their_weights:
        a, b = max(our_weights), max(their_weights)
        relative = abs(a - b) / max(a, b)
        similarity = 1.0 if relative <= 0.05 else max(0.0, 1.0 - (relative - 0.05) / 0.3)
        return Comparison(similarity, 0.6, f"{a:.0f} g vs {b:.0f} g")
    return None


# --- Dates --------------------------------------------------------------------------------------

_CIRCA_YEARS = 10


def _years(period: DatePeriod) -> tuple[int, int] | None:
    if not period.is_structured:
        return None
    low = period.earliest if period.earliest is not None else -10_000
    high = period.latest if period.latest is not None else 10_000
    if period.circa:
        low, high = low - _CIRCA_YEARS, high + _CIRCA_YEARS
    return low, high


def compare_periods(query: ObjectDescription, record: ObjectDescription) -> Comparison | None:
    """Overlap of year ranges (`c. 1880`, `1875-1885`, `19th century`); a century counts less."""
    if query.period is None or record.period is None:
        return None
    ours, theirs = _years(query.period), _years(record.period)
    if ours is None or theirs is None:
        # Named periods ("Ming dynasty") compare as words.
        a, b = normalise_text(query.period.text), normalise_text(record.period.text)
        if not a or not b:
            return None
        return Comparison(fuzz.token_set_ratio(a, b) / 100.0, 0.5)
    gap = max(ours[0], theirs[0]) - min(ours[1], theirs[1])
    # Overlapping ranges agree, the same range best; apart, they agree less with every year.
    similarity = (1.0 if ours == theirs else 0.97) if gap <= 0 else max(0.0, 1.0 - gap / 30.0)
    widest = max(ours[1] - ours[0], theirs[1] - theirs[0])
    factor = 1.0 if widest <= 25 else 0.7 if widest <= 60 else 0.4
    return Comparison(similarity, factor)


# --- Materials and types ------------------------------------------------------------------------


def compare_materials(query: ObjectDescription, record: ObjectDescription) -> Comparison | None:
    """Equivalent terms across wording and languages; partial overlap counts in part."""
    ours_terms, ours_rest = canonical_materials(query.materials)
    theirs_terms, theirs_rest = canonical_materials(record.materials)
    ours = ours_terms | {w for w in ours_rest if len(w) > 3}
    theirs = theirs_terms | {w for w in theirs_rest if len(w) > 3}
    if not ours or not theirs:
        return None
    common = len(ours & theirs) + sum(
        1 for w in ours - theirs if any(_word_match(w, o) for o in theirs - ours)
    )
    similarity = 0.5 * (common / min(len(ours), len(theirs)) + common / max(len(ours), len(theirs)))
    return Comparison(min(1.0, similarity), detail=", ".join(sorted(ours & theirs)))


def compare_object_types(query: ObjectDescription, record: ObjectDescription) -> Comparison | None:
    """Same type 1, same family (drawing and print) 0.5, different families 0; vague types
    ("Other - Arts and Antiques") say nothing."""
    if not query.object_type or not record.object_type:
        return None
    if is_vague_object_type(query.object_type) or is_vague_object_type(record.object_type):
        return None
    ours, theirs = object_type_of(query.object_type), object_type_of(record.object_type)
    if ours is None or theirs is None:
        # A type outside the vocabulary compares only when both are written alike.
        a, b = normalise_text(query.object_type), normalise_text(record.object_type)
        return Comparison(1.0, 0.5) if a == b else None
    if ours[0] == theirs[0]:
        return Comparison(1.0, detail=ours[0])
    if ours[1] == theirs[1]:
        return Comparison(0.5, detail=f"{ours[0]} / {theirs[0]}, both {ours[1]}")
    return Comparison(0.0, detail=f"{ours[0]} / {theirs[0]}")


# --- Markings and descriptions ------------------------------------------------------------------

_EDITION = re.compile(r"(?<![\d/])#?\s*(\d{1,4})\s*/\s*(\d{1,4})(?![\d/])")
_QUOTED = re.compile(r"[\"“”„«»]([^\"“”„«»]{1,40})[\"“”„«»]")
_CODE = re.compile(r"\b(?=[A-Za-z0-9./-]*\d)[A-Za-z0-9][A-Za-z0-9./-]{2,}\b")
_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")
_NOT_IDENTIFYING = frozenset(
    {"USA", "US", "UK", "AD", "BC", "CM", "MM", "IN", "OK", "NY", "II", "III"}
)


def _marks_text(description: ObjectDescription) -> str:
    parts = [
        description.inscriptions,
        description.distinguishing_features,
        description.description,
        description.subject,
        " ".join(description.keywords),
    ]
    return " ; ".join(p for p in parts if p)


def _identifiers(text: str) -> tuple[set[str], set[tuple[str, str]]]:
    """Identifying marks: quoted signatures, acronyms ("LCT"), codes with digits, editions."""
    editions = {(a, b) for a, b in _EDITION.findall(text)}
    without_editions = _EDITION.sub(" ", text)
    marks: set[str] = set()
    for quoted in _QUOTED.findall(without_editions):
        marks.add(normalise_text(quoted))
    for code in _CODE.findall(without_editions):
        normal = normalise_text(code).replace(" ", "")
        # (Length first: Python refuses int() of more than 4,300 digits.)
        digits = normal.isdigit()
        year = digits and len(normal) == 4 and 1000 <= int(normal) <= 2100
        if not (digits and (len(normal) < 3 or year)):
            marks.add(normal)  # years and small numbers are dates and counts, not marks
    for acronym in _ACRONYM.findall(without_editions):
        if acronym not in _NOT_IDENTIFYING:
            marks.add(acronym.lower())
    return {m for m in marks if m}, editions


def compare_markings(query: ObjectDescription, record: ObjectDescription) -> Comparison | None:
    """Inscriptions, marks, distinguishing features and descriptions, compared together.

    A shared rare mark (a signature "LCT", an edition 61/300, a serial number) counts strongly;
    the same edition total with another number is a contradiction (another copy of the print);
    common words barely count.
    """
    ours_text, theirs_text = _marks_text(query), _marks_text(record)
    if not ours_text or not theirs_text:
        return None
    ours_marks, ours_editions = _identifiers(ours_text)
    theirs_marks, theirs_editions = _identifiers(theirs_text)
    if ours_editions and theirs_editions:
        if ours_editions & theirs_editions:
            edition = "/".join(sorted(ours_editions & theirs_editions)[0])
            return Comparison(1.0, 1.6, f"edition {edition}")
        totals = {b for _, b in ours_editions} & {b for _, b in theirs_editions}
        if totals:
            return Comparison(0.0, 1.6, "another copy of the same edition")
    shared = {
        m
        for m in ours_marks
        if any(m == t or (len(m) > 4 and _word_match(m, t)) for t in theirs_marks)
    }
    if shared:
        return Comparison(1.0, 1.4, "shared marks: " + ", ".join(sorted(shared)))
    ours_words = [w for w in normalise_text(ours_text).split() if w not in STOPWORDS and len(w) > 2]
    theirs_words = [
        w for w in normalise_text(theirs_text).split() if w not in STOPWORDS and len(w) > 2
    ]
    if not ours_words or not theirs_words:
        return None
    found, information = _coverage(sorted(set(ours_words)), sorted(set(theirs_words)))
    back, _ = _coverage(sorted(set(theirs_words)), sorted(set(ours_words)))
    # Shared words of a free description are weak evidence, and their absence weaker still.
    return Comparison(0.5 * (found + back), weight_factor=min(0.4, 0.05 * information))


def compare_inventory_numbers(
    query: ObjectDescription, record: ObjectDescription
) -> Comparison | None:
    """The same inventory number is near proof; another one is not a contradiction (owners and
    registers number objects differently)."""
    if not query.inventory_number or not record.inventory_number:
        return None
    a = normalise_text(query.inventory_number).replace(" ", "")
    b = normalise_text(record.inventory_number).replace(" ", "")
    if a and a == b:
        return Comparison(1.0)
    return None


# --- Images -------------------------------------------------------------------------------------

# 64-bit perceptual hashes: at or below SAME bits apart two images are the same picture; at NONE
# and beyond they share nothing (unrelated images sit around 32).
_IMAGE_DISTANCE_SAME = 6
_IMAGE_DISTANCE_NONE = 22


def closest_fingerprints(
    query: ObjectDescription, record: ObjectDescription
) -> tuple[int, str, str | None] | None:
    """(bits apart, hash kind, query variant) of the closest pair of photographs by perceptual
    hash, the query turned and mirrored too; None if either side has no fingerprints."""
    # Only hashes as provcheck writes them are compared (`FINGERPRINT_PATTERN`): a plugin's own
    # code may build an `ImageRef` without validation, and `int(..., 16)` takes "0x12" too.
    theirs = [i.fingerprints for i in record.images if i.fingerprints]
    best: tuple[int, str, str | None] | None = None
    for a in (i.fingerprints for i in query.images if i.fingerprints):
        for key, value in a.items():
            kind, variant = fingerprint_kind(key)
            if not FINGERPRINT_PATTERN.fullmatch(value):
                continue
            for b in theirs:
                if kind in b and FINGERPRINT_PATTERN.fullmatch(b[kind]):
                    distance = hamming(value, b[kind])
                    if best is None or distance < best[0]:
                        best = (distance, kind, variant)
    return best


def looks_mirrored(query: ObjectDescription, record: ObjectDescription) -> bool:
    """Is the query's closest likeness to the record its mirror image, and a good likeness (at
    most halfway from "the same picture" to "nothing shared")?"""
    best = closest_fingerprints(query, record)
    halfway = (_IMAGE_DISTANCE_SAME + _IMAGE_DISTANCE_NONE) // 2
    return best is not None and "mirror" in (best[2] or "") and best[0] <= halfway


def compare_images(query: ObjectDescription, record: ObjectDescription) -> Comparison | None:
    """The closest pair of photographs by perceptual hash, the query turned and mirrored too."""
    best = closest_fingerprints(query, record)
    if best is None:
        return None
    distance, kind, variant = best
    span = _IMAGE_DISTANCE_NONE - _IMAGE_DISTANCE_SAME
    similarity = min(1.0, max(0.0, (_IMAGE_DISTANCE_NONE - distance) / span))
    turned = f", query {variant}" if variant else ""
    return Comparison(similarity, detail=f"{kind} {distance} of 64 bits apart{turned}")
