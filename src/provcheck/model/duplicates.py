"""One object recorded twice -- in one register's results, or by two registers -- is one candidate
naming every record of it.

A register's records can reach the local store twice: the FBI's National Stolen Art File imported
from its public listing (`local import nsaf_data.csv --mapping nsaf`: ids are the listing's page
names) and mirrored from its API (`mirror fbi`: ids are the API's uids). Both are the register's
record of one object, and a person should see it once, with both records named.

What says two records are the same object, within one register:

- the same reference URL -- the register's page for the object, which both the listing (the
  `/nsaf/<name>/` of its image link) and the API (`url`) give;
- failing a URL on one side, the same case number, title and maker, when that names exactly one
  record with a URL and one without. A case number is shared by every object of a theft, and a
  listing may repeat a title within one case (a set of coins, seventeen "Faces in the Hood"):
  anything less than a one-to-one pairing is left as separate candidates, since hiding a distinct
  object would be worse than showing one twice.

Across registers, a record may say which other registers' records are the same object
(`Record.same_as`: Wikidata's Lost Art ID names `lostart:<id>`; a museum's loss names the police
alert). Records that name each other, in either direction, or that name one same record, are one
object: a register's own cross-reference is better evidence than any likeness.

The engine merges after ranking: the best-scoring record of an object stands for it, so evidence
one record has and the other lacks (a fingerprinted photograph) is never lost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from provcheck.model.candidate import Candidate
from provcheck.model.record import Record
from provcheck.text.normalise import tokens

__all__ = ["case_number", "merge_same_objects", "same_object_key"]

# Keys of a register's own payload that hold its case number, compared without case or spaces:
# the FBI API's `referenceNumber`, the NSAF listing's `Reference Number`.
_CASE_KEYS = {"referencenumber", "casenumber"}
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def same_object_key(record: Record) -> str | None:
    """The record's reference URL as compared (scheme, case of the host, a final `/` and any
    fragment ignored), with its register's name; None without a URL."""
    if not record.url:
        return None
    parts = urlsplit(record.url.strip())
    if not parts.netloc:
        return None
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{record.registry} {parts.netloc.lower()}{path}{query}"


def case_number(record: Record) -> str | None:
    """The record's case number as compared (trimmed, lower case): its inventory number, or its
    register's own case-number field; None without one."""
    case = record.description.inventory_number
    if not case and isinstance(record.raw, dict):
        case = next(
            (
                str(value)
                for key, value in record.raw.items()
                if _NOT_ALNUM.sub("", key.lower()) in _CASE_KEYS and isinstance(value, str | int)
            ),
            None,
        )
    return case.strip().lower() if case and case.strip() else None


def _case_key(record: Record) -> tuple[str, ...] | None:
    """(register, case number, title, maker), each normalised; None without a case number or a
    title."""
    case = case_number(record)
    title = " ".join(tokens(record.description.title or ""))
    if not case or not title:
        return None
    maker = " ".join(tokens(record.description.maker_text or ""))
    return (record.registry, case, title, maker)


def merge_same_objects(ranked: Sequence[Candidate]) -> list[Candidate]:
    """`ranked` (best first) with every group of candidates that are one object made one: the
    first of the group, naming the others' keys in `also_recorded_as`, in the same order."""
    # Groups as a union-find over positions, each led by its best-scoring (first) member. A
    # group's leader changes as groups join, so a leader is always found, never remembered.
    parent = list(range(len(ranked)))

    def find(position: int) -> int:
        while parent[position] != position:
            parent[position] = parent[parent[position]]
            position = parent[position]
        return position

    def join(one: int, other: int) -> None:
        first, second = sorted((find(one), find(other)))
        parent[second] = first

    by_url: dict[str, int] = {}
    has_url: set[int] = set()
    for position, candidate in enumerate(ranked):
        key = same_object_key(candidate.record)
        if key is not None:
            has_url.add(position)
            join(position, by_url.setdefault(key, position))
    # A record without a URL joins a URL's group only as the one partner of exactly one object
    # (the URL groups as they are before any such pairing).
    with_url: dict[tuple[str, ...], set[int]] = {}
    without_url: dict[tuple[str, ...], list[int]] = {}
    for position, candidate in enumerate(ranked):
        case = _case_key(candidate.record)
        if case is None:
            continue
        if position in has_url:
            with_url.setdefault(case, set()).add(find(position))
        else:
            without_url.setdefault(case, []).append(position)
    for case, positions in without_url.items():
        groups = with_url.get(case, set())
        if len(positions) == 1 and len(groups) == 1:
            join(positions[0], next(iter(groups)))
    # Records a register says are the same object (either naming the other, or both naming a
    # third): joined after the pairings above, which stay as they were without cross-references.
    named: dict[str, int] = {}
    for position, candidate in enumerate(ranked):
        for key in candidate.record.same_as:
            join(position, named.setdefault(key, position))
    for position, candidate in enumerate(ranked):
        if candidate.record.key in named:
            join(position, named[candidate.record.key])
    others: dict[int, list[str]] = {}
    for position in range(len(ranked)):
        leader = find(position)
        if leader != position:
            joined = ranked[position]
            others.setdefault(leader, []).extend([joined.record.key, *joined.also_recorded_as])
    merged: list[Candidate] = []
    for position, candidate in enumerate(ranked):
        if find(position) != position:
            continue  # named by the candidate that stands for its object
        if position in others:
            keys = tuple(dict.fromkeys([*candidate.also_recorded_as, *others[position]]))
            candidate = candidate.model_copy(update={"also_recorded_as": keys})
        merged.append(candidate)
    return merged
