"""The SPARQL this plugin sends to the Wikidata Query Service, and what it reads of the answers.

Every query is one shape: the works of art (`P31/P279*` work of art, Q838948) with a significant
event (P793) that is, or is a kind of, art theft (Q1756454) or theft (Q2727213) -- the
`P31?/P279*` step is needed because named heists are instances of art theft -- narrowed by what
is asked, and one row per work with its label, description, creators, events (with their P585
dates), collections (with their P580/P582 dates), images (P18), inventory numbers (P217), Lost Art
IDs (P1428) and MNR ids (P10039), each list joined with a separator. Its first line names its kind
(`#provcheck-wikidata:search`, `:bulk`, `:count`): the Query Service ignores a comment, and the
mock recognises the plugin's queries by it.

Every string given by a user goes into the query as a SPARQL string literal made by
`sparql_string`, and nowhere else: a title such as `x")) } ?s ?p ?o {` stays a title.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, JsonValue

__all__ = [
    "FIELD_SEPARATOR",
    "LIST_SEPARATOR",
    "MARKER",
    "Binding",
    "SparqlResults",
    "bulk_query",
    "count_query",
    "search_query",
    "sparql_string",
    "split_list",
]

MARKER = "#provcheck-wikidata:"
# Separators of the joined lists (units of one list; fields of one unit): ASCII unit and record
# separators, which no label holds; in the query, as code-point escapes.
LIST_SEPARATOR = "\x1f"
FIELD_SEPARATOR = "\x1e"
_LIST_SEPARATOR_LITERAL = '"\\u001F"'
_FIELD_SEPARATOR_LITERAL = '"\\u001E"'
THEFT_KINDS = ("wd:Q1756454", "wd:Q2727213")  # art theft, theft
# C0 controls other than those with a short escape, and the backslash: a search needs none of
# them, and services read a backslash differently (some decode `\u0022` into a quote before they
# parse, some do not), so none that a user typed is sent.
_DROPPED = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\\]")
_ESCAPES = {
    '"': '\\"',
    "'": "\\'",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\f": "\\f",
}


def sparql_string(text: str) -> str:
    """`text` as a SPARQL string literal (`"..."`), with every character that could end it
    escaped (`"`, `'`, line breaks, tabs); backslashes and other control characters become
    spaces, so that the literal reads the same to every service."""
    text = _DROPPED.sub(" ", text)
    return '"' + "".join(_ESCAPES.get(character, character) for character in text) + '"'


def _labelled(variable: str, subject: str, predicate: str) -> str:
    return (
        f"OPTIONAL {{ {subject} {predicate} ?{variable}Item . "
        f"?{variable}Item rdfs:label ?{variable}Label . "
        f'FILTER(LANG(?{variable}Label) = "en") }}'
    )


def _joined(expression: str, name: str) -> str:
    separator = _LIST_SEPARATOR_LITERAL
    return f"(GROUP_CONCAT(DISTINCT {expression}; separator={separator}) AS ?{name})"


def _fields(*parts: str) -> str:
    """Parts of one list unit, joined with the field separator; an unbound date is empty."""
    return "CONCAT(" + f", {_FIELD_SEPARATOR_LITERAL}, ".join(parts) + ")"


_SELECT = " ".join(
    [
        "SELECT ?item (SAMPLE(?label) AS ?itemLabel) (SAMPLE(?about) AS ?itemDescription)",
        "(SAMPLE(?changed) AS ?modified) (SAMPLE(STR(?made)) AS ?inception)",
        _joined("?creatorLabel", "creators"),
        _joined(_fields("?eventLabel", 'COALESCE(STR(?eventDate), "")'), "events"),
        _joined(
            _fields(
                "?collectionLabel",
                'COALESCE(STR(?collectionStart), "")',
                'COALESCE(STR(?collectionEnd), "")',
            ),
            "collections",
        ),
        _joined("STR(?image)", "images"),
        _joined("?inventory", "inventoryNumbers"),
        _joined("?lostArt", "lostArtIds"),
        _joined("?mnr", "mnrIds"),
    ]
)

_DETAILS = "\n  ".join(
    [
        "?item schema:dateModified ?changed .",
        "{since}",
        'OPTIONAL { ?item rdfs:label ?label . FILTER(LANG(?label) = "en") }',
        'OPTIONAL { ?item schema:description ?about . FILTER(LANG(?about) = "en") }',
        "OPTIONAL { ?item wdt:P571 ?made }",
        _labelled("creator", "?item", "wdt:P170"),
        "OPTIONAL { ?item p:P793 ?eventStatement . ?eventStatement ps:P793 ?eventItem .",
        "  OPTIONAL { ?eventStatement pq:P585 ?eventDate }",
        '  ?eventItem rdfs:label ?eventLabel . FILTER(LANG(?eventLabel) = "en") }',
        "OPTIONAL { ?item p:P195 ?collectionStatement . ?collectionStatement ps:P195 ?collectionItem .",
        "  OPTIONAL { ?collectionStatement pq:P580 ?collectionStart }",
        "  OPTIONAL { ?collectionStatement pq:P582 ?collectionEnd }",
        '  ?collectionItem rdfs:label ?collectionLabel . FILTER(LANG(?collectionLabel) = "en") }',
        "OPTIONAL { ?item wdt:P18 ?image }",
        "OPTIONAL { ?item wdt:P217 ?inventory }",
        "OPTIONAL { ?item wdt:P1428 ?lostArt }",
        "OPTIONAL { ?item wdt:P10039 ?mnr }",
    ]
)

_WORKS = "\n    ".join(
    [
        "?item wdt:P793 ?loss .",
        f"VALUES ?lossKind {{ {' '.join(THEFT_KINDS)} }}",
        "?loss wdt:P31?/wdt:P279* ?lossKind .",
        "?item wdt:P31/wdt:P279* wd:Q838948 .",
    ]
)


def _query(kind: str, narrowing: Sequence[str], *, since: datetime | None, page: str) -> str:
    since_filter = (
        f"FILTER(?changed >= {sparql_string(since.isoformat())}^^xsd:dateTime)" if since else ""
    )
    works = "\n    ".join([_WORKS, *narrowing])
    return (
        f"{MARKER}{kind}\n{_SELECT}\nWHERE {{\n"
        f"  {{ SELECT DISTINCT ?item WHERE {{\n    {works}\n  }} }}\n"
        f"  {_DETAILS.replace('{since}', since_filter)}\n}}\n"
        f"GROUP BY ?item\nORDER BY DESC(?modified) ?item\n{page}\n"
    )


def search_query(
    *,
    title_words: Sequence[str] = (),
    maker: str | None = None,
    inventory_number: str | None = None,
    limit: int,
) -> str:
    """Works whose label (in any language) holds every one of `title_words`, whose creator's
    label holds `maker`, or whose inventory number is `inventory_number` (without case)."""
    narrowing = (
        [
            "?item rdfs:label ?matchLabel .",
            *(
                f"FILTER(CONTAINS(LCASE(?matchLabel), {sparql_string(w.lower())}))"
                for w in title_words
            ),
        ]
        if title_words
        else []
    )
    if maker:
        narrowing += [
            "?item wdt:P170 ?matchMaker . ?matchMaker rdfs:label ?matchMakerLabel .",
            f"FILTER(CONTAINS(LCASE(?matchMakerLabel), {sparql_string(maker.lower())}))",
        ]
    if inventory_number:
        narrowing += [
            "?item wdt:P217 ?matchInventory .",
            f"FILTER(LCASE(STR(?matchInventory)) = {sparql_string(inventory_number.lower())})",
        ]
    return _query("search", narrowing, since=None, page=f"LIMIT {int(limit)}")


def bulk_query(*, since: datetime | None, limit: int, offset: int) -> str:
    """Every work, most recently modified first (`since`: only those modified since), one page."""
    return _query("bulk", [], since=since, page=f"LIMIT {int(limit)} OFFSET {int(offset)}")


def count_query() -> str:
    return f"{MARKER}count\nSELECT (COUNT(DISTINCT ?item) AS ?count) WHERE {{\n    {_WORKS}\n}}\n"


class Binding(BaseModel):
    """One value of a W3C SPARQL JSON result row."""

    # Others (`xml:lang`, `datatype`) kept, so that a row is kept as it came.
    model_config = ConfigDict(extra="allow")

    type: str
    value: str


class _Results(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # Rows as they came: each is read on its own, so that one malformed row is left out alone.
    bindings: list[JsonValue]


class _Head(BaseModel):
    model_config = ConfigDict(extra="ignore")

    vars: list[str]


class SparqlResults(BaseModel):
    """A W3C SPARQL 1.1 JSON results document (`{"head": {"vars"}, "results": {"bindings"}}`)."""

    model_config = ConfigDict(extra="ignore")

    head: _Head
    results: _Results


def split_list(row: Mapping[str, Binding], name: str) -> list[list[str]]:
    """A joined list of the row (`events`, ...) as its units, each as its fields."""
    found = row.get(name)
    if found is None or not found.value:
        return []
    return [unit.split(FIELD_SEPARATOR) for unit in found.value.split(LIST_SEPARATOR) if unit]
