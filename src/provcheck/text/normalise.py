"""Text normalisation shared by the matcher and the local store's search, done one way only."""

from __future__ import annotations

import functools
import re
import unicodedata

from anyascii import anyascii

__all__ = [
    "LONGEST_WORD",
    "STOPWORDS",
    "normalise_text",
    "one_slip_apart",
    "slips_allowed",
    "tokens",
]

# Longer than any word a title or a name holds ("Donaudampfschifffahrtsgesellschaftskapitän" is
# 42 letters): a longer run of letters is pasted text, read as it is, never split into parts or
# looked up as a misspelling (either costs the square of its length).
LONGEST_WORD = 48

# Words that identify nothing, in the languages registers write in.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "with",
        "by",
        "from",
        "le",
        "la",
        "les",
        "l",
        "un",
        "une",
        "des",
        "du",
        "de",
        "d",
        "et",
        "ou",
        "au",
        "aux",
        "en",
        "sur",
        "avec",
        "par",
        "pour",
        "der",
        "die",
        "das",
        "den",
        "dem",
        "des",
        "ein",
        "eine",
        "einer",
        "eines",
        "und",
        "oder",
        "von",
        "vom",
        "zu",
        "zum",
        "zur",
        "mit",
        "auf",
        "im",
        "am",
        "il",
        "lo",
        "gli",
        "i",
        "una",
        "uno",
        "dei",
        "degli",
        "delle",
        "della",
        "dello",
        "di",
        "da",
        "e",
        "o",
        "con",
        "su",
        "per",
        "nel",
        "nella",
        "el",
        "los",
        "las",
        "unos",
        "unas",
        "y",
        "o",
        "del",
        "al",
        "con",
        "por",
        "para",
        "het",
        "een",
        "en",
        "van",
        "op",
        "met",
        "voor",
        "bij",
        "uit",
        # Italian articulated prepositions, as an elision leaves them ("dell'arte").
        "dell",
        "dall",
        "nell",
        "sull",
        # German, French, Italian, Spanish and Dutch function words. Left out because they are
        # English content words too: German "die", "war", "also", "bald", "man"; French "son";
        # Italian "fra" (a friar); Spanish "sin"; Dutch "door", "ten", "haar".
        # German "fur" (für) is kept: far commoner in registers than the English fur. Words that
        # are also names are not: "Seine" and "Nahe" are rivers, "col" a pass, "ante" Latin.
        "aus",
        "bei",
        "beim",
        "nach",
        "fur",
        "vor",
        "vors",
        "als",
        "auch",
        "unter",
        "uber",
        "um",
        "durch",
        "zwischen",
        "gegen",
        "hinter",
        "neben",
        "ohne",
        "wahrend",
        "seit",
        "bis",
        "ins",
        "ans",
        "aufs",
        "nebst",
        "gegenuber",
        "einem",
        "einen",
        "sich",
        "wird",
        "werden",
        "wurde",
        "ist",
        "sind",
        "nicht",
        "kein",
        "keine",
        "sein",
        "seiner",
        "seinem",
        "seinen",
        "seines",
        "ihr",
        "ihre",
        "ihrem",
        "ihren",
        "ihrer",
        "ihres",
        "ihm",
        "ihn",
        "ich",
        "wir",
        "mein",
        "meine",
        "wie",
        "wo",
        "es",
        "er",
        "sie",
        "noch",
        "nur",
        "sehr",
        "dass",
        "wenn",
        "aber",
        "doch",
        "dessen",
        "deren",
        "welche",
        "welcher",
        "dieser",
        "diese",
        "dieses",
        "diesem",
        "diesen",
        "beide",
        "beiden",
        "beider",
        "alle",
        "allen",
        "aller",
        "alles",
        "jeder",
        "jede",
        "einige",
        "einigen",
        "mehrere",
        "mehreren",
        "viele",
        "vielen",
        "andere",
        "anderen",
        "anderer",
        "verschiedene",
        "verschiedenen",
        "verschiedener",
        "sowie",
        "bzw",
        "sog",
        "usw",
        "etc",
        "ca",
        "oben",
        "unten",
        "vorn",
        "vorne",
        "hinten",
        "daneben",
        "dahinter",
        "dabei",
        "dans",
        "sous",
        "chez",
        "entre",
        "vers",
        "pres",
        "devant",
        "derriere",
        "apres",
        "sa",
        "ses",
        "leur",
        "leurs",
        "ce",
        "cette",
        "ces",
        "qui",
        "que",
        "est",
        "dont",
        "mon",
        "ma",
        "mes",
        "notre",
        "votre",
        "elle",
        "ne",
        "pas",
        "sul",
        "sulla",
        "sui",
        "nei",
        "negli",
        "alla",
        "alle",
        "allo",
        "agli",
        "ai",
        "dal",
        "dalla",
        "dai",
        "coi",
        "tra",
        "sopra",
        "sotto",
        "presso",
        "dopo",
        "suo",
        "sua",
        "suoi",
        "che",
        "non",
        "sus",
        "bajo",
        "hacia",
        "desde",
        "tras",
        "aan",
        "naar",
        "onder",
        "tussen",
        "zijn",
        "dat",
        "ter",
        "na",
        "om",
    ]
)


# Terminal colour codes, control characters (but tab and line breaks), soft hyphens, zero-width
# and direction marks: not part of a word, so "Back\x7fhuysen" is "backhuysen".
_INVISIBLE = re.compile(
    "\x1b\\[[0-9;]*[A-Za-z]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff]"
)
_ELISION = re.compile(r"\b(l|d|j|m|n|s|t|c|qu|dell|dall|nell|sull|all|un)['`](?=[aeiouyh])")


def normalise_text(text: str) -> str:
    """Lower case, accents folded, other scripts transliterated, punctuation to spaces.

    `Dalí` and `DALI` are `dali`; `Илья Репин` is `ilya repin`; `O'Keeffe` is `okeeffe`, but
    `d'une` is `d une`;
    `No. 5`, `#5` and `n° 5` are all `5`; `1,200` is `1200`.
    """
    # The matcher reads the same titles and names many times over in one check (every field
    # against every candidate's): short texts are remembered; a long one is read afresh.
    if len(text) <= _REMEMBERED_UP_TO:
        return _normalised_remembered(text)
    return _normalised(text)


def _normalised(text: str) -> str:
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    text = _NUMERO.sub("no ", text)  # "n° 5" before ° becomes "deg"
    text = anyascii(text).lower()
    # An elided article or preposition before a vowel is a word of its own ("d'une femme",
    # "l'enfant", "dell'arte"); other apostrophes inside words join them ("O'Keeffe").
    text = _ELISION.sub(r"\1 ", text)
    text = _INNER_APOSTROPHE.sub("", text)
    text = _THOUSANDS.sub("", text)  # thousands separators
    text = _NUMBER_MARK.sub(" ", text)  # number marks
    return _NOT_WORD.sub(" ", text).strip()


_REMEMBERED_UP_TO = 500
_normalised_remembered = functools.lru_cache(maxsize=1 << 15)(_normalised)
_NUMERO = re.compile(r"\b[nN]\s*[°º]")
_INNER_APOSTROPHE = re.compile(r"(?<=\w)['`](?=\w)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_NUMBER_MARK = re.compile(r"(?:\b(?:no|nr|num|n)\.?|#|n\s*o\.)\s*(?=\d)")
_NOT_WORD = re.compile(r"[\W_]+")


def tokens(text: str | None) -> list[str]:
    """The identifying words of a text, normalised, in order, without stop words."""
    if not text:
        return []
    return [word for word in normalise_text(text).split() if word not in STOPWORDS]


def slips_allowed(length: int) -> int:
    """How many slips of the hand (a letter left out, added or changed, two swapped) a word of
    `length` letters may have and still be that word: one from four letters, two from eight
    ("icgraette"). The matcher and the store's search for misspellings read typos alike."""
    return 2 if length >= 8 else 1 if length >= 4 else 0


def one_slip_apart(a: str, b: str) -> bool:
    """Whether `a` is `b` with at most one letter left out, added or changed, or two swapped.

    (Written out rather than taken from rapidfuzz: the model reads makers, and loads nothing
    heavy; rapidfuzz may load numpy.)"""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        apart = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(apart) == 1:
            return True
        first, second = [*apart, -1, -1][:2]
        return (
            len(apart) == 2
            and second == first + 1
            and a[first] == b[second]
            and a[second] == b[first]
        )
    shorter, longer = sorted((a, b), key=len)
    pairs = enumerate(zip(shorter, longer, strict=False))
    i = next((k for k, (x, y) in pairs if x != y), len(shorter))
    return shorter[i:] == longer[i + 1 :]
