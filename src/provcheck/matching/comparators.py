"""Field comparators: how alike two descriptions are, one Object ID category at a time.

Each comparator takes the query's and the record's `ObjectDescription` and returns a `Comparison`
-- a similarity in [0, 1], how much this comparison should count (`weight_factor`: a generic title
or a century says less than a rare title or an exact year), and a few words of detail -- or None
when either side says nothing: absence is not disagreement.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from provcheck.images.fingerprints import fingerprint_kind, hamming
from provcheck.model.candidate import PhotographRegion
from provcheck.model.description import FINGERPRINT_PATTERN, ObjectDescription
from provcheck.text.makers import AttributionQualifier, Maker
from provcheck.text.measurements import Measurement
from provcheck.text.normalise import (
    STOPWORDS,
    normalise_text,
    one_slip_apart,
    slips_allowed,
    tokens,
)
from provcheck.text.periods import DatePeriod
from provcheck.text.specificity import title_word_weight
from provcheck.text.vocabulary import (
    canonical_materials,
    canonical_title_words,
    is_vague_object_type,
    object_type_of,
    title_equivalences,
)

__all__ = [
    "Comparison",
    "closest_photographs",
    "compare_images",
    "compare_inventory_numbers",
    "compare_makers",
    "compare_markings",
    "compare_materials",
    "compare_measurements",
    "compare_object_types",
    "compare_periods",
    "compare_titles",
    "looks_mirrored",
    "looks_turned",
]


@dataclass(frozen=True)
class Comparison:
    similarity: float
    weight_factor: float = 1.0
    detail: str = ""
    region: PhotographRegion | None = None  # photographs: where a detail lies in the record's


# --- Words --------------------------------------------------------------------------------------

_STOPWORD_WEIGHT = 0.05


def _word_weight(word: str) -> float:
    """How much agreement on `word` identifies: by how many registered titles use it, in any of
    its forms and languages (`provcheck.text.specificity`)."""
    if word in STOPWORDS or (len(word) == 1 and not word.isdigit()):
        return _STOPWORD_WEIGHT  # kept, so that 'Letter "A"' and 'Letter "Y"' differ a little
    return title_word_weight(word)


# Every query word is compared with every word of every candidate's title, and the same words
# come back check after check (a register's titles, a catalogue's): a pair is worked out once.
@lru_cache(maxsize=1 << 16)
def _word_match(a: str, b: str) -> float:
    """How well two words match, allowing a typo in longer words; 0 if they do not."""
    if a == b:
        return 1.0
    if a in STOPWORDS and b in STOPWORDS:
        return 1.0  # "of a" and "de": function words are interchangeable across languages
    if not (a.isalpha() and b.isalpha()) and (
        a.isdigit() or b.isdigit() or _digits(a) != _digits(b)
    ):
        return 0.0  # another number is another object (1848, 1849; "AB123X", "AB124X")
    if abs(len(a) - len(b)) > 2 and a[:5] != b[:5]:
        return 0.0  # no slip (two at most, below), no letters dropped, no shared stem
    dropped = _letters_dropped(a, b)
    if dropped and min(len(a), len(b)) >= (4 if dropped == 1 else 6):
        # Letters left out or typed twice, the rest in order: "Lous" / "Lotus", "Zobeiddde".
        return 0.9 - 0.05 * dropped
    if min(len(a), len(b)) < 4:
        return 0.0
    shared = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    # One stem in two languages or forms: "hysterique" and "hysterical".
    stem = 0.8 if shared >= 5 and shared >= 0.7 * min(len(a), len(b)) else 0.0
    # A slip of the hand: a letter left out, added, changed, or two swapped ("Stiting"). One
    # slip in a word of four letters or more, two in one of eight or more ("icgraette"). A letter
    # changed in a short word makes another word ("pond", "gond"): that is no typo.
    shortest = min(len(a), len(b))
    allowed = slips_allowed(shortest)
    slips = OSA.distance(a, b, score_cutoff=allowed)
    if slips > allowed:
        return stem
    if shortest <= 5 and len(a) == len(b) and slips == 1 and sorted(a) != sorted(b):
        return stem  # one letter changed in a short word: "pond" / "gond", "rose" / "rise"
    return max(stem, 0.9 - 0.05 * slips)


def _digits(word: str) -> str:
    return "".join(c for c in word if c.isdigit())


def _letters_dropped(a: str, b: str) -> int:
    """How many letters the shorter word lacks when it is the longer with one or two letters
    left out (its letters all there, in order); 0 if it is not."""
    shorter, longer = sorted((a, b), key=len)
    missing = len(longer) - len(shorter)
    if not 1 <= missing <= 2:
        return 0
    letters = iter(longer)
    return missing if all(letter in letters for letter in shorter) else 0


@dataclass(frozen=True)
class _Coverage:
    found: float  # the weighted share of the words found, by how well each matched
    share: float  # the weighted share of the words matched at all
    information: float  # how much the words found identify together
    said: float  # how much all the words identify together, found or not


def _coverage(words: Sequence[str], others: Sequence[str]) -> _Coverage:
    """How much of `words` is in `others`, and how identifying what was found is.

    Words found together say less than the sum of what each says alone (the words of a subject,
    "Johannes", "Täufer", "Wüste", come together): the most identifying counts fully, the next
    half, the next a quarter, and so on.
    """
    total = found = matched = 0.0
    agreeing: list[float] = []
    for word in words:
        weight = _word_weight(word)
        best, match = 0.0, word
        for other in others:
            similarity = _word_match(word, other)
            if similarity > best:
                best, match = similarity, other
        if best:
            # A misspelt common word ("portriat") is no rarer than the word it misspells.
            weight = min(weight, _word_weight(match))
            found += weight * best
            matched += weight
            agreeing.append(weight * best)
        total += weight
    if not total:
        return _Coverage(0.0, 0.0, 0.0, 0.0)
    said = _together([_word_weight(word) for word in words])
    return _Coverage(found / total, matched / total, _together(agreeing), said)


def _together(weights: list[float]) -> float:
    return sum(w * 0.5**i for i, w in enumerate(sorted(weights, reverse=True)))


# A title is compared by its first and last words: a pasted page of text costs no more than a
# title, and a long title keeps what tells one volume of a work from another at its end
# ("... enthalten ist ; Sechzigster Band. Wur - Zar").
_MOST_TITLE_WORDS = 40
_MOST_TITLE_LETTERS = 600
_LAST_TITLE_WORDS = 20
_LAST_TITLE_LETTERS = 300
_QUOTED_SHORT = re.compile(r"[\"“”'‘’]([^\"“”'‘’]{1,3})[\"“”'‘’]")


# A query's title is compared with every candidate's, and registers' titles come back as
# candidates check after check: each title's words are read once.
@lru_cache(maxsize=1 << 14)
def _title_words(text: str | None, *, as_terms: bool) -> tuple[str, ...]:
    """A title's words: as the vocabulary's terms (`as_terms`: "Bildnis" is "portrait") or as
    written; empty if it has only function words."""
    words = canonical_title_words(text) if as_terms else normalise_text(text or "").split()
    if not any(w not in STOPWORDS for w in words):
        return ()
    # A quoted letter or number names one work of a series: 'Letter "A"' is not 'Letter "Y"'.
    marks = [
        f"={normalise_text(q)}" for q in _QUOTED_SHORT.findall(text or "") if normalise_text(q)
    ]
    return (*words, *marks)


def _leading(title: str | None) -> str:
    """The first words of a title and, of a longer one, its last: all that is compared of it."""
    words = (title or "").split()
    first = " ".join(words[:_MOST_TITLE_WORDS])[:_MOST_TITLE_LETTERS]
    if len(words) <= _MOST_TITLE_WORDS:
        return first
    last = " ".join(words[_MOST_TITLE_WORDS:][-_LAST_TITLE_WORDS:])
    if len(last) > _LAST_TITLE_LETTERS:  # from a word's beginning
        last = last[-_LAST_TITLE_LETTERS:].partition(" ")[2]
    return f"{first} {last}".strip()


def _title_similarity(ours: Sequence[str], theirs: Sequence[str]) -> tuple[float, float]:
    """How alike two titles' words are, and how much the words they share identify."""
    ours_covered, theirs_covered = _coverage(ours, theirs), _coverage(theirs, ours)
    ours_share, theirs_share = ours_covered.share, theirs_covered.share
    # How well the words found match (a typo, a stem in another language), counted once.
    quality = ours_covered.found / ours_share if ours_share else 0.0
    if ours_share >= theirs_share:
        # The query found whole in a longer title: the register's extra words barely count
        # against it (registers' titles run longer than sellers').
        similarity = ours_share * ours_share * (0.95 + 0.05 * theirs_share)
    else:
        # The register's shorter title found in the query: how much of the query it confirms
        # matters more. Both keeping words of their own ("Venus hysterique" and "Venus de Milo")
        # leaves what they share counting for much less.
        similarity = theirs_share * theirs_share * (0.8 + 0.2 * ours_share)
        quality = theirs_covered.found / theirs_share
    similarity *= quality
    # Agreement counts as much as the words agreeing identify; disagreement as much as the
    # titles say: two telling titles that differ are two works ("Wisteria Tiffany Lamp").
    agreeing = min(ours_covered.information, theirs_covered.information)
    said = min(ours_covered.said, theirs_covered.said)
    return similarity, similarity * agreeing + (1.0 - similarity) * said


def compare_titles(query: ObjectDescription, record: ObjectDescription) -> Comparison | None:
    """Word by word, in any order, with typos, translations, and partial titles.

    Compared twice: as the vocabulary's terms, so that "Bildnis einer Dame" is "Portrait of a
    lady", and as written, so that a misspelt "Weingglsa" is still "Weinglas" (whose terms,
    "wine" and "glass", it no longer resembles); the closer reading counts. A title found whole
    inside a longer one counts nearly fully ("Acorn" in "Tiffany Acorn lamp"). Agreement counts
    as much as the words agreeing identify: generic words alone ("Portrait of a woman") little.
    """
    ours_title, theirs_title = _leading(query.title), _leading(record.title)
    ours_terms = _title_words(ours_title, as_terms=True)
    theirs_terms = _title_words(theirs_title, as_terms=True)
    if not ours_terms or not theirs_terms:
        return None
    similarity, information = _title_similarity(ours_terms, theirs_terms)
    as_written, written_information = _title_similarity(
        _title_words(ours_title, as_terms=False), _title_words(theirs_title, as_terms=False)
    )
    if as_written > similarity:
        # What the words identify is judged by the terms: "Weinglas" is as common as wine glasses.
        similarity, information = as_written, min(information, written_information)
    slipped, covered = _slipped_title_similarity(ours_title, theirs_title)
    if slipped > similarity:
        # Misspelt beyond word-by-word repair ("Srping Floers", "Tobri zRug"): the register's
        # correctly spelt words the query covers say how much the title identifies.
        terms = canonical_title_words(" ".join(covered))
        # ... and no more than the query's own words say ("lady" read as "lad with dog").
        said = _coverage(ours_terms, ours_terms).information
        similarity, information = slipped, min(_coverage(terms, terms).information, said)
    # A rare word and another found make a title count fully; one rare word ("Sunflowers")
    # two thirds; generic words alone ("Portrait of a woman") little.
    detail = _translations(ours_title, theirs_title)
    return Comparison(
        similarity, weight_factor=min(1.0, max(information / 1.5, 0.3)), detail=detail
    )


def _slipped_title_similarity(ours: str, theirs: str) -> tuple[float, list[str]]:
    """Two titles alike letter by letter once spaces are dropped, for typos that break every
    word ("Gold Spcmien", "Kaan Rug") or move a space ("Tobri zRug", "DieA ktion gegen"): the
    similarity (0 if not alike) and the register's words the query's letters cover. A query
    of eight letters or more may be the beginning or a part of a longer title."""
    best: tuple[float, list[str]] = (0.0, [])
    # With function words and without: a moved space runs one into the next word ("i niWen"),
    # while "The" or "Die" left out is no slip.
    for words_of in (lambda t: normalise_text(t).split(), tokens):
        ours_words, theirs_words = words_of(ours), words_of(theirs)
        a, b = "".join(ours_words), "".join(theirs_words)
        if min(len(a), len(b)) < 6:
            continue
        similarity, covered = 0.0, theirs_words
        ratio = fuzz.ratio(a, b)
        if ratio >= 85.0:
            similarity = 0.6 + 0.35 * (ratio - 85.0) / 15.0
        elif 8 <= len(a) < len(b) and (part := fuzz.partial_ratio_alignment(a, b)):
            # The query's letters all there, give or take two: not a few of them found in a
            # longer title ("jungen Mannes" is no slip of "jungen Savoyarden").
            window = part.dest_end - part.dest_start
            covered = _words_between(theirs_words, part.dest_start, part.dest_end)
            # ... and whole words of it, not letters inside a long one ("Fahrt Gesell").
            words = sum(map(len, covered)) >= 0.6 * window
            if window >= len(a) - 2 and words and part.score >= 88.0:
                share = sum(map(_word_weight, covered)) / sum(map(_word_weight, theirs_words))
                similarity = (0.6 + 0.35 * (part.score - 88.0) / 12.0) * (0.9 + 0.1 * share)
        # Another number is another object of a series (1848, 1849), never a slip.
        if similarity > best[0] and _numbers(ours_words) == _numbers(covered):
            best = (similarity, covered)
    return best


def _words_between(words: list[str], start: int, end: int) -> list[str]:
    """The words at least half of whose letters are among letters `start` to `end` of the
    words written together."""
    covered, position = [], 0
    for word in words:
        inside = min(end, position + len(word)) - max(start, position)
        if inside * 2 >= len(word):
            covered.append(word)
        position += len(word)
    return covered


def _numbers(words: list[str]) -> str:
    """The digits of the words, in order: a space moved ("Studie1848", "1 2") changes nothing."""
    return "".join(_digits(w) for w in words)


def _translations(ours: str | None, theirs: str | None) -> str:
    """The words of two titles taken as the same term in other forms or languages, said as
    "Bildnis ≈ portrait (de/en)"."""
    theirs_terms = title_equivalences(theirs)
    said = []
    for term, (written, language) in title_equivalences(ours).items():
        if term in theirs_terms:
            other, other_language = theirs_terms[term]
            if normalise_text(written) != normalise_text(other):
                said.append(f"{written} ≈ {other} ({language}/{other_language})")
    return "; ".join(said)


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


_SHORT_NAME_SLIP = 0.6  # a letter off in a name of one short word: as likely another maker
_GIVEN_NAME_SLIP = 0.75  # a letter changed in a given name: most often a slip, maybe a relative


def _given_name_slip(name: str, other: str) -> bool:
    """A letter changed in a given name of four letters or more, but not its ending vowel:
    "Maria" and "Mario", "Anna" and "Anne" are two people of one family."""
    if min(len(name), len(other)) < 4 or not one_slip_apart(name, other):
        return False
    return not (name[:-1] == other[:-1] and name[-1] in "aeio" and other[-1] in "aeio")


def _short_name_slip(a: str, b: str) -> bool:
    """Names of one short word a slip apart: a letter changed in four or more ("Ette", "Erte"),
    or left out of three ("Ete"); a letter changed in three makes another name ("Ray", "Roy")."""
    if min(len(a), len(b)) >= 4:
        return one_slip_apart(a, b)
    return min(len(a), len(b)) == 3 and _letters_dropped(a, b) == 1


def _given_names_agreement(ours: list[str], theirs: list[str]) -> float:
    """1.0 when each given name of the shorter list matches one of the other, initials too;
    `_GIVEN_NAME_SLIP` when the only difference is a letter changed in a name of four letters
    or more ("Antzn" / "Anton", though "Maria" / "Mario" may be two people); 0.0 otherwise."""
    shorter, longer = sorted((ours, theirs), key=len)
    agreement = 1.0
    for name in shorter:
        if any(_letters_dropped(name, other) == 1 for other in longer):
            continue  # a letter left out of a given name: "Has am Ende" is Hans am Ende
        if len(name) == 1:
            if not any(other.startswith(name) for other in longer):
                return 0.0
        elif not any(_word_match(name, other) or other == name[0] for other in longer):
            if not any(_given_name_slip(name, other) for other in longer):
                return 0.0
            agreement = _GIVEN_NAME_SLIP
    return agreement


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
        if len(other) == 1 and _short_name_slip(single[0], other[0]):
            return _SHORT_NAME_SLIP  # "Ette", "Erte": a slip, or another name
        return 0.0
    surname = _word_match(ours[-1], theirs[-1])
    given = _given_names_agreement(ours[:-1], theirs[:-1])
    if not surname and given == 1.0 and one_slip_apart(ours[-1], theirs[-1]):
        surname = 0.8  # the given names agree: a letter off in a short surname ("Houd", "Hood")
    if surname:
        # Same surname: the given names decide between one person and another of the family
        # ("Tyree Guyton", "Karen Guyton"; "Elizabeth Naranjo", "Teresita Naranjo").
        return surname * (0.97 if given == 1.0 else given or 0.2)
    # Surname first on one side ("Dali Salvador") or an unparsed form: any strong word in common.
    common = [w for w in ours if len(w) > 2 and any(_word_match(w, o) for o in theirs)]
    if len(common) >= 2:
        return 0.7
    # One word in common is one name only if it is a surname on one side ("Dali Salvador");
    # a given name shared ("Mary Elizabeth Bon Durant", "Mary Foote") is two people.
    if common and (common[0] == ours[-1] or _word_match(common[0], theirs[-1]) > 0):
        return 0.5 if min(len(ours), len(theirs)) == 2 else 0.0
    return 0.0


def compare_makers(query: ObjectDescription, record: ObjectDescription) -> Comparison | None:
    """Name forms, initials, diacritics and particles; qualifiers weaken but do not erase."""
    # An unknown maker, a place or a culture ("Italy", "Navajo") neither confirms nor contradicts.
    ours = [m for m in query.makers if m.names_someone]
    theirs = [m for m in record.makers if m.names_someone]
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
    # Nothing left at a sixth off: one object measured twice differs by a few per cent (frame
    # or not, rounded inches), while objects of one kind and series share sizes within a tenth.
    return max(0.0, 1.0 - (relative - 0.02) / 0.15)


def _paired_sizes(ours: list[float], theirs: list[float], frame_between: bool) -> list[float]:
    """Each size of the shorter list against its closest unpaired size of the other.

    Both largest first, the same number of sizes pair in order (height and width either way
    round). A register that gives more sizes (a cup and its saucer, "Höhe 4,6 cm, Durchmesser
    7,5 cm, Höhe 2,8 cm, ...") is searched for the query's: the query may describe one part.
    """
    if len(ours) == len(theirs):
        return [_size_similarity(a, b, frame_between) for a, b in zip(ours, theirs, strict=True)]
    shorter, longer = sorted((ours, theirs), key=len)
    unpaired = list(longer)
    paired = []
    for size in shorter:
        best = max(unpaired, key=lambda other: _size_similarity(size, other, frame_between))
        paired.append(_size_similarity(size, best, frame_between))
        unpaired.remove(best)
    return paired


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
            sizes = _paired_sizes(ours, theirs, frame_between)
            # Some of the register's sizes left unpaired: the query may be one part, or agree
            # by chance with one of many sizes; it counts for less.
            factor = 1.0 if len(ours) == len(theirs) else 0.8
            # Every dimension must agree: one far off makes another object. A frame enlarges all
            # sides together, so framed against unframed counts its least agreeing side once.
            similarity = min(sizes) if frame_between else math.prod(sizes)
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
    if (ours is None) != (theirs is None):
        return None  # a date that could not be read ("um 99999") says nothing against a year
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


# A term that is one kind of another: a panel (painted on) is wood.
_MATERIAL_KIND = {"panel": "wood"}


def compare_materials(query: ObjectDescription, record: ObjectDescription) -> Comparison | None:
    """Equivalent terms across wording and languages; partial overlap counts in part."""
    ours_terms, ours_rest = canonical_materials(query.materials)
    theirs_terms, theirs_rest = canonical_materials(record.materials)
    ours = ours_terms | {w for w in ours_rest if len(w) > 3}
    theirs = theirs_terms | {w for w in theirs_rest if len(w) > 3}
    if not ours or not theirs:
        return None
    # "panel" on one side and "wood" alone on the other say the same thing.
    for term, kind in _MATERIAL_KIND.items():
        if term in ours and kind in theirs and term not in theirs and kind not in ours:
            ours = (ours - {term}) | {kind}
        elif term in theirs and kind in ours and term not in ours and kind not in theirs:
            theirs = (theirs - {term}) | {kind}
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
# A run of letters, digits and "./-" (a code is one with a digit): read run by run, so that a
# page of "a.a.a." is read once, not once per letter.
_CODE_RUN = re.compile(r"(?<!\w)[A-Za-z0-9][A-Za-z0-9./-]*")
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
    for run in _CODE_RUN.findall(without_editions):
        code = run.rstrip("./-")
        if len(code) < 3 or not any(c.isdigit() for c in code):
            continue
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
    ours_covered = _coverage(sorted(set(ours_words)), sorted(set(theirs_words)))
    back = _coverage(sorted(set(theirs_words)), sorted(set(ours_words))).found
    # Shared words of a free description are weak evidence, and their absence weaker still.
    found = ours_covered.found
    return Comparison(0.5 * (found + back), weight_factor=min(0.4, 0.2 * ours_covered.information))


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
# A difference hash whose eight rows are one row repeated, but for this many bits, tells only how
# brightness runs across a picture that changes from side to side alone (a sky, a sea, stripes):
# eight bits, not sixty-four. Turned a quarter, any picture that changes from top to bottom alone
# has one too, so among the many variants of a query tried, one is likely to meet such a record
# by chance (a detail of a harvest field's sky, turned, came 2 bits from a stormy sky in the
# benchmark's 10,000-image register). As taken, two such pictures brightening to one side share
# all but a few of those bits (a seller's canvas back, lit from one side, came 6 bits from a
# sunset sky there). Such a likeness is left out, the query turned or not: the pair is judged by
# its perceptual hash (a copy of such a picture keeps that too) and its local features. Few
# pictures have one: 2 of the 518 images of the benchmark's corpus.
_ROW_CHANGES_FEW = 3


def closest_fingerprints(
    query: ObjectDescription, record: ObjectDescription
) -> tuple[int, str, str | None] | None:
    """(bits apart, hash kind, query variant) of the closest pair of photographs by perceptual
    hash, the query turned and mirrored too; None if either side has no fingerprints."""
    closest = _closest_pair(query, record)
    return None if closest is None else closest[:3]


def closest_photographs(
    query: ObjectDescription, record: ObjectDescription
) -> tuple[int, int] | None:
    """(query photograph, record photograph), by position, of the closest pair by perceptual
    hash; None if either side has no fingerprints."""
    closest = _closest_pair(query, record)
    return None if closest is None else closest[3:]


def _closest_pair(
    query: ObjectDescription, record: ObjectDescription
) -> tuple[int, str, str | None, int, int] | None:
    # Only hashes as provcheck writes them are compared (`FINGERPRINT_PATTERN`): a plugin's own
    # code may build an `ImageRef` without validation, and `int(..., 16)` takes "0x12" too.
    best: tuple[int, str, str | None, int, int] | None = None
    for ours, a in enumerate(i.fingerprints for i in query.images):
        for key, value in (a or {}).items():
            kind, variant = fingerprint_kind(key)
            if not FINGERPRINT_PATTERN.fullmatch(value):
                continue
            for theirs, b in enumerate(i.fingerprints for i in record.images):
                if (
                    b
                    and kind in b
                    and FINGERPRINT_PATTERN.fullmatch(b[kind])
                    and not _one_row_repeated(kind, value, b[kind])
                ):
                    distance = hamming(value, b[kind])
                    if best is None or distance < best[0]:
                        best = (distance, kind, variant, ours, theirs)
    return best


def _one_row_repeated(kind: str, *values: str) -> bool:
    """Is one of these a difference hash of (nearly) one row repeated (`_ROW_CHANGES_FEW`)?"""
    if kind != "dhash":
        return False
    for value in values:
        rows = [int(value[at : at + 2], 16) for at in range(0, len(value), 2)]
        if sum((a ^ b).bit_count() for a, b in itertools.pairwise(rows)) <= _ROW_CHANGES_FEW:
            return True
    return False


def looks_mirrored(query: ObjectDescription, record: ObjectDescription) -> bool:
    """Is the query's closest likeness to the record its mirror image, and a good likeness (at
    most halfway from "the same picture" to "nothing shared")?"""
    best = closest_fingerprints(query, record)
    halfway = (_IMAGE_DISTANCE_SAME + _IMAGE_DISTANCE_NONE) // 2
    return best is not None and "mirror" in (best[2] or "") and best[0] <= halfway


def looks_turned(query: ObjectDescription, record: ObjectDescription) -> bool:
    """Is the query's closest likeness to the record that of the query turned (a quarter, a
    half, ...): one of the many variants tried, so the likelier to be chance?"""
    best = closest_fingerprints(query, record)
    return best is not None and "rot" in (best[2] or "")


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
