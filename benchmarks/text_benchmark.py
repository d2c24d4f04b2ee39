"""Shared machinery of the text-matching benchmarks (`text_matching.py`, `text_matching_lostart.py`).

Not run on its own. Both benchmarks build `Query`s -- re-descriptions of registered records
(positives), descriptions of held-out records whose makers are in no register (unrelated
negatives) and of held-out records of a registered maker, series or theft (siblings) -- and
score each against the same candidates (the store's text search, 20 per query) twice:

- provcheck: `provcheck.Matcher`, field by field;
- baseline: rapidfuzz `token_set_ratio` over the concatenated text of query and record.

Queries are split into a validation and a test half by a stable hash of the record they were made
from, so that no object is in both: thresholds are chosen on validation, every figure is reported
on test. Unrelated negatives whose very title a registered record has (another copy of a book or
print, mostly) are shown on rows of their own, marked "(title registered)", and counted in all.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from rapidfuzz import fuzz

from provcheck import Matcher, ObjectDescription, Record
from provcheck.store.sqlite import LocalStore
from provcheck.text.normalise import normalise_text

CANDIDATES = 20
FALSE_RATE = 0.01  # the false-match rate at which the baseline's threshold is chosen
SWEEP = [step / 100 for step in range(30, 91, 5)]

Role = Literal["positive", "unrelated", "sibling"]
Split = Literal["validation", "test"]


@dataclass(frozen=True)
class Query:
    kind: str
    description: ObjectDescription
    source: Record  # the record the description was made from (the target, for a positive)
    role: Role

    @property
    def target(self) -> Record | None:
        """The record a matcher should find; None for a negative (unrelated or sibling)."""
        return self.source if self.role == "positive" else None

    @property
    def split(self) -> Split:
        return split_of(self.source.key)


@dataclass
class Outcome:
    at_1: float  # the target's share of first place: ties with other records share it
    rank: int | None  # 1-based rank of the target (or a twin), None if not among the candidates
    best_score: float  # the best candidate's score (for false matches)
    best: Record | None  # the best candidate
    target_score: float | None  # the target's (or a twin's) score, None if not a candidate


@dataclass(frozen=True)
class Result:
    query: Query
    ours: Outcome
    theirs: Outcome

    def side(self, index: int) -> Outcome:
        return self.ours if index == 0 else self.theirs


def split_of(key: str) -> Split:
    """A stable half for a record: the same on every run, machine and Python version."""
    return "validation" if hashlib.sha256(key.encode()).digest()[0] % 2 == 0 else "test"


def seller_fields(record: Record) -> dict[str, str]:
    """The fields of a record a seller could know and write, as the register writes them."""
    return description_fields(record.description)


def description_fields(d: ObjectDescription) -> dict[str, str]:
    fields = {
        "title": d.title,
        "maker": d.maker_text,
        "materials": d.materials,
        "measurements": d.measurements_text,
        "period": d.period.text if d.period else None,
        "object_type": d.object_type,
    }
    return {k: v for k, v in fields.items() if v}


def _meaning(field: str, value: str) -> tuple[str, ...]:
    """A field's words, in any order; a size with no number in it says nothing."""
    if field == "measurements" and not re.search(r"\d", value):
        return ()
    return tuple(sorted(normalise_text(value).split()))


def is_twin(record: Record, target: Record) -> bool:
    """A record alike to the target in all a seller could know of it cannot be told apart."""
    ours = seller_fields(record)
    return all(
        _meaning(k, ours.get(k, "")) == _meaning(k, v) for k, v in seller_fields(target).items()
    )


def has_twin(record: Record, others: Iterable[Record]) -> bool:
    return any(other.key != record.key and is_twin(other, record) for other in others)


def concatenated(d: ObjectDescription) -> str:
    parts = [
        d.title,
        d.maker_text,
        d.materials,
        d.measurements_text,
        d.period.text if d.period else None,
        d.object_type,
    ]
    return " ".join(p for p in parts if p)


def evaluate(query: Query, candidates: list[Record], matcher: Matcher) -> Result:
    """Both matchers over the same candidates."""
    ours = [(c.score, c.record) for c in matcher.rank(query.description, candidates)]
    text = concatenated(query.description)
    theirs = sorted(
        ((fuzz.token_set_ratio(text, concatenated(r.description)) / 100, r) for r in candidates),
        key=lambda pair: pair[0],
        reverse=True,
    )
    return Result(query, _outcome(query, ours), _outcome(query, theirs))


def _outcome(query: Query, ranked: list[tuple[float, Record]]) -> Outcome:
    best_score, best = ranked[0] if ranked else (0.0, None)
    target = query.target
    if target is None:
        return Outcome(0.0, None, best_score, best, None)

    def is_target(record: Record) -> bool:
        return record.key == target.key or is_twin(record, target)

    # A tie for first place is a coin toss, not a find: the target gets its share of it.
    first = [record for score, record in ranked if abs(score - best_score) < 1e-9]
    at_1 = sum(map(is_target, first)) / len(first) if first else 0.0
    found = next(((i, score) for i, (score, r) in enumerate(ranked, start=1) if is_target(r)), None)
    return Outcome(at_1, found[0] if found else None, best_score, best, found[1] if found else None)


def threshold_at_false_rate(scores: Sequence[float], rate: float) -> float:
    """The lowest threshold at which at most `rate` of these negative scores reach it."""
    ordered = sorted(scores, reverse=True)
    allowed = int(rate * len(ordered))
    return (ordered[allowed] + 1e-9) if allowed < len(ordered) else 0.0


def _summary(outcomes: list[Outcome], cut: float) -> tuple[float, float, float]:
    n = len(outcomes) or 1
    at1 = sum(o.at_1 for o in outcomes) / n
    at10 = sum(o.rank is not None and o.rank <= 10 for o in outcomes) / n
    found = sum(o.at_1 for o in outcomes if o.best_score >= cut) / n
    return at1, at10, found


def _flagged(outcomes: list[Outcome], cut: float) -> float:
    return sum(o.best_score >= cut for o in outcomes) / (len(outcomes) or 1)


@dataclass(frozen=True)
class Thresholds:
    ours: float  # provcheck's own possible-match threshold, as the Matcher has it
    ours_at_rate: float  # what validation would choose for provcheck at FALSE_RATE
    ours_at_zero: float  # ... and with no false match on validation
    theirs: float  # the baseline's, chosen on validation at FALSE_RATE


def choose_thresholds(results: list[Result], matcher: Matcher) -> Thresholds:
    negatives = [
        r for r in results if r.query.role == "unrelated" and r.query.split == "validation"
    ]
    return Thresholds(
        ours=matcher.match_threshold,
        ours_at_rate=threshold_at_false_rate([r.ours.best_score for r in negatives], FALSE_RATE),
        ours_at_zero=threshold_at_false_rate([r.ours.best_score for r in negatives], 0.0),
        theirs=threshold_at_false_rate([r.theirs.best_score for r in negatives], FALSE_RATE),
    )


def split_sizes(results: list[Result]) -> str:
    parts = []
    for role in ("positive", "unrelated", "sibling"):
        counts = {
            split: sum(r.query.role == role and r.query.split == split for r in results)
            for split in ("validation", "test")
        }
        parts.append(f"{role} {counts['validation']:,}/{counts['test']:,}")
    return "queries validation/test: " + ", ".join(parts)


def print_thresholds(t: Thresholds) -> None:
    print(
        f"thresholds: provcheck {t.ours:.2f} (Matcher().match_threshold); validation would choose "
        f"{t.ours_at_rate:.3f} at <= {FALSE_RATE:.0%} false matches, {t.ours_at_zero:.3f} at none"
    )
    print(
        f"            baseline {t.theirs:.3f} (chosen on validation at {FALSE_RATE:.0%} false "
        "matches of unrelated negatives)"
    )
    if t.theirs > 1.0:
        print(
            f"            (more than {FALSE_RATE:.0%} of the negatives score 1.00 on the baseline: "
            "at that rate it can flag nothing)"
        )
    print("every figure below is on the TEST split only\n")


def print_tables(
    results: list[Result],
    kinds: Sequence[str],
    groups: Sequence[tuple[str, Sequence[str]]],
    t: Thresholds,
) -> None:
    """Rows per positive kind, then per group of kinds (name, kinds), then the negatives; then the
    sweep of provcheck's thresholds on validation."""
    test = [r for r in results if r.query.split == "test"]
    width = max([24, *(len(k) for k in kinds), *(len(g) for g, _ in groups)]) + 1
    print(
        f"{'kind of change':<{width}} {'n':>5}  {'recall@1':>17}  {'recall@10':>17}  "
        f"{'found (≥ threshold)':>20}"
    )
    print(
        f"{'':<{width}} {'':>5}  {'provcheck  base':>17}  {'provcheck  base':>17}  {'provcheck  base':>20}"
    )

    def row(name: str, picked: list[Result]) -> None:
        p = _summary([r.ours for r in picked], t.ours)
        b = _summary([r.theirs for r in picked], t.theirs)
        print(
            f"{name:<{width}} {len(picked):>5}  {p[0]:>9.3f} {b[0]:>6.3f}  {p[1]:>9.3f} "
            f"{b[1]:>6.3f}  {p[2]:>12.3f} {b[2]:>6.3f}"
        )

    positives = [r for r in test if r.query.role == "positive"]
    for name in kinds:
        row(name, [r for r in positives if r.query.kind == name])
    for name, members in groups:
        row(name, [r for r in positives if r.query.kind in members])

    print(f"\n{'negatives: flagged as possible match':<{width + 38}} {'provcheck  base':>20}")
    for role, label in (("unrelated", "FALSE MATCHES"), ("sibling", "siblings, flagged")):
        picked = [r for r in test if r.query.role == role]
        for name in sorted({r.query.kind for r in picked}):
            of_kind = [r for r in picked if r.query.kind == name]
            print(
                f"  {name:<{width + 30}} {len(of_kind):>5}  "
                f"{_flagged([r.ours for r in of_kind], t.ours):>12.3f} "
                f"{_flagged([r.theirs for r in of_kind], t.theirs):>6.3f}"
            )
        print(
            f"{label + ', all':<{width + 32}} {len(picked):>5}  "
            f"{_flagged([r.ours for r in picked], t.ours):>12.3f} "
            f"{_flagged([r.theirs for r in picked], t.theirs):>6.3f}"
        )

    validation = [r for r in results if r.query.split == "validation"]
    negatives = [r.ours for r in validation if r.query.role == "unrelated"]
    found_of = [r.ours for r in validation if r.query.role == "positive"]
    siblings = [r.ours for r in validation if r.query.role == "sibling"]
    print(
        "\nthreshold sweep (provcheck, VALIDATION split): threshold, false matches, found, siblings"
    )
    for cut in SWEEP:
        print(
            f"  {cut:.2f}  {_flagged(negatives, cut):6.3f}  {_summary(found_of, cut)[2]:6.3f}"
            f"  {_flagged(siblings, cut):6.3f}"
        )


def _shown(d: ObjectDescription | None) -> str:
    if d is None:
        return "-"
    return f"{(d.title or '')[:60]!r} / {(d.maker_text or '')[:40]!r}"


def _details(d: ObjectDescription | None) -> str:
    """The fields besides title and maker, compactly."""
    if d is None:
        return ""
    fields = description_fields(d)
    return (
        "; ".join(f"{k}={v[:40]!r}" for k, v in fields.items() if k not in ("title", "maker"))
        or "(no other fields)"
    )


def print_failures(results: list[Result], t: Thresholds, out: TextIO, count: int = 10) -> None:
    """The unrelated negatives provcheck scores highest and the positives it misses worst."""
    negatives = sorted(
        (r for r in results if r.query.role == "unrelated"),
        key=lambda r: r.ours.best_score,
        reverse=True,
    )
    print(f"{count} highest-scoring unrelated negatives (provcheck; both splits):", file=out)
    for r in negatives[:count]:
        best = r.ours.best.description if r.ours.best else None
        print(
            f"  {r.ours.best_score:.3f} [{r.query.kind}, {r.query.split}] query {_shown(r.query.description)}"
            f"\n         vs record {_shown(best)}",
            file=out,
        )
        print(f"         query: {_details(r.query.description)}", file=out)
        print(f"         record: {_details(best)}", file=out)
    missed = [
        r for r in results
        if r.query.role == "positive" and not (r.ours.at_1 >= 1.0 and r.ours.best_score >= t.ours)
    ]  # fmt: skip
    causes = {
        "not among the candidates": sum(r.ours.rank is None for r in missed),
        "a candidate, outranked": sum(
            r.ours.rank is not None and r.ours.at_1 < 1.0 for r in missed
        ),
        "first, below threshold": sum(r.ours.at_1 >= 1.0 for r in missed),
    }
    positives = sum(r.query.role == "positive" for r in results)
    print(
        f"\nmissed positives (provcheck, both splits): {len(missed):,} of {positives:,}: "
        + ", ".join(f"{k} {v:,}" for k, v in causes.items()),
        file=out,
    )
    scored = sorted(
        (r for r in missed if r.ours.target_score is not None),
        key=lambda r: r.ours.target_score or 0.0,
    )
    unseen = [r for r in missed if r.ours.target_score is None]
    print(f"{count} lowest-scoring missed positives (the target's provcheck score):", file=out)
    for r in scored[:count]:
        _print_missed(r, out)
    print(f"{count // 2} missed positives whose target was not among the candidates:", file=out)
    for r in unseen[: count // 2]:
        _print_missed(r, out)


def _print_missed(r: Result, out: TextIO) -> None:
    score = -1.0 if r.ours.target_score is None else r.ours.target_score
    best = r.ours.best.description if r.ours.best else None
    print(
        f"  {score:.3f} [{r.query.kind}] query {_shown(r.query.description)}"
        f"\n         target {_shown(r.query.source.description)}"
        f"\n         first  {_shown(best)} ({r.ours.best_score:.3f})",
        file=out,
    )
    print(f"         query: {_details(r.query.description)}", file=out)
    print(f"         target: {_details(r.query.source.description)}", file=out)


# Running --------------------------------------------------------------------------------------


def arguments(doc: str, csv: Path, csv_help: str, sample: int) -> argparse.ArgumentParser:
    """The options both benchmarks take."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=csv, help=csv_help)
    parser.add_argument(
        "--sample", type=int, default=sample, help="register objects to re-describe"
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--show-failures",
        action="store_true",
        help="print the highest-scoring negatives and the worst-missed positives",
    )
    return parser


def print_report(
    results: list[Result],
    matcher: Matcher,
    header: str,
    kinds: Sequence[str],
    groups: Sequence[tuple[str, Sequence[str]]],
) -> Thresholds:
    """The header, split sizes and thresholds, then the tables; the thresholds used."""
    thresholds = choose_thresholds(results, matcher)
    print(f"\n{header}")
    print(split_sizes(results) + " (split by a hash of the record the query was made from)")
    print_thresholds(thresholds)
    print_tables(results, kinds, groups, thresholds)
    return thresholds


Described = dict[str, str] | None  # None: the kind of change does not apply to that record
Transform = Callable[[dict[str, str], Record, random.Random], Described]


def kind_registry() -> tuple[
    dict[str, Transform], Callable[[str], Callable[[Transform], Transform]]
]:
    """A benchmark's kinds of change, in order, and the decorator that adds one by name."""
    kinds: dict[str, Transform] = {}

    def kind(name: str) -> Callable[[Transform], Transform]:
        def register(function: Transform) -> Transform:
            kinds[name] = function
            return function

        return register

    return kinds, kind


# Building queries ------------------------------------------------------------------------------


def harsh_typo(text: str, edits: int, rng: random.Random) -> str:
    """`edits` slips of the keyboard in words of four letters or more: two letters swapped, one
    dropped or one doubled ("Peoplee Stiting on the Beach")."""
    words = text.split()
    for _ in range(edits):
        long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        if not long:
            break
        i = rng.choice(long)
        word = words[i]
        j = rng.randrange(1, len(word) - 1)
        slip = rng.randrange(3)
        if slip == 0:
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        elif slip == 1:
            words[i] = word[:j] + word[j + 1 :]
        else:
            words[i] = word[:j] + word[j] + word[j:]
    return " ".join(words)


def drop_fields(fields: dict[str, str], rng: random.Random, keep: str = "title") -> dict[str, str]:
    """One or two of the fields other than `keep` left out (at least one other kept)."""
    optional = [k for k in fields if k != keep]
    dropped = set(rng.sample(optional, min(rng.choice((1, 2)), max(0, len(optional) - 1))))
    return {k: v for k, v in fields.items() if k not in dropped}


@dataclass(frozen=True)
class HeldOut:
    register: list[Record]
    unrelated: list[Record]  # every record of the held-out makers
    siblings: list[Record]  # records of a registered maker, series or theft, with no twin left
    registered_titles: frozenset[str]  # the register's titles, as `_title_key` writes them

    def unrelated_kind(self, kind: str, record: Record) -> str:
        """The kind of an unrelated negative, marked when a registered record has its very title
        (another copy of a book or print, mostly: reported apart in the rows, counted in all)."""
        same = _title_key(record) in self.registered_titles
        return f"{kind} (title registered)" if same else kind


def hold_out(
    records: list[Record],
    makers_of: Callable[[Record], frozenset[str]],
    share: float,
    siblings: int,
    rng: random.Random,
    related: Callable[[Record], Iterable[str]],
) -> HeldOut:
    """Leave out of the register every record of a `share` of the named makers and `siblings`
    records related (`related`: keys such as the maker or the case number) to a record that
    stays, and twins of none.

    `makers_of` gives a record's named makers (none for an unnamed one: those records stay). A
    record is unrelated when all its makers are held out; one that shares a maker with both sides
    (a book by a held-out author from a registered publisher) is neither registered nor asked."""
    names = sorted({m for r in records for m in makers_of(r)})
    gone = set(rng.sample(names, round(share * len(names))))
    unrelated = [r for r in records if (m := makers_of(r)) and m <= gone]
    kept = [r for r in records if not makers_of(r) & gone]
    # A maker written two ways ("Arkstee und Merkus", "Arkstee [u.a.]") is one maker: a held-out
    # record whose maker field shares a rare name with a registered record's is neither
    # registered nor asked.
    kept_names = _name_words(kept)
    unrelated = [r for r in unrelated if not _rare_names(r, kept_names)]
    relatives: dict[str, int] = {}
    for r in kept:
        for key in set(related(r)):
            relatives[key] = relatives.get(key, 0) + 1
    by_title: dict[str, list[Record]] = {}
    for r in kept:
        by_title.setdefault(_title_key(r), []).append(r)
    chosen: list[Record] = []
    for r in rng.sample(kept, len(kept)):
        if len(chosen) >= siblings:
            break
        keys = set(related(r))
        if not r.description.title or not any(relatives.get(k, 0) >= 2 for k in keys):
            continue
        if has_twin(r, by_title.get(_title_key(r), [])):
            continue
        chosen.append(r)
        for key in keys:
            relatives[key] -= 1
    left = {r.key for r in chosen}
    register = [r for r in kept if r.key not in left]
    return HeldOut(register, unrelated, chosen, frozenset(_title_key(r) for r in register))


# A word of makers' names in fewer records than this is a name, not a first name or a role.
_RARE_NAME = 200


def _name_words(records: list[Record]) -> dict[str, int]:
    """How many records' maker fields use each word of five letters or more."""
    counts: dict[str, int] = {}
    for record in records:
        for word in set(normalise_text(record.description.maker_text or "").split()):
            if len(word) >= 5:
                counts[word] = counts.get(word, 0) + 1
    return counts


def _rare_names(record: Record, kept_names: dict[str, int]) -> bool:
    words = set(normalise_text(record.description.maker_text or "").split())
    return any(0 < kept_names.get(word, 0) < _RARE_NAME for word in words if len(word) >= 5)


def _title_key(record: Record) -> str:
    return " ".join(sorted(normalise_text(record.description.title or "").split()))


def run(
    store: LocalStore, queries: list[Query], matcher: Matcher, *, every: int = 1000
) -> list[Result]:
    results = []
    for number, query in enumerate(queries, start=1):
        candidates = store.search_text(query.description, limit=CANDIDATES)
        results.append(evaluate(query, candidates, matcher))
        if number % every == 0:
            print(f"  {number:,}/{len(queries):,} queries", file=sys.stderr)
    return results
