"""Text matching: find NSAF objects however a seller re-describes them, and flag nothing else.

    uv run python benchmarks/text_matching.py [--csv PATH] [--sample 600] [--seed 11]
        [--show-failures]

The register is a local store of the NSAF records (the FBI plugin's seed copy, 4,523), less what
is held out, all from the same population:

- unrelated negatives: every record of 15% of the named makers (chosen at random; a maker field
  may name several, split at `;`) is left out, and described as registered and, for every other
  one, with one or two fields dropped; and 4% of the records with no named maker (`Unknown`,
  `Anonymous` and the like) whose title no other record has, described as registered -- those of
  them of an NSAF case a registered record shares are siblings;
- siblings: 200 records of a maker or an NSAF case (`Reference Number`) that stays in the register,
  exact twins of no registered record, are left out too and reported apart: flagging them is not
  counted as a false match.

Queries re-describe a random sample of registered records as a seller or cataloguer would -- one
kind of change at a time (with this file's own phrasebook and name forms, never provcheck's
vocabulary, so that the benchmark does not grade the matcher against itself), then combined. Both
matchers rank the same candidates (the store's text search, 20 per query; see `text_benchmark.py`):
provcheck's `Matcher`, field by field, and rapidfuzz `token_set_ratio` over the concatenated text.

Queries are split into validation and test halves by a hash: positives and siblings of the record
they were made from (no object is in both), unrelated negatives of their held-out makers (no
held-out maker is in both). The baseline's threshold is chosen on validation where 1% of the unrelated
negatives reach it; provcheck is reported at `Matcher().match_threshold`, beside the thresholds
validation would choose (1% and none). Reported on test, per kind: recall@1 and recall@10 (an
exact twin of the target -- same title, maker, materials, size, date and type -- counts as the
target; a tie for first place counts as the target's share of it), "found" (the target first *and*
at or above the threshold), the false-match rate of the unrelated negatives and the share of
siblings flagged; then provcheck's threshold sweep on validation. `--show-failures` lists
validation failures only.
"""

from __future__ import annotations

import random
import re
import sys
import tempfile
from pathlib import Path

from provcheck import Matcher, ObjectDescription, Record
from provcheck.store.importing import import_file, load_mapping
from provcheck.store.opening import open_store
from provcheck.store.sqlite import LocalStore
from provcheck.text.normalise import normalise_text

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: its sibling module
from text_benchmark import (
    ANONYMOUS_KIND,
    ANONYMOUS_SHARE,
    THEFT_SIBLING_KIND,
    Described,
    HeldOut,
    Query,
    arguments,
    as_registered,
    drop_fields,
    field_rewritten,
    harsh_typos,
    hold_out,
    kind_registry,
    print_failures,
    print_report,
    run,
    seller_fields,
    title_changed,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CSV = ROOT / "adapters/provcheck-fbi/src/provcheck_fbi/seed/nsaf_data.csv"
HELD_OUT_MAKERS = 0.15  # the share of named makers whose records are left out of the register
SIBLINGS = 200

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
    # A note in brackets (`Maria Poveka (Maria Martinez)`) is no part of the name to rewrite.
    parts = re.sub(r"\s*\(.*", "", maker).split()
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


KINDS, kind = kind_registry()
kind("as registered")(as_registered)
kind("title reworded")(title_changed(reword_title))
kind("title abbreviated")(title_changed(abbreviate_title))
kind("title translated")(title_changed(translate_title))


@kind("maker other form")
def _name_form(f: dict[str, str], r: Record, rng: random.Random) -> Described:
    return {**f, "maker": other_name_form(f["maker"], rng)} if "maker" in f else None


@kind("maker qualified")
def _qualified(f: dict[str, str], r: Record, rng: random.Random) -> Described:
    return {**f, "maker": qualified(f["maker"], rng)} if "maker" in f else None


kind("measurements converted")(field_rewritten("measurements", converted_measurements))
kind("period as century")(field_rewritten("period", as_century))


@kind("typos")
def _typos(f: dict[str, str], r: Record, rng: random.Random) -> Described:
    out = {**f, "title": typo(f["title"], rng)}
    if "maker" in f:
        out["maker"] = typo(f["maker"], rng)
    return out


@kind("fields missing")
def _missing(f: dict[str, str], r: Record, rng: random.Random) -> Described:
    optional = [
        k for k in ("maker", "materials", "measurements", "period", "object_type") if k in f
    ]
    dropped = set(rng.sample(optional, min(2, max(0, len(optional) - 1))))
    return {k: v for k, v in f.items() if k not in dropped}


@kind("combined")
def _combined(f: dict[str, str], r: Record, rng: random.Random) -> Described:
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


kind("typos, harsh")(harsh_typos)


# Makers no register can name: their records are no one's objects to hold out or match.
UNNAMED = re.compile(
    r"^(unknown|anonymous|anon|unidentified|unattributed|various|not known|none|n a)\b"
)


def makers_of(record: Record) -> frozenset[str]:
    """The record's named makers (`Henry Klar; Gloria Klar`: two), normalised."""
    names = (normalise_text(n) for n in (record.description.maker_text or "").split(";"))
    return frozenset(n for n in names if n and not UNNAMED.match(n))


def related(record: Record) -> list[str]:
    """What ties an object to others of the register: its makers and its NSAF case number."""
    keys = [f"maker:{m}" for m in makers_of(record)]
    raw = record.raw if isinstance(record.raw, dict) else {}
    number = str(raw.get("Reference Number") or "").strip()
    return keys + ([f"case:{number}"] if number else [])


def build_queries(held: HeldOut, sample: int, rng: random.Random) -> list[Query]:
    eligible = [
        r for r in held.register
        if r.description.title and len(seller_fields(r)) >= 3 and len(r.description.title) > 2
    ]  # fmt: skip
    queries = []
    # Its own chance for the negatives: the same negatives whatever the sample.
    for_negatives = random.Random(rng.getrandbits(64))
    for record in rng.sample(eligible, min(sample, len(eligible))):
        fields = seller_fields(record)
        for name, transform in KINDS.items():
            described = transform(fields, record, rng)
            if described is None:
                continue
            queries.append(
                Query(name, ObjectDescription.model_validate(described), record, "positive")
            )
    for number, record in enumerate(held.unrelated):
        fields = seller_fields(record)
        if "title" not in fields:
            continue
        queries.append(held.unrelated_query("unrelated maker, as registered", fields, record))
        if number % 2 == 0 and len(fields) >= 3:
            dropped = drop_fields(fields, for_negatives)
            queries.append(held.unrelated_query("unrelated maker, fields dropped", dropped, record))
    for record in held.anonymous:
        queries.append(held.unrelated_query(ANONYMOUS_KIND, seller_fields(record), record))
    for record in held.anonymous_of_theft:
        seen = ObjectDescription.model_validate(seller_fields(record))
        ties = held.ties[record.key]
        queries.append(Query(THEFT_SIBLING_KIND, seen, record, "sibling", ties=ties))
    for record in held.siblings:
        queries.append(
            Query(
                "sibling, as registered",
                ObjectDescription.model_validate(seller_fields(record)),
                record,
                "sibling",
                ties=held.ties[record.key],
            )
        )
    return queries


def main() -> None:
    args = arguments(__doc__, DEFAULT_CSV, "NSAF-format CSV (the register)", 600).parse_args()
    rng = random.Random(args.seed)
    matcher = Matcher()

    with tempfile.TemporaryDirectory() as folder:
        with LocalStore(Path(folder) / "all.sqlite3") as everything:
            import_file(everything, args.csv, mapping=load_mapping("nsaf"))
            records = list(everything.iter_records("fbi"))
        held = hold_out(records, makers_of, HELD_OUT_MAKERS, SIBLINGS, rng, related)
        store = open_store(args.store or Path(folder) / "register.sqlite3")
        with store.transaction():
            for record in held.register:
                store.put_record(record)
        queries = build_queries(held, args.sample, rng)
        results = run(store, queries, matcher)
        store.close()

    named = len({m for r in records for m in makers_of(r)})
    header = (
        f"register: {len(held.register):,} of {len(records):,} NSAF records; held out: "
        f"{len(held.unrelated):,} records of {round(HELD_OUT_MAKERS * named)} of {named:,} named "
        f"makers and {len(held.anonymous)} ({ANONYMOUS_SHARE:.0%}) of the records with no named "
        f"maker and a title of their own (unrelated negatives), {len(held.siblings)} siblings; "
        f"{args.sample} objects re-described; seed {args.seed}"
    )
    kinds = list(KINDS)
    thresholds = print_report(results, matcher, header, kinds, [("all re-described", kinds)])
    if args.show_failures:
        print()
        print_failures(results, thresholds, sys.stdout)


if __name__ == "__main__":
    main()
