"""Shared machinery of the text-matching benchmarks (`text_matching.py`, `text_matching_lostart.py`).

Not run on its own. Both benchmarks build `Query`s -- re-descriptions of registered records
(positives), descriptions of held-out records whose makers are in no register and of a share
(4%) of the held-out records with no named maker whose title no registered record has (unrelated
negatives), and of held-out records of a registered maker, series or theft (siblings) -- and
score each against the same candidates (the store's text search, 20 per query) twice:

- provcheck: `provcheck.Matcher`, field by field;
- baseline: rapidfuzz `token_set_ratio` over the concatenated text of query and record.

Queries are split into a validation and a test half by a stable hash: positives and siblings by
the record they were made from (no object is in both); unrelated negatives by their held-out
makers (makers that share a record count as one), so that no held-out maker is in both, and those
with no named maker by their record. Thresholds are chosen on validation, every figure is reported
on test, and `--show-failures` shows validation only. Unrelated negatives whose very title a
registered record has (another copy of a book or print, mostly) are shown on rows of their own,
marked "(title registered)", and counted in all.

Each group of positives is also split by what the query says: a query with fewer than two fields
that tell one object from another (provcheck's own rule, `provcheck.matching.sufficiency`: a
title of generic words, a type, a material or a century do not) is "too thin". A check of such a
query never says "no match found": it flags a candidate at the threshold ("possible match"), or
concludes "incomplete" and names the candidates whose title is the query's, exactly or read as it
(`thin_query_limitations`); a line under the table says how often the target was flagged or so
named.
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
from provcheck.matching.sufficiency import (
    MIN_SPECIFIC_FIELDS,
    specific_fields,
    thin_query_limitations,
)
from provcheck.store.interface import Store
from provcheck.text.normalise import normalise_text

CANDIDATES = 20
ANONYMOUS_SHARE = (
    0.04  # the share of records with no named maker (and a title of their own) held out
)
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
    split_key: str = ""  # what the split hashes; the source's key when empty
    # A sibling's registered relatives (its maker's or theft's records): flagging one of them is
    # a sibling flagged; flagging any other record is a false match.
    ties: frozenset[str] = frozenset()

    @property
    def target(self) -> Record | None:
        """The record a matcher should find; None for a negative (unrelated or sibling)."""
        return self.source if self.role == "positive" else None

    @property
    def split(self) -> Split:
        return split_of(self.split_key or self.source.key)


@dataclass
class Outcome:
    at_1: float  # the target's share of first place: ties with other records share it
    rank: int | None  # 1-based rank of the target (or a twin), None if not among the candidates
    best_score: float  # the best candidate's score (for false matches)
    best: Record | None  # the best candidate
    target_score: float | None  # the target's (or a twin's) score, None if not a candidate
    # For a thin query: its target flagged, or named by the check's limitations as a record of
    # the query's title (exactly or read as it), for a person to look at.
    named: bool = False


@dataclass(frozen=True)
class Result:
    query: Query
    ours: Outcome
    theirs: Outcome

    def side(self, index: int) -> Outcome:
        return self.ours if index == 0 else self.theirs


def split_of(key: str) -> Split:
    """A stable half for a key: the same on every run, machine and Python version."""
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
    return " ".join(description_fields(d).values())


def evaluate(query: Query, candidates: list[Record], matcher: Matcher) -> Result:
    """Both matchers over the same candidates."""
    ranked = matcher.rank(query.description, candidates)
    ours = [(c.score, c.record) for c in ranked]
    text = concatenated(query.description)
    theirs = sorted(
        ((fuzz.token_set_ratio(text, concatenated(r.description)) / 100, r) for r in candidates),
        key=lambda pair: pair[0],
        reverse=True,
    )
    outcome = _outcome(query, ours)
    if query.target is not None and not says_enough(query):
        limitations = thin_query_limitations(
            query.description, ranked, matcher.match_threshold, photographs_searched=False
        )
        subjects = {limitation.subject for limitation in limitations}
        flagged = outcome.best_score >= matcher.match_threshold and outcome.at_1 > 0
        outcome.named = flagged or any(
            c.record.key in subjects and _is_target(query, c.record) for c in ranked
        )
    return Result(query, outcome, _outcome(query, theirs))


def _is_target(query: Query, record: Record) -> bool:
    target = query.target
    return target is not None and (record.key == target.key or is_twin(record, target))


def _outcome(query: Query, ranked: list[tuple[float, Record]]) -> Outcome:
    best_score, best = ranked[0] if ranked else (0.0, None)
    target = query.target
    if target is None:
        return Outcome(0.0, None, best_score, best, None)
    # A tie for first place is a coin toss, not a find: the target gets its share of it.
    first = [record for score, record in ranked if abs(score - best_score) < 1e-9]
    at_1 = sum(_is_target(query, r) for r in first) / len(first) if first else 0.0
    found = next(
        ((i, score) for i, (score, r) in enumerate(ranked, start=1) if _is_target(query, r)), None
    )
    return Outcome(at_1, found[0] if found else None, best_score, best, found[1] if found else None)


def says_enough(query: Query) -> bool:
    """Whether the query gives two fields or more that tell one object from another."""
    return len(specific_fields(query.description)) >= MIN_SPECIFIC_FIELDS


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


def _flagged(outcomes: list[Outcome], cut: float, results: Sequence[Result] | None = None) -> float:
    """The share flagged; of siblings (`results` given), flagged against a relative only."""
    if results is None:
        return sum(o.best_score >= cut for o in outcomes) / (len(outcomes) or 1)
    tied = sum(
        o.best_score >= cut and (r.query.role != "sibling" or _tied(o, r.query))
        for o, r in zip(outcomes, results, strict=True)
    )
    return tied / (len(outcomes) or 1)


def _flagged_untied(outcomes: list[Outcome], cut: float, results: Sequence[Result]) -> float:
    """The share of siblings flagged against a record of none of their makers or thefts."""
    untied = sum(
        o.best_score >= cut and not _tied(o, r.query)
        for o, r in zip(outcomes, results, strict=True)
    )
    return untied / (len(outcomes) or 1)


def _tied(outcome: Outcome, query: Query) -> bool:
    return outcome.best is not None and outcome.best.key in query.ties


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
    for name, members in groups:
        of_group = [r for r in positives if r.query.kind in members]
        row(f"{name}, saying enough", [r for r in of_group if says_enough(r.query)])
        row(f"{name}, too thin", [r for r in of_group if not says_enough(r.query)])
    thin = [r for r in positives if not says_enough(r.query)]
    named = sum(r.ours.named for r in thin) / (len(thin) or 1)
    print(
        f"too thin: {len(thin)} of {len(positives)} queries give fewer than {MIN_SPECIFIC_FIELDS} "
        "fields that tell objects apart (provcheck's own rule, chosen before scoring); a check of "
        "each concludes 'possible match' or 'incomplete', never 'no match found', and flags its "
        f"target (or a twin) or names it as a record of its title for {named:.3f}"
    )

    print(f"\n{'negatives: flagged as possible match':<{width + 38}} {'provcheck  base':>20}")
    for role, label in (("unrelated", "FALSE MATCHES"), ("sibling", "siblings, flagged")):
        picked = [r for r in test if r.query.role == role]
        for name in sorted({r.query.kind for r in picked}):
            of_kind = [r for r in picked if r.query.kind == name]
            print(
                f"  {name:<{width + 30}} {len(of_kind):>5}  "
                f"{_flagged([r.ours for r in of_kind], t.ours, of_kind):>12.3f} "
                f"{_flagged([r.theirs for r in of_kind], t.theirs, of_kind):>6.3f}"
            )
        print(
            f"{label + ', all':<{width + 32}} {len(picked):>5}  "
            f"{_flagged([r.ours for r in picked], t.ours, picked):>12.3f} "
            f"{_flagged([r.theirs for r in picked], t.theirs, picked):>6.3f}"
        )
    siblings = [r for r in test if r.query.role == "sibling"]
    print(
        f"{'siblings flagged against an unrelated record (false)':<{width + 32}} "
        f"{len(siblings):>5}  {_flagged_untied([r.ours for r in siblings], t.ours, siblings):>12.3f}"
        f" {_flagged_untied([r.theirs for r in siblings], t.theirs, siblings):>6.3f}"
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
    """The unrelated negatives provcheck scores highest and the positives it misses worst, of the
    validation split only: what tuning looks at must never be the test split."""
    results = [r for r in results if r.query.split == "validation"]
    print("failures of the VALIDATION split only (the test split is never shown)", file=out)
    negatives = sorted(
        (r for r in results if r.query.role == "unrelated"),
        key=lambda r: r.ours.best_score,
        reverse=True,
    )
    print(f"{count} highest-scoring unrelated negatives (provcheck):", file=out)
    for r in negatives[:count]:
        best = r.ours.best.description if r.ours.best else None
        print(
            f"  {r.ours.best_score:.3f} [{r.query.kind}] query {_shown(r.query.description)}"
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
        f"\nmissed positives (provcheck): {len(missed):,} of {positives:,}: "
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
        "--store",
        metavar="URL",
        help="keep the register in this empty PostgreSQL database (postgresql://...) instead of "
        "a SQLite file, to measure that store's search",
    )
    parser.add_argument(
        "--show-failures",
        action="store_true",
        help="print the highest-scoring negatives and the worst-missed positives (validation only)",
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
    print(
        split_sizes(results) + " (split by a hash: positives and siblings of their record, "
        "unrelated negatives of their held-out makers, or their record when no maker is named)"
    )
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


def as_registered(f: dict[str, str], r: Record, rng: random.Random) -> Described:
    """The kind of change that changes nothing."""
    return f


def title_changed(change: Callable[[str, random.Random], str]) -> Transform:
    """The kind of change that rewrites the title with `change` and keeps the rest."""

    def transform(f: dict[str, str], r: Record, rng: random.Random) -> Described:
        return {**f, "title": change(f["title"], rng)}

    return transform


def field_rewritten(field: str, write: Callable[[Record, random.Random], str | None]) -> Transform:
    """The kind of change that writes `field` anew from the record (`write`), keeping the rest;
    it does not apply to a record `write` has nothing for."""

    def transform(f: dict[str, str], r: Record, rng: random.Random) -> Described:
        written = write(r, rng)
        return {**f, field: written} if written else None

    return transform


def harsh_typos(f: dict[str, str], r: Record, rng: random.Random) -> Described:
    """Two slips of the keyboard in the title, one in the maker."""
    out = {**f, "title": harsh_typo(f["title"], 2, rng)}
    if "maker" in f:
        out["maker"] = harsh_typo(f["maker"], 1, rng)
    return out


# Building queries ------------------------------------------------------------------------------


# The letter rows of the two keyboards sellers type on; each row sits half a key to the right of
# the one above it.
KEYBOARDS = (("qwertyuiop", "asdfghjkl", "zxcvbnm"), ("qwertzuiop", "asdfghjkl", "yxcvbnm"))


def _neighbours(letter: str, rows: tuple[str, ...]) -> str:
    """The keys next to `letter`'s on a keyboard: beside it, and above and below it."""
    for r, row in enumerate(rows):
        i = row.find(letter)
        if i < 0:
            continue
        near = [row[k] for k in (i - 1, i + 1) if 0 <= k < len(row)]
        if r > 0:
            near += [rows[r - 1][k] for k in (i, i + 1) if k < len(rows[r - 1])]
        if r + 1 < len(rows):
            near += [rows[r + 1][k] for k in (i - 1, i) if 0 <= k < len(rows[r + 1])]
        return "".join(near)
    return ""


def _changed_letter(letter: str, rng: random.Random) -> str:
    """A neighbouring key on a QWERTY or QWERTZ keyboard (half the time, or when the letter is on
    neither), else any other letter; in the letter's case."""
    near = _neighbours(letter.lower(), rng.choice(KEYBOARDS))
    if not near or rng.random() < 0.5:
        near = "abcdefghijklmnopqrstuvwxyz".replace(letter.lower(), "")
    changed = rng.choice(near)
    return changed.upper() if letter.isupper() else changed


def harsh_typo(text: str, edits: int, rng: random.Random) -> str:
    """`edits` slips of the keyboard, each one of five at random: in a word of four letters or
    more, two letters swapped, one dropped, one doubled or one changed ("Peoplee Sitzing on the
    Beach"); or a space moved by a letter ("Tabri zRug"), when there are two words."""
    words = text.split()
    for _ in range(edits):
        long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        spaces = [i for i in range(len(words) - 1) if len(words[i]) >= 2 or len(words[i + 1]) >= 2]
        slips = (["swapped", "dropped", "doubled", "changed"] if long else []) + (
            ["space moved"] if spaces else []
        )
        if not slips:
            break
        slip = rng.choice(slips)
        if slip == "space moved":
            i = rng.choice(spaces)
            left, right = words[i], words[i + 1]
            if len(left) >= 2 and (len(right) < 2 or rng.random() < 0.5):
                words[i], words[i + 1] = left[:-1], left[-1] + right
            else:
                words[i], words[i + 1] = left + right[0], right[1:]
            continue
        i = rng.choice(long)
        word = words[i]
        j = rng.randrange(1, len(word) - 1)
        if slip == "swapped":
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        elif slip == "dropped":
            words[i] = word[:j] + word[j + 1 :]
        elif slip == "doubled":
            words[i] = word[:j] + word[j] + word[j:]
        else:
            words[i] = word[:j] + _changed_letter(word[j], rng) + word[j + 1 :]
    return " ".join(words)


def drop_fields(fields: dict[str, str], rng: random.Random, keep: str = "title") -> dict[str, str]:
    """One or two of the fields other than `keep` left out (at least one other kept)."""
    optional = [k for k in fields if k != keep]
    dropped = set(rng.sample(optional, min(rng.choice((1, 2)), max(0, len(optional) - 1))))
    return {k: v for k, v in fields.items() if k not in dropped}


ANONYMOUS_KIND = "unrelated, no maker named, as registered"
THEFT_SIBLING_KIND = "sibling, no maker named, same theft"


@dataclass(frozen=True)
class HeldOut:
    register: list[Record]
    unrelated: list[Record]  # every record of the held-out makers
    anonymous: list[Record]  # records with no named maker, and a title no registered record has
    # ... those of them taken in a theft or loss of which a record stays (`related`): another
    # object of that theft (the other of a pair, a piece of one service), so siblings
    anonymous_of_theft: list[Record]
    siblings: list[Record]  # records of a registered maker, series or theft, with no twin left
    registered_titles: frozenset[str]  # the register's titles, as `_title_key` writes them
    ties: dict[str, frozenset[str]]  # a sibling's key -> its registered relatives' keys
    maker_groups: dict[str, str]  # an unrelated record's key -> its group of held-out makers

    def unrelated_kind(self, kind: str, record: Record) -> str:
        """The kind of an unrelated negative, marked when a registered record has its very title
        (another copy of a book or print, mostly: reported apart in the rows, counted in all)."""
        same = _title_key(record) in self.registered_titles
        return f"{kind} (title registered)" if same else kind

    def unrelated_query(self, kind: str, fields: dict[str, str], record: Record) -> Query:
        """An unrelated negative described by `fields`, split by its held-out makers (by its
        record when it names none)."""
        return Query(
            self.unrelated_kind(kind, record),
            ObjectDescription.model_validate(fields),
            record,
            "unrelated",
            self.maker_groups.get(record.key, ""),
        )


def hold_out(
    records: list[Record],
    makers_of: Callable[[Record], frozenset[str]],
    share: float,
    siblings: int,
    rng: random.Random,
    related: Callable[[Record], Iterable[str]],
) -> HeldOut:
    """Leave out of the register every record of a `share` of the named makers,
    `ANONYMOUS_SHARE` of the records with no named maker whose title no other record that stays
    has (so none has a twin left), and `siblings` records related (`related`: keys such as the
    maker or the case number) to a record that stays, and twins of none.

    `makers_of` gives a record's named makers (none for an unnamed one). A record is unrelated
    when all its makers are held out; one that shares a maker with both sides (a book by a
    held-out author from a registered publisher) is neither registered nor asked."""
    names = sorted({m for r in records for m in makers_of(r)})
    gone = set(rng.sample(names, round(share * len(names))))
    unrelated = [r for r in records if (m := makers_of(r)) and m <= gone]
    kept = [r for r in records if not makers_of(r) & gone]
    # A maker written two ways ("Arkstee und Merkus", "Arkstee [u.a.]") is one maker: a held-out
    # record whose maker field shares a rare name with a registered record's is neither
    # registered nor asked.
    kept_names = _name_words(kept)
    unrelated = [r for r in unrelated if not _rare_names(r, kept_names)]
    titles: dict[str, int] = {}
    for r in kept:
        titles[_title_key(r)] = titles.get(_title_key(r), 0) + 1
    unnamed = [
        r for r in kept
        if not makers_of(r) and r.description.title and titles[_title_key(r)] == 1
    ]  # fmt: skip
    anonymous = rng.sample(unnamed, round(ANONYMOUS_SHARE * len(unnamed)))
    gone_records = {r.key for r in anonymous}
    kept = [r for r in kept if r.key not in gone_records]
    relatives: dict[str, int] = {}
    for r in kept:
        for key in set(related(r)):
            relatives[key] = relatives.get(key, 0) + 1
    of_theft = [r for r in anonymous if any(relatives.get(k, 0) for k in related(r))]
    anonymous = [r for r in anonymous if not any(relatives.get(k, 0) for k in related(r))]
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
    wanted = {k for r in chosen + of_theft for k in related(r)}
    relatives_of: dict[str, set[str]] = {}
    for r in register:
        for k in set(related(r)) & wanted:
            relatives_of.setdefault(k, set()).add(r.key)
    ties = {
        r.key: frozenset(key for k in related(r) for key in relatives_of.get(k, ()))
        for r in chosen + of_theft
    }
    return HeldOut(
        register,
        unrelated,
        anonymous,
        of_theft,
        chosen,
        frozenset(_title_key(r) for r in register),
        ties,
        _maker_groups(unrelated, makers_of),
    )


def _maker_groups(
    records: list[Record], makers_of: Callable[[Record], frozenset[str]]
) -> dict[str, str]:
    """Each record's group of makers: makers that share a record are one group (named by its
    first maker), so that splitting by group puts each maker's records in one half."""
    parent: dict[str, str] = {}

    def root(maker: str) -> str:
        while parent.get(maker, maker) != maker:
            maker = parent[maker]
        return maker

    for r in records:
        first, *others = sorted(makers_of(r))
        for other in others:
            a, b = root(first), root(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {r.key: "makers: " + root(min(makers_of(r))) for r in records}


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


def run(store: Store, queries: list[Query], matcher: Matcher, *, every: int = 1000) -> list[Result]:
    results = []
    for number, query in enumerate(queries, start=1):
        candidates = store.search_text(query.description, limit=CANDIDATES)
        results.append(evaluate(query, candidates, matcher))
        if number % every == 0:
            print(f"  {number:,}/{len(queries):,} queries", file=sys.stderr)
    return results
