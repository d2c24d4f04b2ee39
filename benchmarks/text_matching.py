"""Text matching: find NSAF objects however a seller re-describes them, and flag nothing else.

    uv run python benchmarks/text_matching.py [--csv PATH] [--sample 300] [--seed 11]

The register is a local store of all 4,523 NSAF records (the FBI plugin's seed copy). Queries
re-describe a random sample of them as a seller or cataloguer would -- one kind of change at a time,
then all combined -- and describe public-domain artworks that are in no register
(fixtures/benchmark/artworks.csv). Both matchers rank the same candidates (the store's text
search, 20 per query):

- provcheck: `provcheck.Matcher`, field by field;
- baseline: rapidfuzz `token_set_ratio` over the concatenated text of query and record.

Reported per kind: recall@1 and recall@10 (a record that is an exact twin of the target -- the
same title, maker, materials, size, date and type, so that no description could tell them apart --
counts as the target; a tie for first place with other records counts as the target's share of
it, not as a find), "found" (the target first *and*
at or above the possible-match threshold), and the false-match rate: not-in-register queries whose
best candidate reaches that threshold. The baseline's threshold is set where its false-match rate
is 1%, to compare like with like. A sweep of provcheck's thresholds follows, from which the
thresholds in `provcheck.Matcher` were chosen.

The re-descriptions use this file's own translation table and name forms, not provcheck's
vocabulary, so that the benchmark does not grade the matcher against itself.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from provcheck import Matcher, ObjectDescription, Record
from provcheck.store.importing import import_file, load_mapping
from provcheck.store.sqlite import LocalStore
from provcheck.text.normalise import normalise_text

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CSV = ROOT / "adapters/provcheck-fbi/src/provcheck_fbi/seed/nsaf_data.csv"
NEGATIVES = ROOT / "fixtures" / "benchmark" / "artworks.csv"
CANDIDATES = 20

# An independent phrasebook: what a French, German or Italian cataloguer would write.
TRANSLATIONS = {
    "portrait": ["portrait", "bildnis", "ritratto"],
    "woman": ["femme", "frau", "donna"],
    "man": ["homme", "mann", "uomo"],
    "girl": ["jeune fille", "mädchen", "ragazza"],
    "boy": ["garçon", "knabe", "ragazzo"],
    "child": ["enfant", "kind", "bambino"],
    "landscape": ["paysage", "landschaft", "paesaggio"],
    "flowers": ["fleurs", "blumen", "fiori"],
    "still": ["nature morte", "stillleben", "natura morta"],
    "head": ["tête", "kopf", "testa"],
    "nude": ["nu", "akt", "nudo"],
    "virgin": ["vierge", "jungfrau", "vergine"],
    "horse": ["cheval", "pferd", "cavallo"],
    "river": ["rivière", "fluss", "fiume"],
    "church": ["église", "kirche", "chiesa"],
    "garden": ["jardin", "garten", "giardino"],
    "untitled": ["sans titre", "ohne titel", "senza titolo"],
    "study": ["étude", "studie", "studio"],
    "abstract": ["abstrait", "abstrakt", "astratto"],
    "mother": ["mère", "mutter", "madre"],
    "the": ["le", "die", "il"],
    "of": ["de", "von", "di"],
    "with": ["avec", "mit", "con"],
    "and": ["et", "und", "e"],
}
QUALIFIERS = ["attributed to", "circle of", "studio of", "after", "school of", "follower of"]
ARTICLES = {"the", "a", "an", "le", "la", "les", "der", "die", "das", "il", "el"}


@dataclass(frozen=True)
class Query:
    kind: str
    description: ObjectDescription
    target: Record | None  # None: the object is in no register


def _words(text: str) -> list[str]:
    return text.split()


def reword_title(title: str, rng: random.Random) -> str:
    words = [w for w in _words(title) if w.lower() not in ARTICLES] or _words(title)
    if len(words) >= 3:
        words.pop(rng.randrange(1, len(words)))  # a word left out
    if len(words) >= 2:
        words = words[1:] + words[:1] if rng.random() < 0.5 else list(reversed(words))
    return " ".join(words)


def abbreviate_title(title: str, rng: random.Random) -> str:
    words = _words(title)
    if len(words) > 3:
        return " ".join(words[:3])
    return re.sub(r"\bSaint\b", "St.", " ".join(w if len(w) < 9 else w[:6] + "." for w in words))


def translate_title(title: str, rng: random.Random) -> str:
    out = []
    language = rng.randrange(3)
    for word in _words(title):
        key = re.sub(r"\W", "", word.lower())
        out.append(TRANSLATIONS[key][language] if key in TRANSLATIONS else word)
    return " ".join(out)


def typo(text: str, rng: random.Random) -> str:
    words = _words(text)
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    word = words[i]
    j = rng.randrange(1, len(word) - 1)
    words[i] = (
        word[:j] + word[j + 1 :]
        if rng.random() < 0.5
        else word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    )
    return " ".join(words)


def other_name_form(maker: str, rng: random.Random) -> str:
    parts = maker.split()
    if len(parts) < 2 or ";" in maker or "," in maker:
        return maker.upper() if rng.random() < 0.5 else maker
    given, surname = parts[:-1], parts[-1]
    form = rng.randrange(4)
    if form == 0:
        return f"{surname}, {' '.join(given)}"
    if form == 1:
        return " ".join(f"{g[0]}." for g in given) + f" {surname}"
    if form == 2:
        return surname
    return maker.lower()


def qualified(maker: str, rng: random.Random) -> str:
    return f"{rng.choice(QUALIFIERS)} {maker}"


def converted_measurements(record: Record, rng: random.Random) -> str | None:
    lengths = [m for m in record.description.measurements if m.centimetres]
    if not lengths:
        return None
    if lengths[0].unit.value in ("in", "ft"):
        values = [round((m.centimetres or 0) * 2) / 2 for m in lengths]
        unit = "cm"
    else:
        values = [round((m.centimetres or 0) / 2.54 * 4) / 4 for m in lengths]
        unit = "in"
    if len(values) >= 2 and rng.random() < 0.5:
        values[0], values[1] = values[1], values[0]  # height and width the other way round
    return " x ".join(f"{v:g}" for v in values) + f" {unit}"


def as_century(record: Record, rng: random.Random) -> str | None:
    period = record.description.period
    if period is None or period.earliest is None or period.earliest < 100:
        return None
    year = period.earliest
    if rng.random() < 0.5 and period.latest == year:
        return f"c. {year // 10 * 10}"
    century = year // 100 + 1
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(
        century % 10 if century not in (11, 12, 13) else 0, "th"
    )
    return f"{century}{suffix} century"


def seller_fields(record: Record) -> dict[str, str]:
    d = record.description
    fields = {
        "title": d.title,
        "maker": d.maker_text,
        "materials": d.materials,
        "measurements": d.measurements_text,
        "period": d.period.text if d.period else None,
        "object_type": d.object_type,
    }
    return {k: v for k, v in fields.items() if v}


KINDS: dict[str, Callable[[dict[str, str], Record, random.Random], dict[str, str]]] = {}


def kind(name: str) -> Callable[[Callable[..., dict[str, str]]], Callable[..., dict[str, str]]]:
    def register(function: Callable[..., dict[str, str]]) -> Callable[..., dict[str, str]]:
        KINDS[name] = function
        return function

    return register


@kind("as registered")
def _same(f: dict[str, str], r: Record, rng: random.Random) -> dict[str, str]:
    return f


@kind("title reworded")
def _reworded(f: dict[str, str], r: Record, rng: random.Random) -> dict[str, str]:
    return {**f, "title": reword_title(f["title"], rng)}


@kind("title abbreviated")
def _abbreviated(f: dict[str, str], r: Record, rng: random.Random) -> dict[str, str]:
    return {**f, "title": abbreviate_title(f["title"], rng)}


@kind("title translated")
def _translated(f: dict[str, str], r: Record, rng: random.Random) -> dict[str, str]:
    return {**f, "title": translate_title(f["title"], rng)}


@kind("maker other form")
def _name_form(f: dict[str, str], r: Record, rng: random.Random) -> dict[str, str]:
    return {**f, "maker": other_name_form(f["maker"], rng)} if "maker" in f else f


@kind("maker qualified")
def _qualified(f: dict[str, str], r: Record, rng: random.Random) -> dict[str, str]:
    return {**f, "maker": qualified(f["maker"], rng)} if "maker" in f else f


@kind("measurements converted")
def _converted(f: dict[str, str], r: Record, rng: random.Random) -> dict[str, str]:
    converted = converted_measurements(r, rng)
    return {**f, "measurements": converted} if converted else f


@kind("period as century")
def _century(f: dict[str, str], r: Record, rng: random.Random) -> dict[str, str]:
    century = as_century(r, rng)
    return {**f, "period": century} if century else f


@kind("typos")
def _typos(f: dict[str, str], r: Record, rng: random.Random) -> dict[str, str]:
    out = {**f, "title": typo(f["title"], rng)}
    if "maker" in f:
        out["maker"] = typo(f["maker"], rng)
    return out


@kind("fields missing")
def _missing(f: dict[str, str], r: Record, rng: random.Random) -> dict[str, str]:
    optional = [
        k for k in ("maker", "materials", "measurements", "period", "object_type") if k in f
    ]
    dropped = set(rng.sample(optional, min(2, max(0, len(optional) - 1))))
    return {k: v for k, v in f.items() if k not in dropped}


@kind("combined")
def _combined(f: dict[str, str], r: Record, rng: random.Random) -> dict[str, str]:
    out = dict(f)
    out["title"] = typo(
        rng.choice([reword_title, abbreviate_title, translate_title])(f["title"], rng), rng
    )
    if "maker" in f:
        out["maker"] = other_name_form(f["maker"], rng)
    converted, century = converted_measurements(r, rng), as_century(r, rng)
    if converted:
        out["measurements"] = converted
    if century:
        out["period"] = century
    out.pop("materials", None)
    return out


def build_queries(records: list[Record], sample: int, rng: random.Random) -> list[Query]:
    eligible = [
        r for r in records
        if r.description.title and len(seller_fields(r)) >= 3 and len(r.description.title) > 2
    ]  # fmt: skip
    queries = []
    for record in rng.sample(eligible, min(sample, len(eligible))):
        fields = seller_fields(record)
        for name, transform in KINDS.items():
            described = transform(fields, record, rng)
            queries.append(Query(name, ObjectDescription.model_validate(described), record))
    with NEGATIVES.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            fields = {k: v for k, v in row.items() if v and not v.startswith("Unknown")}
            queries.append(Query("not in register", ObjectDescription.model_validate(fields), None))
    return queries


def _meaning(field: str, value: str) -> tuple[str, ...]:
    """A field's words, in any order; a size with no number in it says nothing."""
    if field == "measurements" and not re.search(r"\d", value):
        return ()
    return tuple(sorted(normalise_text(value).split()))


def _is_twin(record: Record, target: Record) -> bool:
    """A record alike to the target in all a seller could know of it cannot be told apart."""
    ours = seller_fields(record)
    return all(
        _meaning(k, ours.get(k, "")) == _meaning(k, v) for k, v in seller_fields(target).items()
    )


def _concatenated(d: ObjectDescription) -> str:
    parts = [
        d.title,
        d.maker_text,
        d.materials,
        d.measurements_text,
        d.period.text if d.period else None,
        d.object_type,
    ]
    return " ".join(p for p in parts if p)


@dataclass
class Outcome:
    at_1: float  # the target's share of first place: ties with other records share it
    rank: int | None  # 1-based rank of the target (or a twin), None if not among the candidates
    best_score: float  # the best candidate's score (for false matches)


def evaluate(query: Query, candidates: list[Record], matcher: Matcher) -> tuple[Outcome, Outcome]:
    ours = [(c.score, c.record) for c in matcher.rank(query.description, candidates)]
    text = _concatenated(query.description)
    theirs = sorted(
        ((fuzz.token_set_ratio(text, _concatenated(r.description)) / 100, r) for r in candidates),
        key=lambda pair: pair[0],
        reverse=True,
    )

    def outcome(ranked: list[tuple[float, Record]]) -> Outcome:
        best = ranked[0][0] if ranked else 0.0
        if query.target is None:
            return Outcome(0.0, None, best)
        target = query.target

        def is_target(record: Record) -> bool:
            return record.key == target.key or _is_twin(record, target)

        # A tie for first place is a coin toss, not a find: the target gets its share of it.
        first = [record for score, record in ranked if abs(score - best) < 1e-9]
        at_1 = sum(map(is_target, first)) / len(first) if first else 0.0
        rank = next((i for i, (_, r) in enumerate(ranked, start=1) if is_target(r)), None)
        return Outcome(at_1, rank, best)

    return outcome(ours), outcome(theirs)


def threshold_at_false_rate(scores: list[float], rate: float) -> float:
    """The lowest threshold at which at most `rate` of these negative scores reach it."""
    ordered = sorted(scores, reverse=True)
    allowed = int(rate * len(ordered))
    return (ordered[allowed] + 1e-9) if allowed < len(ordered) else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--csv", type=Path, default=DEFAULT_CSV, help="NSAF-format CSV (the register)"
    )
    parser.add_argument("--sample", type=int, default=500, help="register objects to re-describe")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    matcher = Matcher()

    with tempfile.TemporaryDirectory() as folder:
        store = LocalStore(Path(folder) / "bench.sqlite3")
        import_file(store, args.csv, mapping=load_mapping("nsaf"))
        records = list(store.iter_records("fbi"))
        queries = build_queries(records, args.sample, rng)
        results: list[tuple[Query, Outcome, Outcome]] = []
        for number, query in enumerate(queries, start=1):
            candidates = store.search_text(query.description, limit=CANDIDATES)
            ours, theirs = evaluate(query, candidates, matcher)
            results.append((query, ours, theirs))
            if number % 500 == 0:
                print(f"  {number}/{len(queries)} queries", file=sys.stderr)
        store.close()

    negatives = [(o, t) for q, o, t in results if q.target is None]
    baseline_threshold = threshold_at_false_rate([t.best_score for _, t in negatives], 0.01)
    threshold = matcher.match_threshold

    def summary(
        rows: list[tuple[Outcome, Outcome]], index: int, cut: float
    ) -> tuple[float, float, float]:
        picked = [row[index] for row in rows]
        at1 = sum(o.at_1 for o in picked) / len(picked)
        at10 = sum(o.rank is not None and o.rank <= 10 for o in picked) / len(picked)
        found = sum(o.at_1 for o in picked if o.best_score >= cut) / len(picked)
        return at1, at10, found

    print(
        f"\nregister: {len(records):,} NSAF records; {args.sample} objects re-described; seed {args.seed}"
    )
    print(
        f"possible-match threshold: provcheck {threshold:.2f}, baseline {baseline_threshold:.2f} (1% false matches)\n"
    )
    header = f"{'kind of change':<24} {'n':>5}  {'recall@1':>17}  {'recall@10':>17}  {'found (≥ threshold)':>20}"
    print(header)
    print(
        f"{'':<24} {'':>5}  {'provcheck  base':>17}  {'provcheck  base':>17}  {'provcheck  base':>20}"
    )
    all_positive: list[tuple[Outcome, Outcome]] = []
    for name in KINDS:
        rows = [(o, t) for q, o, t in results if q.kind == name]
        all_positive += rows
        p, b = summary(rows, 0, threshold), summary(rows, 1, baseline_threshold)
        print(
            f"{name:<24} {len(rows):>5}  {p[0]:>9.3f} {b[0]:>6.3f}  {p[1]:>9.3f} {b[1]:>6.3f}  {p[2]:>12.3f} {b[2]:>6.3f}"
        )
    p, b = summary(all_positive, 0, threshold), summary(all_positive, 1, baseline_threshold)
    print(
        f"{'all re-described':<24} {len(all_positive):>5}  {p[0]:>9.3f} {b[0]:>6.3f}  {p[1]:>9.3f} {b[1]:>6.3f}  {p[2]:>12.3f} {b[2]:>6.3f}"
    )
    false_ours = sum(o.best_score >= threshold for o, _ in negatives) / len(negatives)
    false_base = sum(t.best_score >= baseline_threshold for _, t in negatives) / len(negatives)
    print(
        f"{'not in register: false':<24} {len(negatives):>5}  {'':>17}  {'':>17}  {false_ours:>12.3f} {false_base:>6.3f}"
    )

    print("\nthreshold sweep (provcheck): threshold, false matches, found")
    for step in range(30, 81, 5):
        cut = step / 100
        false_rate = sum(o.best_score >= cut for o, _ in negatives) / len(negatives)
        found = sum(o.at_1 for o, _ in all_positive if o.best_score >= cut) / len(all_positive)
        print(f"  {cut:.2f}  {false_rate:6.3f}  {found:6.3f}")


if __name__ == "__main__":
    main()
