"""Catalogue batches: every object checked, a report each, a summary by concern; a batch cut short
and run again repeats no finished object, and one run twice checks nothing again."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest
from conftest import FIXTURES
from sample_registries import MemoryRegistry

from provcheck import InputError, ObjectDescription, Record
from provcheck.batch import read_catalogue, run_batch
from provcheck.cli import main

CATALOGUE = FIXTURES / "catalogue" / "catalogue.csv"


class Counting(MemoryRegistry):
    """Counts the searches asked of it, by title: a repeated (paid) search shows."""

    def __init__(self) -> None:
        lamp = {"title": "Acorn table lamp", "maker": "Tiffany Studios", "period": "1906",
                "measurements": "24 in", "inscriptions": "LCT on the base"}  # fmt: skip
        super().__init__([{"description": lamp}])
        self.asked: list[str] = []

    async def search(self, query: ObjectDescription, *, limit: int) -> list[Record]:
        self.asked.append(query.title or "")
        return await super().search(query, limit=limit)


class Interrupted(Exception):
    pass


def test_the_sample_catalogue_reads_into_objects() -> None:
    items, problems = read_catalogue(CATALOGUE)
    assert problems == [] and len(items) == 12
    assert items[0].key == "101" and items[0].query.images  # the photograph, found beside it
    assert items[1].query.makers[0].name.endswith("Tiffany")
    assert items[1].query.measurements[0].centimetres == pytest.approx(61)


def test_bad_rows_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("lot,title,photo\n1,Vase,missing.jpg\n2,,\n3,Bowl,\n3,Dish,\n")
    items, problems = read_catalogue(bad)
    assert [i.key for i in items] == ["3"]
    assert [str(p) for p in problems] == [
        f"{bad}:2: images: missing.jpg: no such file",
        f"{bad}:3: describes nothing",
        f"{bad}:5: id: '3' is line 4's too",
    ]
    odd = tmp_path / "odd.csv"
    odd.write_text("lot,colour\n1,red\n")
    with pytest.raises(InputError, match="column 'colour' is not an Object ID field"):
        read_catalogue(odd)


def test_an_interrupted_batch_resumes_without_repeating_a_finished_object(tmp_path: Path) -> None:
    items, _ = read_catalogue(CATALOGUE)
    register = Counting()

    def stop_after_five(done: int, total: int) -> None:
        if done == 5:
            raise Interrupted

    with pytest.raises(Interrupted):
        asyncio.run(run_batch(items, [register], tmp_path, concurrency=1, progress=stop_after_five))
    first = list(register.asked)
    finished = (tmp_path / "journal.jsonl").read_text().splitlines()
    assert len(finished) == 5 and len(first) == 4  # lot 101, a photograph only: skipped here

    summary = asyncio.run(run_batch(items, [register], tmp_path, concurrency=3))
    assert (summary.checked, summary.skipped_finished) == (7, 5)
    searchable = [i.query.title for i in items if i.query.title or i.query.makers]
    assert sorted(register.asked) == sorted(t or "" for t in searchable), "an object asked twice"

    again = asyncio.run(run_batch(items, [register], tmp_path))
    assert (again.checked, again.skipped_finished) == (0, 12)
    assert len(register.asked) == len(searchable)


def test_the_summary_lists_the_objects_by_concern(tmp_path: Path) -> None:
    items, _ = read_catalogue(CATALOGUE)
    asyncio.run(run_batch(items, [Counting()], tmp_path))
    with (tmp_path / "summary.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 12 and rows[0]["key"] == "102" and rows[0]["conclusion"] == "possible-match"
    assert rows[1]["key"] == "101" and rows[1]["conclusion"] == "incomplete"  # photograph only
    # The lots described by one telling field or generic words alone cannot be ruled out, nor
    # one whose photograph a register of words only was never searched for: a school and a
    # century are no maker and no date ("Portrait of a gentleman, English school, 18th century",
    # "Landscape with cattle, circle of Cuyp, 17th century").
    thin = {"112", "103", "105", "111"}
    assert {r["key"] for r in rows[2:] if r["conclusion"] == "incomplete"} == thin
    assert all(r["conclusion"] == "no-match-found" for r in rows[2:] if r["key"] not in thin)
    report = json.loads((tmp_path / rows[0]["report"]).read_text())
    assert report["digest"].startswith("sha256:")
    page = (tmp_path / "summary.html").read_text()
    assert page.index("Tiffany") < page.index("River boatmen")


def test_the_batch_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "checks"
    args = ["batch", str(CATALOGUE), "--registry", "local", "--out", str(out)]
    assert main(args) == 3  # an empty local store: searching nothing proves nothing
    assert "Checked 12 of 12 objects (0 already finished" in capsys.readouterr().out
    assert main(args) == 3
    assert "Checked 0 of 12 objects (12 already finished" in capsys.readouterr().out
    assert len(list((out / "reports").glob("*.json"))) == 12


def test_a_bad_catalogue_checks_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("lot,title,photo\n1,Vase,missing.jpg\n2,Bowl,\n")
    out = tmp_path / "out"
    assert main(["batch", str(bad), "--registry", "local", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"provcheck: error: {bad}:2: images: missing.jpg: no such file; nothing was checked: "
        "fix the file, or use --skip-bad\n"
    )
    assert not out.exists()
    assert main(["batch", str(bad), "--registry", "local", "--out", str(out), "--skip-bad"]) == 3
    assert "skipped" in capsys.readouterr().err
