"""A batch's folder holds up against outside input: any lot id makes a safe report file name and is
kept whole in the journal and the summary; long CSV fields are read, or refused in one line; one
batch writes to a folder at a time; nothing is written through a link put in the folder; the CSV
summary runs no spreadsheet formula."""

from __future__ import annotations

import asyncio
import csv
import fcntl
import json
import os
from pathlib import Path

import pytest
from sample_registries import MemoryRegistry

from provcheck import InputError
from provcheck.batch import LOCK_NAME, read_catalogue, report_name, run_batch
from provcheck.cli import main
from provcheck.store.importing import CSV_FIELD_LIMIT


def catalogue(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    path = tmp_path / "catalogue.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["lot", "title"])
        writer.writerows(rows)
    return path


def registers() -> list[MemoryRegistry]:
    return [MemoryRegistry([{"description": {"title": '=HYPERLINK("http://x","Acorn") lamp'}}])]


def run(tmp_path: Path, rows: list[tuple[str, str]], out: Path | None = None) -> Path:
    items, problems = read_catalogue(catalogue(tmp_path, rows))
    assert problems == []
    out = out or tmp_path / "checks"
    asyncio.run(run_batch(items, registers(), out))
    return out


def journal(out: Path) -> list[dict[str, object]]:
    lines = (out / "journal.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_a_long_lot_id_makes_a_bounded_report_name_and_is_kept_whole(tmp_path: Path) -> None:
    long_id = "LOT " + "x" * 250
    out = run(tmp_path, [(long_id, "Acorn lamp"), ("../../escape", "Oak"), ("a/b", "Elm"),
                         ("a b", "Ash"), ("101", "Yew")])  # fmt: skip
    entries = {str(e["key"]): e for e in journal(out)}
    assert set(entries) == {long_id, "../../escape", "a/b", "a b", "101"}
    names = {key: Path(str(e["report"])) for key, e in entries.items()}
    assert len(set(names.values())) == 5, "two objects share a report"
    for key, name in names.items():
        assert name.parent == Path("reports") and len(name.name) <= 80
        assert (out / name).is_file() and name == Path("reports") / report_name(key)
    assert names["101"].name == "101.json"
    assert list(out.parent.glob("escape*")) == []
    with (out / "summary.csv").open(encoding="utf-8", newline="") as file:
        assert long_id in {row["key"] for row in csv.DictReader(file)}


def test_report_names_never_meet() -> None:
    plain = report_name("a-b")
    crafted = report_name(report_name("A-B").removesuffix(".json"))  # looks like a made name
    assert len({plain, report_name("A-B"), report_name("a/b"), report_name("a b"), crafted}) == 5


def test_a_csv_field_over_the_modules_default_is_read_and_past_the_limit_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items, problems = read_catalogue(catalogue(tmp_path, [("1", "word " * 40_000)]))
    assert problems == [] and len(items) == 1
    path = catalogue(tmp_path, [("1", "Oak"), ("2", "x" * (CSV_FIELD_LIMIT + 1))])
    with pytest.raises(InputError, match=rf"^{path}:3: field too long \(over 1,048,576"):
        read_catalogue(path)
    assert main(["batch", str(path), "--registry", "local", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"provcheck: error: {path}:3: field too long") and err.count("\n") == 1


def test_a_quote_never_closed_is_refused_not_read_as_one_long_title(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Read leniently, a quote opened and never closed takes every later row into its field:
    three objects would be checked as two, the last a "title" holding the rest of the file."""
    path = tmp_path / "catalogue.csv"
    path.write_text('title,maker\nVase,Gallé\n"Lamp,Tiffany\nClock,Breguet\n', encoding="utf-8")
    with pytest.raises(InputError, match=rf"^{path}:3: a quote opened on this line is never"):
        read_catalogue(path)
    assert main(["batch", str(path), "--registry", "local", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"provcheck: error: {path}:3: a quote opened") and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_a_second_batch_into_the_same_folder_stops_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "checks"
    out.mkdir()
    # Another batch holds the folder (as another process would: its own open file).
    holder = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)
    os.write(holder, b"4242\n")
    try:
        items, _ = read_catalogue(catalogue(tmp_path, [("1", "Acorn lamp")]))
        with pytest.raises(InputError) as raised:
            asyncio.run(run_batch(items, registers(), out))
        assert str(raised.value) == (
            f"another batch is writing to {out} (pid 4242); wait for it or choose another --out"
        )
        assert not (out / "journal.jsonl").exists() and not (out / "reports").exists()
        code = main(["batch", str(tmp_path / "catalogue.csv"), "--registry", "local",
                     "--out", str(out)])  # fmt: skip
        assert code == 2
        assert capsys.readouterr().err == f"provcheck: error: {raised.value}\n"
    finally:
        os.close(holder)
    run(tmp_path, [("1", "Acorn lamp")], out)  # free again: it runs
    assert len(journal(out)) == 1


def test_two_batches_at_once_check_each_object_once(tmp_path: Path) -> None:
    items, _ = read_catalogue(catalogue(tmp_path, [(str(n), "Acorn lamp") for n in range(6)]))
    out = tmp_path / "checks"

    async def both() -> list[object]:
        return await asyncio.gather(
            run_batch(items, registers(), out), run_batch(items, registers(), out),
            return_exceptions=True,
        )  # fmt: skip

    results = asyncio.run(both())
    assert sum(isinstance(r, InputError) for r in results) == 1
    assert len(journal(out)) == 6


def test_the_summary_runs_no_formula(tmp_path: Path) -> None:
    hostile = ['=HYPERLINK("http://evil","Acorn")', "@SUM(A1:A9) lamp", "+cmd lamp", "-2+3 lamp",
               "\tAcorn lamp", "\rlamp"]  # fmt: skip
    out = run(tmp_path, [(f"=1+{n}", title) for n, title in enumerate(hostile)])
    text = (out / "summary.csv").read_bytes().decode("utf-8")
    with (out / "summary.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert "'=1+0" in {row[0] for row in rows[1:]}
    assert any(c.startswith("'=HYPERLINK") for c in cells)  # the register's record, as text
    records = [line for line in text.split("\r\n") if line]  # the csv module's line ends
    assert all(line.startswith('"') and line.endswith('"') for line in records)  # all quoted


@pytest.mark.parametrize("name", ["journal.jsonl", "summary.csv", "summary.html", LOCK_NAME,
                                  "reports", "reports/1.json"])  # fmt: skip
def test_nothing_is_written_through_a_link_in_the_folder(tmp_path: Path, name: str) -> None:
    out = tmp_path / "checks"
    (out / "reports").mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.write_text("precious\n", encoding="utf-8")
    link = out / name
    if name == "reports":
        link.rmdir()
        victim = tmp_path / "elsewhere"
        victim.mkdir()
    link.symlink_to(victim)
    items, _ = read_catalogue(catalogue(tmp_path, [("1", "Acorn lamp")]))
    with pytest.raises(InputError, match=rf"^{link} is a symbolic link; a batch writes nothing"):
        asyncio.run(run_batch(items, registers(), out))
    if victim.is_dir():
        assert list(victim.iterdir()) == []
    else:
        assert victim.read_text(encoding="utf-8") == "precious\n"


def test_a_journal_link_placed_during_a_run_is_refused(tmp_path: Path) -> None:
    out = run(tmp_path, [("1", "Acorn lamp")])
    victim = tmp_path / "victim"
    victim.write_text("precious\n", encoding="utf-8")
    (out / "journal.jsonl").unlink()
    (out / "journal.jsonl").symlink_to(victim)
    from provcheck.batch import _append_line

    with pytest.raises(InputError, match="is a symbolic link"):
        _append_line(out / "journal.jsonl", "{}\n")
    assert victim.read_text(encoding="utf-8") == "precious\n"


def test_a_row_longer_than_the_header_is_a_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text('lot,title\n1,Oak\n2,"Elm\nwood",surplus\n3,Ash\n', encoding="utf-8")
    items, problems = read_catalogue(path)
    assert [i.key for i in items] == ["1", "3"] and [i.line for i in items] == [2, 5]
    assert [str(p) for p in problems] == [f"{path}:3: the row has more fields than the header"]
