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
    assert export.attachments[0].parent == tmp_path / "dossier" / "attachments" / case_id


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


# Review fixes: an export writes nothing through a link, and never mixes two cases' files;
# a case's verification says what it found, not more.


def _case_with_attachment(cases: CaseFile, tmp_path: Path, text: str) -> str:
    case_id = cases.new("A clock").case_id
    cases.add_record(case_id, "certificate", attach=_write(tmp_path / text / "cert.txt", text))
    return case_id


@pytest.mark.parametrize("where", ["file", "folder", "case folder", "page"])
def test_an_export_writes_nothing_through_a_link_in_its_folder(
    cases: CaseFile, tmp_path: Path, where: str
) -> None:
    case_id = _case_with_attachment(cases, tmp_path, "S001")
    victim = _write(tmp_path / "victim" / "cert.txt", "precious")
    out = tmp_path / "dossier"
    out.mkdir()
    if where == "file":
        (out / "attachments" / case_id).mkdir(parents=True)
        (out / "attachments" / case_id / "cert.txt").symlink_to(victim)
    elif where == "folder":
        (out / "attachments").symlink_to(victim.parent, target_is_directory=True)
    elif where == "case folder":
        (out / "attachments").mkdir()
        (out / "attachments" / case_id).symlink_to(victim.parent, target_is_directory=True)
    else:
        (out / f"case-{case_id}.html").symlink_to(victim)
    before = sorted(p.name for p in out.rglob("*"))
    with pytest.raises(InputError, match="link") as raised:
        cases.export(case_id, out)
    assert "\n" not in str(raised.value)
    assert victim.read_text() == "precious" and sorted(victim.parent.iterdir()) == [victim]
    assert sorted(p.name for p in out.rglob("*")) == before  # nothing written


def test_two_cases_exported_into_one_folder_keep_their_own_files(
    cases: CaseFile, tmp_path: Path
) -> None:
    first = _case_with_attachment(cases, tmp_path, "S001")
    second = _case_with_attachment(cases, tmp_path, "S002")
    out = tmp_path / "dossier"
    exports = [cases.export(first, out), cases.export(second, out)]
    for case_id, text, export in zip((first, second), ("S001", "S002"), exports, strict=True):
        dossier = json.loads(export.json.read_text())
        [attached] = dossier["attachments"]
        assert attached["file"] == f"attachments/{case_id}/cert.txt"
        assert (out / attached["file"]).read_text() == text
        assert f'attachments/{case_id}/cert.txt"' in export.html.read_text(encoding="utf-8")


def test_no_partial_attachment_is_left_when_writing_fails(
    cases: CaseFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from provcheck import userfiles

    case_id = _case_with_attachment(cases, tmp_path, "S001")
    out = tmp_path / "dossier"
    real_replace = os.replace

    def failing(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(userfiles.os, "replace", failing)
    with pytest.raises(InputError, match="No space left"):
        cases.export(case_id, out)
    monkeypatch.setattr(userfiles.os, "replace", real_replace)
    assert [p for p in out.rglob("*") if p.is_file()] == []


def test_an_export_folder_under_a_broken_link_is_refused_in_one_line(
    cases: CaseFile, tmp_path: Path
) -> None:
    case_id = cases.new("A clock").case_id
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    with pytest.raises(InputError, match="broken link"):
        cases.export(case_id, tmp_path / "gone" / "dossier")
    assert not (tmp_path / "nowhere").exists()


def test_one_folder_check_is_shared_by_the_cli_and_the_cases() -> None:
    import provcheck.cli
    from provcheck import userfiles

    assert not hasattr(provcheck.cli, "_writable_folder")
    assert not hasattr(cases_module, "_writable_folder")
    assert callable(userfiles.writable_folder)


def _keyed(tmp_path: Path, name: str) -> Path:
    from provcheck.reports.signing import SigningKey

    path = tmp_path / f"{name}.pem"
    SigningKey.generate(name).save(path)
    return path


def test_unsigned_early_entries_are_not_called_changed(
    cases: CaseFile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id = cases.new("A clock").case_id
    for number in range(3):
        cases.add_note(case_id, f"note {number}")
    cases.store.close()
    key = _keyed(tmp_path, "Musée Exemple")
    for number in range(2):
        assert main(["--signing-key", str(key), "case", "note", case_id, f"signed {number}"]) == 0
    capsys.readouterr()

    assert main(["case", "verify", case_id]) == 0
    out = capsys.readouterr().out
    assert "6 entries, history intact" in out
    assert "entries 5-6 signed by Musée Exemple (key ed25519:" in out and "; 1-4 unsigned" in out

    assert main(["case", "verify", case_id, "--trust", f"{key}.pub"]) == 1
    err = capsys.readouterr().err
    assert "CHANGED" not in err
    assert (
        f"case {case_id}: entry 1 is unsigned, and --trust requires every entry signed by a "
        "trusted key" in err
    )


def test_entries_signed_by_two_keys_say_which_signed_which(
    cases: CaseFile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id = cases.new("A clock").case_id
    cases.store.close()
    first, second = _keyed(tmp_path, "First"), _keyed(tmp_path, "Second")
    for key in (first, second, first):
        assert main(["--signing-key", str(key), "case", "note", case_id, "a note"]) == 0
    capsys.readouterr()
    assert main(["case", "verify", case_id]) == 0
    out = capsys.readouterr().out
    assert "entries 2, 4 signed by First" in out and "entry 3 signed by Second" in out
    assert "; 1 unsigned" in out
