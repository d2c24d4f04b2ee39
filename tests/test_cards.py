"""Object ID record cards: every category on the page, both units, the checklist, safe with
hostile text and unreadable photographs, and a PDF that prints what the page shows."""

from __future__ import annotations

import argparse
import io
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from conftest import FIXTURES

from provcheck.cli.card import add_commands, record_photos
from provcheck.errors import InputError
from provcheck.model.record import Record
from provcheck.reports.card import (
    CardPhoto,
    missing_for_identification,
    render_card_html,
    render_card_pdf,
)
from provcheck.store.importing import import_file
from provcheck.store.interface import Store
from provcheck.store.opening import open_store

MADE = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
CATEGORIES = (
    "Photographs",
    "Type of object",
    "Measurements",
    "Materials &amp; techniques",
    "Inscriptions &amp; markings",
    "Distinguishing features",
    "Title",
    "Subject",
    "Date or period",
    "Maker",
    "Description",
    "Inventory number",
    "Place of origin",
    "Provenance",
    "Status",
    "Date of loss",
    "Place of loss",
    "Register and record id",
    "Address",
)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the sample register (35 local records with photographs, 10 of the FBI's
    with photographs by address)."""
    path = tmp_path_factory.mktemp("cards") / "store.sqlite3"
    with open_store(path) as store:
        import_file(store, FIXTURES / "sample-register" / "records.jsonl")
    return path


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    with open_store(store_path) as opened:
        yield opened


def record(**description: object) -> Record:
    return Record.model_validate(
        {"registry": "local", "record_id": "T-1", "status": "stolen", "description": description}
    )


def get(store: Store, registry: str, record_id: str) -> Record:
    found = store.get(registry, record_id)
    assert found is not None
    return found


def card_html(item: Record, photos: Sequence[CardPhoto] = ()) -> str:
    return render_card_html([(item, photos)], title="Cards", made_at=MADE)


def colourfulness(image: object) -> float:
    """The mean spread between a pixel's strongest and weakest channel (0 for greys)."""
    from PIL import Image, ImageChops

    assert isinstance(image, Image.Image)
    red, green, blue = image.convert("RGB").split()
    spread = ImageChops.subtract(
        ImageChops.lighter(ImageChops.lighter(red, green), blue),
        ImageChops.darker(ImageChops.darker(red, green), blue),
    )
    histogram = spread.histogram()
    return sum(value * count for value, count in enumerate(histogram)) / sum(histogram)


def page_text(data: bytes, index: int = 0) -> str:
    return str(pdfium.PdfDocument(data)[index].get_textpage().get_text_range())


# The page.


def test_a_card_shows_every_category_and_both_units(store: Store) -> None:
    acorn = get(store, "fbi", "acorn")  # "24 in", a photograph by address only
    page = card_html(acorn, record_photos(store, acorn))
    for label in CATEGORIES:
        assert f">{label}" in page, label
    assert "not recorded" in page  # no inscriptions, no subject, ...
    assert "61 cm · 24 in" in page and "as written: 24 in" in page
    assert "Metal; copper; stained glass" in page
    address = "https://artcrimes.fbi.gov/nsaf/acorn/Acorn.gif/@@images/image/thumb"
    assert f"photograph at {address} not fetched" in page
    assert '<a href="https://www.fbi.gov/nsaf/acorn">' in page  # the register's record, linked
    assert "break-before: page" in page and "size: A4" in page
    assert "Content-Security-Policy" in page and "made 2025-03-01 09:30 UTC by provcheck" in page


def test_metric_sizes_are_given_in_inches_and_weights_in_pounds() -> None:
    page = card_html(record(title="Jar", measurements="50 x 40 cm; weight 2.5 kg"))
    assert "50 cm · 19.7 in" in page and "40 cm · 15.7 in" in page
    assert "weight: 2.5 kg · 5 lb 8.2 oz" in page
    assert "as written: 50 x 40 cm; weight 2.5 kg" in page


def test_a_photograph_of_the_front_only_asks_for_the_back(store: Store) -> None:
    girl = get(store, "local", "LOSS-2002")
    photos = record_photos(store, girl)
    assert len(photos) == 1 and photos[0].data is not None
    missing = missing_for_identification(girl, photos)
    assert missing[0] == "no photograph of the back"
    assert "no measurements recorded" in missing and "no title recorded" not in missing
    page = card_html(girl, photos)
    assert "no photograph of the back" in page
    assert '<img src="data:image/jpeg;base64,' in page and ">Front<" in page


def test_the_checklist_follows_object_id() -> None:
    bare = record()
    assert missing_for_identification(bare, []) == [
        "no photograph at all: photograph the front, the back and any marks",
        "no object type recorded",
        "no measurements recorded",
        "no materials and techniques recorded",
        "no inscription or marking recorded (or that there is none)",
        "no distinguishing features recorded (damage, repairs, defects)",
        "no title recorded",
        "no date or period recorded",
        "no maker recorded",
        "no description recorded",
        "no inventory number recorded",
    ]
    full = record(
        object_type="painting",
        measurements="H. 60 cm",
        materials="oil on canvas",
        inscriptions="signed lower right",
        distinguishing_features="a tear, repaired, upper left",
        title="Still life",
        period="c. 1880",
        maker="Unknown",
        description="flowers in a jug",
        inventory_number="INV-1",
    )
    photos = [
        CardPhoto(b"1", source="IMG_0001.jpg"),
        CardPhoto(b"2", caption="Rückseite mit Etikett"),
        CardPhoto(b"3", source="signature-detail.jpg"),
    ]
    assert missing_for_identification(full, photos) == [
        "maker recorded as unknown: note any attribution, workshop or culture"
    ]
    # Without the photograph of the signature, the recorded signature is to be photographed.
    assert missing_for_identification(full, photos[:2]) == [
        "no photograph of the inscriptions or marks",
        "maker recorded as unknown: note any attribution, workshop or culture",
    ]


@pytest.mark.parametrize(
    ("caption", "source", "view"),
    [
        (None, "IMG_0001.jpg", "Front"),
        ("verso", None, "Back"),
        ("Rückseite", None, "Back"),
        ("vue de dos", None, "Back"),
        ("Signatur unten rechts", None, "Marks and inscriptions"),
        ("hallmarks on the foot", None, "Marks and inscriptions"),
        ("marque au revers", None, "Marks and inscriptions"),
        (None, "detail_of_frame.png", "Detail"),
        ("Détail", None, "Detail"),
    ],
)
def test_a_photographs_view_is_read_from_its_caption_or_file_name(
    caption: str | None, source: str | None, view: str
) -> None:
    page = card_html(record(title="x"), [CardPhoto(None, caption=caption, source=source)])
    assert f"<figcaption>{view}" in page


def test_hostile_text_is_shown_as_text_and_never_linked() -> None:
    hostile = Record.model_validate(
        {
            "registry": "local",
            "record_id": '"><script>alert(2)</script>',
            "description": {
                "title": "<script>alert(1)</script>",
                "description": "<img src=x onerror=alert(3)>",
            },
            "url": "javascript:alert(4)",
        }
    )
    photo = CardPhoto(None, caption="<b>front</b>", source="javascript:alert(5)")
    page = render_card_html([(hostile, [photo])], title="<script>t</script>", made_at=MADE)
    assert "<script>alert" not in page and "<script>t" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "<b>front" not in page
    assert "javascript:alert(4)" in page  # shown as the register wrote it...
    assert 'href="javascript' not in page  # ...and not a link
    assert "no copy of the photograph at hand" in page  # not an address: nothing fetched


def test_an_unreadable_photograph_is_named_in_its_place() -> None:
    painting = (FIXTURES / "sample-register" / "images" / "dph-girl-in-white.jpg").read_bytes()
    truncated = [CardPhoto(painting[:2000], caption="front")]
    item = record(title="Girl in White")
    assert "photograph could not be read" in card_html(item, truncated)
    pdf = render_card_pdf([(item, truncated)], title="Cards", made_at=MADE)
    assert "photograph could not be read" in page_text(pdf)
    garbage = [CardPhoto(b"not an image at all", source="x.jpg")]
    assert "photograph could not be read" in page_text(
        render_card_pdf([(item, garbage)], title="Cards", made_at=MADE)
    )


# The PDF.


def test_the_pdf_prints_the_card_with_its_photograph(store: Store) -> None:
    girl = get(store, "local", "LOSS-2002")
    portrait = girl.model_copy(
        update={"description": girl.description.model_copy(update={"title": "Портрет жінки"})}
    )
    photos = record_photos(store, girl)
    data = render_card_pdf(
        [(girl, photos), (portrait, photos)], title="Cards of the sample register", made_at=MADE
    )
    assert data.startswith(b"%PDF")
    assert data == render_card_pdf(
        [(girl, photos), (portrait, photos)], title="Cards of the sample register", made_at=MADE
    )  # the same cards, the same bytes

    document = pdfium.PdfDocument(data)
    page = document[0]
    image = page.render(scale=1).to_pil().convert("RGB")
    greys = image.convert("L")
    inked = sum(count for value, count in enumerate(greys.histogram()) if value < 240)
    assert inked / (image.width * image.height) > 0.05  # not a blank page
    pictures = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
    assert len(pictures) == 1
    left, bottom, right, top = pictures[0].get_bounds()
    height = page.get_height()
    region = image.crop((int(left), int(height - top), int(right), int(height - bottom)))
    assert region.width > 100 and region.height > 100
    assert colourfulness(region) > 15  # the painting, in colour
    assert colourfulness(image) < colourfulness(region)

    text = page_text(data)
    assert "Girl in White" in text and "Missing for identification" in text
    assert "no photograph of the back" in text
    assert "card 1 of 2 · page 1 of 2" in text
    assert "Портрет жінки" in page_text(data, 1)


def test_a_collections_cards_take_a_page_each_at_least(store: Store) -> None:
    records = list(store.iter_records("local"))
    cards = [(item, record_photos(store, item)) for item in records]
    data = render_card_pdf(cards, title="The local register", made_at=MADE)
    assert len(pdfium.PdfDocument(data)) >= len(records) == 35
    page = render_card_html(cards, title="The local register", made_at=MADE)
    assert page.count('<article class="card">') == 35


def test_a_long_description_runs_over_pages() -> None:
    item = record(title="Long", description="word " * 6000 + "x" * 3000)
    data = render_card_pdf([(item, [])], title="Long", made_at=MADE)
    pages = len(pdfium.PdfDocument(data))
    assert pages >= 3
    assert f"card 1 of 1 · page {pages} of {pages}" in page_text(data, pages - 1)


# The command.


def run_card(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["card", *argv])
    code: int = args.run(args)
    return code


def test_the_command_writes_the_cards_of_named_records(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cards.pdf"
    assert run_card("LOSS-2002", "fbi:acorn", "--out", str(out), "--store", str(store_path)) == 0
    assert f"2 Object ID cards written to {out}" in capsys.readouterr().out
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and "Girl in White" in page_text(data)
    assert "Acorn" in page_text(data, len(pdfium.PdfDocument(data)) - 1)


def test_the_command_writes_a_collection_as_a_page(store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "stolen.html"
    assert (
        run_card("--all", "--status", "stolen", "--out", str(out), "--store", str(store_path)) == 0
    )
    assert out.read_text(encoding="utf-8").count('<article class="card">') == 35
    fbi = tmp_path / "fbi.cards"
    args = ["--all", "--registry", "fbi", "--format", "html", "--out", str(fbi)]
    assert run_card(*args, "--store", str(store_path)) == 0
    assert fbi.read_text(encoding="utf-8").count('<article class="card">') == 10


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["LOSS-9999"], "no record local:LOSS-9999"),
        (["LOSS-2002", "fbi:nothing"], "no record fbi:nothing"),
        ([], "name the records"),
        (["LOSS-2002", "--all"], "not both"),
        (["LOSS-2002", "--status", "stolen"], "--status"),
        (["--all", "--status", "recovered"], "no recovered records of register local"),
    ],
)
def test_the_command_refuses_before_writing_anything(
    store_path: Path, tmp_path: Path, argv: list[str], problem: str
) -> None:
    out = tmp_path / "cards.pdf"
    with pytest.raises(InputError, match=problem):
        run_card(*argv, "--out", str(out), "--store", str(store_path))
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_the_command_needs_a_format_and_a_place_to_write(store_path: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.pdf or \.html"):
        run_card("LOSS-2002", "--out", str(tmp_path / "cards.txt"), "--store", str(store_path))
    with pytest.raises(InputError, match="is a folder"):
        run_card("LOSS-2002", "--out", str(tmp_path), "--store", str(store_path))
    with pytest.raises(InputError, match="no store there"):
        run_card("LOSS-2002", "--out", str(tmp_path / "a.pdf"), "--store", str(tmp_path / "none"))
    assert list(tmp_path.iterdir()) == []


def test_a_changed_or_missing_file_gives_the_stores_copy(store: Store, tmp_path: Path) -> None:
    from PIL import Image

    girl = get(store, "local", "LOSS-2002")
    image = girl.description.images[0]
    assert image.path is not None and image.sha256 is not None
    moved = image.model_copy(update={"path": str(tmp_path / "gone.jpg")})
    changed_file = tmp_path / "changed.jpg"
    Image.new("RGB", (50, 50), "red").save(changed_file)
    changed = image.model_copy(update={"path": str(changed_file)})
    for other in (moved, changed):
        elsewhere = girl.model_copy(
            update={"description": girl.description.model_copy(update={"images": (other,)})}
        )
        (photo,) = record_photos(store, elsewhere)
        assert photo.data == store.thumbnail(image.sha256)
    (original,) = record_photos(store, girl)
    assert original.data is not None and original.data != store.thumbnail(image.sha256)
    with Image.open(io.BytesIO(original.data)) as opened:
        assert max(opened.size) <= 1000
