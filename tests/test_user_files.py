"""The user's files and the store are read as written or refused in one line: no column or JSON key
silently wins over another, a byte-order mark is not part of the first column, an empty catalogue
is not "no match found", another program's database is never changed, and control characters in
a field do not defeat matching."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sample_registries import MemoryRegistry

from provcheck import InputError, ObjectDescription, check, verify_report
from provcheck.batch import read_catalogue
from provcheck.cli import main
from provcheck.store.importing import CSV_FIELD_LIMIT, import_file, load_mapping, read_csv
from provcheck.store.sqlite import LocalStore
from provcheck.userfiles import load_json, read_text, writable_new_file

BOM = "\ufeff"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    with LocalStore(tmp_path / "store.sqlite3") as opened:
        yield opened


def mapping(tmp_path: Path, fields: dict[str, str]) -> Path:
    return write(tmp_path / "mapping.json", json.dumps({"registry": "ours", "fields": fields}))


# 1. Two columns, or two keys, for one field -------------------------------------------------


def test_two_names_of_one_catalogue_field_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "syn.csv", "lot,title,artist,maker,period\n1,Acorn,Tiffany,Nobody Known,1906\n"
    )
    message = f"{path}:1: columns 'artist' and 'maker' both give the maker; keep one"
    with pytest.raises(InputError) as raised:
        read_catalogue(path)
    assert str(raised.value) == message
    code, out, err = run(
        capsys, "batch", str(path), "--out", str(tmp_path / "o1"), "--registry", "local"
    )
    assert (code, out, err) == (2, "", f"provcheck: error: {message}\n")
    assert not (tmp_path / "o1" / "journal.jsonl").exists()


def test_a_repeated_column_is_refused_in_a_catalogue_and_an_import(
    tmp_path: Path, store: LocalStore
) -> None:
    path = write(tmp_path / "syn.csv", "lot,title,title,artist\n1,Acorn,Nothing,Tiffany\n")
    with pytest.raises(InputError) as raised:
        read_catalogue(path)
    assert str(raised.value) == f"{path}:1: column 'title' is repeated; keep one"
    ours = write(tmp_path / "ours.csv", "Inv,Name,Name\nA1,Acorn,Oak\n")
    chosen = load_mapping(str(mapping(tmp_path, {"Inv": "record_id", "Name": "title"})))
    with pytest.raises(InputError) as raised:
        import_file(store, ours, mapping=chosen)
    assert str(raised.value) == f"{ours}:1: column 'Name' is repeated; keep one"
    assert store.get("ours", "A1") is None
    # Blank names (the trailing commas of a spreadsheet's export) name no data: not refused.
    header, rows = read_csv(ours, "Inv,Name,,\nA1,Acorn,,\n")
    assert header == ["Inv", "Name", "", ""] and rows[0][1]["Name"] == "Acorn"


def test_a_mapping_of_two_columns_to_one_field_refuses_a_row_where_they_differ(
    tmp_path: Path, store: LocalStore
) -> None:
    # Two columns for one field is a fallback (one or the other filled); both filled and
    # different, one would be dropped: that row is a problem.
    ours = write(
        tmp_path / "ours.csv",
        "Inv,Artist,Maker\nA1,Tiffany,\nA2,,Gallé\nA3,Lalique,Lalique\nA4,Tiffany,Nobody\n",
    )
    chosen = load_mapping(
        str(mapping(tmp_path, {"Inv": "record_id", "Artist": "maker", "Maker": "maker"}))
    )
    summary = import_file(store, ours, mapping=chosen, skip_bad=True)
    assert [str(p) for p in summary.skipped] == [
        f"{ours}:5: Maker: 'Nobody' differs from column 'Artist' ('Tiffany'), which gives the "
        "maker too; keep one"
    ]
    makers = {
        rid: record.description.maker_text
        for rid in ("A1", "A2", "A3")
        if (record := store.get("ours", rid)) is not None
    }
    assert makers == {"A1": "Tiffany", "A2": "Gallé", "A3": "Lalique"}


def test_a_repeated_json_key_is_refused_naming_it_and_its_line() -> None:
    with pytest.raises(InputError) as raised:
        load_json('{"title": "Acorn", "maker": "Tiffany", "maker": "Nobody"}', source="q.json")
    assert str(raised.value) == "q.json:1: not valid JSON (the key 'maker' is repeated; keep one)"
    nested = '{\n  "title": "Acorn",\n  "period": {\n    "text": "1906",\n    "text": "x"\n  }\n}'
    with pytest.raises(InputError) as raised:
        load_json(nested, source="q.json", line_offset=10)
    assert str(raised.value) == "q.json:13: not valid JSON (the key 'text' is repeated; keep one)"
    # The same key in two objects is no repetition.
    assert load_json('[{"a": 1}, {"a": 2}]', source="x") == [{"a": 1}, {"a": 2}]


def test_a_repeated_key_in_a_query_a_catalogue_line_and_an_import_line(
    tmp_path: Path, store: LocalStore, capsys: pytest.CaptureFixture[str]
) -> None:
    query = write(tmp_path / "q.json", '{"title":"Acorn","maker":"Tiffany","maker":"Nobody"}')
    code, _, err = run(capsys, "check", "--query", str(query), "--registry", "local")
    assert code == 2
    assert err == (
        f"provcheck: error: {query}:1: not valid JSON (the key 'maker' is repeated; keep one)\n"
    )
    catalogue = write(tmp_path / "c.jsonl", '{"title":"Oak"}\n{"title":"Acorn","title":"Oak"}\n')
    items, problems = read_catalogue(catalogue)
    assert len(items) == 1
    assert [str(p) for p in problems] == [
        f"{catalogue}:2: not valid JSON (the key 'title' is repeated; keep one)"
    ]
    lines = write(tmp_path / "r.jsonl", '{"record_id":"a","record_id":"b"}\n')
    with pytest.raises(InputError, match=r"r\.jsonl:1: not valid JSON \(the key 'record_id' is"):
        import_file(store, lines)


def test_a_report_with_a_prepended_repeated_key_does_not_verify(tmp_path: Path) -> None:
    report = check({"title": "Acorn"}, [MemoryRegistry([{"description": {"title": "Acorn"}}])])
    path = write(tmp_path / "report.json", report.to_json())
    assert verify_report(path).ok
    text = path.read_text(encoding="utf-8")
    edited = write(
        tmp_path / "edited.json", text.replace("{", '{"conclusion": "no-match-found", ', 1)
    )
    with pytest.raises(InputError, match="the key 'conclusion' is repeated"):
        verify_report(edited)


# 2. A byte-order mark -------------------------------------------------------------------------


def test_a_byte_order_mark_is_not_part_of_the_first_column_or_key(
    tmp_path: Path, store: LocalStore
) -> None:
    catalogue = write(tmp_path / "excel.csv", f"{BOM}lot,title\r\n1,Acorn\r\n")
    items, problems = read_catalogue(catalogue)
    assert problems == [] and [(i.key, i.query.title) for i in items] == [("1", "Acorn")]
    lines = write(tmp_path / "c.jsonl", f'{BOM}{{"id": "1", "title": "Acorn"}}\n')
    items, problems = read_catalogue(lines)
    assert problems == [] and [(i.key, i.query.title) for i in items] == [("1", "Acorn")]
    query = write(tmp_path / "q.json", f'{BOM}{{"title": "Acorn"}}')
    assert ObjectDescription.from_file(query).title == "Acorn"
    ours = write(tmp_path / "ours.csv", f"{BOM}Inv,Name\nA1,Acorn\n")
    chosen = load_mapping(str(mapping(tmp_path, {"Inv": "record_id", "Name": "title"})))
    assert import_file(store, ours, mapping=chosen).added == 1
    # Only one: a second mark is text, not a mark.
    assert read_text(write(tmp_path / "two", BOM * 2 + "x"), what="file") == BOM + "x"


# 3. An empty catalogue ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "lot,title\n", "lot,title\n\n"])
def test_a_catalogue_without_objects_is_an_error_not_no_match(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    path = write(tmp_path / "empty.csv", text)
    with pytest.raises(InputError) as raised:
        read_catalogue(path)
    assert str(raised.value) == f"{path}: no objects in the catalogue"
    code, _, err = run(
        capsys, "batch", str(path), "--out", str(tmp_path / "o"), "--registry", "local"
    )
    assert (code, err) == (2, f"provcheck: error: {path}: no objects in the catalogue\n")
    blank = write(tmp_path / "empty.jsonl", "\n  \n")
    with pytest.raises(InputError, match=r"empty\.jsonl: no objects in the catalogue"):
        read_catalogue(blank)


# 4. A store that is not provcheck's ----------------------------------------------------------


def test_another_programs_database_is_refused_and_left_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "f.db"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE users (name TEXT)")
        other.execute("INSERT INTO users VALUES ('ann')")
    other.close()
    before = path.read_bytes()
    with pytest.raises(InputError) as raised:
        LocalStore(path)
    assert str(raised.value).startswith(f"{path}: not a provcheck store")
    code, _, err = run(capsys, "local", "stats", "--store", str(path))
    assert code == 2 and err.startswith(f"provcheck: error: {path}: not a provcheck store")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.db"]  # no -wal, no -shm
    # A provcheck store opens again; an empty file becomes one.
    LocalStore(tmp_path / "ours.sqlite3").close()
    LocalStore(tmp_path / "ours.sqlite3").close()
    (tmp_path / "empty.sqlite3").write_bytes(b"")
    LocalStore(tmp_path / "empty.sqlite3").close()


def test_a_store_path_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, what in ((Path("/dev/null"), "a device"), (folder, "a folder"), (fifo, "a FIFO")):
        with pytest.raises(InputError) as raised:
            LocalStore(path)
        assert str(raised.value) == (
            f"{path}: not a provcheck store ({what}, not a file); give --store a file's path"
        )
    assert list(folder.iterdir()) == []


# 5. The csv module's field limit --------------------------------------------------------------


def test_reading_a_csv_never_lowers_a_higher_field_limit(tmp_path: Path) -> None:
    previous = csv.field_size_limit()
    try:
        csv.field_size_limit(CSV_FIELD_LIMIT * 4)
        read_csv(tmp_path / "x.csv", "a\n1\n")
        assert csv.field_size_limit() == CSV_FIELD_LIMIT * 4
    finally:
        csv.field_size_limit(previous)


# 7. Control characters in a field -------------------------------------------------------------


def test_control_characters_in_fields_are_removed_and_do_not_defeat_matching(
    tmp_path: Path, store: LocalStore
) -> None:
    catalogue = write(tmp_path / "c.csv", "lot,title,maker\n1,Ac\x00orn\x01 lamp,Tif\x0bfany\n")
    (item,), _ = read_catalogue(catalogue)
    assert (item.query.title, item.query.maker_text) == ("Acorn lamp", "Tif\nfany")
    lines = write(tmp_path / "c.jsonl", '{"id": "1", "title": "Ac\\u0000orn\\t lamp"}\n')
    (item,), _ = read_catalogue(lines)
    assert item.query.title == "Acorn\t lamp"
    ours = write(tmp_path / "ours.csv", "Inv,Name\nA\x001,Ac\x00orn\n")
    chosen = load_mapping(str(mapping(tmp_path, {"Inv": "record_id", "Name": "title"})))
    import_file(store, ours, mapping=chosen)
    record = store.get("ours", "A1")
    assert record is not None and record.description.title == "Acorn"
    imported = write(
        tmp_path / "r.jsonl", '{"record_id": "B1", "description": {"title": "Oa\\u0000k"}}\n'
    )
    import_file(store, imported, registry="ours")
    record = store.get("ours", "B1")
    assert record is not None and record.description.title == "Oak"


def test_a_line_separator_inside_a_json_string_does_not_split_its_line(
    tmp_path: Path, store: LocalStore
) -> None:
    # JSON allows U+2028 and U+0085 in a string as they are; Python's splitlines() ends a line there.
    lines = write(tmp_path / "c.jsonl", '{"id": "1", "title": "Acorn\u2028lamp\x85"}\n')
    items, problems = read_catalogue(lines)
    assert problems == [] and len(items) == 1
    imported = write(
        tmp_path / "r.jsonl", '{"record_id": "B1", "description": {"title": "Oak\u2028tree"}}\n'
    )
    assert import_file(store, imported, registry="ours").added == 1


def test_writable_new_file_never_names_something_already_there(tmp_path: Path) -> None:
    def new(path: Path, option: str = "--out") -> Path:
        return writable_new_file(path, option, what="a report", example="report.json")

    assert new(tmp_path / "sub" / "r.json") == tmp_path / "sub" / "r.json"
    assert not (tmp_path / "sub").exists()  # checked, nothing made
    with pytest.raises(InputError) as refused:
        new(tmp_path)
    assert str(refused.value) == (
        f"--out {tmp_path}: is a folder; give a file name in it, e.g. {tmp_path / 'report.json'}"
    )
    (tmp_path / "kept.json").write_text("{}")
    with pytest.raises(InputError, match=r"a file is already there, and a report is never"):
        new(tmp_path / "kept.json")
    assert (tmp_path / "kept.json").read_text() == "{}"
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(InputError) as refused:  # a link, even a broken one, is not written through
        new(tmp_path / "dangling", "")
    assert str(refused.value).startswith(
        f"{tmp_path / 'dangling'}: something that is not a regular file is already there"
    )
    (tmp_path / "a-file").write_text("")
    with pytest.raises(InputError, match=r"^--out .*a-file.*is a file, not a folder"):
        new(tmp_path / "a-file" / "r.json")


def test_a_name_the_system_refuses_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    from provcheck.userfiles import writable_file

    too_long = tmp_path / ("a" * 300 + ".pdf")
    with pytest.raises(InputError, match="cannot be a file's name"):
        writable_file(too_long, "--out", example="cards.pdf")
    with pytest.raises(InputError, match="--out"):
        writable_new_file(too_long, "--out", what="a report", example="report.json")
    with pytest.raises(InputError, match="--out"):
        writable_file(too_long / "x.pdf", "--out", example="cards.pdf")
