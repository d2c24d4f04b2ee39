"""Text normalisation shared by the matcher and the local store's search, done one way only."""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

__all__ = ["STOPWORDS", "normalise_text", "tokens"]

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
    ]
)


def normalise_text(text: str) -> str:
    """Lower case, accents folded, other scripts transliterated, punctuation to spaces.

    `Dalí` and `DALI` are `dali`; `Илья Репин` is `ilya repin`; `O'Keeffe` is `okeeffe`;
    `No. 5`, `#5` and `n° 5` are all `5`; `1,200` is `1200`.
    """
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\b[nN]\s*[°º]", "no ", text)  # "n° 5" before ° becomes "deg"
    text = anyascii(text).lower()
    text = re.sub(r"(?<=\w)['`](?=\w)", "", text)  # apostrophes inside words join them
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # thousands separators
    text = re.sub(r"(?:\b(?:no|nr|num|n)\.?|#|n\s*o\.)\s*(?=\d)", " ", text)  # number marks
    return re.sub(r"[\W_]+", " ", text).strip()


def tokens(text: str | None) -> list[str]:
    """The identifying words of a text, normalised, in order, without stop words."""
    if not text:
        return []
    return [word for word in normalise_text(text).split() if word not in STOPWORDS]
