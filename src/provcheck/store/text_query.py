"""What a store's text search looks for, whatever the store: the words of a query, sorted by where
they count (anywhere, in titles and makers, in titles only, anywhere but titles), and the makers
the query names. Each store writes these in its own index's language (SQLite FTS5's expressions,
PostgreSQL's tsquery) and ranks by its own means; what is looked for is decided once, here, so the
stores find alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from provcheck.model.description import ObjectDescription
from provcheck.model.record import Record
from provcheck.text.normalise import LONGEST_WORD, STOPWORDS, normalise_text, tokens
from provcheck.text.vocabulary import title_terms

__all__ = [
    "RESPELLINGS",
    "TextQuery",
    "respellable_words",
    "search_text_columns",
    "with_makers_share",
]

# Words of the query's title and maker this long or longer, not in any stored title or maker, are
# looked for as misspellings (shorter ones have too many neighbours); so many spellings each.
_RESPELL_MIN = 4
RESPELLINGS = 3
# A query's words, and its title's terms (each with its forms in every language), misspellings
# and abbreviations, are looked for up to so many: a long description costs no more than this.
_MOST_WORDS = 64
_MOST_TERMS = 12
_MAKER_SHARE = 4  # a quarter of a text search's candidates are kept for the makers named
_MOST_INITIALS = 6  # "H.V.", "J. M. W.": a maker named by this many initials at most


@dataclass(frozen=True)
class TextQuery:
    """The words a text search looks for, normalised (a phrase's words joined by spaces)."""

    anywhere: list[str]  # the query's own words
    respelled: list[str]  # stored title and maker words the query misspells: in titles, makers
    translated: list[str]  # the forms of its title's terms in every language: in titles
    elsewhere: list[str]  # its title's words among those forms: anywhere but in titles
    shortened: list[str]  # the words its title abbreviates ("Hl."): titles' words they begin
    makers: list[str]  # the words of the makers it names: for the makers' share

    @classmethod
    def of(cls, query: ObjectDescription, respelled: Sequence[str]) -> TextQuery | None:
        """What to look for `query`; `respelled` are the stored words its own misspell (see
        `respellable_words`). None when it has no word worth looking for."""
        # A title word the vocabulary knows is looked for in titles in all its forms and
        # languages ("Bildnis einer Dame" and "Portrait of a lady" search titles alike), and as
        # written elsewhere.
        terms = list(title_terms(query.title).values())[:_MOST_TERMS]
        translated: set[str] = set().union(*terms)
        own = set(_query_words(query)[:_MOST_WORDS])
        # The title's words that are forms of its terms are found in titles among the forms.
        elsewhere = sorted(own & translated & set(tokens(query.title)))
        respelled = sorted(set(respelled) - own)
        found = cls(
            anywhere=sorted(own - set(elsewhere)),
            respelled=respelled,
            translated=sorted(translated),
            elsewhere=elsewhere,
            shortened=sorted(set(_abbreviations(query.title)))[:_MOST_TERMS],
            makers=_maker_words(query),
        )
        if not (found.anywhere or found.respelled or found.shortened or found.translated):
            return None
        return found


def respellable_words(query: ObjectDescription) -> list[str]:
    """The words of the query's title and makers that may be misspellings of stored ones (long
    enough to say so, not numbers): the store looks for those it does not hold."""
    names = [maker.name for maker in query.makers]
    written = tokens(" ".join(filter(None, [query.title, query.maker_text, *names])))
    return list(
        dict.fromkeys(
            w for w in written if _RESPELL_MIN <= len(w) <= LONGEST_WORD and not w.isdigit()
        )
    )[:_MOST_TERMS]


def with_makers_share(
    found: list[Record],
    query: TextQuery,
    limit: int,
    by_maker: Callable[[int, bool], list[Record]],
) -> list[Record]:
    """`found` (best first), with a share of the `limit` kept for the records of the makers the
    query names (its `makers` and `respelled` words): `by_maker(share, also_other_words)` finds
    them. A title's term matched in many forms ("Landschaft (Paysage)") outweighs a maker's name
    in the ranking otherwise."""
    if not query.makers or limit < 2:
        return found
    share = max(1, limit // _MAKER_SHARE)
    # The maker's records that share the query's other words first ("Balustervase" among
    # thousands of Meissen's), then any of theirs ("Küstenlandschaft" for "coastal landscape").
    makers = by_maker(share, True)
    if len(makers) < share:
        makers += by_maker(share, False)
    keys = {r.key for r in found}
    extra = list({r.key: r for r in makers if r.key not in keys}.values())[:share]
    return found[: limit - len(extra)] + extra if extra else found


def search_text_columns(description: ObjectDescription) -> tuple[str, ...]:
    """A record's text as the index holds it: title, makers, object type, materials,
    inscriptions, description, period, numbers."""
    makers = " ".join(
        [description.maker_text or ""]
        + [m.name for m in description.makers]
        + [n for m in description.makers for n in m.other_names]
    )
    description_text = " ".join(
        filter(
            None,
            [
                description.description,
                description.distinguishing_features,
                description.subject,
                description.place_of_origin,
                " ".join(description.keywords),
            ],
        )
    )
    return (
        description.title or "",
        makers,
        description.object_type or "",
        description.materials or "",
        description.inscriptions or "",
        description_text,
        description.period.text if description.period else "",
        description.inventory_number or "",
    )


def _maker_words(query: ObjectDescription) -> list[str]:
    """The words of the makers the query names (not "Unbekannt", a place or a culture); of a
    maker named by initials alone ("H.V."), its letters together, as a phrase ("h v")."""
    found: list[str] = []
    for maker in (m for m in query.makers if m.names_someone):
        telling = [w for w in tokens(maker.name) if len(w) > 2 and not w.isdigit()]
        # Every letter of the initials, "a" and "e" too (words of their own elsewhere); a longer
        # run of them is no name, and is not searched.
        letters = normalise_text(maker.name).split()
        initials = len(letters) >= 2 and all(len(w) == 1 and w.isalpha() for w in letters)
        found += telling or (
            [" ".join(letters)] if initials and len(letters) <= _MOST_INITIALS else []
        )
    return list(dict.fromkeys(found))[:_MOST_TERMS]


def _query_words(query: ObjectDescription) -> list[str]:
    text = " ".join(column for column in search_text_columns(query) if column)
    # One-letter words and bare numbers below 100 ("a", "1") match everything and identify nothing.
    # (Compared by length: Python refuses int() of more than 4,300 digits.)
    words = [w for w in tokens(text) if len(w) > 1 and not (w.isdigit() and len(w.lstrip("0")) < 3)]
    return list(dict.fromkeys(words))  # in order: the title's and maker's words first


# Starting at a word's beginning only: a run of letters with no full stop is tried once, not
# once per letter (a pasted page of one "word" took minutes).
_ABBREVIATION = re.compile(r"\b(\w{3,})\.")


def _abbreviations(title: str | None) -> list[str]:
    """Words a title shortens with a full stop ("Schrei. weibl. Akt", "Hl. Georg"), for the words
    they begin to be looked for."""
    return [
        word
        for written in _ABBREVIATION.findall(title or "")
        for word in normalise_text(written).split()
        if len(word) >= 3 and not word.isdigit() and word not in STOPWORDS
    ]
