"""A loss reported in one step: the record marked stolen, the ALR registration (its mock, over
real HTTP as a user points provcheck at it), the police's report and the referrals prepared, and
every answer and document kept in the record's case; registers that fail say so."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from provcheck_alr import AlrRegistry
from provcheck_alr.service import AlrService, create_mock

from provcheck.cases import CaseFile
from provcheck.cli import main
from provcheck.collection.losses import loss_registries, record_loss_answer, report_loss
from provcheck.collection.records import OwnRecords, record_case_id
from provcheck.errors import InputError
from provcheck.mocks import in_process
from provcheck.model.loss import SubmissionState
from provcheck.model.record import Record, RecordStatus
from provcheck.store.importing import import_file
from provcheck.store.opening import open_store
from provcheck.testing import served

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "sample-register" / "records.jsonl"
FAST = {"review_seconds": "0", "min_poll_interval": "0"}


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "store.sqlite3"
    with open_store(path) as store:
        import_file(store, SAMPLE)
    return path


def _alr() -> tuple[AlrRegistry, AlrService]:
    mock = create_mock(None, FAST)
    assert isinstance(mock.state, AlrService)
    settings = {**mock.client_settings, "poll_interval": 0.01}
    return AlrRegistry(transport=in_process(mock.app), **settings), mock.state


def test_the_registers_that_take_loss_reports_are_the_installed_ones_that_say_so() -> None:
    takers = loss_registries()
    assert {"alr", "lsad", "interpol", "carabinieri", "artive"} <= set(takers)
    assert "fbi" not in takers and "local" not in takers


def test_one_step_marks_it_stolen_registers_it_and_prepares_the_documents(
    store_path: Path,
) -> None:
    alr, service = _alr()
    with open_store(store_path) as store:
        outcome = report_loss(
            store,
            "LOSS-2003",
            registries=[alr],  # and, unprompted, the documents a person sends
            date="2026-11-28",
            place="Leiden, Netherlands",
            police_reference="CR 4521/26",
            police_force="Politie Hollands Midden",
            circumstances="burglary at night, window forced",
            reported_by="Museum Example",
            contact="registrar@example.org",
            by="Registrar",
        )
        states = {s.registry: s.state for s in outcome.submissions}
        assert states == {
            "alr": SubmissionState.REGISTERED,
            "lsad": SubmissionState.PREPARED,
            "interpol": SubmissionState.PREPARED,
            "carabinieri": SubmissionState.PREPARED,
            "artive": SubmissionState.PREPARED,
        }
        number = next(s.reference for s in outcome.submissions if s.registry == "alr")
        assert number is not None and number.startswith("ALR-R")
        # The record: stolen then and there, and the register's record of it named as the same.
        record = store.get("local", "LOSS-2003")
        assert record is not None and record.status == RecordStatus.STOLEN
        assert record.date_of_loss is not None and record.date_of_loss.text == "2026-11-28"
        assert record.same_as == (f"alr:{number}",)
        # What the ALR was sent: the photograph, the crime reference.
        registration = next(iter(service.registrations.values()))
        assert registration.record.description.images  # the photograph went with it
        # The case holds every answer, and the documents for the police and INTERPOL.
        cases = CaseFile(store)
        case_id = record_case_id(record)
        assert outcome.case_id == case_id
        entries = cases.entries(case_id)
        attached = {e.attachment.name: e.attachment for e in entries if e.attachment}
        assert {"loss-report-lsad.txt", "loss-report-interpol.txt"} <= set(attached)
        police = (cases.attachment(attached["loss-report-lsad.txt"].sha256) or b"").decode()
        assert re.search(r"^Crime reference number: +CR 4521/26$", police, re.MULTILINE)
        assert "Metropolitan Police Art & Antiques Unit" in police
        assert "Pierre-Auguste Renoir" in police
        interpol = (cases.attachment(attached["loss-report-interpol.txt"].sha256) or b"").decode()
        assert "National Central Bureau" in interpol and "burglary at night" in interpol
        assert any(number in (e.text or "") for e in entries)
        assert cases.verify(case_id).ok


def test_only_the_registers_named_when_asked(store_path: Path) -> None:
    with open_store(store_path) as store:
        outcome = report_loss(
            store, "LOSS-2008", registries=["interpol"], police_reference="CR 2", only=True
        )
    assert [s.registry for s in outcome.submissions] == ["interpol"]


def test_a_register_that_is_not_set_up_is_reported_as_failed_with_why(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROVCHECK_ALR_BASE_URL", "http://alr.example")  # and no key
    with open_store(store_path) as store:
        outcome = report_loss(
            store, "LOSS-2004", registries=["alr", "interpol"], police_reference="CR 1", only=True
        )
        failed = {s.registry: s.message for s in outcome.failed}
        assert list(failed) == ["alr"]
        assert "api_key" in failed["alr"] and "not set up" in failed["alr"]
        history = OwnRecords(store).history("LOSS-2004")
        assert any("not set up" in (e.text or "") for e in history)


def test_everything_is_checked_before_anything_is_written_or_sent(store_path: Path) -> None:
    with open_store(store_path) as store:
        before = store.get("local", "LOSS-2005")
        with pytest.raises(InputError, match="fbi register takes no loss reports"):
            report_loss(store, "LOSS-2005", registries=["fbi"], date="2026-11-01")
        with pytest.raises(InputError, match="no such register installed"):
            report_loss(store, "LOSS-2005", registries=["nope"], date="2026-11-01")
        assert store.get("local", "LOSS-2005") == before
        assert OwnRecords(store).history("LOSS-2005") == []
        # A record that says nowhere where it was taken cannot be reported.
        own = OwnRecords(store)
        own.edit("LOSS-2005", {"place_of_loss": ""})
        with pytest.raises(InputError, match="give the --place of the theft"):
            report_loss(store, "LOSS-2005", registries=["interpol"])


def test_an_answer_received_by_a_person_is_kept_with_its_letter(
    store_path: Path, tmp_path: Path
) -> None:
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4 the police's letter")
    with open_store(store_path) as store:
        entry = record_loss_answer(
            store,
            "LOSS-2006",
            "lsad",
            result="crime report taken",
            reference="CR 77/26",
            attach=letter,
            by="Registrar",
        )
        assert entry.text == "lsad answered the loss report: crime report taken (number CR 77/26)"
        assert entry.attachment is not None and entry.attachment.name == "letter.pdf"
        assert entry.data["loss_answer"] == {
            "registry": "lsad",
            "result": "crime report taken",
            "reference": "CR 77/26",
        }


@pytest.fixture
def alr_served(monkeypatch: pytest.MonkeyPatch) -> Iterator[AlrService]:
    mock = create_mock(None, FAST)
    assert isinstance(mock.state, AlrService)
    with served(mock.app) as url:
        monkeypatch.setenv("PROVCHECK_ALR_BASE_URL", url)
        monkeypatch.setenv("PROVCHECK_ALR_API_KEY", str(mock.client_settings["api_key"]))
        monkeypatch.setenv("PROVCHECK_ALR_POLL_INTERVAL", "0.05")
        yield mock.state


def test_the_command_registers_with_the_alr_mock_over_http(
    alr_served: AlrService, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--store", str(store_path)]
    report = ["loss", "report", "LOSS-2007", "--date", "2026-11-28", "--place", "Bologna"]
    reported = [*report, "--police-reference", "CR 9/26", "--owner", "Museum Example"]
    code = main([*reported, "--registry", "alr", *store])
    out = capsys.readouterr().out
    assert code == 0, out
    number = next(iter(alr_served.registrations.values())).number
    assert f"alr          registered registration number {number}" in out
    assert main(["local", "show", "LOSS-2007", *store]) == 0
    assert f"alr:{number}" in capsys.readouterr().out
    # Refused (no crime reference): said, exit 3, kept in the history.
    code = main([*report, "--owner", "Museum Example", "--registry", "alr", *store])
    captured = capsys.readouterr()
    assert code == 3
    assert "refused" in captured.out and "report it to the police first" in captured.out
    assert "Not taken by alr" in captured.err
    # A register that is not installed: exit 2, one line.
    assert main([*report, "--registry", "nope", *store]) == 2
    assert "no such register installed" in capsys.readouterr().err


def test_a_pasted_key_with_a_line_end_is_refused_before_anything_and_never_shown(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PROVCHECK_ALR_BASE_URL", "http://127.0.0.1:9")
    for key in ("SECRET-XYZZY-123\r", "SECRET-é"):
        monkeypatch.setenv("PROVCHECK_ALR_API_KEY", key)
        command = ["loss", "report", "LOSS-2009", "--date", "2026-01-01", "--place", "Rome"]
        code = main([*command, "--registry", "alr", "--only", "--store", str(store_path)])
        captured = capsys.readouterr()
        assert code == 3
        assert "SECRET" not in captured.out + captured.err
        assert "holds a character a key cannot" in captured.out
    with open_store(store_path) as store:
        history = OwnRecords(store).history("LOSS-2009")
        assert all("SECRET" not in entry.model_dump_json() for entry in history)


@pytest.mark.parametrize(
    ("date", "problem"),
    [("notadate", "not a date"), ("2026-13-45", "not a date"), ("2099-01-01", "after today")],
)
def test_a_date_of_loss_that_is_no_date_is_refused_before_anything(
    store_path: Path, date: str, problem: str
) -> None:
    with open_store(store_path) as store:
        before = store.get("local", "LOSS-2010")
        with pytest.raises(InputError, match=problem):
            report_loss(store, "LOSS-2010", registries=["interpol"], date=date, place="Rome")
        assert store.get("local", "LOSS-2010") == before
        with pytest.raises(InputError, match=problem):
            OwnRecords(store).edit("LOSS-2010", {"date_of_loss": date})


def test_another_registers_record_is_not_reported_as_ones_own_loss(store_path: Path) -> None:
    with open_store(store_path) as store:
        fbi = next(iter(store.record_ids("fbi")))
        with pytest.raises(InputError, match="not one of one's own"):
            report_loss(store, f"fbi:{fbi}", registries=["interpol"], date="2020", place="X")


def test_a_report_run_again_registers_nothing_twice_and_keeps_each_answer_once(
    store_path: Path,
) -> None:
    alr, service = _alr()
    with open_store(store_path) as store:
        first = report_loss(
            store,
            "LOSS-2011",
            registries=[alr],
            date="2026-11-02",
            place="Rome",
            police_reference="CR 5/26",
        )
        entries = len(OwnRecords(store).history("LOSS-2011"))
        again = report_loss(
            store,
            "LOSS-2011",
            registries=[alr],
            date="2026-11-02",
            place="Rome",
            police_reference="CR 5/26",
        )
        assert [s.reference for s in again.submissions] == [s.reference for s in first.submissions]
        assert len(service.registrations) == 1
        assert len(OwnRecords(store).history("LOSS-2011")) == entries
        # Who was not named is not guessed: the owner is left for the person to fill in.
        cases = CaseFile(store)
        police = next(
            e.attachment
            for e in cases.entries(first.case_id)
            if e.attachment and e.attachment.name == "loss-report-lsad.txt"
        )
        text = (cases.attachment(police.sha256) or b"").decode()
        assert re.search(r"^Owner / victim: +\[to fill in\]$", text, re.MULTILINE)


@pytest.mark.anyio
async def test_the_alr_registers_a_loss_only_in_its_owners_name() -> None:
    from datetime import UTC, datetime

    from provcheck.model.loss import LossReport

    alr = AlrRegistry(base_url="http://alr.example", api_key="k")  # nothing is sent
    record = next(iter(_sample_records()))
    failed = await alr.report_loss(LossReport(record=record, reported_at=datetime.now(UTC)))
    assert failed.state == SubmissionState.FAILED and "--owner" in failed.message


def _sample_records() -> list[Record]:
    return [Record.model_validate_json(line) for line in SAMPLE.read_text().splitlines()[:1]]
