"""The mapping of POP's MNR notices: the real notice AEG00001 (JSON, as the API gives it) and
the real RFR00003 (POP's import format), field by field."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from provcheck_mnr import candidate_references, record_from_notice
from provcheck_mnr.notice import french_dimensions, parse_day
from provcheck_mnr.service import GENERATED, mock_notices

from provcheck import Dimension, RecordStatus
from provcheck.mocks import find_seed

SEED = find_seed("provcheck_mnr", "mnr", "mnr-refs.txt").parent
AEG00001 = json.loads((SEED / "mnr-record-AEG00001.json").read_text(encoding="utf-8"))
STORAGE = "https://s3.eu-west-3.amazonaws.com/pop-phototeque/"


def test_the_real_notice_is_mapped_field_by_field() -> None:
    record = record_from_notice(AEG00001, image_base=STORAGE)
    described = record.description
    assert (record.registry, record.record_id) == ("mnr", "AEG00001")
    assert record.status is RecordStatus.RECOVERED  # looted, found, claimable: not missing
    assert record.url == "https://www.pop.culture.gouv.fr/notice/mnr/AEG00001"
    assert record.modified == datetime(2020, 5, 18, tzinfo=UTC)
    assert described.title == "Statuette d'Isis allaitant Horus"
    assert described.maker_text is None  # "Anonyme": no maker to match
    assert described.object_type == "Antiquités égyptiennes ; sculpture > Statuette"
    assert described.materials == "Pierre (Grauwacke noir : basalte) ; ronde-bosse"
    assert described.measurements_text == "H. 0,158 ; La. 0,047 ; P. 0,082 m."
    assert [(m.dimension, m.value, m.unit.value) for m in described.measurements] == [
        (Dimension.HEIGHT, 0.158, "m"),
        (Dimension.WIDTH, 0.047, "m"),
        (Dimension.DEPTH, 0.082, "m"),
    ]
    assert described.period is not None and described.period.text == "Basse époque"
    assert described.inventory_number == "ER 1"
    assert described.inscriptions is not None
    assert described.inscriptions.startswith("Sous le socle : 34 759")
    assert "\n" in described.inscriptions  # POP's `#` between paragraphs
    assert described.distinguishing_features is not None
    assert described.distinguishing_features.startswith("La tête d'Horus manque")
    assert described.provenance is not None and "Walter Bornheim" in described.provenance
    assert described.description is not None and "Isis est assise" in described.description
    assert described.keywords == ("AEG00001",)
    assert len(described.images) == 15
    assert described.images[0].url == STORAGE + AEG00001["VIDEO"][0]
    assert record.raw == AEG00001


def test_the_real_import_row_and_its_malformed_date() -> None:
    notices = {n["REF"]: n for n in mock_notices(SEED, photographs=0)}
    record = record_from_notice(notices["RFR00003"], image_base=STORAGE)
    described = record.description
    assert described.title == "Statue : La Vierge et l'Enfant"
    assert described.maker_text == "Lorraine"
    assert described.period is not None and described.period.earliest == 1300
    assert described.inventory_number == "RFR 3"
    assert described.materials == "Pierre calcaire"
    assert record.modified == datetime(2014, 5, 28, tzinfo=UTC)  # DMAJ "2014-05/28"


def test_the_mock_has_every_real_reference_and_marks_what_it_generated() -> None:
    notices = mock_notices(SEED, photographs=3)
    references = (SEED / "mnr-refs.txt").read_text(encoding="utf-8").split()
    assert sorted(n["REF"] for n in notices) == sorted(references)
    assert len(references) == 1946
    generated = [n for n in notices if n["COMM"] == GENERATED]
    assert len(generated) == 1944
    assert sum(bool(n["VIDEO"]) for n in generated) == 3
    schema = {"TITR", "AUTR", "DIMS", "VIDEO", "INV", "HIST", "DMAJ", "NUMS", "PHOT"}
    assert all(schema <= set(n) for n in notices)
    assert mock_notices(SEED, photographs=3) == notices  # the same every time


@pytest.mark.parametrize(
    ("written", "references"),
    [
        ("MNR 330", ("MNR00330", "MNR330")),
        ("mnr0265b", ("MNR0265B", "MNR265B")),
        ("OAR.245", ("OAR00245", "OAR245")),
        ("MCSR 12", ("MCSR0012", "MCSR12")),
        ("a portrait", ()),
        (None, ()),
    ],
)
def test_inventory_numbers_read_as_references(
    written: str | None, references: tuple[str, ...]
) -> None:
    assert candidate_references(written) == references


def test_french_dimensions_and_days() -> None:
    assert french_dimensions("H. 1,33 ; La. 0,47 ; P. 0,32 m") == (
        "height 1.33 m; width 0.47 m; depth 0.32 m"
    )
    assert french_dimensions("Diam. 12 cm") == "diameter 12 cm"
    assert french_dimensions("sans dimensions") is None
    assert parse_day("2014-05/28") == datetime(2014, 5, 28, tzinfo=UTC)
    assert parse_day("2014-13-45") is None and parse_day("") is None
