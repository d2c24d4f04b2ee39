from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, NSAF, image_bytes

from provcheck import InputError, RecordStatus
from provcheck.store.importing import import_file, load_mapping
from provcheck.store.sqlite import LocalStore

SAMPLE = FIXTURES / "sample-register" / "records.jsonl"


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    with LocalStore(tmp_path / "store.sqlite3") as opened:
        yield opened  # type: ignore[misc]


def write_jsonl(path: Path, *records: dict | str) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_sample_register_imports_with_fingerprints(store: LocalStore) -> None:
    summary = import_file(store, SAMPLE)
    assert (summary.added, summary.updated, summary.skipped) == (45, 0, [])
    assert summary.registries == {"local": 35, "fbi": 10}
    stats = store.stats()
    assert stats.records_by_registry == {"fbi": 10, "local": 35}
    assert stats.images == 35
    record = store.get("local", "LOSS-2020")
    assert record is not None and record.description.title == "The Horsewoman"
    (image,) = record.description.images
    assert image.sha256 and set(image.fingerprints) == {"phash", "dhash"}
    assert Path(image.path or "").is_absolute()
    assert store.thumbnail(image.sha256) is not None


def test_reimport_updates_and_never_duplicates(store: LocalStore) -> None:
    import_file(store, SAMPLE)
    again = import_file(store, SAMPLE)
    assert (again.added, again.updated) == (0, 45)
    assert store.count() == 45
    logs = store.imports()
    assert [(log.added, log.updated) for log in logs] == [(45, 0), (0, 45)]


def test_a_changed_record_is_updated_in_place(store: LocalStore, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", {"record_id": "1", "description": {"title": "Acorn"}})
    import_file(store, path)
    write_jsonl(
        path, {"record_id": "1", "status": "recovered", "description": {"title": "Acorn lamp"}}
    )
    import_file(store, path)
    record = store.get("local", "1")
    assert record is not None
    assert (record.status, record.description.title) == (RecordStatus.RECOVERED, "Acorn lamp")
    from provcheck import ObjectDescription

    assert [r.record_id for r in store.search_text(ObjectDescription(title="lamp"), limit=5)] == [
        "1"
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"record_id": "2", "description": {"title": "Oak"', "bad.jsonl:2:"),
        ("[1, 2]", "bad.jsonl:2: expected a JSON object"),
        ('{"record_id": 7}', "bad.jsonl:2: record_id: Input should be a valid string"),
        ('{"record_id": "2", "status": "lost"}', "bad.jsonl:2: status: Input should be"),
        (
            '{"record_id": "2", "colour": "red"}',
            "bad.jsonl:2: colour: Extra inputs are not permitted",
        ),
        ('{"record_id": "1"}', "bad.jsonl:2: record_id: '1' is already on line 1"),
        (
            '{"record_id": "2", "description": {"images": [{"path": "missing.jpg"}]}}',
            "bad.jsonl:2: description.images:",
        ),
    ],
    ids=[
        "broken-json",
        "not-an-object",
        "wrong-type",
        "bad-status",
        "unknown-field",
        "duplicate",
        "missing-image",
    ],
)
def test_a_bad_line_stops_the_file_and_writes_nothing(
    store: LocalStore, tmp_path: Path, line: str, message: str
) -> None:
    path = write_jsonl(
        tmp_path / "bad.jsonl", {"record_id": "1", "description": {"title": "Acorn"}}, line
    )
    with pytest.raises(InputError) as raised:
        import_file(store, path)
    assert str(raised.value).startswith(str(tmp_path / message))
    assert "nothing was imported" in str(raised.value)
    assert store.count() == 0
    assert store.imports() == []


def test_skip_bad_imports_the_rest_and_lists_each_bad_row(
    store: LocalStore, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        {"record_id": "1", "description": {"title": "Acorn"}},
        "{broken",
        {"record_id": "3", "description": {"title": "Oak"}},
        {"record_id": 4},
    )
    summary = import_file(store, path, skip_bad=True)
    assert summary.added == 2
    assert [(p.line, p.field) for p in summary.skipped] == [(2, None), (4, "record_id")]
    assert str(summary.skipped[1]) == f"{path}:4: record_id: Input should be a valid string"
    assert store.imports()[-1].skipped == 2


def test_images_are_read_relative_to_the_file(store: LocalStore, tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.png").write_bytes(image_bytes())
    (tmp_path / "photos" / "broken.jpg").write_bytes(image_bytes(format="JPEG")[:200])
    good = {"record_id": "1", "description": {"images": [{"path": "photos/a.png"}]}}
    bad = {"record_id": "2", "description": {"images": [{"path": "photos/broken.jpg"}]}}
    path = write_jsonl(tmp_path / "photos.jsonl", good, bad)
    with pytest.raises(
        InputError, match=r"photos\.jsonl:2: description\.images: .*broken\.jpg: damaged"
    ):
        import_file(store, path)
    summary = import_file(store, path, skip_bad=True)
    assert summary.added == 1
    assert store.stats().images == 1


def test_url_images_are_kept_as_references(store: LocalStore, tmp_path: Path) -> None:
    record = {"record_id": "1", "description": {"images": [{"url": "https://example.org/a.jpg"}]}}
    import_file(store, write_jsonl(tmp_path / "u.jsonl", record))
    stored = store.get("local", "1")
    assert stored is not None and stored.description.images[0].url == "https://example.org/a.jpg"
    assert store.stats().images == 0


def test_registry_option_overrides(store: LocalStore, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "r.jsonl", {"registry": "alerts", "record_id": "1"}, {"record_id": "2"}
    )
    import_file(store, path)
    assert store.stats().records_by_registry == {"alerts": 1, "local": 1}
    import_file(store, path, registry="ours")
    assert store.stats().records_by_registry["ours"] == 2


def test_an_interrupted_import_writes_no_records_but_keeps_fingerprints(store: LocalStore) -> None:
    def interrupt(done: int, total: int) -> None:
        if done == 30:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(store, SAMPLE, progress=interrupt)
    assert store.count() == 0
    assert store.stats().images > 0  # the slow part is not redone
    seen: list[int] = []
    import_file(store, SAMPLE, progress=lambda done, total: seen.append(total))
    assert store.count() == 45 and set(seen) == {45}


def test_the_nsaf_preset_imports_every_row(store: LocalStore) -> None:
    summary = import_file(store, NSAF, mapping=load_mapping("nsaf"))
    assert (summary.added, len(summary.skipped)) == (4523, 0)
    assert store.count("fbi") == 4523
    venus = store.get("fbi", "hysterical-venus")
    assert venus is not None
    assert venus.url == "https://www.fbi.gov/nsaf/hysterical-venus"
    assert venus.status is RecordStatus.STOLEN
    assert [m.name for m in venus.description.makers] == ["Salvador Dali"]
    assert venus.raw["Reference Number"] == "00306"  # type: ignore[index]
    assert venus.description.images[0].url.endswith("HystericalVenus.gif/@@images/image/thumb")  # type: ignore[union-attr]
    # The FBI seal is a placeholder, not a photograph of the object.
    sealed = store.get("fbi", "bi-colored-agate-box-agate-and-sapphire")
    assert sealed is not None and sealed.description.images == ()


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ours.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _mapping(tmp_path: Path, **extra: object) -> Path:
    mapping = {
        "registry": "ours",
        "status": "stolen",
        "fields": {"Inv": "record_id", "Name": "title", "Artist": "maker", "Size": "measurements"},
        "images": ["Photo"],
        **extra,
    }
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(mapping), encoding="utf-8")
    return path


def test_csv_with_a_mapping_file(store: LocalStore, tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(image_bytes())
    path = _csv(
        tmp_path, 'Inv,Name,Artist,Size,Photo\nA1,Acorn,Tiffany,24 in,a.png\nA2,"Oak, large",,,\n'
    )
    summary = import_file(store, path, mapping=load_mapping(str(_mapping(tmp_path))))
    assert summary.added == 2
    acorn = store.get("ours", "A1")
    assert acorn is not None and acorn.description.measurements[0].value == 24
    assert acorn.description.images[0].fingerprints
    assert acorn.raw == {
        "Inv": "A1",
        "Name": "Acorn",
        "Artist": "Tiffany",
        "Size": "24 in",
        "Photo": "a.png",
    }


def test_csv_bad_rows_name_the_line_and_column(store: LocalStore, tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "Inv,Name,Artist,Size,Photo\nA1,Acorn,,,\nA2,Oak,,,,surplus\n,Elm,,,\nA4,Ash,,,nowhere.png\n",
    )
    mapping = load_mapping(str(_mapping(tmp_path)))
    with pytest.raises(InputError) as raised:
        import_file(store, path, mapping=mapping)
    assert str(raised.value).startswith(
        f"{path}:3: the row has 1 more field(s) than the header (and 2 more bad rows)"
    )
    summary = import_file(store, path, mapping=mapping, skip_bad=True)
    assert [str(p).removeprefix(f"{path}:") for p in summary.skipped] == [
        "3: the row has 1 more field(s) than the header",
        "4: record_id: no value for the record id (see the mapping's record_id)",
        f"5: Photo: {tmp_path / 'nowhere.png'}: no such image file",
    ]
    assert summary.added == 1


def test_csv_mapping_problems(store: LocalStore, tmp_path: Path) -> None:
    path = _csv(tmp_path, "Inv,Title\nA1,Acorn\n")
    with pytest.raises(InputError, match=r"ours\.csv:1: the mapping needs column 'Artist'"):
        import_file(store, path, mapping=load_mapping(str(_mapping(tmp_path))))
    with pytest.raises(InputError, match="needs --mapping"):
        import_file(store, path)
    with pytest.raises(
        InputError, match=r"mapping\.json: mapping: mapping names unknown fields \[.colour.\]"
    ):
        load_mapping(str(_mapping(tmp_path, fields={"Inv": "colour"})))
    with pytest.raises(
        InputError, match="no such file, and no preset of that name \\(presets: nsaf\\)"
    ):
        load_mapping("nsfa")


def test_unsupported_and_missing_files(store: LocalStore, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"takes \.jsonl or \.csv files"):
        import_file(store, shutil.copy(SAMPLE, tmp_path / "records.txt"))
    with pytest.raises(InputError, match="no such import file"):
        import_file(store, tmp_path / "missing.jsonl")
    (tmp_path / "latin1.jsonl").write_bytes('{"record_id": "é"}'.encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        import_file(store, tmp_path / "latin1.jsonl")


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.sqlite3").write_text("my notes, not a database" * 100, encoding="utf-8")
    with pytest.raises(InputError, match="not a provcheck store"):
        LocalStore(tmp_path / "notes.sqlite3")
