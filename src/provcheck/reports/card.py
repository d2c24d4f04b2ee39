"""The Object ID record card: one printable page per object, that a registrar files and hands to
the police -- as a web page (`render_card_html`) and as a PDF (`render_card_pdf`).

A card shows every Object ID category in the standard's order, "not recorded" where a category is
empty (an empty field is as telling as a filled one), measurements in metric and imperial units
beside the words the register wrote, the photographs captioned with the view they show, and the
checklist of what is still missing for identification (`missing_for_identification`).

Like the other views, this module shows what it is given -- records and photographs' bytes -- and
opens nothing: no store, no network, no user's folder. Register data is untrusted: the page is
escaped and forbids scripts (the rules of `provcheck.reports.html`, whose helpers it uses), only
http(s) addresses are made links, and every photograph is decoded through the safe loader, a
photograph that cannot be read being named in its place.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from provcheck._version import __version__
from provcheck.images.loading import load_image, thumbnail_jpeg
from provcheck.model.record import Record
from provcheck.reports.html import _environment, _safe_url, _thumbnail
from provcheck.text.measurements import Measurement

if TYPE_CHECKING:
    from fpdf import FPDF

__all__ = [
    "PHOTO_SIDE",
    "CardPhoto",
    "PhotoView",
    "missing_for_identification",
    "render_card_html",
    "render_card_pdf",
]

# What a photograph shows. Object ID asks for the front, the back, and the marks and inscriptions.
PhotoView = Literal["front", "back", "marks", "detail", "other"]

# The longer side, in pixels, of a photograph placed in the PDF: some 250 dpi at the 100 mm the
# largest is printed at. Larger photographs are reduced first (a phone's 12 MP would make a
# collection's PDF gigabytes).
PHOTO_SIDE = 1000

NOT_RECORDED = "not recorded"
UNREADABLE = "photograph could not be read"
NOTHING_MISSING = "nothing: every category Object ID asks for is recorded"


@dataclass(frozen=True)
class CardPhoto:
    """A photograph for a card: its bytes (JPEG, PNG, ... as provcheck reads them; None when no
    copy is at hand), the register's caption, the view it shows (None: inferred from the caption
    and the source's file name), and where it is (a file's name or an address, shown as text,
    never fetched)."""

    data: bytes | None
    caption: str | None = None
    view: PhotoView | None = None
    source: str | None = None


# Words that name a view, in English, French and German, as captions and file names write them
# (lower case, as `str.casefold` writes them). Words of six letters or more also match as the start
# of a longer word: "inscriptions", "Rückseitenansicht", "Signaturdetail".
_VIEW_WORDS: dict[PhotoView, frozenset[str]] = {
    "front": frozenset(
        {"front", "recto", "obverse", "vorderseite", "vorderansicht", "vorne", "avers", "devant"}
    ),
    "back": frozenset(
        {
            "back",
            "reverse",
            "verso",
            "rear",
            "rückseite",
            "rueckseite",
            "ruckseite",
            "rückansicht",
            "dos",
            "revers",
        }
    ),
    "marks": frozenset(
        {
            "mark",
            "marks",
            "marked",
            "marking",
            "markings",
            "signature",
            "signed",
            "label",
            "labels",
            "stamp",
            "stamps",
            "stamped",
            "inscription",
            "inscribed",
            "hallmark",
            "monogram",
            "signatur",
            "signiert",
            "stempel",
            "inschrift",
            "beschriftung",
            "etikett",
            "punze",
            "marque",
            "marques",
            "signé",
            "étiquette",
            "etiquette",
            "poinçon",
            "poincon",
            "cachet",
        }
    ),
    "detail": frozenset({"detail", "details", "détail", "détails", "ausschnitt", "closeup"}),
}
_WORD = re.compile(r"[^\W\d_]+")


def _named_view(text: str) -> PhotoView | None:
    """The view a caption or file name names: the first of front, back or marks named (a
    "signature on the reverse" shows the signature), else detail; None if it names none."""
    detail = False
    for word in _WORD.findall(text.casefold()):
        for view, words in _VIEW_WORDS.items():
            named = word in words or any(len(w) >= 6 and word.startswith(w) for w in words)
            if named and view == "detail":
                detail = True  # a detail of the signature is a photograph of the marks
            elif named:
                return view
    return "detail" if detail else None


def _with_views(photos: Sequence[CardPhoto]) -> list[CardPhoto]:
    """The photographs, each with its view: as given, else as its caption or file name names it;
    the first that names none is the front (unless another says it is), the others "other"."""
    named: list[PhotoView | None] = []
    for photo in photos:
        file_name = (photo.source or "").rstrip("/").rsplit("/", 1)[-1]
        named.append(photo.view or _named_view(f"{photo.caption or ''} {file_name}"))
    front_given = "front" in named
    result = []
    for photo, view in zip(photos, named, strict=True):
        if view is None:
            view = "other" if front_given else "front"
            front_given = True
        result.append(replace(photo, view=view))
    return result


# What an inscriptions field says when the object has none: recorded, and nothing to photograph.
_NO_INSCRIPTION = frozenset(
    {
        "none",
        "no",
        "nil",
        "n/a",
        "-",
        "no inscription",
        "no inscriptions",
        "no markings",
        "unsigned",
        "not signed",
        "keine",
        "unsigniert",
        "aucune",
        "aucun",
        "non signé",
    }
)


def missing_for_identification(record: Record, photos: Sequence[CardPhoto]) -> list[str]:
    """What the record lacks that Object ID asks for to identify the object, in the standard's
    order, each a short sentence a registrar acts on; empty when nothing is missing.
    `photos` are the record's photographs as the card shows them (their views inferred)."""
    d = record.description
    views = {photo.view for photo in _with_views(photos)}
    inscriptions = (d.inscriptions or "").strip()
    missing: list[str] = []
    if not photos:
        missing.append("no photograph at all: photograph the front, the back and any marks")
    else:
        if "back" not in views:
            missing.append("no photograph of the back")
        if inscriptions and inscriptions.casefold() not in _NO_INSCRIPTION and "marks" not in views:
            missing.append("no photograph of the inscriptions or marks")
    if not d.object_type:
        missing.append("no object type recorded")
    if not d.measurements:
        missing.append(
            "measurements recorded without a number and unit that can be read"
            if d.measurements_text
            else "no measurements recorded"
        )
    if not d.materials:
        missing.append("no materials and techniques recorded")
    if not inscriptions and "marks" not in views:
        missing.append("no inscription or marking recorded (or that there is none)")
    if not d.distinguishing_features:
        missing.append("no distinguishing features recorded (damage, repairs, defects)")
    if not d.title:
        missing.append("no title recorded")
    if not d.period:
        missing.append("no date or period recorded")
    if not d.maker_text and not d.makers:
        missing.append("no maker recorded")
    elif d.makers and all(maker.is_anonymous for maker in d.makers):
        missing.append("maker recorded as unknown: note any attribution, workshop or culture")
    if not d.description:
        missing.append("no description recorded")
    if not d.inventory_number:
        missing.append("no inventory number recorded")
    return missing


# What a card shows, the same for the page and the PDF.


@dataclass(frozen=True)
class _Field:
    label: str
    lines: tuple[str, ...]  # empty: not recorded
    link: str | None = None  # an http(s) address the value links to


@dataclass(frozen=True)
class _Photo:
    label: str  # the view, and the register's caption
    data: bytes | None
    source: str | None  # a file's name or an address, as text
    absent: str  # what shows when there are no bytes


@dataclass(frozen=True)
class _Card:
    heading: str
    key: str
    status: str
    photos: tuple[_Photo, ...]
    groups: tuple[tuple[str, tuple[_Field, ...]], ...]
    missing: tuple[str, ...]


_VIEW_LABELS: dict[PhotoView, str] = {
    "front": "Front",
    "back": "Back",
    "marks": "Marks and inscriptions",
    "detail": "Detail",
    "other": "Other view",
}
_VIEW_ORDER: dict[PhotoView, int] = {"front": 0, "back": 1, "marks": 2, "detail": 3, "other": 4}
_LONGEST_CAPTION = 300  # characters of a caption shown under a photograph


def _clean(text: str) -> str:
    """Text as a card can show it: no control characters (a tab is a space, a line break stays)
    and no lone surrogates, which neither a PDF font nor UTF-8 can hold."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(
        ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cs")
    ).strip()


def _lines(*values: str | None) -> tuple[str, ...]:
    return tuple(text for value in values if value and (text := _clean(value)))


def _decimal(value: float) -> str:
    """A measurement as people write it: two decimals below 10, one below 1,000, none above;
    no trailing zeros."""
    places = 2 if value < 10 else 1 if value < 1000 else 0
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


_GRAMS_PER_OUNCE = 28.349523125


def _imperial_weight(grams: float) -> str:
    ounces = grams / _GRAMS_PER_OUNCE
    if ounces < 16:
        return f"{_decimal(ounces)} oz"
    pounds, rest = divmod(ounces, 16)
    rest = round(rest, 1)
    if rest >= 16:
        pounds, rest = pounds + 1, 0.0
    return f"{int(pounds)} lb" + (f" {rest:.1f}".rstrip("0").rstrip(".") + " oz" if rest else "")


def _both_units(measurement: Measurement) -> str:
    """One measurement in metric and imperial units: "height: 61 cm · 24 in", "2.5 kg · 5 lb
    8.2 oz"."""
    centimetres = measurement.centimetres
    grams = measurement.grams
    if centimetres is not None:
        amounts = f"{_decimal(centimetres)} cm · {_decimal(centimetres / 2.54)} in"
    elif grams is not None:
        metric = f"{_decimal(grams)} g" if grams < 1000 else f"{_decimal(grams / 1000)} kg"
        amounts = f"{metric} · {_imperial_weight(grams)}"
    else:  # a unit neither a length nor a weight: as written
        amounts = f"{_decimal(measurement.value)} {measurement.unit.value}"
    what = measurement.dimension.value if measurement.dimension else ""
    if measurement.context:
        what = f"{what} ({measurement.context})".strip()
    return f"{what}: {amounts}" if what else amounts


def _measurement_lines(record: Record) -> tuple[str, ...]:
    d = record.description
    read = [_both_units(m) for m in d.measurements]
    written = d.measurements_text or "; ".join(m.text for m in d.measurements)
    if written and not read:
        return _lines(f"as written: {written} (no number and unit could be read)")
    return _lines(*read, f"as written: {written}" if written else None)


def _card(record: Record, photos: Sequence[CardPhoto]) -> _Card:
    d = record.description
    shown = sorted(_with_views(photos), key=lambda p: _VIEW_ORDER[p.view or "other"])
    maker = d.maker_text or ", ".join(m.text for m in d.makers)
    address = _clean(record.url or "")
    object_id = (
        _Field("Type of object", _lines(d.object_type)),
        _Field("Measurements", _measurement_lines(record)),
        _Field("Materials & techniques", _lines(d.materials)),
        _Field("Inscriptions & markings", _lines(d.inscriptions)),
        _Field("Distinguishing features", _lines(d.distinguishing_features)),
        _Field("Title", _lines(d.title)),
        _Field("Subject", _lines(d.subject)),
        _Field("Date or period", _lines(d.period.text if d.period else None)),
        _Field("Maker", _lines(maker)),
        _Field("Description", _lines(d.description)),
    )
    further = (
        _Field("Inventory number", _lines(d.inventory_number)),
        _Field("Place of origin", _lines(d.place_of_origin)),
        _Field("Provenance", _lines(d.provenance)),
    )
    loss = (
        _Field("Status", _lines(record.status.label)),
        _Field("Date of loss", _lines(record.date_of_loss.text if record.date_of_loss else None)),
        _Field("Place of loss", _lines(record.place_of_loss)),
        _Field("Register and record id", _lines(record.key)),
        _Field("Address", _lines(address), link=address if _safe_url(address) else None),
    )
    return _Card(
        heading=_clean(d.title or d.object_type or "") or "Untitled object",
        key=_clean(record.key),
        status=record.status.label,
        photos=tuple(_photo(photo) for photo in shown),
        groups=(
            ("Object ID", object_id),
            ("Further identification", further),
            ("The loss and the register", loss),
        ),
        missing=tuple(missing_for_identification(record, photos)),
    )


def _photo(photo: CardPhoto) -> _Photo:
    label = _VIEW_LABELS[photo.view or "other"]
    caption = _clean(photo.caption or "")
    if len(caption) > _LONGEST_CAPTION:
        caption = caption[: _LONGEST_CAPTION - 1] + "…"
    source = _clean(photo.source or "") or None
    if source and _safe_url(source):
        absent = f"photograph at {source} not fetched"
    else:
        absent = "no copy of the photograph at hand"
    return _Photo(
        # A caption that only names the view ("back") is the label already.
        label=f"{label}: {caption}" if caption and caption.lower() != label.lower() else label,
        data=photo.data or None,
        source=source,
        absent=absent,
    )


def _made(made_at: datetime | None) -> datetime:
    """When the cards were made, in UTC (a time without a zone is taken as UTC)."""
    if made_at is None:
        return datetime.now(UTC)
    return made_at.replace(tzinfo=UTC) if made_at.tzinfo is None else made_at.astimezone(UTC)


# The page.


@dataclass(frozen=True)
class _PagePhoto:
    photo: _Photo
    data_uri: str | None  # None: no bytes, or bytes that are no readable image
    shown: str  # what shows in the photograph's place when there is none


def _page_photo(photo: _Photo) -> _PagePhoto:
    if photo.data is None:
        return _PagePhoto(photo, None, photo.absent)
    try:
        uri = _thumbnail(photo.data, photo.source or "photograph")
    except Exception:  # whatever Pillow raises for bytes it cannot read: shown as unreadable
        uri = None
    return _PagePhoto(photo, uri, UNREADABLE)


def render_card_html(
    cards: Sequence[tuple[Record, Sequence[CardPhoto]]],
    *,
    title: str,
    made_at: datetime | None = None,
) -> str:
    """The cards as one standalone web page, each card on a page of its own when printed (A4).
    `made_at` (default: now) is the time the footer gives."""
    if not cards:
        raise ValueError("no cards to render")
    shown = [_card(record, photos) for record, photos in cards]
    template = _environment().get_template("card.html.j2")
    return template.render(
        title=_clean(title),
        cards=[(card, [_page_photo(photo) for photo in card.photos]) for card in shown],
        not_recorded=NOT_RECORDED,
        nothing_missing=NOTHING_MISSING,
        made=_made(made_at).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
    )


# The PDF (fpdf2, imported when a PDF is made: it takes most of a second to import, which every
# command would otherwise wait for). Lengths in millimetres, on A4.

_PAGE_WIDTH = 210.0
_MARGIN = 15.0
_BOTTOM = 18.0  # the footer's room
_CONTENT_WIDTH = _PAGE_WIDTH - 2 * _MARGIN
_LABEL_WIDTH = 44.0
_INK = (27, 27, 27)
_GREY = (110, 110, 110)
_RULE = (215, 215, 215)
_CHECKLIST_FILL = (255, 240, 205)
_CHECKLIST_EDGE = (178, 106, 0)
_FONT = "DejaVu"


@contextlib.contextmanager
def _font_files() -> Iterator[tuple[Path, Path]]:
    """DejaVu Sans, regular and bold (Latin, Greek, Cyrillic and more: registers hold Ukrainian
    and German records), as files for as long as the PDF is being made."""
    fonts = importlib.resources.files("provcheck.reports") / "fonts"
    with (
        importlib.resources.as_file(fonts / "DejaVuSans.ttf") as regular,
        importlib.resources.as_file(fonts / "DejaVuSans-Bold.ttf") as bold,
    ):
        yield regular, bold


def render_card_pdf(
    cards: Sequence[tuple[Record, Sequence[CardPhoto]]],
    *,
    title: str,
    made_at: datetime | None = None,
) -> bytes:
    """The cards as one PDF (A4, fonts embedded): each card starts a page, and takes more when it
    needs them; each page's foot says "card N of M · page P of T" and when it was made. The same
    cards and `made_at` give the same bytes."""
    from fpdf import FPDF  # here, not above: see "The PDF"

    if not cards:
        raise ValueError("no cards to render")
    made = _made(made_at)
    shown = [_card(record, photos) for record, photos in cards]
    made_by = f"made {made:%Y-%m-%d %H:%M} UTC by provcheck {__version__}"
    current = [""]  # "card N of M": the card whose pages are being written

    class CardPdf(FPDF):
        def footer(self) -> None:  # fpdf2 calls this as each page ends
            self.set_y(-12)
            _font(self, 7, colour=_GREY)
            self.cell(_CONTENT_WIDTH / 2, 4, made_by, align="L")
            page = f"{current[0]} · page {self.page_no()} of {{nb}}"  # {nb}: the page count
            self.cell(_CONTENT_WIDTH / 2, 4, page, align="R")

    with _font_files() as (regular, bold):
        pdf = CardPdf(orientation="portrait", unit="mm", format="A4")
        pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
        pdf.set_auto_page_break(True, margin=_BOTTOM)
        pdf.add_font(_FONT, "", regular)
        pdf.add_font(_FONT, "B", bold)
        pdf.set_title(_clean(title))
        pdf.set_creator(f"provcheck {__version__}")
        pdf.set_producer(f"provcheck {__version__}")
        pdf.set_lang("en")
        pdf.set_creation_date(made)
        for number, card in enumerate(shown, start=1):
            pdf.add_page()  # the foot of the card before's last page is written here
            current[0] = f"card {number} of {len(shown)}"
            _pdf_card(pdf, card)
        return bytes(pdf.output())


def _pdf_card(pdf: FPDF, card: _Card) -> None:
    """One card, from the top of the page it starts."""
    pdf.start_section(card.heading[:120])  # the PDF's outline: a collection's cards by title
    _font(pdf, 8, colour=_GREY)
    pdf.cell(0, 4, "OBJECT ID RECORD", new_x="LMARGIN", new_y="NEXT")
    _font(pdf, 15, bold=True)
    pdf.multi_cell(0, 7, card.heading, align="L", new_x="LMARGIN", new_y="NEXT")
    _font(pdf, 9.5)
    pdf.multi_cell(0, 5, f"{card.key} · {card.status}", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _font(pdf, 9, bold=True)
    pdf.cell(0, 5, f"Photographs ({len(card.photos)})", new_x="LMARGIN", new_y="NEXT")
    top = pdf.y
    # The first photograph (the front) large, the checklist beside it; the others in rows below.
    first = card.photos[0] if card.photos else None
    left = _pdf_photo(pdf, first, x=_MARGIN, y=top, width=100, height=75)
    right = _pdf_checklist(pdf, card.missing, x=_MARGIN + 105, y=top, width=_CONTENT_WIDTH - 105)
    pdf.set_xy(_MARGIN, max(left, right) + 4)
    rest = card.photos[1:]
    for start in range(0, len(rest), 3):
        if pdf.y + 60 > pdf.page_break_trigger:
            pdf.add_page()
        y = pdf.y
        bottoms = [
            _pdf_photo(pdf, photo, x=_MARGIN + column * 61, y=y, width=58, height=45)
            for column, photo in enumerate(rest[start : start + 3])
        ]
        pdf.set_xy(_MARGIN, max(bottoms) + 3)
    for heading, fields in card.groups:
        if pdf.y + 14 > pdf.page_break_trigger:
            pdf.add_page()
        pdf.ln(1)
        _font(pdf, 10, bold=True)
        pdf.cell(0, 6, heading, new_x="LMARGIN", new_y="NEXT")
        for field in fields:
            _pdf_field(pdf, field)


def _font(
    pdf: FPDF, size: float, *, bold: bool = False, colour: tuple[int, int, int] = _INK
) -> None:
    pdf.set_font(_FONT, "B" if bold else "", size)
    pdf.set_text_color(*colour)


def _placeable(data: bytes) -> tuple[bytes, float] | None:
    """The photograph as a bounded JPEG and its width over its height, or None if it cannot be
    read (damaged, truncated, a decompression bomb, not an image at all)."""
    try:
        image = load_image(data, source="photograph", max_side=PHOTO_SIDE)
        return thumbnail_jpeg(image, max_side=PHOTO_SIDE, quality=85), image.width / image.height
    except Exception:  # whatever Pillow raises for bytes it cannot read: shown as unreadable
        return None


def _pdf_photo(
    pdf: FPDF, photo: _Photo | None, *, x: float, y: float, width: float, height: float
) -> float:
    """A photograph fitted in the box at (x, y), its caption below; where it is missing or cannot
    be read, a framed note in its place. The y its caption ends at."""
    placed = _placeable(photo.data) if photo is not None and photo.data is not None else None
    if placed is not None:
        jpeg, aspect = placed
        shown_width = min(width, height * aspect)
        shown_height = shown_width / aspect
        pdf.image(io.BytesIO(jpeg), x=x, y=y, w=shown_width, h=shown_height)
        bottom = y + shown_height
    else:
        if photo is None:
            note = "no photograph recorded"
        else:
            note = photo.absent if photo.data is None else UNREADABLE
        box = min(height, 30.0)
        pdf.set_draw_color(*_GREY)
        pdf.set_fill_color(238, 238, 238)
        pdf.rect(x, y, width, box, style="DF")
        _font(pdf, 8, colour=_GREY)
        pdf.set_xy(x + 2, y + box / 2 - 4)
        pdf.multi_cell(width - 4, 4, note, align="C", new_x="LEFT", new_y="NEXT")
        bottom = y + box
    if photo is not None:
        pdf.set_xy(x, bottom + 1)
        _font(pdf, 7.5)
        pdf.multi_cell(width, 3.5, photo.label, align="L", new_x="LEFT", new_y="NEXT")
        if photo.source:
            _font(pdf, 6.5, colour=_GREY)
            pdf.multi_cell(width, 3, photo.source[:200], align="L", new_x="LEFT", new_y="NEXT")
        bottom = pdf.y
    return bottom


def _pdf_checklist(pdf: FPDF, missing: Sequence[str], *, x: float, y: float, width: float) -> float:
    """The box "Missing for identification" at (x, y): the y it ends at."""
    pdf.set_xy(x, y)
    pdf.set_fill_color(*_CHECKLIST_FILL)
    _font(pdf, 9.5, bold=True)
    pdf.cell(width, 6.5, "Missing for identification", fill=True, new_x="LEFT", new_y="NEXT")
    _font(pdf, 8.5)
    pdf.ln(1)
    for item in missing or [NOTHING_MISSING]:
        pdf.set_x(x + 1.5)
        pdf.cell(3.5, 4, "•")
        pdf.multi_cell(width - 6, 4, item, align="L", new_x="LEFT", new_y="NEXT")
        pdf.ln(0.6)
    bottom = pdf.y + 1
    pdf.set_draw_color(*_CHECKLIST_EDGE)
    pdf.set_line_width(0.4)
    pdf.rect(x, y, width, bottom - y)
    pdf.set_line_width(0.2)
    return bottom


def _pdf_field(pdf: FPDF, field: _Field) -> None:
    """One category: its label at the left, its value beside it (over pages if it must)."""
    if pdf.y + 6 > pdf.page_break_trigger:
        pdf.add_page()
    top, page = pdf.y, pdf.page
    pdf.set_x(_MARGIN)
    _font(pdf, 8.5, bold=True, colour=_GREY)
    pdf.multi_cell(_LABEL_WIDTH, 4.3, field.label, align="L", new_x="LMARGIN", new_y="NEXT")
    label_bottom = pdf.y
    pdf.set_xy(_MARGIN + _LABEL_WIDTH + 1, top)
    if field.lines:
        _font(pdf, 9.5)
        text = "\n".join(field.lines)
    else:
        _font(pdf, 9.5, colour=_GREY)
        text = NOT_RECORDED
    pdf.multi_cell(
        _CONTENT_WIDTH - _LABEL_WIDTH - 1,
        4.3,
        text,
        align="L",
        link=field.link or "",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    bottom = max(label_bottom, pdf.y) if pdf.page == page else pdf.y
    pdf.set_draw_color(*_RULE)
    pdf.line(_MARGIN, bottom + 0.8, _PAGE_WIDTH - _MARGIN, bottom + 0.8)
    pdf.set_xy(_MARGIN, bottom + 1.6)
