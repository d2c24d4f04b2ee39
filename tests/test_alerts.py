"""Theft alerts -- a bulletin's text, an e-mail with photographs -- read into records of one's own
register with one command, their fields read by the parsers every record goes through, the
source and date kept; hostile or empty alerts refused in one line."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import image_bytes

from provcheck.cli import main
from provcheck.collection.alerts import read_alert
from provcheck.collection.records import OwnRecords
from provcheck.errors import InputError
from provcheck.model.record import RecordStatus
from provcheck.store.opening import open_store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

BULLETIN = (FIXTURES / "alerts" / "bulletin.txt").read_text(encoding="utf-8")


def test_a_bulletin_becomes_a_record_with_its_fields_read(tmp_path: Path) -> None:
    with open_store(tmp_path / "store.sqlite3") as store:
        read = read_alert(store, BULLETIN, source="Art Loss Bulletin 2026-11")
    record = read.record
    d = record.description
    assert record.registry == "local" and record.record_id.startswith("ALERT-")
    assert record.status == RecordStatus.STOLEN
    assert d.title == "Wooded Landscape with a Windmill"
    assert d.makers[0].name == "Jacob van Ruisdael" and d.makers[0].qualifier == "attributed to"
    assert d.period is not None and d.period.earliest is not None and d.period.earliest <= 1650
    assert round(d.measurements[0].centimetres or 0) == 61
    assert d.inscriptions == 'signed lower right "JvR"'
    assert record.place_of_loss == "Haarlem, Netherlands"
    assert record.date_of_loss is not None and record.date_of_loss.text == "14 November 2026"
    assert "Any information to the police" in (d.description or "")
    assert isinstance(record.raw, dict)
    alert = record.raw["alert"]
    assert isinstance(alert, dict)
    assert alert["source"] == "Art Loss Bulletin 2026-11"
    assert alert["reference"] == "NL-2026-4471 (police case, Politie Noord-Holland)"
    assert alert["received"]


def _email(html: str, *attachments: tuple[str, bytes]) -> bytes:
    message = EmailMessage()
    message["From"] = "Security Network <alerts@network.example>"
    message["Subject"] = "Fwd: THEFT ALERT: Bronze figure of a dancer"
    message["Date"] = "Tue, 24 Nov 2026 09:15:00 +0100"
    message.set_content(html, subtype="html")
    for name, data in attachments:
        message.add_attachment(data, maintype="image", subtype="png", filename=name)
    return message.as_bytes()


def test_an_email_gives_its_subject_date_sender_and_photographs(tmp_path: Path) -> None:
    html = (
        "<html><head><script>alert(1)</script><style>p{}</style></head><body>"
        "<p>Missing since the fair:</p><p>Materials: bronze, brown patina</p>"
        "<p>Height: 42 cm</p><p>Stolen from: Maastricht</p></body></html>"
    )
    data = _email(
        html, ("front.png", image_bytes((200, 150), seed=3)), ("back.png", b"\x89PNG broken")
    )
    with open_store(tmp_path / "store.sqlite3") as store:
        read = read_alert(store, data, source="alert.eml")
        record = read.record
        assert record.description.title == "Bronze figure of a dancer"
        assert record.status == RecordStatus.MISSING  # "missing", said in the text
        assert record.description.materials == "bronze, brown patina"
        assert record.description.measurements[0].centimetres == 42
        assert "alert(1)" not in record.model_dump_json()  # the script is not text
        [photo] = record.description.images
        assert photo.caption == "front" and store.has_image(photo.sha256 or "")
        assert len(read.photographs_left_out) == 1 and "back.png" in read.photographs_left_out[0]
        alert = record.raw["alert"] if isinstance(record.raw, dict) else {}
        assert isinstance(alert, dict)
        assert alert["from"] == "Security Network <alerts@network.example>"
        assert alert["received"] == "2026-11-24T08:15:00+00:00"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"Dear colleagues, please be vigilant.\n", "no object described"),
        (b"Subject-less prose: a painting was taken, the police know.\n", "no object described"),
        (b"Title: \xff\xfe broken\n", "not UTF-8"),
        (b"", "no object described"),
    ],
)
def test_an_alert_that_describes_nothing_is_refused(
    tmp_path: Path, data: bytes, problem: str
) -> None:
    with open_store(tmp_path / "store.sqlite3") as store, pytest.raises(InputError, match=problem):
        read_alert(store, data, source="note.txt")


def test_prose_that_measures_or_dates_the_object_is_an_alert(tmp_path: Path) -> None:
    prose = b"A Dutch landscape of 1650, oil on panel, 40 x 55 cm, taken from a house in Delft."
    with open_store(tmp_path / "store.sqlite3") as store:
        record = read_alert(store, prose, source="note.txt").record
    assert record.description.measurements[0].centimetres == 40
    assert record.description.description == prose.decode()


def test_the_command_adds_it_once_with_its_source_in_the_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alert = tmp_path / "bulletin.txt"
    alert.write_text(BULLETIN, encoding="utf-8")
    store = ["--store", str(tmp_path / "store.sqlite3")]
    command = ["local", "alert", str(alert), "--id", "AL-77", "--by", "Registrar", *store]
    assert main(command) == 0
    assert "Added local:AL-77: Wooded Landscape with a Windmill" in capsys.readouterr().out
    assert main(command) == 2  # the same alert again
    assert "is in" in capsys.readouterr().err
    with open_store(tmp_path / "store.sqlite3") as opened:
        [_opened, added] = OwnRecords(opened).history("AL-77")
        assert added.text == "added from bulletin.txt"
        assert added.data["by"] == "Registrar"
    assert (
        main(
            [
                "check",
                "--title",
                "Wooded landscape with windmill",
                "--maker",
                "Ruisdael",
                "--period",
                "1650",
                "--registry",
                "local",
                *store,
            ]
        )
        == 1
    )
