"""Nothing lost in an import: every row is added, updated or skipped with its reason; a repeated
id is never written over another row; a field too long is one clear line; Ctrl-C as the commit
ends reports what was committed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import NSAF

from provcheck import InputError
from provcheck.cli import main
from provcheck.store.importing import CSV_FIELD_LIMIT, import_file, load_mapping
from provcheck.store.sqlite import LocalStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    with LocalStore(tmp_path / "store.sqlite3") as opened:
        yield opened


def numbering_mapping(tmp_path: Path) -> Path:
    path = tmp_path / "mapping.json"
    mapping = {
        "registry": "ours",
        "fields": {"Inv": "record_id", "Name": "title"},
        "duplicate_ids": "number",
    }
    path.write_text(json.dumps(mapping), encoding="utf-8")
    return path


def test_numbered_ids_collide_with_no_id_of_the_file(store: LocalStore, tmp_path: Path) -> None:
    path = tmp_path / "ours.csv"
    path.write_text("Inv,Name\nA-2,Third\nA,First\nA,Second\n", encoding="utf-8")
    summary = import_file(store, path, mapping=load_mapping(str(numbering_mapping(tmp_path))))
    assert (summary.rows, summary.added, summary.updated, summary.skipped) == (3, 3, 0, [])
    titles = {r.record_id: r.description.title for r in store.iter_records("ours")}
    assert titles == {"A-2": "Third", "A": "First", "A-3": "Second"}
    assert [str(p) for p in summary.renumbered] == [
        f"{path}:4: record_id: 'A' is already on line 3: imported as 'A-3'"
    ]
    # The same file again updates its own numbered records: nothing added, nothing lost.
    again = import_file(store, path, mapping=load_mapping(str(numbering_mapping(tmp_path))))
    assert (again.added, again.updated) == (0, 3)
    assert store.count("ours") == 3


def test_numbered_ids_do_not_overwrite_another_files_records(
    store: LocalStore, tmp_path: Path
) -> None:
    other = tmp_path / "other.csv"
    other.write_text("Inv,Name\nA-2,Someone else's\n", encoding="utf-8")
    mapping = load_mapping(str(numbering_mapping(tmp_path)))
    import_file(store, other, mapping=mapping)
    path = tmp_path / "ours.csv"
    path.write_text("Inv,Name\nA,First\nA,Second\n", encoding="utf-8")
    summary = import_file(store, path, mapping=mapping)
    assert (summary.added, summary.updated) == (2, 0)
    titles = {r.record_id: r.description.title for r in store.iter_records("ours")}
    assert titles == {"A-2": "Someone else's", "A": "First", "A-3": "Second"}


def test_the_nsaf_file_repeated_loses_no_row(store: LocalStore, tmp_path: Path) -> None:
    text = NSAF.read_text(encoding="utf-8")
    header, _, body = text.partition("\n")
    repeated = tmp_path / "nsaf8.csv"
    repeated.write_text(header + "\n" + body.rstrip("\n") + ("\n" + body.rstrip("\n")) * 7 + "\n")
    summary = import_file(store, repeated, mapping=load_mapping("nsaf"))
    rows = 4523 * 8
    assert summary.rows == rows
    assert summary.added + summary.updated + len(summary.skipped) == rows
    assert (summary.added, len(summary.skipped)) == (rows, 0)
    assert store.count("fbi") == rows


def test_every_row_is_accounted_for_in_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ours.csv"
    path.write_text("Inv,Name\nA-2,Third\nA,First\nA,Second\n", encoding="utf-8")
    store = tmp_path / "store.sqlite3"
    args = ["local", "import", str(path), "--mapping", str(numbering_mapping(tmp_path))]
    assert main([*args, "--store", str(store)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip().endswith(
        ": 3 added, 0 updated, 0 skipped (ours: 3); 3 rows read, 1 repeated id numbered"
    )
    assert f"numbered {path}:4: record_id: 'A' is already on line 3: imported as 'A-3'" in (
        captured.err
    )


def test_a_field_over_the_csv_modules_default_is_read(store: LocalStore, tmp_path: Path) -> None:
    path = tmp_path / "ours.csv"
    long = "word " * 40_000  # 200,000 characters: over the csv module's 131,072
    path.write_text(f'Inv,Name\nA,"{long}"\n', encoding="utf-8")
    summary = import_file(store, path, mapping=load_mapping(str(numbering_mapping(tmp_path))))
    assert summary.added == 1


def test_a_field_past_the_limit_is_one_clear_line(
    store: LocalStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ours.csv"
    path.write_text(f'Inv,Name\nA,short\nB,"{"x" * (CSV_FIELD_LIMIT + 1)}"\n', encoding="utf-8")
    mapping = numbering_mapping(tmp_path)
    with pytest.raises(InputError, match=rf"^{path}:3: field too long \(over 1,048,576 char"):
        import_file(store, path, mapping=load_mapping(str(mapping)))
    assert store.count() == 0
    code = main(["local", "import", str(path), "--mapping", str(mapping),
                 "--store", str(tmp_path / "store.sqlite3")])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"provcheck: error: {path}:3: field too long") and err.count("\n") == 1


def test_a_quote_never_closed_is_one_clear_line_and_nothing_is_imported(
    store: LocalStore, tmp_path: Path
) -> None:
    path = tmp_path / "ours.csv"
    path.write_text('Inv,Name\nA,short\nB,"unclosed\nC,third\n', encoding="utf-8")
    with pytest.raises(InputError, match=rf"^{path}:3: a quote opened on this line is never"):
        import_file(store, path, mapping=load_mapping(str(numbering_mapping(tmp_path))))
    assert store.count() == 0


@contextmanager
def interrupted_as_the_commit_ends(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Ctrl-C delivered the moment COMMIT returns (as SIGINT during the commit is)."""
    original = LocalStore.transaction

    @contextmanager
    def transaction(self: LocalStore) -> Iterator[None]:
        with original(self):
            yield
        raise KeyboardInterrupt

    monkeypatch.setattr(LocalStore, "transaction", transaction)
    yield


def test_ctrl_c_as_the_commit_ends_reports_the_committed_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ours.csv"
    path.write_text("Inv,Name\nA,First\nB,Second\n", encoding="utf-8")
    mapping = numbering_mapping(tmp_path)
    store = tmp_path / "store.sqlite3"
    with interrupted_as_the_commit_ends(monkeypatch):
        code = main(["local", "import", str(path), "--mapping", str(mapping),
                     "--store", str(store)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0 and "interrupted" not in captured.err
    assert "2 added" in captured.out
    with LocalStore(store) as opened:
        assert opened.count("ours") == 2


def test_ctrl_c_before_the_commit_writes_nothing_and_says_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ours.csv"
    path.write_text("Inv,Name\nA,First\nB,Second\n", encoding="utf-8")

    def interrupt(self: LocalStore, *args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(LocalStore, "finish_import", interrupt)
    store = tmp_path / "store.sqlite3"
    code = main(["local", "import", str(path), "--mapping", str(numbering_mapping(tmp_path)),
                 "--store", str(store)])  # fmt: skip
    assert code == 130 and "interrupted" in capsys.readouterr().err
    with LocalStore(store) as opened:
        assert opened.count() == 0 and not opened.connection.in_transaction
