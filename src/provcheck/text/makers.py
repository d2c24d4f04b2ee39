"""Makers (Object ID 1.7): who or what made an object, as registers write it.

A maker field holds a person, a workshop, a company, a cultural group or a place, often several at
once: `attributed to Rembrandt`, `Rembrandt (Dutch, 1606–1669)`, `Rijn, Rembrandt van`,
`Henry Klar; Gloria Klar`, `Alain Hieronimus; Aubusson, France`, `Jacob Jordaens Studio`.
`parse_makers` splits the field, turns inverted names round, and separates the attribution
qualifier, life dates, nationality and other names, keeping each part's verbatim text.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from provcheck.text.normalise import normalise_text, one_slip_apart

__all__ = ["AttributionQualifier", "Maker", "parse_makers"]


class AttributionQualifier(StrEnum):
    """How far the register commits to the maker (the auction houses' glossary of attribution)."""

    ATTRIBUTED = "attributed to"
    STUDIO = "studio of"  # workshop, atelier: made under the maker's direction
    CIRCLE = "circle of"
    SCHOOL = "school of"
    FOLLOWER = "follower of"
    MANNER = "manner of"  # in the style of, imitator of
    AFTER = "after"  # a copy of a known work


class Maker(BaseModel):
    """One maker: a `name` in natural order ("Rembrandt van Rijn"), with what the register said of it.

    `role` is what the maker did when the register says ("author", "printer") or `place` when the
    field named where the object was made rather than who made it.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    qualifier: AttributionQualifier | None = None
    role: str | None = None
    nationality: str | None = None
    birth_year: int | None = None
    death_year: int | None = None
    other_names: tuple[str, ...] = ()
    text: str

    @property
    def is_anonymous(self) -> bool:
        """An unknown maker ("Unknown", "Anonymous") identifies nothing; nor does a name without
        a letter or a digit ("-", "?"), which a register's structured record may still give."""
        if not normalise_text(self.name):
            return True
        return _ANONYMOUS.fullmatch(self.name.strip().lower()) is not None

    @property
    def names_someone(self) -> bool:
        """Whether this names a person or a firm, who could confirm or contradict another maker.

        Not an unknown maker, in any language or misspelt ("Unbekannt", "anonyme", "Aonnymous"),
        nor a place, a culture or a nationality ("Italy", "Navajo", "Pre-Columbian", "Persian"):
        such a maker is true of thousands of objects, and says nothing against a named one.
        """
        if self.is_anonymous:
            return False
        words = normalise_text(self.name).split()
        if not words:
            return False
        if " ".join(words) in _MANUFACTORY_TOWNS:
            return True  # "Meissen", "Sèvres": the manufactory, a maker
        if len(words) <= 2 and all(_says_no_one(word) for word in words):
            return False
        joined = " ".join(words)
        return self.role != "place" and joined not in _PLACES and joined not in _CULTURES


_ANONYMOUS = re.compile(r"(?:unknown|anonymous|anon\.?|unidentified|n/?a|none|various)(?: \w+)?")
# "No one known", as registers write it in their languages; misspelt within one slip too, when
# the word is long enough that a slip cannot make a name of it ("Aonnymous", "Unbekant").
_NO_ONE = (
    "anonymous", "unknown", "unidentified", "unsigned", "unattributed", "unbekannt",
    "unbekannter", "anonym", "anonyme", "anonymer", "inconnu", "anonimo", "ignoto",
    "desconocido", "onbekend",
)  # fmt: skip
# Words that name a role, not a person: no one, written exactly ("Unknown artist"). Within a
# slip they are surnames ("Baker", "Mayer", "Meister" alone is no one, "Mester" someone).
_ROLE_WORDS = frozenset(["artist", "maker", "kunstler", "meister", "master", "painter"])
# Towns that name their manufactory: in a maker field they are the maker.
_MANUFACTORY_TOWNS = frozenset(["meissen", "sevres", "limoges", "aubusson", "delft", "murano"])
# Peoples and cultures that registers name in the maker field.
_CULTURES = {
    "navajo", "navaho", "hopi", "zuni", "pueblo", "acoma", "apache", "sioux", "lakota", "cheyenne",
    "crow", "cherokee", "iroquois", "tlingit", "haida", "kwakiutl", "inuit", "eskimo", "plains",
    "native american", "american indian", "pre columbian", "precolumbian", "maya", "mayan",
    "aztec", "inca", "olmec", "moche", "nazca", "chimu", "teotihuacan", "maori", "aboriginal",
    "yoruba", "dogon", "baule", "asante", "ashanti", "benin", "kongo", "luba", "songye", "fang",
    "igbo", "senufo", "bamana", "etruscan", "celtic", "viking", "mughal", "khmer", "thai",
    "tibetan", "coptic", "islamic", "hellenistic", "minoan", "mycenaean", "assyrian",
    "babylonian", "sumerian", "phoenician", "scythian", "qing", "ming", "tang", "song", "han",
    "edo", "meiji", "cuzco", "spanish colonial", "colonial",
}  # fmt: skip


def _says_no_one(word: str) -> bool:
    if word in _NATIONALITIES or word in _CULTURES or word in _PLACES:
        return True
    if word in {"school", "workshop", "studio", "circle", "of", "the", "and", "des", "der"}:
        return True
    if word in _ROLE_WORDS or word in _NO_ONE:
        return True
    # A letter dropped, doubled or two swapped: "Aonnymous", "Unkown", "Anonmyous".
    return len(word) >= 6 and any(one_slip_apart(word, form) for form in _NO_ONE)


_QUALIFIER_PREFIXES: tuple[tuple[str, AttributionQualifier], ...] = (
    (
        r"attributed to|attrib(?:uted)?\.?|attr\.|ascribed to|possibly(?: by)?|probably(?: by)?|"
        r"zugeschrieben|attribué à|attribuito a|atribuido a",
        AttributionQualifier.ATTRIBUTED,
    ),
    (
        r"(?:workshop|studio|atelier|werkstatt|bottega|taller) (?:of|de|des|von|di|du)",
        AttributionQualifier.STUDIO,
    ),
    (
        r"circle of|entourage de|umkreis (?:des|von)|cerchia di|círculo de",
        AttributionQualifier.CIRCLE,
    ),
    (r"school of|école de|schule (?:des|von)|scuola di|escuela de", AttributionQualifier.SCHOOL),
    (
        r"follower of|followers of|suiveur de|nachfolger (?:des|von)|seguace di|seguidor de",
        AttributionQualifier.FOLLOWER,
    ),
    (
        r"(?:in the )?(?:manner|style) of|imitator of|à la manière de|im stil (?:des|von)|"
        r"maniera di|estilo de",
        AttributionQualifier.MANNER,
    ),
    (r"(?:copy )?after|d'après|nach|da|según", AttributionQualifier.AFTER),
)
_QUALIFIER_SUFFIXES: tuple[tuple[str, AttributionQualifier], ...] = (
    (r"studio|workshop|atelier|werkstatt", AttributionQualifier.STUDIO),
    (r"school", AttributionQualifier.SCHOOL),
    (r"circle", AttributionQualifier.CIRCLE),
    (r"\(?attributed\)?", AttributionQualifier.ATTRIBUTED),
)
_PREFIX = re.compile(
    "|".join(f"(?P<q{i}>^(?:{pattern})\\s+)" for i, (pattern, _) in enumerate(_QUALIFIER_PREFIXES)),
    re.IGNORECASE,
)
_SUFFIX = re.compile(
    "|".join(f"(?P<q{i}>[\\s,]+(?:{p})$)" for i, (p, _) in enumerate(_QUALIFIER_SUFFIXES)),
    re.IGNORECASE,
)

# Roles registers write in brackets after a name: "Horace (author)".
_ROLES = {
    "artist", "author", "painter", "sculptor", "printer", "publisher", "engraver", "photographer",
    "designer", "maker", "manufacturer", "silversmith", "goldsmith", "potter", "illustrator",
    "editor", "cartographer", "architect", "weaver", "carver", "jeweler", "jeweller",
}  # fmt: skip
_NATIONALITIES = {
    "american", "english", "british", "scottish", "irish", "welsh", "french", "german", "dutch",
    "flemish", "belgian", "italian", "spanish", "portuguese", "russian", "austrian", "swiss",
    "swedish", "danish", "norwegian", "finnish", "polish", "czech", "hungarian", "greek",
    "turkish", "persian", "iranian", "chinese", "japanese", "korean", "indian", "mexican",
    "canadian", "australian", "brazilian", "argentinian", "peruvian", "egyptian", "israeli",
    "romanian", "bulgarian", "serbian", "croatian", "ukrainian", "venetian", "florentine",
    "bohemian", "netherlandish", "byzantine", "roman", "ottoman",
}  # fmt: skip
# Places that registers put into the maker field ("Aubusson, France", "Ur; Iraq").
_PLACES = {
    "africa", "asia", "europe", "america", "north america", "south america", "oceania",
    "afghanistan", "alaska", "argentina", "australia", "austria", "belgium", "bolivia", "brazil",
    "cambodia", "canada", "chile", "china", "colombia", "congo", "cyprus", "czech republic",
    "denmark", "ecuador", "egypt", "england", "ethiopia", "france", "germany", "ghana", "greece",
    "guatemala", "holland", "honduras", "hungary", "india", "indonesia", "iran", "iraq",
    "ireland", "israel", "italy", "japan", "jordan", "korea", "lebanon", "liberia", "libya",
    "mali", "mexico", "mongolia", "morocco", "nepal", "netherlands", "new mexico", "nigeria",
    "norway", "pakistan", "panama", "persia", "peru", "poland", "portugal", "romania", "russia",
    "scotland", "spain", "sweden", "switzerland", "syria", "thailand", "tibet", "turkey",
    "ukraine", "usa", "united states", "united kingdom", "uk", "vietnam", "wales", "yemen",
    "paris", "london", "rome", "venice", "florence", "vienna", "berlin", "new york", "murano",
    "meissen", "sevres", "sèvres", "limoges", "aubusson", "delft", "istanbul", "kyoto", "edo",
}  # fmt: skip
_NAME_SUFFIXES = re.compile(
    r"^(?:jr|sr|junior|senior|the elder|the younger|ii|iii|iv|r\.?\s?a|esq|the elder\.?)\.?$",
    re.IGNORECASE,
)
_COMPANY_WORDS = re.compile(
    r"^(?:co\b|co\.|company|cie|sons?\b|fils|brothers|bros|inc|ltd|limited)", re.IGNORECASE
)
_LIFE_DATES = re.compile(
    r"(?:b\.\s*|born\s*)?(\d{3,4})?\s*[-–—]\s*(\d{3,4})?|(?:b\.|born)\s*(\d{3,4})"
)
_QUALIFIED_AFTER_COMMA = re.compile(
    r",\s*(?=(?:after|attributed to|circle of|studio of|workshop of|school of|follower of|"
    r"manner of|in the manner of|style of|in the style of)\s)",
    re.IGNORECASE,
)
_PARTS = re.compile(r"\s*(?:;|\||\s/\s|/(?=\s*\w)|\n)\s*")
_AND = re.compile(r"\s+(?:&|and|\+|und|et|e|y)\s+", re.IGNORECASE)


def parse_makers(text: str | None) -> tuple[Maker, ...]:
    """Split a register's maker field into `Maker`s; an empty field gives none, and so does a
    part without a letter or a digit ("-", "?": a placeholder, not a maker).

    >>> [m.name for m in parse_makers("Rijn, Rembrandt van")]
    ['Rembrandt van Rijn']
    """
    if not text or not text.strip():
        return ()
    makers: list[Maker] = []
    for part in _split(text.strip()):
        lowered = part.lower().strip(" .,")
        if lowered in _NATIONALITIES and makers and makers[-1].nationality is None:
            # "Thomas Moore; English": the nationality of the maker before it.
            makers[-1] = makers[-1].model_copy(update={"nationality": part.strip(" .,")})
            continue
        maker = _parse_one(part)
        if normalise_text(maker.name):
            # "-", "?", "attributed to ?": a field's placeholder, not a maker.
            makers.append(maker)
    return tuple(makers)


def _split(text: str) -> list[str]:
    parts: list[str] = []
    # "Philips Galle, after Hans Holbein": a comma before a qualifier starts another maker.
    text = _QUALIFIED_AFTER_COMMA.sub("; ", text)
    for piece in _PARTS.split(text):
        piece = piece.strip(" ,")
        if not piece:
            continue
        pieces = _AND.split(piece)
        # "Venini & Co." and "Tiffany and Company" are one maker, not two.
        if len(pieces) > 1 and not any(_COMPANY_WORDS.match(p) for p in pieces[1:]):
            parts.extend(p.strip(" ,") for p in pieces if p.strip(" ,"))
        else:
            parts.append(piece)
    return parts


def _parse_one(text: str) -> Maker:
    name = re.sub(r"\s+", " ", text).strip(" ,")
    qualifier: AttributionQualifier | None = None
    role: str | None = None
    nationality: str | None = None
    birth: int | None = None
    death: int | None = None
    other_names: list[str] = []

    prefix = _PREFIX.match(name)
    if prefix and prefix.lastgroup:
        qualifier = _QUALIFIER_PREFIXES[int(prefix.lastgroup[1:])][1]
        name = name[prefix.end() :]
    for bracket in re.findall(r"\(([^()]*)\)", name):
        role, nationality, birth, death = _read_bracket(
            bracket, other_names, role, nationality, birth, death
        )
    name = re.sub(r"\s*\([^()]*\)\s*", " ", name).strip(" ,")
    suffix = _SUFFIX.search(name)
    if suffix and suffix.lastgroup and qualifier is None and len(name[: suffix.start()]) > 1:
        qualifier = _QUALIFIER_SUFFIXES[int(suffix.lastgroup[1:])][1]
        name = name[: suffix.start()].strip(" ,")

    if _is_place(name):
        role = role or "place"
    else:
        name = _natural_order(name)
    return Maker(
        name=name or text.strip(),
        qualifier=qualifier,
        role=role,
        nationality=nationality,
        birth_year=birth,
        death_year=death,
        other_names=tuple(other_names),
        text=text.strip(),
    )


def _read_bracket(
    bracket: str,
    other_names: list[str],
    role: str | None,
    nationality: str | None,
    birth: int | None,
    death: int | None,
) -> tuple[str | None, str | None, int | None, int | None]:
    """Read "(Dutch, 1606–1669)", "(author)", "(Frog Woman)" into their fields."""
    for piece in (p.strip() for p in bracket.split(",")):
        lowered = piece.lower()
        dates = _LIFE_DATES.fullmatch(piece)
        if dates and any(dates.groups()):
            born = dates.group(1) or dates.group(3)
            birth = int(born) if born else birth
            death = int(dates.group(2)) if dates.group(2) else death
        elif lowered in _ROLES:
            role = lowered
        elif lowered in _NATIONALITIES:
            nationality = piece
        elif lowered in _PLACES:
            nationality = nationality or piece
        elif re.fullmatch(r"[ivx]{1,4}", lowered):
            other_names.append(piece)  # "Hans Holbein (II)": the generation, kept as a name form
        elif piece:
            other_names.append(piece)
    return role, nationality, birth, death


def _is_place(name: str) -> bool:
    pieces = [p.strip().lower() for p in name.split(",")]
    return pieces[-1] in _PLACES or name.lower() in _PLACES


def _natural_order(name: str) -> str:
    """ "Rijn, Rembrandt van" -> "Rembrandt van Rijn"; "Robert Stark, Jr." stays as it is."""
    if name.count(",") != 1:
        return name
    surname, given = (p.strip() for p in name.split(","))
    if not surname or not given or _NAME_SUFFIXES.match(given):
        return name
    if len(surname.split()) > 3 or len(given.split()) > 3:
        return name
    return f"{given} {surname}"
