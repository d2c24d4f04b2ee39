"""The vocabulary across languages: one canonical English term for the forms registers write."""

from __future__ import annotations

import pytest

from provcheck.text.compounds import split_compound
from provcheck.text.normalise import STOPWORDS
from provcheck.text.vocabulary import (
    canonical_materials,
    canonical_title_words,
    is_vague_object_type,
    material_equivalences,
    object_type_equivalences,
    object_type_of,
    title_equivalences,
)


def _terms(title: str) -> set[str]:
    """The canonical words of a title, without the function words every language has."""
    return {w for w in canonical_title_words(title) if w not in STOPWORDS}


# --- titles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "titles",
    [
        ["Portrait of a Lady", "Bildnis einer Dame", "Portrait de dame", "Ritratto di una dama"],
        ["Still life with flowers", "Stillleben mit Blumen", "Nature morte aux fleurs",
         "Natura morta con fiori", "Stilleben mit Blumen"],
        ["River landscape with a mill", "Flusslandschaft mit Mühle", "Paysage de rivière avec moulin"],
        ["Winter landscape", "Winterlandschaft", "Paysage d'hiver", "Paesaggio d'inverno"],
        ["Seated female nude", "Sitzender weiblicher Akt", "Nu féminin assis"],
        ["View of the harbour by moonlight", "Hafenansicht im Mondschein", "Vue du port au clair de lune"],
        ["Holy Family", "Heilige Familie", "Sainte Famille", "Sacra Famiglia"],
        ["Peasant girl", "Bauernmädchen", "Jeune fille paysanne"],
    ],
)  # fmt: skip
def test_one_title_in_several_languages_has_the_same_canonical_words(titles: list[str]) -> None:
    first = _terms(titles[0])
    assert first
    for title in titles[1:]:
        assert _terms(title) == first, title


def test_a_german_compound_is_read_as_its_parts() -> None:
    assert _terms("Frauenbildnis") == {"portrait", "woman"} == _terms("Portrait of a woman")
    assert _terms("Herrenbildnis") == {"portrait", "man"}
    assert _terms("Gebirgslandschaft") == {"mountain", "landscape"}


def test_a_self_portrait_is_not_a_portrait_of_someone() -> None:
    assert _terms("Selbstbildnis") == {"self portrait"} == _terms("Autoportrait")
    assert "portrait" not in _terms("Selbstbildnis")


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("frauenbildnis", ["frauen", "bildnis"]),
        ("flusslandschaft", ["fluss", "landschaft"]),
        ("blumenstillleben", ["blumen", "stillleben"]),
        ("kinderbildnis", ["kinder", "bildnis"]),
        ("gebirgslandschaft", ["gebirge", "landschaft"]),  # linking "s" for a dropped "e"
        ("marienbild", ["marien", "bild"]),
        ("schafergruppe", ["schafer", "gruppe"]),  # a shepherd, not a sheep with a linking "er"
        # Whole: itself a word, a part unknown, a name, too short, a compound meaning otherwise.
        ("selbstbildnis", ["selbstbildnis"]),
        ("walzenkrug", ["walzenkrug"]),
        ("goldschmidt", ["goldschmidt"]),
        ("rosenberg", ["rosenberg"]),
        ("liebermann", ["liebermann"]),
        ("seehund", ["seehund"]),
        ("grossvater", ["grossvater"]),
        ("vogelbauer", ["vogelbauer"]),
    ],
)
def test_split_compound(word: str, parts: list[str]) -> None:
    assert split_compound(word) == parts


def test_an_unknown_compound_stays_one_identifying_word() -> None:
    words = canonical_title_words("Rheinlandschaft")  # the Rhine is no vocabulary word
    assert words == ["rheinlandschaft"]


def test_a_compound_that_is_a_term_of_its_own_is_not_read_as_its_parts() -> None:
    # The Last Supper, not an evening meal; a tankard, not a roller and a jug.
    assert _terms("Abendmahl") == {"last supper"} == _terms("The Last Supper")
    assert _terms("Walzenkrug") == {"tankard"} == _terms("Tankard")
    assert _terms("Taschenuhr") == {"pocket watch"} == _terms("Pocket watch")


# --- ordinary words of Lost Art's titles --------------------------------------------------------


def test_a_buyer_writing_english_meets_a_german_record() -> None:
    german = _terms("Langholz an der Eckernförder Bucht")
    english = _terms("Timber on the Eckernförde Bay")
    assert {"timber", "bay"} <= german & english
    assert title_equivalences("Langholz an der Eckernförder Bucht")["bay"] == ("Bucht", "de")


@pytest.mark.parametrize(
    "titles",
    [
        ["Rote Vase", "Red vase", "Vase rouge", "Vaso rosso"],
        ["Runde Deckeldose", "Round covered box", "Boîte ronde couverte"],
        ["Ovale Terrine", "Oval tureen", "Terrine ovale", "Zuppiera ovale"],
        ["Italienische Küstenlandschaft", "Italian coastal landscape"],
        ["Holländische Winterlandschaft", "Dutch winter landscape", "Paysage d'hiver hollandais"],
        ["Die Flucht nach Ägypten", "The Flight into Egypt", "La Fuite en Égypte",
         "La fuga in Egitto"],
        ["Himmelfahrt Christi", "Ascension of Christ", "Ascension du Christ", "Ascensione di Cristo"],
        ["Taufe Christi", "Baptism of Christ", "Baptême du Christ", "Battesimo di Cristo"],
        ["Offizier zu Pferde", "Officer on horseback", "Officier à cheval"],
        ["Harlekin und Kolombine", "Harlequin and Columbine", "Arlequin et Colombine",
         "Arlecchino e Colombina"],
        ["Hirte mit Herde", "Shepherd with flock", "Berger avec troupeau"],
        ["Sechs Teller", "Six plates", "Sei piatti"],
        ["Fünf Löffel", "Five spoons", "Cinq cuillères", "Cinque cucchiai"],
        ["Schreibtisch", "Desk", "Bureau", "Scrivania"],
        ["Korb mit Äpfeln", "Basket of apples", "Panier de pommes", "Cesto di mele"],
        ["Mönch und Nonne", "Monk and nun", "Moine et religieuse"],
        ["Insel im Meer", "Island in the sea", "Île dans la mer", "Isola nel mare"],
        ["Bauchige Flasche", "Bulbous bottle"],
        ["Schlafende Venus", "Sleeping Venus", "Vénus endormie"],
        ["Römische Ruinen", "Roman ruins", "Ruines romaines", "Rovine romane"],
    ],
)  # fmt: skip
def test_ordinary_title_words_across_languages(titles: list[str]) -> None:
    first = _terms(titles[0])
    assert first
    for title in titles[1:]:
        assert _terms(title) == first, (title, _terms(title), first)


@pytest.mark.parametrize(
    ("word", "terms"),
    [
        ("Flusslandschaft", {"river", "landscape"}),
        ("Waldlandschaft", {"forest", "landscape"}),
        ("Berglandschaft", {"mountain", "landscape"}),
        ("Damenbildnis", {"woman", "portrait"}),
        ("Mädchenkopf", {"girl", "head"}),
        ("Studienkopf", {"study", "head"}),
        ("Blumenstück", {"flowers", "piece"}),
        ("Deckelpokal", {"lid", "goblet"}),
        ("Deckelvase", {"lid", "vase"}),
        ("Balustervase", {"baluster", "vase"}),
        ("Weinglas", {"wine", "glass"}),
        ("Zuckerdose", {"sugar", "box"}),
        ("Teebüchse", {"tea", "box"}),
        ("Dorfstraße", {"village", "street"}),
        ("Liebespaar", {"love", "pair"}),
        ("Porträtminiatur", {"portrait", "miniature"}),
        ("Halbfigur", {"half length"}),
        ("Studienblatt", {"study", "sheet"}),
        ("Schnupftabakdosen", {"snuffbox"}),
        ("Armbrustbolzen", {"crossbow", "bolt"}),  # not arm + breast + bolt
        ("Schafherde", {"sheep", "herd"}),
    ],
)
def test_common_german_compounds(word: str, terms: set[str]) -> None:
    assert _terms(word) == terms


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("seesturm", ["see", "sturm"]),  # not Sees + Turm
        ("sommernacht", ["sommer", "nacht"]),  # not Sommern + Acht
        ("elfenbeinrelief", ["elfenbein", "relief"]),  # not Elf + Bein + Relief
        ("altarbild", ["altar", "bild"]),  # "alt" is no first part, "altar" is
        ("aktenstucke", ["aktenstucke"]),  # files, not nudes
        ("dachreiter", ["dachreiter"]),  # a roof turret, not a roof and a rider
    ],
)
def test_compounds_are_read_in_their_fewest_parts(word: str, parts: list[str]) -> None:
    assert split_compound(word) == parts


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hut", "Hütte"),  # German Hut is a hat, not a hut
        ("Stein", "Walzenkrug"),  # a stone is not a stein
        ("Mantel", "Tischdecke"),  # Spanish mantel is a tablecloth; German Mantel a coat
        ("Bank", "Sitzbank"),  # German Bank may be a bank
        ("Kavalier", "Ritter"),  # a cavalier is not a knight
        ("Abendmahl", "Abend"),
    ],
)
def test_more_false_friends_stay_apart(a: str, b: str) -> None:
    assert not (_terms(a) & _terms(b)), (_terms(a), _terms(b))


def test_german_function_words_are_stop_words_but_english_content_words_are_not() -> None:
    assert {"aus", "bei", "nach", "einem", "zwischen", "dans", "sotto", "naar"} <= STOPWORDS
    assert not {"war", "also", "bald", "rot", "hut", "man", "son", "sin", "door"} & STOPWORDS


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Der See", "The Sea"),  # German "See" is a lake
        ("Marine", "Seeufer"),  # a seascape is not a lake shore
        ("Akt", "Akten"),  # a nude is not files
        ("Bauer", "Vogelbauer"),  # a peasant is not a birdcage
        ("Junge", "Jungfrau"),  # a boy is not the Virgin
        ("Mare", "Etang"),  # Italian "mare" is the sea, French "étang" a pond
        ("Heilige", "Heilige Familie"),  # a saint is not the Holy Family
    ],
)
def test_false_friends_stay_apart(a: str, b: str) -> None:
    assert not (_terms(a) & _terms(b)), (_terms(a), _terms(b))


def test_title_equivalences_give_the_words_as_written_and_their_language() -> None:
    german = title_equivalences("Bildnis einer Dame mit Hund")
    assert german["portrait"] == ("Bildnis", "de")
    assert german["dog"] == ("Hund", "de")
    assert german["woman"][0] == "Dame"
    assert title_equivalences("Portrait of a Lady") == {
        "portrait": ("Portrait", "en"),
        "woman": ("Lady", "en"),
    }
    assert title_equivalences("Nature morte aux fleurs")["still life"] == ("Nature morte", "fr")
    assert title_equivalences("Ritratto di donna")["portrait"] == ("Ritratto", "it")
    assert title_equivalences("Frauenbildnis") == {
        "woman": ("Frauenbildnis", "de"),
        "portrait": ("Frauenbildnis", "de"),
    }
    assert title_equivalences("Hysterical Venus") == {}
    assert title_equivalences(None) == {}


def test_title_words_keep_the_words_no_term_accounts_for() -> None:
    assert canonical_title_words("Bildnis Wilhelm von Humboldt") == [
        "portrait", "wilhelm", "von", "humboldt",
    ]  # fmt: skip


# --- materials ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["oil on canvas", "Öl auf Leinwand", "huile sur toile", "olio su tela", "óleo sobre lienzo"],
         {"oil", "canvas"}),
        (["tempera on panel", "Tempera auf Holztafel", "tempera su tavola", "détrempe sur panneau"],
         {"tempera", "panel"}),
        (["pen and ink, wash", "Feder und Tusche, laviert", "plume, encre et lavis"],
         {"pen", "ink", "wash"}),
        (["oil on panel", "oil on wood", "Öl auf Holz", "huile sur bois", "olio su tavola"],
         {"oil", "panel"}),
        (["red chalk", "Rötel", "sanguine"], {"chalk"}),
        (["gilt silver", "Silber, vergoldet", "argent doré", "argento dorato"], {"silver", "gilt"}),
        (["mother of pearl", "Perlmutt", "nacre", "madreperla"], {"mother of pearl"}),
        (["etching", "Radierung", "eau-forte", "acquaforte"], {"etching"}),
    ],
)  # fmt: skip
def test_materials_across_languages(texts: list[str], expected: set[str]) -> None:
    for text in texts:
        assert canonical_materials(text) == (expected, []), text


def test_material_compounds_split_only_into_materials() -> None:
    assert canonical_materials("Eichenholz")[0] == {"wood"}
    assert canonical_materials("Silbervergoldet")[0] == {"silver", "gilt"}
    # A gold frame is not a gold object, and Goldschmidt is a name.
    assert canonical_materials("Goldrahmen") == (set(), ["goldrahmen"])
    assert canonical_materials("Goldschmidt") == (set(), ["goldschmidt"])


def test_material_equivalences() -> None:
    assert material_equivalences("Öl auf Leinwand") == {
        "oil": ("Öl", "de"),
        "canvas": ("Leinwand", "de"),
    }
    assert material_equivalences("huile sur toile")["canvas"] == ("toile", "fr")


def test_materials_that_differ_stay_apart() -> None:
    assert canonical_materials("Alabaster")[0] == {"alabaster"}
    assert canonical_materials("Marmor")[0] == {"marble"}
    assert canonical_materials("versilbert")[0] == {"silver plated"}
    assert canonical_materials("Silber")[0] == {"silver"}


# --- object types -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Plastik / Skulptur", ("sculpture", "sculpture")),
        ("Vollplastik", ("sculpture", "sculpture")),
        ("Gemälde", ("painting", "picture")),
        ("Malerei", ("painting", "picture")),
        ("Hinterglasmalerei/Glasbild", ("painting", "picture")),
        ("Miniaturmalerei", ("miniature", "picture")),
        ("Aquarell", ("drawing", "picture")),
        ("Druckgrafik", ("print", "picture")),
        ("Gefäß", ("vessel", "vessel")),
        ("Möbel", ("furniture", "furniture")),
        ("Münze", ("coin", "money")),
        ("Medaille / Plakette", ("coin", "money")),
        ("Gebrauchs- / Raumtextilie", ("textile", "textile")),
        ("Waffen / Zubehör", ("weapon", "weapon")),
        ("Archivgut", ("document", "document")),
        ("Urkunde / Faksimile", ("document", "document")),
        ("Handschrift", ("book", "book")),
        ("Beleuchtung", ("lamp", "lighting")),
        ("Uhr", ("clock", "timepiece")),
        ("Schmuck", ("jewellery", "jewellery")),
        ("Musikinstrument / Musikalie", ("instrument", "instrument")),
        ("orfèvrerie", ("silverware", "vessel")),
        ("dipinto", ("painting", "picture")),
        # The English types read as before.
        ("Paintings", ("painting", "picture")),
        ("Jewelry - Rings", ("jewellery", "jewellery")),
    ],
)
def test_object_types(text: str, expected: tuple[str, str]) -> None:
    assert object_type_of(text) == expected


@pytest.mark.parametrize(
    ("text", "vague"),
    [
        ("Kunsthandwerk / -gewerbe", True),
        ("Kleinkunst", True),
        ("Bildende und angewandte Kunst", True),
        ("Other - Arts and Antiques", False),  # "and" is not vague: as before
        ("Waffen / Zubehör", False),
        ("Malerei", False),
    ],
)
def test_vague_object_types(text: str, vague: bool) -> None:
    assert is_vague_object_type(text) is vague


def test_object_type_equivalences() -> None:
    assert object_type_equivalences("Plastik / Skulptur") == {"sculpture": ("Plastik", "de")}
    assert object_type_equivalences("Gefäß") == {"vessel": ("Gefäß", "de")}
    assert object_type_equivalences("Kunsthandwerk / -gewerbe") == {}


def test_a_word_longer_than_any_compound_is_not_split() -> None:
    # A pasted run of letters costs no more than a word: read whole, not split every which way.
    run = "frauenbildnis" * 10
    assert split_compound(run) == [run]


def test_only_a_texts_first_words_are_read_as_terms() -> None:
    # A description pasted as a title: its first words are read, not a page of them.
    text = " ".join(["xylograph"] * 5_000 + ["Bildnis"])
    assert "portrait" not in canonical_title_words(text)
    assert "portrait" in canonical_title_words("Bildnis " + " ".join(["xylograph"] * 50))
