"""Text matching on the German Lost Art Database: find its objects however a German or an English
seller re-describes them, and flag nothing else.

    uv run python benchmarks/text_matching_lostart.py [--csv PATH] [--sample 250] [--seed 11]
        [--negatives 500] [--show-failures]

The register is a local store of the Lost Art export (`--csv`, default
`../shared/data/lostart/lostart.csv.gz` beside the checkout; 127,500 records), read with the
plugin's own `parse_export` and `record_from_row`, less what is held out:

- unrelated negatives: every record of 10% of the named makers (by surname, chosen at random; a
  record naming held-out and registered makers both is in neither) is left out; `--negatives` of
  them are described as registered, with fields dropped, and (every other one) in English; and 4%
  of the records with no named maker (`Unbekannt (...)`) whose title no other record has are left
  out, `--negatives` of them described as registered;
- siblings: 200 records of a maker or a loss (`Provenienz`) that stays in the register (and no
  exact twin of a registered record) are left out too, and so are the held-out records with no
  named maker of a loss a registered record shares; both are reported apart: flagging them is
  not a false match.

Queries re-describe a sample of registered records that have a title and at least two more of
maker, period, measurements, object type and materials (and a third as many again of those with
sizes in cm, which few descriptions give, so that the measurements kind has enough): German kinds one change at a time
(reworded, abbreviated, typos, Datierung forms, measurements as sellers write them, maker forms)
and combined, then English ones, written with this file's own phrasebook (never provcheck's
vocabulary) as an English-speaking buyer with only the German record's facts would. The
phrasebook is written apart from provcheck's vocabulary but not blind to it: both translate the
commonest German title words, so most entries give the same terms as the vocabulary (the header
counts them), and the English kinds measure mostly words the vocabulary knows -- a title word
neither knows is left German. Both matchers rank the same 20 candidates of the store's text
search (see `text_benchmark.py`); queries are split into validation and test halves by a hash
(positives and siblings of their record, unrelated negatives of their held-out makers),
thresholds are chosen on validation and every figure is reported on test; `--show-failures`
lists validation failures only.

A text check's latency (search plus ranking) is timed before the evaluation, on test queries not
run before, on the register's store closed and opened again: the first check after opening pays
for reading the index's vocabulary and is reported apart. The store's file was just written, so
the operating system's cache holds it: a check on a cold disk is slower.
"""

from __future__ import annotations

import gzip
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from provcheck_lostart.export import makers_of, parse_export, record_from_row

from provcheck import Matcher, ObjectDescription, Record
from provcheck.store.interface import Store
from provcheck.store.opening import open_store
from provcheck.text.normalise import normalise_text

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: its sibling module
from text_benchmark import (
    ANONYMOUS_KIND,
    ANONYMOUS_SHARE,
    CANDIDATES,
    THEFT_SIBLING_KIND,
    Described,
    HeldOut,
    Query,
    arguments,
    as_registered,
    drop_fields,
    field_rewritten,
    harsh_typo,
    harsh_typos,
    hold_out,
    kind_registry,
    print_failures,
    print_report,
    run,
    title_changed,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CSV = ROOT.parent / "shared/data/lostart/lostart.csv.gz"
HELD_OUT_MAKERS = 0.10
SIBLINGS = 200
BATCH = 5000  # records written per transaction
TIMED = 300  # test queries whose check is timed

# German -> English, for titles: the ordinary words among the commonest title words of the set.
PHRASEBOOK = {
    "bildnis": "portrait", "porträt": "portrait", "portrait": "portrait",
    "brustbild": "bust portrait", "selbstbildnis": "self-portrait",
    "frauenbildnis": "portrait of a woman", "männerbildnis": "portrait of a man",
    "herrenbildnis": "portrait of a gentleman", "damenbildnis": "portrait of a lady",
    "kinderbildnis": "portrait of a child", "dame": "lady", "frau": "woman", "frauen": "women",
    "mann": "man", "mannes": "man", "herr": "gentleman", "herrn": "gentleman", "mädchen": "girl",
    "knabe": "boy", "junge": "boy", "jungen": "young", "kind": "child", "kinder": "children",
    "mutter": "mother", "vater": "father", "sohn": "son", "tochter": "daughter",
    "familie": "family", "paar": "pair", "alte": "old", "alter": "old", "alten": "old",
    "junger": "young", "landschaft": "landscape", "flusslandschaft": "river landscape",
    "waldlandschaft": "forest landscape", "berglandschaft": "mountain landscape",
    "gebirgslandschaft": "mountain landscape", "winterlandschaft": "winter landscape",
    "seelandschaft": "lake landscape", "küstenlandschaft": "coastal landscape",
    "stillleben": "still life", "stilleben": "still life", "blumenstillleben": "flower still life",
    "blumenstück": "flower piece", "blumen": "flowers", "blume": "flower", "rosen": "roses",
    "ansicht": "view", "blick": "view", "stadt": "town", "stadtansicht": "town view",
    "kirche": "church", "kloster": "monastery", "dorf": "village", "haus": "house", "hof": "court",
    "garten": "garden", "schloss": "castle", "burg": "castle", "brücke": "bridge", "see": "lake",
    "meer": "sea", "fluss": "river", "wald": "forest", "wasser": "water", "land": "land",
    "kopf": "head", "akt": "nude", "studie": "study", "studien": "studies", "skizze": "sketch",
    "entwurf": "design", "figur": "figure", "figuren": "figures", "gruppe": "group",
    "szene": "scene", "darstellung": "depiction", "fragment": "fragment", "büste": "bust",
    "heilige": "saint", "heiliger": "saint", "heiligen": "saint", "hl": "saint",
    "madonna": "madonna", "christus": "christ", "christi": "of christ", "engel": "angel",
    "anbetung": "adoration", "kreuz": "cross", "kreuzigung": "crucifixion", "gottes": "of god",
    "könig": "king", "königin": "queen", "kaiser": "emperor", "fürst": "prince",
    "fürstin": "princess", "prinzessin": "princess", "prinz": "prince", "prinzen": "prince",
    "herzog": "duke", "graf": "count", "grafen": "count", "kurfürst": "elector", "pferd": "horse",
    "pferde": "horses", "hund": "dog", "reiter": "rider", "vogel": "bird", "teller": "plate",
    "vase": "vase", "vasen": "vases", "schale": "bowl", "schüssel": "dish", "tasse": "cup",
    "untertasse": "saucer", "becher": "beaker", "krug": "jug", "dose": "box", "deckel": "lid",
    "kanne": "pot", "leuchter": "candlestick", "spiegel": "mirror", "tisch": "table",
    "stuhl": "chair", "schrank": "cabinet", "teppich": "carpet", "uhr": "clock",
    "wappen": "coat of arms", "buch": "book", "bücher": "books", "brief": "letter",
    "briefe": "letters", "geschichte": "history", "leben": "life", "tod": "death", "welt": "world",
    "natur": "nature", "krieg": "war", "zeit": "time", "jahr": "year", "jahre": "years",
    "kunst": "art", "sammlung": "collection", "werke": "works", "gedichte": "poems",
    "band": "volume", "bd": "vol.", "teil": "part", "ohne": "without", "titel": "title",
    "sitzender": "seated", "sitzende": "seated", "stehender": "standing", "stehende": "standing",
    "liegende": "reclining", "große": "large", "großer": "large", "grosse": "large",
    "kleine": "small", "kleiner": "small", "kleines": "small", "neue": "new", "zwei": "two",
    "drei": "three", "vier": "four", "fünf": "five", "ein": "a", "eine": "a", "einer": "of a",
    "eines": "of a", "einem": "a", "einen": "a", "der": "the", "die": "the", "das": "the",
    "den": "the", "dem": "the", "des": "of the", "und": "and", "u": "and", "mit": "with",
    "von": "of", "vom": "of the", "im": "in the", "in": "in", "am": "at the", "an": "at",
    "auf": "on", "aus": "from", "bei": "near", "beim": "at the", "nach": "after", "vor": "before",
    "zu": "to", "zum": "to the", "zur": "to the", "für": "for", "über": "on", "unter": "under",
    "als": "as", "oder": "or", "gegen": "against", "zwischen": "between", "e": "a", "st": "st.",
    "deutsche": "german", "deutschen": "german", "deutscher": "german", "italienische": "italian",
    "niederländische": "dutch", "französische": "french", "bauer": "peasant", "bauern": "peasants",
    "bäuerin": "peasant woman", "hirte": "shepherd", "jäger": "hunter", "fischer": "fisherman",
    "soldat": "soldier", "mönch": "monk", "sonne": "sun", "mond": "moon", "nacht": "night",
    "abend": "evening", "morgen": "morning", "winter": "winter", "sommer": "summer",
    "frühling": "spring", "herbst": "autumn", "straße": "street", "platz": "square",
    "hafen": "harbour", "mühle": "mill", "baum": "tree", "bäume": "trees", "weg": "path",
    "tal": "valley", "berg": "mountain", "berge": "mountains", "schiff": "ship",
    "schiffe": "ships", "boot": "boat", "früchte": "fruit", "obst": "fruit", "ruhe": "rest",
    "flucht": "flight", "ägypten": "egypt", "weiblicher": "female", "weibliches": "female",
    "weibliche": "female", "männlicher": "male", "männliches": "male", "männliche": "male",
    "runde": "round", "runder": "round", "rechts": "right", "links": "left", "fayence": "faience",
    "fahne": "flag", "sessel": "armchair", "ikone": "icon", "deckelvase": "covered vase",
    "gefäß": "vessel", "markgraf": "margrave", "bischof": "bishop", "sitzend": "seated",
    "flache": "flat", "kommode": "commode", "platte": "plate", "unterschale": "saucer",
    "ruine": "ruin", "ruinen": "ruins", "sechs": "six", "schloß": "castle",
    "miniatur": "miniature", "stühle": "chairs", "staffage": "figures",
    "deckelpokal": "covered goblet", "orden": "order", "münze": "coin", "stück": "piece",
    "interieur": "interior", "flußlandschaft": "river landscape", "allegorie": "allegory",
    "armlehnsessel": "armchair", "ovale": "oval", "blätter": "sheets", "blatt": "sheet",
    "schwert": "sword", "statuette": "statuette", "teekanne": "teapot", "tapisserie": "tapestry",
    "wasserfall": "waterfall", "deckeldose": "covered box", "decke": "blanket",
    "halbfigur": "half-length figure", "degen": "sword", "holländische": "dutch", "hand": "hand",
    "blau": "blue", "bauchige": "bulbous", "kühe": "cows", "terrine": "tureen", "herde": "herd",
    "liegender": "reclining", "krone": "crown", "hut": "hat", "schlacht": "battle",
    "feld": "field", "kaffeekanne": "coffee pot", "zwölf": "twelve", "brunnen": "fountain",
    "schreibtisch": "desk", "offizier": "officer", "regiment": "regiment", "bemalt": "painted",
    "apostel": "apostle", "seestück": "seascape", "felsen": "rocks", "pokal": "goblet",
    "jagd": "hunt", "badende": "bathers", "gemahlin": "wife", "hintergrund": "background",
    "profil": "profile", "tempel": "temple", "gemälde": "painting", "großherzog": "grand duke",
    "venedig": "venice", "rom": "rome", "geschnitzte": "carved", "geschnitzt": "carved",
    "teile": "parts", "seidenstoff": "silk fabric", "kirchen": "churches", "wiese": "meadow",
    "kuh": "cow", "schafe": "sheep", "katze": "cat", "ritter": "knight", "kampf": "fight",
    "tanz": "dance", "musik": "music", "lesende": "reading", "schlafende": "sleeping",
    "betende": "praying", "kreuzabnahme": "deposition", "auferstehung": "resurrection",
    "verkündigung": "annunciation", "geburt": "nativity", "taufe": "baptism",
    "abendmahl": "last supper", "hochzeit": "wedding",
}  # fmt: skip
# Compound phrases first, before word by word.
PHRASES = {
    "heilige familie": "holy family",
    "ruhe auf der flucht": "rest on the flight",
    "ohne titel": "untitled",
    "bildnis einer dame": "portrait of a lady",
    "bildnis eines mannes": "portrait of a man",
    "bildnis einer frau": "portrait of a woman",
    "bildnis eines jungen mannes": "portrait of a young man",
    "maria mit kind": "madonna and child",
    "madonna mit kind": "madonna and child",
}
OBJECT_TYPES = {
    "Malerei": "painting", "Gemälde": "painting", "Zeichnung": "drawing", "Druckgrafik": "print",
    "Plastik / Skulptur": "sculpture", "Vollplastik": "sculpture", "Aquarell": "watercolour",
    "Buch": "book", "Kunsthandwerk / -gewerbe": "decorative art", "Gefäß": "vessel",
    "Möbel": "furniture", "Kleinkunst": "figurine", "Archivgut": "archive document",
    "Bibliotheksgut": "book", "Urkunde / Faksimile": "document", "Handschrift": "manuscript",
    "Gebrauchs- / Raumtextilie": "textile", "Waffen / Zubehör": "weapon", "Periodika": "periodical",
    "Münze": "coin", "Medaille / Plakette": "medal", "Beleuchtung": "lamp", "Uhr": "clock",
    "Schmuck": "jewellery", "Behältnis": "box", "Grafik": "print", "Bekleidung": "clothing",
    "Karte / Grundrisse": "map", "Militaria": "militaria", "Orden / Ehrenzeichen": "decoration",
    "Modell": "model", "Schnitzerei": "carving", "Musikinstrument / Musikalie": "musical instrument",
    "Wiegendruck / Frühdruck": "incunabulum", "Mappenwerk / Skizzenbuch": "portfolio",
    "Brief / Postkarte": "letter", "Accessoire": "accessory", "Notenblätter": "sheet music",
}  # fmt: skip
MATERIALS = {
    "öl": "oil", "ölfarbe": "oil paint", "leinwand": "canvas", "auf": "on", "holz": "panel",
    "papier": "paper", "karton": "card", "pappe": "cardboard", "aquarell": "watercolour",
    "gouache": "gouache", "tempera": "tempera", "pastell": "pastel", "kohle": "charcoal",
    "bleistift": "pencil", "tusche": "ink", "feder": "pen", "kreide": "chalk",
    "radierung": "etching", "lithographie": "lithograph", "lithografie": "lithograph",
    "holzschnitt": "woodcut", "kupferstich": "engraving", "stahlstich": "steel engraving",
    "kupfer": "copper", "bronze": "bronze", "marmor": "marble", "silber": "silver", "gold": "gold",
    "porzellan": "porcelain", "fayence": "faience", "majolika": "maiolica", "elfenbein": "ivory",
    "glas": "glass", "seide": "silk", "wolle": "wool", "leder": "leather", "zinn": "pewter",
    "messing": "brass", "eisen": "iron", "terrakotta": "terracotta", "gips": "plaster",
    "alabaster": "alabaster", "email": "enamel", "mahagoni": "mahogany", "eiche": "oak",
    "nussbaum": "walnut", "pergament": "parchment",
}  # fmt: skip
ARTIKEL = {"der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "eines", "einem"}
ABBREVIATIONS = [
    (r"\beiner\b|\beines\b", "e."), (r"\bHeilige[nr]?\b", "Hl."), (r"\bSankt\b", "St."),
    (r"\bJahrhunderts?\b", "Jh."), (r"\bund\b", "u."), (r"\bPorträt\b|\bBildnis\b", "Bildn."),
    (r"\bBand\b", "Bd."), (r"\bDoktor\b", "Dr."),
]  # fmt: skip


def _written(text: str) -> str:
    """A person as the export writes them, without notes and what follows a slash
    (`Wilde, Oscar / Übers.: Gaulke, Johannes`: `Wilde, Oscar`)."""
    return re.sub(r"\s*\([^()]*\)\s*", " ", text).split(" / ")[0].strip(" ,;")


def named_makers(record: Record) -> frozenset[str]:
    """The surnames of the record's named persons (author, artist, publisher, ...), normalised;
    none for `Unbekannt` and the like. Surnames, not names: the export writes one person several
    ways (`Keilhack, K.`, `Keilhack, Konrad`, `Konrad Keilhack`), and a held-out maker must be out
    of the register under all of them."""
    makers = makers_of(record.description.maker_text or "")
    return frozenset(s for m in makers if (s := _surname(_written(m.text or m.name))))


def _surname(written: str) -> str:
    """`Sachs, Michael` and `Michael Sachs` (and `P. G. Kummer`) alike: the name's last word
    when no comma says which it is."""
    if "," in written:
        return normalise_text(written.partition(",")[0])
    # Initials and abbreviations are no surname (`P. G. Kummer`, `Schocken Verl.`).
    words = [w for w in written.split() if not w.endswith(".")] or written.split()
    return normalise_text(words[-1]) if words else ""


def related(record: Record) -> list[str]:
    """What ties an object to others of the register: its makers' surnames and its loss (the
    `Provenienz` a collection's records share: "Sammlung Feist", "Berlin, Max Perl, Auktion
    180")."""
    loss = normalise_text(record.description.provenance or "")
    return sorted(named_makers(record)) + ([f"loss:{loss}"] if loss else [])


def _person(record: Record) -> tuple[str, str] | None:
    """The first named maker as (surname, forenames) -- forenames may be ""."""
    makers = makers_of(record.description.maker_text or "")
    if not makers:
        return None
    surname, _, forenames = _written(makers[0].text or makers[0].name).partition(",")
    return surname.strip(), forenames.strip()


def _centimetres(record: Record) -> list[float]:
    """The lengths of the description's first measurements, in cm (plausible ones only)."""
    values = []
    for m in record.description.measurements:
        if m.centimetres and m.unit.value in ("cm", "mm", "m") and 0.5 <= m.centimetres <= 1000:
            values.append(m.centimetres)
    return values[:3]


def _german_number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _years(record: Record) -> tuple[int, int] | None:
    period = record.description.period
    if period is None or period.earliest is None or period.earliest < 1000:
        return None
    return period.earliest, period.latest or period.earliest


def german_fields(record: Record) -> dict[str, str]:
    """What a German seller copying the record would write: its fields without the export's
    brackets and roles."""
    d = record.description
    fields = {"title": d.title or ""}
    person = _person(record)
    if person:
        fields["maker"] = f"{person[0]}, {person[1]}" if person[1] else person[0]
    if d.period is not None and d.period.text:
        fields["period"] = d.period.text.splitlines()[0]
    if d.object_type:
        fields["object_type"] = d.object_type
    if d.materials:
        fields["materials"] = d.materials
    lengths = _centimetres(record)
    if lengths:
        fields["measurements"] = " x ".join(_german_number(round(v, 1)) for v in lengths) + " cm"
    return {k: v for k, v in fields.items() if v}


KINDS, kind = kind_registry()


def reword(title: str, rng: random.Random) -> str:
    words = [w for w in title.split() if w.lower() not in ARTIKEL] or title.split()
    if len(words) >= 3:
        words.pop(rng.randrange(1, len(words)))
    if len(words) >= 2:
        words = words[1:] + words[:1] if rng.random() < 0.5 else list(reversed(words))
    return " ".join(words)


def abbreviate(title: str, rng: random.Random) -> str:
    shortened = title
    for pattern, short in ABBREVIATIONS:
        shortened = re.sub(pattern, short, shortened)
    if shortened != title:
        return shortened
    words = title.split()
    if len(words) > 3:
        return " ".join(words[:3])
    return " ".join(w if len(w) < 9 else w[:6] + "." for w in words)


def datierung(record: Record, rng: random.Random) -> str | None:
    years = _years(record)
    if years is None:
        return None
    earliest, latest = years
    century = earliest // 100 + 1
    if latest - earliest <= 10:
        year = (earliest + latest) // 2
        return rng.choice([f"um {year}", f"ca. {year}", f"{year // 10 * 10}er Jahre"])
    if latest - earliest >= 80 or latest // 100 + 1 != century:
        return rng.choice([f"{century}. Jh.", f"{century}. Jahrhundert"])
    half = 1 if (earliest + latest) / 2 % 100 < 50 else 2
    return f"{half}. Hälfte {century}. Jahrhundert"


def seller_measurements(record: Record, rng: random.Random) -> str | None:
    lengths = _centimetres(record)
    if not lengths:
        return None
    form = rng.randrange(4)
    if form == 0:
        return f"Höhe {_german_number(round(lengths[0], 1))} cm"
    if form == 1 and lengths[0] >= 100:
        return f"H. {_german_number(round(lengths[0] / 100, 2))} m"
    if form == 2:
        return " x ".join(f"{round(v / 2.54 * 4) / 4:g}" for v in lengths) + " in"
    return " x ".join(_german_number(round(v)) for v in lengths[:2]) + " cm"


def maker_form(record: Record, rng: random.Random) -> str | None:
    person = _person(record)
    if person is None or not person[1]:
        return None
    surname, forenames = person
    form = rng.randrange(3)
    if form == 0:
        return f"{forenames} {surname}"
    if form == 1:
        return f"{surname}, {' '.join(f'{g[0]}.' for g in forenames.split())}"
    return surname


kind("de: as registered")(as_registered)
kind("de: title reworded")(title_changed(reword))
kind("de: title abbreviated")(title_changed(abbreviate))
kind("de: typos")(harsh_typos)


kind("de: Datierung")(field_rewritten("period", datierung))
kind("de: measurements")(field_rewritten("measurements", seller_measurements))
kind("de: maker form")(field_rewritten("maker", maker_form))


@kind("de: combined")
def _combined(f: dict[str, str], r: Record, rng: random.Random) -> Described:
    out = {**f, "title": harsh_typo(rng.choice([reword, abbreviate])(f["title"], rng), 1, rng)}
    for field, written in (
        ("maker", maker_form(r, rng)),
        ("period", datierung(r, rng)),
        ("measurements", seller_measurements(r, rng)),
    ):
        if written:
            out[field] = written
    out.pop("materials", None)
    return out


def _english_word(word: str) -> str | None:
    key = word.lower().strip(".,:;!?\"'()")
    if key in PHRASEBOOK:
        return PHRASEBOOK[key]
    for ending in ("en", "er", "es", "em", "e", "n", "s"):  # adjective and plural endings
        if key.endswith(ending) and key[: -len(ending)] in PHRASEBOOK:
            return PHRASEBOOK[key[: -len(ending)]]
    return None


def english_title(title: str) -> str:
    text = title
    for phrase, english in PHRASES.items():
        text = re.sub(rf"\b{phrase}\b", english, text, flags=re.IGNORECASE)
    return " ".join(_english_word(w) or w for w in text.split())


def english_materials(materials: str) -> str | None:
    words = [MATERIALS.get(w.lower()) for w in re.findall(r"\w+", materials)]
    english = " ".join(w for w in words if w)
    return english if english.strip() and english != "on" else None


def english_period(record: Record, rng: random.Random) -> str | None:
    years = _years(record)
    if years is None:
        return None
    earliest, latest = years
    if latest - earliest <= 10:
        return f"c. {(earliest + latest) // 2}"
    century = earliest // 100 + 1
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(
        century % 10 if century not in (11, 12, 13) else 0, "th"
    )
    return f"{century}{suffix} century"


def english_fields(f: dict[str, str], r: Record, rng: random.Random) -> dict[str, str]:
    out = {"title": english_title(f["title"])}
    person = _person(r)
    if person:
        out["maker"] = f"{person[1]} {person[0]}".strip()
    if (period := english_period(r, rng)) is not None:
        out["period"] = period
    if "object_type" in f and f["object_type"] in OBJECT_TYPES:
        out["object_type"] = OBJECT_TYPES[f["object_type"]]
    if "materials" in f and (materials := english_materials(f["materials"])):
        out["materials"] = materials
    lengths = _centimetres(r)
    if lengths:
        inches = rng.random() < 0.5
        values = [round(v / 2.54 * 4) / 4 if inches else round(v) for v in lengths[:2]]
        out["measurements"] = " x ".join(f"{v:g}" for v in values) + (" in" if inches else " cm")
    return out


@kind("en: all fields in English")
def _english(f: dict[str, str], r: Record, rng: random.Random) -> Described:
    return english_fields(f, r, rng)


@kind("en: title and maker")
def _english_short(f: dict[str, str], r: Record, rng: random.Random) -> Described:
    if "maker" not in f:
        return None
    english = english_fields(f, r, rng)
    return {k: v for k, v in english.items() if k in ("title", "maker")}


@kind("en: fields dropped")
def _english_dropped(f: dict[str, str], r: Record, rng: random.Random) -> Described:
    return drop_fields(english_fields(f, r, rng), rng)


GERMAN = [k for k in KINDS if k.startswith("de:")]
ENGLISH = [k for k in KINDS if k.startswith("en:")]


def eligible(record: Record) -> bool:
    fields = german_fields(record)
    return "title" in fields and len(fields) >= 3 and len(fields["title"]) > 2


def build_queries(held: HeldOut, sample: int, negatives: int, rng: random.Random) -> list[Query]:
    queries = []
    # Its own chance for the negatives: the same negatives whatever the sample.
    for_negatives = random.Random(rng.getrandbits(64))
    pool = [r for r in held.register if eligible(r)]
    chosen = rng.sample(pool, min(sample, len(pool)))
    # Sizes in centimetres are in few descriptions: a third more objects that have them, so that
    # the measurements kind has enough to say anything.
    taken = {r.key for r in chosen}
    measured = [r for r in pool if _centimetres(r) and r.key not in taken]
    chosen += rng.sample(measured, min(sample // 3, len(measured)))
    for record in chosen:
        fields = german_fields(record)
        for name, transform in KINDS.items():
            described = transform(fields, record, rng)
            if described:
                queries.append(
                    Query(name, ObjectDescription.model_validate(described), record, "positive")
                )
    unrelated = [r for r in held.unrelated if r.description.title]
    described_negatives = for_negatives.sample(unrelated, min(negatives, len(unrelated)))
    for number, record in enumerate(described_negatives):
        fields = german_fields(record)
        variants = {"unrelated maker, as registered": fields}
        if len(fields) >= 3:
            variants["unrelated maker, fields dropped"] = drop_fields(fields, for_negatives)
        if number % 2 == 0:
            variants["unrelated maker, in English"] = english_fields(fields, record, for_negatives)
        for name, described in variants.items():
            queries.append(held.unrelated_query(name, described, record))
    anonymous = for_negatives.sample(held.anonymous, min(negatives, len(held.anonymous)))
    for record in anonymous:
        queries.append(held.unrelated_query(ANONYMOUS_KIND, german_fields(record), record))
    of_theft = for_negatives.sample(
        held.anonymous_of_theft, min(negatives, len(held.anonymous_of_theft))
    )
    for record in of_theft:
        seen = ObjectDescription.model_validate(german_fields(record))
        ties = held.ties[record.key]
        queries.append(Query(THEFT_SIBLING_KIND, seen, record, "sibling", ties=ties))
    for record in held.siblings:
        described = german_fields(record)
        queries.append(
            Query(
                "sibling, as registered",
                ObjectDescription.model_validate(described),
                record,
                "sibling",
                ties=held.ties[record.key],
            )
        )
    return queries


def load(path: Path) -> list[Record]:
    started = time.perf_counter()
    rows = parse_export(
        gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    )
    records: dict[str, Record] = {}
    for row in rows:
        try:
            record = record_from_row(row)
        except ValueError:
            continue
        records[record.key] = record
    print(
        f"  read {len(records):,} records in {time.perf_counter() - started:.0f} s", file=sys.stderr
    )
    return list(records.values())


def store_register(store: Store, records: list[Record]) -> None:
    """As a mirror writes them (`provcheck.store.mirroring.mirror`): in batches, one transaction
    each."""
    started = time.perf_counter()
    for start in range(0, len(records), BATCH):
        with store.transaction():
            store.put_records(records[start : start + BATCH], mirrored=True)
    print(f"  stored the register in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def latencies(store: Store, queries: list[Query], matcher: Matcher) -> list[float]:
    """A text check's time, in ms: the store's search and the ranking of its candidates."""
    timed = []
    for query in queries:
        started = time.perf_counter()
        matcher.rank(query.description, store.search_text(query.description, limit=CANDIDATES))
        timed.append((time.perf_counter() - started) * 1000)
    return timed


def phrasebook_overlap() -> tuple[int, int, int]:
    """How many entries the phrasebook (words and phrases) has, how many write the same word in
    both languages, and how many give the same terms as provcheck's vocabulary: the German and
    the English the same canonical words. The vocabulary is read for this count only, never to
    write a query."""
    from provcheck.text.vocabulary import canonical_title_words

    entries = {**PHRASEBOOK, **PHRASES}
    same = sum(canonical_title_words(de) == canonical_title_words(en) for de, en in entries.items())
    return len(entries), sum(de == en for de, en in entries.items()), same


def main() -> None:
    parser = arguments(__doc__, DEFAULT_CSV, "the Lost Art export (.csv or .csv.gz)", 250)
    parser.add_argument(
        "--negatives",
        type=int,
        default=500,
        help="held-out records described: of the held-out makers, and as many with no maker named",
    )
    args = parser.parse_args()
    if not args.csv.is_file():
        sys.exit(f"no Lost Art export at {args.csv}: pass its path with --csv")
    rng = random.Random(args.seed)
    matcher = Matcher()

    records = load(args.csv)
    held = hold_out(records, named_makers, HELD_OUT_MAKERS, SIBLINGS, rng, related)
    queries = build_queries(held, args.sample, args.negatives, rng)
    with tempfile.TemporaryDirectory() as folder:
        path = args.store or Path(folder) / "register.sqlite3"
        with open_store(path) as writing:
            store_register(writing, held.register)
        # Timed first, on a store opened afresh, with queries not run before.
        test = [q for q in queries if q.split == "test" and q.role == "positive"]
        timed_queries = rng.sample(test, min(TIMED + 1, len(test)))
        with open_store(path) as store:
            first, *timed = latencies(store, timed_queries, matcher)
            results = run(store, queries, matcher, every=500)

    named = len({m for r in records for m in named_makers(r)})
    header = (
        f"register: {len(held.register):,} of {len(records):,} Lost Art records; held out: "
        f"{len(held.unrelated):,} records of {round(HELD_OUT_MAKERS * named):,} of {named:,} named "
        f"makers ({min(args.negatives, len(held.unrelated))} described as unrelated negatives), "
        f"{len(held.siblings)} siblings; {args.sample} objects re-described (and "
        f"{args.sample // 3} more with sizes in cm), {len(held.anonymous):,} ({ANONYMOUS_SHARE:.0%}) "
        f"of the records with no named maker and a title of their own held out "
        f"({min(args.negatives, len(held.anonymous))} described as unrelated negatives); "
        f"seed {args.seed}"
    )
    entries, unchanged, same = phrasebook_overlap()
    header += (
        f"\nphrasebook: {entries} entries ({unchanged} the same word in both languages), of which "
        f"{same} give the same terms as provcheck's vocabulary (canonical_title_words of the "
        "German and the English alike)"
    )
    groups = [("all German", GERMAN), ("all English", ENGLISH), ("all re-described", list(KINDS))]
    thresholds = print_report(results, matcher, header, list(KINDS), groups)
    print(
        f"\ntext check (search_text, limit {CANDIDATES}, + Matcher.rank) at {len(held.register):,} "
        f"records, timed before the evaluation on the store opened afresh, {len(timed)} test "
        f"queries not run before: median {statistics.median(timed):.0f} ms, "
        f"p95 {statistics.quantiles(timed, n=20)[-1]:.0f} ms; "
        f"first check after opening the store: {first:.0f} ms"
    )
    if args.show_failures:
        print()
        print_failures(results, thresholds, sys.stdout)


if __name__ == "__main__":
    main()
