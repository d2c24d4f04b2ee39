"""Whether a query says enough to rule a record out, and which records a person must look at.

A register's record is ruled out by what the query says that the record contradicts. One field
-- a title alone, a maker alone -- or only generic words ("Portrait of a woman", "painting")
rule almost nothing out: a stolen "Acorn" lamp scores low against the bare title "Acorn" because
nothing else was compared, not because anything disagreed. Such a check must not read as "no
match found": it concludes `incomplete`, says the query is too thin and what to add, and names
every record whose title is the query's own (or read as it: misspelt, reordered, translated),
for a person to look at.
"""

from __future__ import annotations

from collections.abc import Sequence

from provcheck.model.candidate import Candidate
from provcheck.model.description import ObjectDescription
from provcheck.model.report import Limitation
from provcheck.text.normalise import STOPWORDS, normalise_text
from provcheck.text.specificity import title_word_weight
from provcheck.text.vocabulary import canonical_materials, canonical_title_words, object_type_of

__all__ = [
    "MIN_SPECIFIC_FIELDS",
    "THIN_QUERY_KINDS",
    "specific_fields",
    "thin_query_limitations",
]

# Fields that identify an object, needed for a check without a photograph to rule records out.
MIN_SPECIFIC_FIELDS = 2
# The kinds of limitation this module finds (recomputed whenever a report's outcomes change).
THIN_QUERY_KINDS = frozenset({"query-too-thin", "same-title"})
# A word this identifying (`provcheck.text.specificity`: in about one registered title of 400 or
# fewer, in all its forms) says something specific; "portrait", "Madonna" or "vase" do not.
_SPECIFIC_WEIGHT = 0.7
# The widest span of years a date may cover and still tell objects apart ("early 20th century").
_TELLING_SPAN_YEARS = 34
# Words a description needs, beyond generic ones, to count as saying something specific.
_DESCRIPTION_WORDS = 4
# What to ask for, by the field that would say it.
_ASK_FOR = {
    "title": "the title",
    "maker": "the maker",
    "measurements": "measurements",
    "period": "the date",
    "inscriptions": "inscriptions or marks",
}


def _advice(specific: list[str]) -> str:
    missing = [words for field, words in _ASK_FOR.items() if field not in specific]
    return f"add what you know of {', '.join(missing)}, or a photograph, and check again"


def _specific_words(text: str | None) -> list[str]:
    """The words of `text` that tell one object from another: not function words, not common
    ones, and not what the object is made of or what kind it is ("Japanese woodblock print")."""
    return [
        word
        for word in canonical_title_words(text)
        if word not in STOPWORDS
        and len(word) > 1
        and title_word_weight(word) >= _SPECIFIC_WEIGHT
        and object_type_of(word) is None
        and not canonical_materials(word)[0]
    ]


def specific_fields(query: ObjectDescription) -> list[str]:
    """The Object ID fields of `query` that say something that could tell one object from
    another (a title of only generic words, a type or a material say too little)."""
    found: list[str] = []
    if _specific_words(query.title):
        found.append("title")
    if any(maker.names_someone for maker in query.makers):  # not "Unknown", "Italy", "Navajo"
        found.append("maker")
    if query.measurements:
        found.append("measurements")
    period = query.period
    if period is not None and period.earliest is not None:
        # A year, or a span up to a third of a century ("mid 19th century"), tells objects apart;
        # a century or half of one ("1701/1800") does not.
        latest = period.latest if period.latest is not None else period.earliest
        if latest - period.earliest <= _TELLING_SPAN_YEARS:
            found.append("period")
    for name in ("inscriptions", "inventory_number", "distinguishing_features"):
        if normalise_text(getattr(query, name) or ""):
            found.append(name)
    if _specific_words(query.subject):
        found.append("subject")
    if len(_specific_words(query.description)) >= _DESCRIPTION_WORDS:
        found.append("description")
    return found


# A title compared at least this alike, and of as many words, is read as the query's own: its
# words misspelt ("Acron"), in another order or in another language ("Selbstbildnis",
# "self-portrait"); not a longer title that holds it ("Mars and Venus" for "Venus").
_ALIKE_TITLE = 0.85
# The records of its title a thin query names one by one; the rest are counted.
_MOST_NAMED = 10


def _same_title(query: ObjectDescription, candidate: Candidate) -> str | None:
    """How the record's title is the query's ("exactly this title", "a title read as this
    one"), or None if it is not."""
    ours = normalise_text(query.title or "")
    if ours and ours == normalise_text(candidate.record.description.title or ""):
        return "exactly this title"
    alike = any(
        e.field == "title" and e.similarity is not None and e.similarity >= _ALIKE_TITLE
        for e in candidate.evidence
    )
    theirs = candidate.record.description.title
    if alike and len(_content_words(query.title)) == len(_content_words(theirs)):
        return "a title read as this one"
    return None


def _content_words(title: str | None) -> list[str]:
    """A title's words as the vocabulary's terms, without function words."""
    return [word for word in canonical_title_words(title) if word not in STOPWORDS]


def thin_query_limitations(
    query: ObjectDescription,
    candidates: Sequence[Candidate],
    match_threshold: float,
    *,
    photographs_searched: bool,
) -> list[Limitation]:
    """What keeps a check of a thin query from concluding "no match found": the query itself,
    and each record below the threshold whose title is the query's, exactly or read as it.

    A query whose photographs every register was searched for (`photographs_searched`) is not
    thin: the photographs are compared with every record. One whose photographs could not be
    read, or that some register searched by words only, is judged by its words.
    """
    if photographs_searched and any(image.fingerprints for image in query.images):
        return []
    specific = specific_fields(query)
    if len(specific) >= MIN_SPECIFIC_FIELDS:
        return []
    given = sorted(query.text_fields())
    if specific:
        said = f"only one field that tells objects apart ({specific[0]})"
    else:
        said = "only generic words (" + ", ".join(given) + ")" if given else "nothing specific"
    limitations = [
        Limitation(
            kind="query-too-thin",
            subject="query",
            message=f"the query gives {said}: too little to rule a record out; {_advice(specific)}",
        )
    ]
    # The closest first, whichever register they come from.
    named = [
        (candidate.record, same)
        for candidate in sorted(candidates, key=lambda c: c.score, reverse=True)
        if candidate.score < match_threshold and (same := _same_title(query, candidate))
    ]
    for record, same in named[:_MOST_NAMED]:
        limitations.append(
            Limitation(
                kind="same-title",
                subject=record.key,
                message=(
                    f"{record.key} ({record.status.label}) has {same} "
                    f"({record.description.title!r}): look at it before relying on this check"
                ),
            )
        )
    if len(named) > _MOST_NAMED:
        limitations.append(
            Limitation(
                kind="same-title",
                subject="query",
                message=(
                    f"and {len(named) - _MOST_NAMED} more records of this title, or read as "
                    "it, among the candidates: look at them before relying on this check"
                ),
            )
        )
    return limitations
