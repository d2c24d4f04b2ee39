"""One's own records: listed, searched, edited and removed, in the library and from the command
line, each change kept in the record's history -- on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import image_bytes

from provcheck.cli import main
from provcheck.collection.records import OwnRecords, record_case_id
from provcheck.errors import InputError
from provcheck.model.record import Record, RecordStatus
from provcheck.reports.signing import SigningKey
from provcheck.store.importing import import_file
from provcheck.store.opening import open_store

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "sample-register" / "records.jsonl"


@pytest.fixture
def store_location(any_store: str) -> str:
    with open_store(any_store) as store:
        import_file(store, SAMPLE)
    return any_store


def test_records_are_listed_by_register_status_and_words(store_location: str) -> None:
    with open_store(store_location) as store:
        own = OwnRecords(store)
        assert len(own.records()) == 35
        assert len(own.records(registry="fbi")) == 10
        erasmus = own.records(text="ERASMUS galle")
        assert [item.record.record_id for item in erasmus] == ["LOSS-2001"]
        assert own.records(status=RecordStatus.RECOVERED) == []
        # A misspelt word in another order is found by the search, best first.
        found = own.search("erasmsu portret")
        assert found and found[0].record_id == "LOSS-2001"


def test_an_edit_changes_the_record_and_says_what_changed_in_its_history(
    store_location: str, tmp_path: Path
) -> None:
    back = tmp_path / "back.png"
    back.write_bytes(image_bytes((120, 90), seed=7))
    with open_store(store_location) as store:
        own = OwnRecords(store, by="Registrar")
        edited = own.edit(
            "LOSS-2001",
            {"measurements": "42 x 31 cm", "maker": "Philips Galle", "inscriptions": ""},
            add_images=[(back, "back")],
            reason="measured again",
        )
        assert edited.description.measurements[0].centimetres == 42
        assert [m.name for m in edited.description.makers] == ["Philips Galle"]
        assert edited.description.images[-1].caption == "back"
        assert store.image_fingerprints(edited.description.images[-1].sha256 or "") is not None
        stored = store.get("local", "LOSS-2001")
        assert stored == edited
        history = own.history("local:LOSS-2001")
        assert [entry.kind.value for entry in history] == ["opened", "record"]
        before = history[0].data["record_before"]
        assert isinstance(before, dict) and before["description"]["title"]  # as it was
        change = history[1].data
        assert change["by"] == "Registrar" and change["reason"] == "measured again"
        fields = change["fields"]
        assert isinstance(fields, dict)
        assert fields["measurements"] == {"from": None, "to": "42 x 31 cm"}
        assert set(fields) == {"measurements", "maker", "photographs"}
        assert own.cases.verify(record_case_id(edited)).ok


def test_removing_is_a_status_with_a_reason_never_a_delete(store_location: str) -> None:
    with open_store(store_location) as store:
        own = OwnRecords(store, by="Registrar")
        with pytest.raises(InputError, match="reason"):
            own.remove("LOSS-2002", reason="  ")
        own.remove("LOSS-2002", reason="recovered by the police", status=RecordStatus.RECOVERED)
        assert store.get("local", "LOSS-2002") is not None  # kept
        assert "LOSS-2002" not in store.record_ids("local")  # not found by checks
        listed = {i.record.record_id: i for i in own.records(removed=True)}
        assert listed["LOSS-2002"].removed_at is not None
        assert listed["LOSS-2002"].record.status == RecordStatus.RECOVERED
        assert "LOSS-2002" not in {i.record.record_id for i in own.records()}
        with pytest.raises(InputError, match="removed already"):
            own.remove("LOSS-2002", reason="again")
        # Edited, it is found again, and the history says so.
        own.edit("LOSS-2002", {"status": "stolen"}, reason="stolen again")
        assert "LOSS-2002" in store.record_ids("local")
        texts = [entry.text for entry in own.history("LOSS-2002")]
        assert texts[1] == "removed: recovered by the police"
        assert texts[2] == "edited status; restored: stolen again"


def test_a_failed_change_leaves_neither_record_nor_history(store_location: str) -> None:
    with open_store(store_location) as store:
        own = OwnRecords(store)
        before = store.get("local", "LOSS-2003")
        with pytest.raises(InputError, match="no field 'colour'"):
            own.edit("LOSS-2003", {"colour": "red"})
        with pytest.raises(InputError, match="status"):
            own.edit("LOSS-2003", {"status": "misplaced-ish"})
        with pytest.raises(InputError, match="nothing to change"):
            own.edit("LOSS-2003", {"title": before.description.title if before else None})
        with pytest.raises(InputError, match="no-such-file"):
            own.edit("LOSS-2003", {"title": "x"}, add_images=[(Path("no-such-file.jpg"), None)])
        assert store.get("local", "LOSS-2003") == before
        assert own.history("LOSS-2003") == []
        with pytest.raises(InputError, match="local:NOPE: not in"):
            own.get("NOPE")


def test_a_mirrored_record_is_changed_at_its_register_not_here(store_location: str) -> None:
    with open_store(store_location) as store:
        mirrored = Record(registry="lostart", record_id="123", description={"title": "Vase"})
        with store.transaction():
            store.put_record(mirrored, mirrored=True)
        with pytest.raises(InputError, match="kept by its mirror"):
            OwnRecords(store).edit("lostart:123", {"title": "Jug"})


def test_a_signed_history_names_its_signer(store_location: str, tmp_path: Path) -> None:
    key = SigningKey.generate(signer="Registrar, Museum X")
    with open_store(store_location) as store:
        own = OwnRecords(store, key=key)
        own.edit("LOSS-2004", {"description": "Engraving, trimmed to the plate mark"})
        history = own.history("LOSS-2004")
        assert all(entry.signature is not None for entry in history)
        assert history[-1].data["by"] == "Registrar, Museum X"


def test_the_commands_list_search_edit_remove_and_show_the_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--store", str(tmp_path / "store.sqlite3")]
    assert main(["local", "import", str(SAMPLE), *store]) == 0
    capsys.readouterr()
    assert main(["local", "list", "--status", "stolen", "--text", "vermeer", *store]) == 0
    out = capsys.readouterr().out
    assert "local:LOSS-2033" in out and out.count("\n") == 1
    assert main(["local", "search", "tower babel", *store]) == 0
    assert capsys.readouterr().out.startswith("local:LOSS-2035")
    edit = ["local", "edit", "LOSS-2033", "--set", "measurements=130 x 110 cm", "--by", "Ann"]
    assert main([*edit, "--reason", "from the loan file", *store]) == 0
    assert main(["local", "remove", "LOSS-2034", "--reason", "entered twice", *store]) == 0
    capsys.readouterr()
    assert main(["local", "history", "LOSS-2033", *store]) == 0
    out = capsys.readouterr().out
    assert "by Ann: edited measurements: from the loan file" in out
    assert "measurements: None -> '130 x 110 cm'" in out
    assert "history intact" in out
    assert main(["local", "show", "LOSS-2034", *store]) == 0
    assert "(not found by checks)" in capsys.readouterr().out
    assert main(["local", "list", "--removed", "--json", *store]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 35 and rows[-1]["record_id"] == "LOSS-2034"
    # Bad input: one line, exit 2, nothing changed.
    assert main(["local", "edit", "LOSS-2033", "--set", "title", *store]) == 2
    assert "expected FIELD=VALUE" in capsys.readouterr().err
    assert main(["local", "list", "--status", "pinched", *store]) == 2
    assert "not a status" in capsys.readouterr().err
    assert main(["local", "show", "fbi:nothing", *store]) == 2


def test_importing_the_list_again_keeps_the_history_true(store_location: str) -> None:
    with open_store(store_location) as store:
        own = OwnRecords(store, by="Registrar")
        own.edit("LOSS-2001", {"title": "Erasmus, engraved"}, reason="catalogued again")
        own.remove("LOSS-2002", reason="recovered by the police", status=RecordStatus.RECOVERED)
        summary = own.import_file(SAMPLE)
        assert summary.updated == 45 and summary.kept_withdrawn == 1
        # The file wins, and the history says so; an object found again stays removed.
        title = store.get("local", "LOSS-2001")
        assert title is not None and title.description.title == "Portret van Desiderius Erasmus"
        last = own.history("LOSS-2001")[-1]
        assert last.text == "replaced by the import of records.jsonl"
        assert last.data["fields"] == {
            "title": {"from": "Erasmus, engraved", "to": "Portret van Desiderius Erasmus"}
        }
        assert "LOSS-2002" not in store.record_ids("local")
        assert own.history("LOSS-2002")[-1].text.endswith("; kept removed")
        # Records never changed here get no history from an import.
        assert own.history("LOSS-2003") == []
        assert own.cases.verify(record_case_id(title)).ok


def test_what_the_records_hold_cannot_forge_lines_or_make_stores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--store", str(tmp_path / "store.sqlite3")]
    assert main(["local", "import", str(SAMPLE), *store]) == 0
    forged = "Fake\nlocal:LOSS-9999              stolen     Forged line"
    by = "root\n  3. 2026-12-02 11:41 by police: recovered"
    assert main(["local", "edit", "LOSS-2021", "--set", f"title={forged}", "--by", by, *store]) == 0
    capsys.readouterr()
    assert main(["local", "list", *store]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 35 and not any(line.startswith("local:LOSS-9999") for line in lines)
    assert main(["local", "history", "LOSS-2021", *store]) == 0
    history = capsys.readouterr().out.splitlines()
    assert not any(line.lstrip().startswith("3.") for line in history)
    # A mistyped store is said, not made.
    typo = tmp_path / "nodir" / "typo.sqlite3"
    assert main(["local", "list", "--store", str(typo)]) == 2
    assert "no store there" in capsys.readouterr().err
    assert not typo.parent.exists()
