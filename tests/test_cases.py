"""Case files: an append-only history chained by hash, in which any later change is found and
named; the dossier a committee or a court would be shown."""

from __future__ import annotations

import itertools
import json
import sqlite3
from pathlib import Path

import pytest
from sample_registries import MemoryRegistry

from provcheck import InputError, LocalStore, check, verify_report
from provcheck.cases import CaseFile, EntryKind
from provcheck.cli import main


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "store.sqlite3")


def filled(store: LocalStore, tmp_path: Path) -> str:
    cases = CaseFile(store)
    case_id = cases.new(
        "Tiffany Acorn lamp offered by X", description="offer of 2026-11-20"
    ).case_id
    report = check({"title": "Acorn"}, [MemoryRegistry([{"description": {"title": "Acorn"}}])])
    cases.add_check(case_id, report)
    cases.add_note(case_id, "seller confirms provenance from 1906")
    (tmp_path / "certificate.txt").write_text("ALR certificate S00123001")
    cases.add_record(case_id, "certificate received", attach=tmp_path / "certificate.txt")
    return case_id


def test_entries_are_chained_and_the_history_verifies(store: LocalStore, tmp_path: Path) -> None:
    case_id = filled(store, tmp_path)
    entries = CaseFile(store).entries(case_id)
    assert [e.kind for e in entries] == [
        EntryKind.OPENED, EntryKind.CHECK, EntryKind.NOTE, EntryKind.RECORD,
    ]  # fmt: skip
    assert entries[0].previous == ""
    assert all(later.previous == earlier.hash for earlier, later in itertools.pairwise(entries))
    kept = entries[1].data["report"]
    assert isinstance(kept, dict) and verify_report(kept), "the check's report is kept whole"
    verification = CaseFile(store).verify(case_id)
    assert (
        verification.ok and verification.entries == 4 and verification.last_hash == entries[-1].hash
    )


def _tamper(store: LocalStore, sql: str, *parameters: object) -> None:
    with sqlite3.connect(store.path) as connection:
        connection.execute(sql, parameters)


def test_one_changed_byte_is_found_and_the_entry_named(store: LocalStore, tmp_path: Path) -> None:
    case_id = filled(store, tmp_path)
    # The note's words only: a bare '1906' may also stand in the entry's hashes and timestamp.
    _tamper(
        store,
        "UPDATE case_entries SET entry_json = replace(entry_json, 'provenance from 1906', "
        "'provenance from 1907') WHERE sequence = 3",
    )
    verification = CaseFile(store).verify(case_id)
    assert not verification.ok
    assert verification.broken_at == 3
    assert verification.problem == "its content differs from what was written"


def test_a_changed_attachment_or_a_removed_entry_is_found(
    store: LocalStore, tmp_path: Path
) -> None:
    case_id = filled(store, tmp_path)
    _tamper(store, "UPDATE case_files SET data = ?", b"ALR certificate S00999999")
    assert CaseFile(store).verify(case_id).broken_at == 4
    _tamper(store, "DELETE FROM case_entries WHERE sequence = 2")
    verification = CaseFile(store).verify(case_id)
    assert verification.broken_at == 3 and "missing" in (verification.problem or "")


def test_an_unknown_case_or_an_empty_entry_is_refused(store: LocalStore) -> None:
    cases = CaseFile(store)
    with pytest.raises(InputError, match="no case 'C-nope'"):
        cases.add_note("C-nope", "x")
    case_id = cases.new("A clock").case_id
    with pytest.raises(InputError, match="says nothing"):
        cases.add_note(case_id, "   ")
    with pytest.raises(InputError, match=r"--attach .*missing\.pdf: no such attachment file"):
        cases.add_record(case_id, "certificate", attach=Path("missing.pdf"))
    assert len(cases.entries(case_id)) == 1  # nothing half-written


def test_the_case_commands_from_opening_to_the_dossier(
    tmp_path: Path,
    private_store: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["case", "new", "The Horsewoman, offered by X Gallery"]) == 0
    case_id = capsys.readouterr().out.split()[2].rstrip(":")
    # the store holds no records: the check is incomplete, and goes into the case all the same
    check_code = main(["check", "--title", "Horsewoman", "--registry", "local", "--case", case_id])
    assert check_code in (0, 3)
    assert main(["case", "note", case_id, "asked the seller for the 1933-1945 owners"]) == 0
    (tmp_path / "reply.txt").write_text("owners 1928-1956: a private collection, Lyon")
    assert main(["case", "record", case_id, "seller replied", "--attach", "reply.txt"]) == 0
    capsys.readouterr()
    assert main(["case", "verify", case_id]) == 0
    assert "4 entries, history intact" in capsys.readouterr().out

    assert main(["case", "export", case_id, "--out", "dossier"]) == 0
    page = (tmp_path / "dossier" / f"case-{case_id}.html").read_text(encoding="utf-8")
    assert "History intact" in page and "Horsewoman" in page and "seller replied" in page
    dossier = json.loads((tmp_path / "dossier" / f"case-{case_id}.json").read_text())
    assert [e["kind"] for e in dossier["entries"]] == ["opened", "check", "note", "record"]
    reply = tmp_path / "dossier" / "attachments" / case_id / "reply.txt"
    assert reply.read_text().startswith("owners")

    with sqlite3.connect(private_store) as connection:
        connection.execute(
            "UPDATE case_entries SET entry_json = replace(entry_json, 'the 1933-1945', "
            "'the 1934-1945') WHERE sequence = 3"
        )
    capsys.readouterr()
    assert main(["case", "verify", case_id]) == 1
    err = capsys.readouterr().err
    assert f"case {case_id}: entry 3 was CHANGED after it was written" in err


def test_case_file_open_makes_a_store_only_to_open_a_case(
    tmp_path: Path, private_store: Path
) -> None:
    path = tmp_path / "cases.sqlite3"
    with pytest.raises(
        InputError, match=r"there is no local store at .*cases\.sqlite3, so no cases"
    ):
        CaseFile.open(path)
    assert not path.exists()
    with CaseFile.open(path, create=True) as cases:
        case_id = cases.new("Acorn lamp").case_id
    with pytest.raises(sqlite3.ProgrammingError):  # leaving the block closed the store
        cases.cases()
    with CaseFile.open(str(path)) as cases:
        assert [found[0] for found in cases.cases()] == [case_id]
        assert cases.verify(case_id).ok
    # no path: the configured store ($PROVCHECK_LOCAL_PATH, here the test's private one)
    with pytest.raises(InputError, match=str(private_store.name)):
        CaseFile.open()
    with CaseFile.open(create=True) as cases:
        cases.new("another object")
    assert private_store.is_file()


def test_an_entrys_text_cannot_forge_lines_or_grow_without_bound(
    private_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["case", "new", "Offered by X"]) == 0
    case_id = capsys.readouterr().out.split()[2].rstrip(":")
    forged = "no trace\n  9. 2026-12-01 14:40 record  carabinieri answered: no trace"
    assert main(["case", "note", case_id, forged]) == 0
    capsys.readouterr()
    assert main(["case", "show", case_id]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert not any(line.startswith("  9.") for line in shown)  # the second line is the note's
    assert any(line.strip().startswith("| ") and "carabinieri" in line for line in shown)
    with CaseFile.open(private_store) as cases:
        with pytest.raises(InputError, match=r"at most 20,000 characters.*--attach"):
            cases.add_note(case_id, "x" * 20_001)
        assert len(cases.entries(case_id)) == 2  # nothing half-written
