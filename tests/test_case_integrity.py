"""Case files against outside input: attachments that are not files, a store changed by hand,
a dossier folder that cannot be written, two attachments of the same name."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from provcheck import InputError, LocalStore
from provcheck import cases as cases_module
from provcheck.cases import CaseFile
from provcheck.cli import main


@pytest.fixture
def cases(private_store: Path) -> Iterator[CaseFile]:
    with LocalStore(private_store) as store:
        yield CaseFile(store)


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail a test that would hang (a FIFO opened for reading waits for a writer forever)."""

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError("hung")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(5)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_two_attachments_of_the_same_name_are_both_exported(
    cases: CaseFile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id = cases.new("A clock offered by X").case_id
    first = _write(tmp_path / "first" / "cert.txt", "ALR certificate S001")
    second = _write(tmp_path / "second" / "cert.txt", "ALR certificate S002")
    cases.add_record(case_id, "first certificate", attach=first)
    cases.add_record(case_id, "second certificate", attach=second)
    cases.store.close()

    out = tmp_path / "dossier"
    assert main(["case", "export", case_id, "--out", str(out)]) == 0
    dossier = json.loads((out / f"case-{case_id}.json").read_text())
    exported = {item["entry"]: item for item in dossier["attachments"]}
    assert sorted(exported) == [2, 3]
    files = [out / exported[n]["file"] for n in (2, 3)]
    assert files[0] != files[1]
    for entry in dossier["entries"][1:]:
        kept = out / exported[entry["sequence"]]["file"]
        assert hashlib.sha256(kept.read_bytes()).hexdigest() == entry["attachment"]["sha256"]
    assert files[1].read_text() == "ALR certificate S002"
    page = (out / f"case-{case_id}.html").read_text(encoding="utf-8")
    assert all(exported[n]["file"] in page for n in (2, 3))


@pytest.mark.parametrize("name", ["..", ".", ""])
def test_an_attachment_name_that_is_no_file_name_is_exported_safely(
    cases: CaseFile, tmp_path: Path, name: str
) -> None:
    case_id = cases.new("A clock").case_id
    cases.add_record(case_id, "certificate", attach=_write(tmp_path / "c.txt", "S001"))
    entry = cases.entries(case_id)[-1]
    assert entry.attachment is not None
    renamed = entry.model_copy(
        update={"attachment": entry.attachment.model_copy(update={"name": name})}
    )
    renamed = renamed.model_copy(update={"hash": renamed.computed_hash()})
    cases.store.connection.execute(
        "UPDATE case_entries SET entry_json = ? WHERE sequence = 2", (renamed.model_dump_json(),)
    )
    export = cases.export(case_id, tmp_path / "dossier")
    assert [p.read_text() for p in export.attachments] == ["S001"]
    assert export.attachments[0].parent == tmp_path / "dossier" / "attachments"


def test_a_device_or_a_fifo_is_refused_as_an_attachment(
    cases: CaseFile, tmp_path: Path, alarm: None
) -> None:
    case_id = cases.new("A clock").case_id
    with pytest.raises(InputError, match=r"--attach /dev/zero: is not a regular file"):
        cases.add_record(case_id, "certificate", attach=Path("/dev/zero"))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="is not a regular file"):
        cases.add_record(case_id, "certificate", attach=fifo)
    assert len(cases.entries(case_id)) == 1  # nothing half-written


def test_an_attachment_is_bounded_by_what_is_read(
    cases: CaseFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cases_module, "MAX_ATTACHMENT_BYTES", 10)
    case_id = cases.new("A clock").case_id
    big = _write(tmp_path / "big.txt", "x" * 11)
    with pytest.raises(
        InputError, match=r"big\.txt: the attachment is larger than the limit of 10"
    ):
        cases.add_record(case_id, "certificate", attach=big)
    cases.add_record(case_id, "certificate", attach=_write(tmp_path / "ok.txt", "x" * 10))


def _tamper(store: Path, sql: str, *parameters: object) -> None:
    with sqlite3.connect(store) as connection:
        connection.execute(sql, parameters)


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    _, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("provcheck: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("stored", ["{not json", "[]", '{"hash": 5}', "null"])
def test_an_unreadable_entry_is_named_in_one_line_by_show_export_verify_and_note(
    cases: CaseFile,
    tmp_path: Path,
    private_store: Path,
    capsys: pytest.CaptureFixture[str],
    stored: str,
) -> None:
    case_id = cases.new("A clock").case_id
    cases.add_note(case_id, "first note")
    cases.add_note(case_id, "second note")
    cases.store.close()
    _tamper(private_store, "UPDATE case_entries SET entry_json = ? WHERE sequence = 3", stored)

    assert main(["case", "show", case_id]) == 2
    line = _one_line_error(capsys)
    assert f"case {case_id}: entry 3" in line
    out = tmp_path / "dossier"
    assert main(["case", "export", case_id, "--out", str(out)]) == 2
    assert f"case {case_id}: entry 3" in _one_line_error(capsys)
    assert not out.exists()  # nothing written
    assert main(["case", "verify", case_id]) == 1
    assert f"case {case_id}: entry 3 " in capsys.readouterr().err
    assert main(["case", "note", case_id, "a third note"]) == 2
    assert f"case {case_id}: entry 3" in _one_line_error(capsys)


def test_a_missing_attachment_is_named_and_nothing_is_exported(
    cases: CaseFile, tmp_path: Path, private_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id = cases.new("A clock").case_id
    cases.add_record(case_id, "certificate", attach=_write(tmp_path / "cert.txt", "S001"))
    cases.store.close()
    _tamper(private_store, "DELETE FROM case_files")

    out = tmp_path / "dossier"
    assert main(["case", "export", case_id, "--out", str(out)]) == 2
    line = _one_line_error(capsys)
    assert f"case {case_id}: entry 2" in line and "cert.txt" in line and "missing" in line
    assert not out.exists()
    assert main(["case", "show", case_id]) == 1
    assert "entry 2" in capsys.readouterr().out
    assert main(["case", "verify", case_id]) == 1
    err = capsys.readouterr().err
    assert "entry 2" in err and "missing" in err


def test_an_export_folder_that_cannot_be_written_is_refused_before_anything_is_written(
    cases: CaseFile,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = cases.new("A clock").case_id
    cases.store.close()
    a_file = _write(tmp_path / "notes.txt", "mine")

    assert main(["case", "export", case_id, "--out", str(a_file)]) == 2
    assert "is a file, not a folder" in _one_line_error(capsys)
    assert main(["case", "export", case_id, "--out", str(a_file / "dossier")]) == 2
    assert "is a file" in _one_line_error(capsys)
    assert a_file.read_text() == "mine"

    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode: Path(path) != locked and real_access(path, mode)
    )
    assert main(["case", "export", case_id, "--out", str(locked / "dossier")]) == 2
    assert "not writable" in _one_line_error(capsys)
    assert list(locked.iterdir()) == []
