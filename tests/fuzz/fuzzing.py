"""What the fuzz suite shares: its settings and the text it is made of.

The suite runs in CI in well under a minute on two cores: each test tries a modest, fixed number
of examples, chosen the same way on every run (`derandomize`), so that a failure in CI is a
failure on every machine. Whatever a run finds is kept in the test as an `@example`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# PROVCHECK_FUZZ_SCALE=20 searches twenty times as long, from a random start: for hunting, not CI.
_SCALE = int(os.environ.get("PROVCHECK_FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    """Settings for a fuzz test that tries `examples` inputs (scaled as above)."""
    return settings(
        max_examples=examples * _SCALE,
        deadline=None,
        derandomize=_SCALE == 1,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


FUZZ = fuzz(150)
CHEAP = fuzz(500)  # for pure functions of text, which take well under a millisecond an example

# The pieces registers' text is made of, so that generated text reaches the parsers' rules and
# not only their "nothing here" paths: numbers, units, era and century words, qualifiers,
# separators, punctuation alone, and characters that normalisation changes or removes.
_PIECES = [
    *"-!?.,;:/|&()'\"x×*~#°0123456789 \n\t",
    *[
        "½",
        "¼",
        "⅞",
        "²",
        "\u0661",
        "\U0001d7d9",
        "Ⅻ",
        "ß",
        "İ",
        "ﬁ",
        "\u00ad",
        "\u200b",
        "\x00",
        "—",
        "–",
    ],
    *["cm", "mm", "in", "inches", "ft", "kg", "lb", "oz", "g", "ct", "H.", "W.", "diam."],
    *["c.", "circa", "BC", "AD", "B.C.", "th", "century", "siècle", "XIX", "1880s", "1850-70"],
    *["early", "late", "before", "after", "framed", "image", "sheet", "high", "wide"],
    *["attributed to ", "circle of ", "studio of ", "after ", "Rembrandt", "van", "Rijn, "],
    *["Dutch", "(1606-1669)", "(author)", "Unknown", "France", "and", "&", "Jr.", "Co."],
    *["oil on canvas", "bronze", "painting", "print", "portrait", "Acorn", "LCT", "61/300"],
    *["1" + "0" * 400, "9" * 40, "7" * 4400, "1e400", "NaN", "1/0", "0/0", "0.5"],
]

# Arbitrary Unicode, and text assembled from the pieces above.
text = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(_PIECES), max_size=14).map("".join),
)
