"""How identifying a word of a title is: a word many registered objects share says less.

"Portrait", "untitled", "coin", "Madonna" and "Bildnis" each name thousands of registered objects;
"Eckernförde" or "acorn" a handful. The share of titles using a word comes from the registers'
own records (`data/title_words.tsv.gz`, rebuilt by `fixtures/make_word_frequencies.py`): for each
word, the largest share among the FBI's National Stolen Art File, the German Lost Art Database,
the Ukrainian register and the public-domain corpus, so that a word common in any one register
counts as common in all. A word not in the table is in fewer than two titles of any of them: rare. A term of the
vocabulary (`provcheck.text.vocabulary`) is as common as all its forms in every language.

The weight is the word's inverse document frequency, scaled so that a word in one title of
two thousand or fewer weighs fully and a word in one title of ten or more weighs least.
"""

from __future__ import annotations

import gzip
import math
from functools import cache, lru_cache
from importlib.resources import files

from provcheck.text.vocabulary import title_term_forms

__all__ = ["title_word_share", "title_word_weight"]

# Shares at which a word weighs least (one title in ten) and fully (one in 2,000).
_COMMON_SHARE = 0.1
_RARE_SHARE = 0.0005
# The least a word that is not a function word weighs: common words still tell "Portrait of a
# woman" from "Portrait of a man" a little.
_MIN_WEIGHT = 0.1


@cache
def _shares() -> dict[str, float]:
    data = files("provcheck.text").joinpath("data/title_words.tsv.gz").read_bytes()
    shares: dict[str, float] = {}
    for line in gzip.decompress(data).decode("utf-8").splitlines():
        if line and not line.startswith("#"):
            word, per_million = line.split("\t")
            shares[word] = int(per_million) / 1_000_000
    return shares


def title_word_share(word: str) -> float:
    """The largest share of registered titles using `word` (normalised) in any register; 0.0
    if it is rare everywhere. A term of the vocabulary counts all its forms in every language:
    "portrait" is as common as "portrait", "bildnis", "ritratto" and "portret" together."""
    shares = _shares()
    forms = title_term_forms(word)
    if not forms:
        return shares.get(word, 0.0)
    return min(1.0, sum(shares.get(form, 0.0) for form in forms | {word}))


@lru_cache(maxsize=65_536)
def title_word_weight(word: str) -> float:
    """How much agreement on `word` identifies, from 0.1 (in a tenth of all titles or more) to 1.0."""
    share = title_word_share(word)
    if share <= _RARE_SHARE:
        return 1.0
    span = math.log(_COMMON_SHARE / _RARE_SHARE)
    return min(1.0, max(_MIN_WEIGHT, math.log(_COMMON_SHARE / share) / span))
