"""The words registers use for the same thing in other forms and other languages.

Three vocabularies, each mapping the forms people write (English, French, German, Italian,
Spanish, Dutch; singular and plural; British and American spelling) to one canonical term:

- materials and techniques (`huile sur toile` and `Öl auf Leinwand` are both {oil, canvas});
- object types, with the group each belongs to (`Brooches and Pins` is jewellery, as is `ring`);
- the generic words of titles (`Portrait de femme` and `Bildnis einer Frau` are both
  {portrait, woman}), which also identify little and so count for little.

Terms are written normalised (lower case, no accents: see `provcheck.text.normalise`).
"""

from __future__ import annotations

from provcheck.text.normalise import normalise_text

__all__ = [
    "GENERIC_TITLE_WORDS",
    "canonical_materials",
    "canonical_title_words",
    "object_type_of",
]


def _index(table: dict[str, str]) -> tuple[dict[str, str], list[tuple[tuple[str, ...], str]]]:
    """Split `canonical: "form, form, ..."` into single-word forms and multi-word phrases."""
    words: dict[str, str] = {}
    phrases: list[tuple[tuple[str, ...], str]] = []
    for canonical, forms in table.items():
        for form in [canonical, *forms.split(",")]:
            tokens = tuple(normalise_text(form).split())
            if len(tokens) == 1:
                words[tokens[0]] = canonical
            elif tokens:
                phrases.append((tokens, canonical))
    phrases.sort(key=lambda p: -len(p[0]))  # longest phrase first
    return words, phrases


def _canonical_terms(
    text: str | None, words: dict[str, str], phrases: list[tuple[tuple[str, ...], str]]
) -> tuple[set[str], list[str]]:
    """The canonical terms in `text`, and the words no term accounts for."""
    if not text:
        return set(), []
    tokens = normalise_text(text).split()
    terms: set[str] = set()
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        for phrase, canonical in phrases:
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                terms.add(canonical)
                i += len(phrase)
                break
        else:
            word = tokens[i]
            singular = word[:-1] if word.endswith("s") and word[:-1] in words else word
            if singular in words:
                terms.add(words[singular])
            else:
                rest.append(word)
            i += 1
    return terms, rest


# --- Materials and techniques -------------------------------------------------------------------

_MATERIALS: dict[str, str] = {
    "oil": "oils, oil paint, huile, peinture a l huile, ol, olfarbe, olio, oleo, olieverf, olie",
    "canvas": "toile, leinwand, tela, doek, lienzo",
    "panel": "wood panel, panneau, tafel, holztafel, tavola, tabla, paneel",
    "board": "cardboard, carton, pasteboard, masonite, hardboard, karton, cartone, carton, cartón",
    "paper": "papier, carta, papel, rice paper, japan paper, washi",
    "watercolour": "watercolor, watercolours, aquarelle, aquarell, acquerello, acuarela, aquarel",
    "gouache": "guazzo, gouache paint",
    "tempera": "egg tempera, tempera grassa, detrempe",
    "acrylic": "acrylics, acrylic paint, acrylique, acryl, acrilico, acrylverf",
    "pastel": "pastels, pastell, pastello",
    "ink": "inks, encre, tinte, tusche, inchiostro, tinta, inkt, india ink, indian ink",
    "pencil": "graphite, crayon, bleistift, matita, lapiz, potlood, mine de plomb",
    "charcoal": "fusain, kohle, carboncino, carbon, houtskool",
    "chalk": "craie, kreide, gesso, tiza, krijt, sanguine, red chalk",
    "pen": "plume, feder, penna, pluma",
    "mixed media": "technique mixte, techniques mixtes, mischtechnik, tecnica mista, tecnica mixta, gemengde techniek, mixed technique",
    "collage": "papier colle, papiers colles",
    "lithograph": "lithography, lithographie, litho, lithografie, litografia, steindruck",
    "etching": "eau forte, radierung, acquaforte, aguafuerte, ets",
    "engraving": "gravure, kupferstich, stich, incisione, bulino, grabado, gravure au burin, burin",
    "woodcut": "woodblock, woodblock print, gravure sur bois, holzschnitt, xilografia, xilografia, houtsnede, ukiyo e",
    "linocut": "linogravure, linolschnitt, linoleografia, linoleum cut",
    "screenprint": "silkscreen, serigraph, serigraphy, screen print, serigraphie, siebdruck, serigrafia, zeefdruk",
    "aquatint": "aquatinte, aquatinta",
    "mezzotint": "maniere noire, schabkunst, mezzatinta",
    "photograph": "photography, photo, gelatin silver print, albumen print, c print, photographie, fotografie, fotografia",
    "bronze": "bronce, brons, bronzo",
    "brass": "laiton, messing, ottone, laton",
    "copper": "cuivre, kupfer, rame, cobre, koper",
    "silver": "sterling, sterling silver, argent, silber, argento, plata, zilver",
    "gold": "goud, oro, 14k gold, 18k gold, 14kt, 18kt, 10k, 14k, 18k, 22k, 24k",
    "gilt": "gilded, gilding, dore, vergoldet, dorato, dorado, verguld, gold leaf",
    "iron": "fer, eisen, ferro, hierro, ijzer, cast iron, wrought iron",
    "steel": "acier, stahl, acciaio, acero, staal, stainless steel",
    "pewter": "etain, zinn, peltro, peltre, tin",
    "marble": "marbre, marmor, marmo, marmol, marmer",
    "stone": "pierre, stein, pietra, piedra, steen, limestone, sandstone, granite",
    "wood": "bois, holz, legno, madera, hout, oak, walnut, mahogany, maple, pine, rosewood, ebony",
    "ivory": "ivoire, elfenbein, avorio, marfil, ivoor",
    "jade": "nephrite, jadeite",
    "glass": "verre, glas, vetro, vidrio, crystal, stained glass, leaded glass, art glass",
    "porcelain": "porcelaine, porzellan, porcellana, porcelana, porselein, bone china, china",
    "ceramic": "ceramics, ceramique, keramik, ceramica, keramiek, pottery, earthenware, stoneware, faience, majolica, maiolica, clay, terracotta, terre cuite",
    "enamel": "enamels, email, emaille, smalto, esmalte, cloisonne",
    "plaster": "platre, gips, gesso, yeso",
    "textile": "textiles, fabric, tissu, stoff, tessuto, tela de tejido, weefsel, cloth",
    "silk": "soie, seide, seta, seda, zijde",
    "wool": "laine, wolle, lana, wol",
    "cotton": "coton, baumwolle, cotone, algodon, katoen",
    "linen": "lin, leinen, lino, linnen",
    "leather": "cuir, leder, cuoio, cuero, leer",
    "diamond": "diamonds, diamant, diamante, brilliant",
    "ruby": "rubies, rubis, rubin, rubino, rubi",
    "sapphire": "sapphires, saphir, zaffiro, zafiro",
    "emerald": "emeralds, emeraude, smaragd, smeraldo, esmeralda",
    "pearl": "pearls, perle, perla, parel",
    "lacquer": "laque, lack, lacca, laca, lak, urushi",
    "parchment": "vellum, parchemin, pergament, pergamena, pergamino, perkament",
}
_MATERIAL_WORDS, _MATERIAL_PHRASES = _index(_MATERIALS)
# Connecting words of materials ("oil on canvas", "Öl auf Leinwand") carry no material.
_MATERIAL_FILLER = frozenset(
    [
        "on",
        "and",
        "with",
        "in",
        "of",
        "over",
        "sur",
        "et",
        "avec",
        "sous",
        "auf",
        "und",
        "mit",
        "auf",
        "su",
        "e",
        "con",
        "sobre",
        "y",
        "op",
        "en",
        "met",
    ]
)


def canonical_materials(text: str | None) -> tuple[set[str], list[str]]:
    """Canonical materials and techniques named in `text`, and its other (unknown) words."""
    terms, rest = _canonical_terms(text, _MATERIAL_WORDS, _MATERIAL_PHRASES)
    return terms, [w for w in rest if w not in _MATERIAL_FILLER and len(w) > 1]


# --- Object types -------------------------------------------------------------------------------
# canonical type -> (group, forms). Two types of one group are related (a drawing and a
# watercolour); types of different groups contradict (a painting is not a coin).

_OBJECT_TYPES: dict[str, tuple[str, str]] = {
    "painting": (
        "picture",
        "paintings, peinture, tableau, gemalde, gemaelde, dipinto, quadro, pintura, cuadro, schilderij, oil painting, canvas",
    ),
    "drawing": (
        "picture",
        "drawings, dessin, zeichnung, disegno, dibujo, tekening, watercolour, watercolor, watercolour drawings, aquarelle, gouache, pastel, sketch, study",
    ),
    "print": (
        "picture",
        "prints, screen print, estampe, gravure, druckgrafik, druck, stampa, grabado, prent, lithograph, etching, engraving, woodcut, serigraph, screenprint, poster, posters, affiche, plakat",
    ),
    "photograph": (
        "picture",
        "photographs, photo, photographie, fotografie, fotografia, daguerreotype",
    ),
    "icon": ("picture", "icons, ikone, icona, icono, triptych, diptych, altarpiece, altar"),
    "mosaic": ("picture", "mosaics, mosaique, mosaik, mosaico"),
    "sculpture": (
        "sculpture",
        "sculptures, skulptur, plastik, scultura, escultura, beeld, statue, statuette, bust, buste, figure, relief, carving, netsuke",
    ),
    "figurine": (
        "sculpture",
        "figurines, dolls and figurines, dollsandfigurines, doll, dolls, poupee, puppe, bambola, muneca, pop",
    ),
    "ceramic": (
        "vessel",
        "ceramics, ornamental ceramic wares, ceramic tea and coffee wares, pottery, porcelain, faience, earthenware, stoneware, pot, jar, urn, keramik, ceramique",
    ),
    "vase": ("vessel", "vases, vasen, vaso, jarron, jardiniere"),
    "bowl": ("vessel", "bowls, bol, coupe, schale, schussel, ciotola, cuenco, kom"),
    "silverware": (
        "vessel",
        "holloware, hollowware, flatware, metal flatware, cutlery, tableware, teapot, tea service, wine cooler, winecooler, condiments, candlestick, candlesticks, candlesticks and holders, candlestickcandleholder, candle snuffers, napkin ring",
    ),
    "jewellery": (
        "jewellery",
        "jewelry, jewel, bijou, bijoux, schmuck, gioiello, gioielli, joya, sieraad, other jewelry, jewelry rings, ring, rings, brooch, brooches, brooches and pins, pin, necklace, necklaces, pendant, pendants, bracelet, bracelets, earring, earrings, jewelry pendants, jewelry earrings, cuff links",
    ),
    "clock": (
        "timepiece",
        "clocks, timepiece, timepieces, clock timepiece, timepieces clock, horloge, pendule, uhr, orologio, reloj, klok, watch, pocket watch, pocketwatch, timepieces pocket watch, sundial",
    ),
    "coin": (
        "money",
        "coins, coins and paper money, banknote, banknotes, medal, medals, monnaie, munze, moneta, moneda, munt, stamps, stamp",
    ),
    "book": (
        "book",
        "books, livre, buch, libro, boek, manuscript, manuscrit, handschrift, manoscritto, atlas, map",
    ),
    "textile": (
        "textile",
        "textiles, other textiles, tapestry, tapestries, tapisserie, wandteppich, arazzo, tapiz, carpet, rug, quilt, sampler, clothing and costumes, costume, garment, embroidery, tissu",
    ),
    "furniture": (
        "furniture",
        "furniture table, table, chair, cabinet, cabinets, commode, desk, screen, mirror, meuble, mobel, mobile, mueble, meubel, pedestals, firefurniture, doors",
    ),
    "lamp": ("lighting", "lamps, lampe, lampada, lampara, chandelier, lighting"),
    "instrument": (
        "instrument",
        "musical instrument, stringinstruments, instruments string, instruments wind, instruments guitars, other musical instruments, violin, viola, cello, guitar, flute, piano",
    ),
    "weapon": (
        "weapon",
        "weapons, blades, dagger, sword, knife, guns and firearms, guns and firearms rifle, rifle, pistol, cannon, armour, armor",
    ),
    "mask": ("ethnographic", "masks, masque, maske, maschera, mascara, masker"),
    "religious object": (
        "religious",
        "crucifix, cross, monstrance, chalice, reliquary, shrine, incense burner, incense burndeers, bell",
    ),
    "box": ("vessel", "boxes, boite, dose, scatola, caja, doos, cigarette case, snuff box"),
}
_TYPE_GROUP: dict[str, str] = {t: group for t, (group, _) in _OBJECT_TYPES.items()}
_TYPE_WORDS, _TYPE_PHRASES = _index({t: forms for t, (_, forms) in _OBJECT_TYPES.items()})
# Catch-all categories ("Other - Arts and Antiques") say nothing about what the object is.
_VAGUE_TYPES = frozenset(
    [
        "other",
        "assorted",
        "arts",
        "antiques",
        "collectibles",
        "objects",
        "object",
        "miscellaneous",
        "various",
        "none",
        "ethnographic",
        "works",
        "art",
        "sports",
    ]
)


def object_type_of(text: str | None) -> tuple[str, str] | None:
    """(canonical type, group) of a register's object type, or None if it names none we know.

    A hierarchical type ("painting > portrait") is read from its most general named part.
    """
    if not text:
        return None
    for part in text.replace(",", ">").replace("/", ">").split(">"):
        terms, _ = _canonical_terms(part, _TYPE_WORDS, _TYPE_PHRASES)
        if terms:
            canonical = sorted(terms)[0]
            return canonical, _TYPE_GROUP[canonical]
    return None


def is_vague_object_type(text: str) -> bool:
    return set(normalise_text(text).split()) <= _VAGUE_TYPES


# --- Generic title words ------------------------------------------------------------------------

_TITLE_WORDS: dict[str, str] = {
    "portrait": "portraits, portret, bildnis, portrat, ritratto, retrato",
    "self portrait": "selfportrait, autoportrait, autoritratto, autorretrato, zelfportret, selbstbildnis, selbstportrat",
    "woman": "women, lady, femme, dame, frau, donna, signora, mujer, dama, vrouw",
    "man": "men, gentleman, homme, monsieur, mann, herr, uomo, hombre, caballero, heer",
    "girl": "girls, jeune fille, fillette, madchen, ragazza, fanciulla, nina, muchacha, meisje",
    "boy": "boys, garcon, knabe, junge, ragazzo, fanciullo, nino, muchacho, jongen",
    "child": "children, enfant, kind, bambino, nino, kinderen",
    "landscape": "landscapes, paysage, landschaft, paesaggio, paisaje, landschap",
    "still life": "nature morte, stillleben, natura morta, bodegon, naturaleza muerta, stilleven",
    "flowers": "flower, fleurs, fleur, blumen, blume, fiori, fiore, flores, flor, bloemen, bloem, bouquet",
    "vase": "vases, vaso, jarron",
    "head": "heads, tete, kopf, testa, cabeza, hoofd",
    "nude": "nudes, nu, akt, nudo, desnudo, naakt",
    "madonna": "virgin, virgin and child, vierge, vierge a l enfant, jungfrau, madonna col bambino, virgen, maagd",
    "saint": "st, ste, san, santa, santo, sankt, sint, heilige",
    "seascape": "marine, marina, seestuck, zeegezicht",
    "view": "vue, ansicht, veduta, vista, gezicht",
    "study": "etude, studie, studio, estudio",
    "untitled": "sans titre, ohne titel, senza titolo, sin titulo, zonder titel",
    "composition": "komposition, composizione, composicion, compositie",
    "abstract": "abstraction, abstrait, abstrakt, astratto, abstracto",
    "figure": "figures, figur, figura, figuur",
    "horse": "horses, cheval, pferd, cavallo, caballo, paard",
    "river": "riviere, fleuve, fluss, fiume, rio, rivier",
    "sea": "mer, meer, mare, mar, zee",
    "church": "eglise, kirche, chiesa, iglesia, kerk",
    "village": "dorf, villaggio, aldea, pueblo, dorp",
    "street": "rue, strasse, via, calle, straat",
    "garden": "jardin, garten, giardino, tuin",
    "mother": "mere, mutter, madre, moeder",
}
_TITLE_WORD_INDEX, _TITLE_PHRASES = _index(_TITLE_WORDS)
# Words of titles and descriptions that identify little: the generic title words above, colours,
# and the commonest words of registers' titles.
GENERIC_TITLE_WORDS = frozenset(
    set(_TITLE_WORDS)
    | set(_TITLE_WORD_INDEX)
    | set(_TYPE_WORDS)  # "bowl", "vase", "ring": what the object is, not which one
    | set(_MATERIAL_WORDS)
    | {
        "painting", "drawing", "print", "sculpture", "series", "scene", "life", "black", "white",
        "blue", "red", "green", "yellow", "gold", "silver", "small", "large", "old", "young",
        "two", "three", "ii", "iii", "iv", "no", "number", "part", "with", "depicting",
        "american", "native", "chinese", "japanese", "french", "italian", "dutch", "english",
        # The subjects of religious art recur across thousands of works.
        "christ", "jesus", "mary", "madonna", "virgin", "saint", "holy", "family", "adoration",
        "magi", "annunciation", "nativity", "crucifixion", "pieta", "resurrection", "flight",
        "egypt", "supper", "apostle", "angel", "angels", "john", "peter", "paul", "baptist",
    }
)  # fmt: skip


def canonical_title_words(text: str | None) -> list[str]:
    """A title's words with generic words in every language replaced by one canonical form."""
    terms, rest = _canonical_terms(text, _TITLE_WORD_INDEX, _TITLE_PHRASES)
    return sorted(terms) + rest
