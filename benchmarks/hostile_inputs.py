"""provcheck tried from outside, as a careless user and as an attacker would: one table.

    uv run python benchmarks/hostile_inputs.py [--keep DIR]

Every case runs the real `provcheck` command in a process of its own, on files made here (hostile
query and report files, catalogues, images, links, devices, a FIFO), against a throw-away store
and home folder. Each case says which exit codes are right for it; on top of that, everywhere:
no traceback, an error is one line, and the process's peak memory is measured. A row fails when
any of that does not hold, or when the case's own check (nothing lost, nothing written through a
link, nothing raw on the terminal, ...) does not.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SAMPLE = FIXTURES / "sample-register" / "records.jsonl"
PHOTO = FIXTURES / "queries" / "dealer-photo.jpg"
# Exit codes: 0 no match found, 1 possible match, 2 usage or input error, 3 incomplete.
ANY_CONCLUSION = frozenset({0, 1, 3})
INPUT_ERROR = frozenset({2})


@dataclasses.dataclass
class Ran:
    code: int
    out: str
    err: str
    seconds: float
    peak_mb: float


@dataclasses.dataclass
class Case:
    name: str
    argv: list[str] | Callable[[], list[str]]
    expect: frozenset[int]
    check: Callable[[Ran], str | None] = lambda ran: None  # a problem, or None
    timeout: float = 120.0
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    # Work done just before the command (a file edited as a determined editor would).
    prepare: Callable[[], None] | None = None


@dataclasses.dataclass
class Row:
    case: Case
    ran: Ran | None
    problem: str | None


def _png(
    path: Path, width: int, height: int, *, bit_depth: int, colour: int, channels: int
) -> None:
    """A PNG of `width` x `height` blank pixels, written a row at a time (small on disk, huge
    once decoded), as a careless scanner or an attacker would make it."""
    row = b"\x00" + bytes(width * channels * bit_depth // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def _catalogue(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _run(argv: list[str], env: dict[str, str], cwd: Path, timeout: float) -> Ran:
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "provcheck", *argv],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
        )
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.05)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Ran(
            code=process.returncode,
            out=out.read().decode("utf-8", "replace"),
            err=err.read().decode("utf-8", "replace"),
            seconds=time.perf_counter() - started,
            peak_mb=usage.ru_maxrss / 1024,
        )


def _general_problem(case: Case, ran: Ran) -> str | None:
    if ran.code < 0 or ran.code >= 128:
        return f"crashed or killed (exit {ran.code})"
    if "Traceback" in ran.err or "Traceback" in ran.out:
        return "a traceback"
    if ran.code not in case.expect:
        return f"exit {ran.code}, expected {sorted(case.expect)}: {ran.err.strip()[:200]}"
    lines = ran.err.strip().splitlines()
    if ran.code == 2 and ran.err.startswith(
        "usage:"
    ):  # argparse: the command's usage, then one line
        return None if ": error: " in lines[-1] else "a usage message without its error line"
    if ran.code == 2 and len(lines) != 1:
        return f"an error of {len(lines)} lines"
    if ran.code == 2 and not ran.err.startswith("provcheck: error:"):
        return "an error that is not provcheck's own line"
    return None


def cases(work: Path) -> list[Case]:
    store = work / "store.sqlite3"
    empty = work / "empty.sqlite3"
    s = ["--store", str(store)]
    files = work / "files"
    files.mkdir()

    deep = files / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    nan = files / "nan.json"
    nan.write_text('{"digest": NaN, "conclusion": "no-match-found"}')
    huge_number = "1" + "0" * 400
    big_query = files / "big-measure.json"
    big_query.write_text(
        json.dumps({"title": "Vase", "maker": "Wedgwood", "measurements": f"{huge_number} cm"})
    )
    big_records = files / "big-measure.jsonl"
    big_records.write_text(
        json.dumps(
            {
                "record_id": "big-vase",
                "description": {
                    "title": "Big vase",
                    "maker": "Wedgwood",
                    "measurements": f"{huge_number} cm",
                },
            }
        )
        + "\n"
    )
    hostile_records = files / "hostile.jsonl"
    hostile_records.write_text(
        json.dumps(
            {
                "record_id": "esc",
                "description": {
                    "title": "Harbour\x1b]0;owned\x07\x1b[2J at dusk",
                    "maker": "Jan\x1b[1A Vermeulen\u202e",
                },
            }
        )
        + "\n"
    )
    punctuation = _catalogue(
        files / "punctuation.csv",
        [{"lot": str(n), "title": f"Vase {n}", "artist": mark} for n, mark in enumerate("!?-.", 1)],
    )
    long_lot = _catalogue(
        files / "long-lot.csv", [{"lot": "L" * 300, "title": "Vase", "artist": "Meissen"}]
    )
    big_field = _catalogue(
        files / "big-field.csv",
        [{"lot": "1", "title": "Vase", "artist": "Meissen", "description": "blue " * 40_000}],
    )
    formulas = _catalogue(
        files / "formulas.csv",
        [
            {
                "lot": '=HYPERLINK("http://x.invalid","click")',
                "title": "@SUM(1+1)",
                "artist": "+cmd|' /C calc'!A0",
            },
            {"lot": "-2+3", "title": "Vase", "artist": "Meissen"},
        ],
    )
    duplicates = _catalogue(
        files / "duplicates.csv",
        [
            {"id": "A-2", "title": "Third"},
            {"id": "A", "title": "First"},
            {"id": "A", "title": "Second"},
        ],
    )
    mapping = files / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "registry": "ours",
                "fields": {"title": "title"},
                "record_id": [{"column": "id"}],
                "duplicate_ids": "number",
            }
        )
    )
    _png(files / "deep-16bit.png", 8_900, 8_900, bit_depth=16, colour=6, channels=4)
    _png(files / "bomb.png", 60_000, 60_000, bit_depth=1, colour=0, channels=1)
    truncated = files / "truncated.jpg"
    truncated.write_bytes(PHOTO.read_bytes()[: PHOTO.stat().st_size // 3])
    renamed = files / "photo.png"
    renamed.write_bytes(PHOTO.read_bytes())
    not_an_image = files / "notes.jpg"
    not_an_image.write_text("not a picture")
    fifo = files / "fifo"
    os.mkfifo(fifo)
    a_file = files / "a-file"
    a_file.write_text("x")
    linked_out = work / "linked-out"
    linked_out.mkdir()
    target = files / "elsewhere.txt"
    target.write_text("untouched\n")
    (linked_out / "journal.jsonl").symlink_to(target)
    html_out = work / "page" / "report.html"
    key = work / "key.pem"
    repeated_key = files / "repeated-key.json"
    repeated_key.write_text(
        '{"title": "Acorn", "maker": "Tiffany", "period": "1906", "maker": "Nobody Known"}'
    )
    synonyms = _catalogue(
        files / "synonyms.csv",
        [{"lot": "1", "title": "Acorn", "artist": "Tiffany", "maker": "Nobody Known"}],
    )
    bom = files / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbflot,title,artist\r\n1,Acorn,Tiffany\r\n")
    empty_catalogue = files / "empty.csv"
    empty_catalogue.write_text("lot,title,artist\n")
    foreign = files / "other-program.db"
    with contextlib.closing(sqlite3.connect(foreign)) as database:
        database.execute("CREATE TABLE users (name TEXT)")
        database.commit()
    foreign_bytes = foreign.read_bytes()
    sliver = files / "sliver.png"
    _png(sliver, 500, 1, bit_depth=8, colour=2, channels=3)
    kept_report = work / "kept.json"
    signed = work / "signed.json"
    case_id: list[str] = []

    def opened(ran: Ran) -> str | None:
        case_id.append(
            ran.out.split("Opened case ")[1].split(":")[0] if "Opened case " in ran.out else "?"
        )
        return None if case_id[-1] != "?" else "no case opened"

    def tamper() -> None:
        # A determined editor: the conclusion changed, the digest recomputed with plain hashlib.
        import hashlib

        data = json.loads(signed.read_text())
        data["conclusion"] = "no-match-found"
        body = {k: v for k, v in data.items() if k not in ("digest", "signature")}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        data["digest"] = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
        signed.write_text(json.dumps(data))

    def no_raw_escape(ran: Ran) -> str | None:
        return "raw control characters on the terminal" if "\x1b" in ran.out + ran.err else None

    def says(text: str) -> Callable[[Ran], str | None]:
        return lambda ran: None if text in ran.out + ran.err else f"does not say {text!r}"

    def summary_inert(ran: Ran) -> str | None:
        with (work / "formulas-out" / "summary.csv").open(newline="", encoding="utf-8") as file:
            cells = [cell for row in csv.reader(file) for cell in row]
        live = [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
        return f"live formulas in summary.csv: {live}" if live else None

    def link_untouched(ran: Ran) -> str | None:
        return None if target.read_text() == "untouched\n" else "wrote through the link"

    def json_beside_page(ran: Ran) -> str | None:
        return None if html_out.with_suffix(".json").is_file() else "no JSON report beside the page"

    def foreign_untouched(ran: Ran) -> str | None:
        return (
            None if foreign.read_bytes() == foreign_bytes else "changed another program's database"
        )

    def no_store_made(ran: Ran) -> str | None:
        return "made a store" if (work / "nowhere").exists() else None

    q = ["--registry", "local", *s]
    return [
        Case(
            "setup: import the sample register",
            ["local", "import", str(SAMPLE), *s],
            frozenset({0}),
        ),
        # The conclusion never says more than was checked.
        Case(
            "photograph by URL on loopback",
            [
                "check",
                "--image",
                "http://127.0.0.1:9/p.jpg",
                "--title",
                "Acorn",
                "--maker",
                "Tiffany",
                *q,
            ],
            frozenset({1, 3}),
            says("could not be fetched"),
        ),
        Case(
            "empty local store",
            [
                "check",
                "--title",
                "Acorn",
                "--maker",
                "Tiffany",
                "--registry",
                "local",
                "--store",
                str(empty),
            ],
            frozenset({3}),
            says("holds no records"),
        ),
        Case("title alone", ["check", "--title", "Acorn", *q], frozenset({3}), says("look at it")),
        # Ordinary input that used to crash.
        *(
            Case(
                f"maker {mark!r}", ["check", "--title", "Vase", "--maker", mark, *q], ANY_CONCLUSION
            )
            for mark in ("-", "?", "!")
        ),
        Case(
            "catalogue with punctuation artists",
            ["batch", str(punctuation), "--out", str(work / "p-out"), *q],
            ANY_CONCLUSION,
        ),
        Case(
            "lot id of 300 characters",
            ["batch", str(long_lot), "--out", str(work / "l-out"), *q],
            ANY_CONCLUSION,
        ),
        Case(
            "CSV field of 200,000 characters",
            ["batch", str(big_field), "--out", str(work / "b-out"), *q],
            ANY_CONCLUSION,
        ),
        Case(
            "--out is a folder",
            ["check", "--title", "Vase", "--maker", "Meissen", *q, "--out", str(work)],
            INPUT_ERROR,
        ),
        Case(
            "--out under a file",
            ["check", "--title", "Vase", "--maker", "Meissen", *q, "--out", str(a_file / "r.json")],
            INPUT_ERROR,
        ),
        Case(
            "batch --out is a file", ["batch", str(long_lot), "--out", str(a_file), *q], INPUT_ERROR
        ),
        Case("query nested 100,000 deep", ["check", "--query", str(deep), *q], INPUT_ERROR),
        Case("verify nested 100,000 deep", ["verify", str(deep)], INPUT_ERROR),
        Case("verify a file with NaN", ["verify", str(nan)], INPUT_ERROR),
        Case(
            "measurement 1e400 in a query",
            ["check", "--query", str(big_query), *q],
            ANY_CONCLUSION | INPUT_ERROR,
        ),
        Case(
            "measurement 1e400 in a record",
            ["local", "import", str(big_records), *s],
            frozenset({0, 2}),
        ),
        Case(
            "search that returns it",
            ["check", "--title", "Big vase", "--maker", "Wedgwood", *q],
            ANY_CONCLUSION,
            lambda ran: "a register failed" if "failed" in ran.out else None,
        ),
        Case(
            "a repeated JSON key",
            ["check", "--query", str(repeated_key), *q],
            INPUT_ERROR,
            says("repeated"),
        ),
        Case(
            "two columns for one field",
            ["batch", str(synonyms), "--out", str(work / "s-out"), *q],
            INPUT_ERROR,
        ),
        Case(
            "a catalogue with a BOM and CRLF",
            ["batch", str(bom), "--out", str(work / "bom-out"), *q],
            ANY_CONCLUSION,
        ),
        Case(
            "a catalogue with no objects",
            ["batch", str(empty_catalogue), "--out", str(work / "e-out"), *q],
            INPUT_ERROR,
        ),
        Case(
            "an argument that is not UTF-8",
            ["check", "--title", os.fsdecode(b"Caf\xe9"), "--maker", "x", *q],
            INPUT_ERROR,
            says("not UTF-8"),
        ),
        Case(
            "--store another program's database",
            ["local", "stats", "--store", str(foreign)],
            INPUT_ERROR,
            foreign_untouched,
        ),
        Case(
            "a photograph 500 x 1 pixels",
            ["check", "--image", str(sliver), "--title", "Vase", "--maker", "Meissen", *q],
            ANY_CONCLUSION,
        ),
        # Nothing lost.
        Case(
            "a report",
            ["check", "--title", "Vase", "--maker", "Meissen", *q, "--out", str(kept_report)],
            ANY_CONCLUSION,
        ),
        Case(
            "the same --out again",
            ["check", "--title", "Vase", "--maker", "Meissen", *q, "--out", str(kept_report)],
            INPUT_ERROR,
            says("never written over"),
        ),
        Case(
            "repeated ids renumbered",
            ["local", "import", str(duplicates), "--mapping", str(mapping), *s],
            frozenset({0}),
            says("3 added"),
        ),
        Case(
            "--format html",
            [
                "check",
                "--title",
                "Vase",
                "--maker",
                "Meissen",
                *q,
                "--format",
                "html",
                "--out",
                str(html_out),
            ],
            ANY_CONCLUSION,
            json_beside_page,
        ),
        Case(
            "--case mistyped",
            ["check", "--title", "Vase", "--maker", "Meissen", *q, "--case", "C-typo"],
            INPUT_ERROR,
        ),
        # No secret leaked, nothing reached that should not be; bounded reads and memory.
        Case("image /dev/zero", ["check", "--image", "/dev/zero", *q], INPUT_ERROR),
        Case("case new", ["case", "new", "Offered vase", *s], frozenset({0}), opened),
        Case(
            "case record --attach a FIFO",
            lambda: ["case", "record", case_id[-1], "x", "--attach", str(fifo), *s],
            INPUT_ERROR,
            timeout=20,
        ),
        Case(
            "case record --attach /dev/zero",
            lambda: ["case", "record", case_id[-1], "x", "--attach", "/dev/zero", *s],
            INPUT_ERROR,
            timeout=60,
        ),
        Case(
            "8,900 x 8,900 16-bit RGBA PNG",
            ["check", "--image", str(files / "deep-16bit.png"), *q],
            ANY_CONCLUSION | INPUT_ERROR,
        ),
        Case("decompression bomb", ["check", "--image", str(files / "bomb.png"), *q], INPUT_ERROR),
        Case(
            "truncated JPEG", ["check", "--image", str(truncated), *q], INPUT_ERROR | ANY_CONCLUSION
        ),
        Case("JPEG named .png", ["check", "--image", str(renamed), *q], ANY_CONCLUSION),
        Case("text named .jpg", ["check", "--image", str(not_an_image), *q], INPUT_ERROR),
        Case(
            "formulas in a catalogue",
            ["batch", str(formulas), "--out", str(work / "formulas-out"), *q],
            ANY_CONCLUSION,
            summary_inert,
        ),
        Case(
            "import register text with escapes",
            ["local", "import", str(hostile_records), *s],
            frozenset({0}),
        ),
        Case(
            "check shows it",
            ["check", "--title", "Harbour at dusk", "--maker", "Vermeulen", *q],
            ANY_CONCLUSION,
            no_raw_escape,
        ),
        Case(
            "journal through a link",
            ["batch", str(long_lot), "--out", str(linked_out), *q],
            INPUT_ERROR,
            link_untouched,
        ),
        # Integrity.
        Case(
            "key new", ["key", "new", "--signer", "Test Museum", "--out", str(key)], frozenset({0})
        ),
        Case(
            "signed check",
            ["check", "--title", "Acorn", "--maker", "Tiffany", *q, "--out", str(signed)],
            frozenset({1}),
            env={"PROVCHECK_SIGNING_KEY": str(key)},
        ),
        Case(
            "signed report verifies", ["verify", str(signed)], frozenset({0}), says("Test Museum")
        ),
        Case(
            "conclusion changed, digest recomputed",
            ["verify", str(signed)],
            frozenset({1}),
            prepare=tamper,
        ),
        # Also.
        Case(
            "--registry locl",
            ["check", "--title", "Vase", "--registry", "locl", *s],
            INPUT_ERROR,
            says("did you mean 'local'"),
        ),
        Case(
            "check --titel", ["check", "--titel", "Vase"], INPUT_ERROR, says("did you mean --title")
        ),
        Case(
            "case show of no case, no store",
            ["case", "show", "C-nonexistent", "--store", str(work / "nowhere" / "s.sqlite3")],
            INPUT_ERROR,
            no_store_made,
        ),
    ]


def run_campaign(work: Path) -> list[Row]:
    home = work / "home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PROVCHECK_")}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"))
    env["PROVCHECK_LOCAL_PATH"] = str(work / "default-store.sqlite3")
    rows: list[Row] = []
    for case in cases(work):
        if case.prepare is not None:
            case.prepare()
        argv = case.argv() if callable(case.argv) else case.argv
        ran = _run(argv, {**env, **case.env}, work, case.timeout)
        problem = _general_problem(case, ran) or case.check(ran)
        rows.append(Row(case, ran, problem))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="run in this folder and keep what it made")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.keep:
            shutil.rmtree(args.keep, ignore_errors=True)
            args.keep.mkdir(parents=True)
            work = args.keep
        else:
            work = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="provcheck-hostile-"))
            )
        rows = run_campaign(work)
    print(f"{'case':<40} {'exit':>4} {'seconds':>8} {'peak MB':>8}  result")
    for row in rows:
        ran = row.ran
        assert ran is not None
        result = "ok" if row.problem is None else f"FAILED: {row.problem}"
        print(
            f"{row.case.name[:40]:<40} {ran.code:>4} {ran.seconds:>8.1f} {ran.peak_mb:>8.0f}  {result}"
        )
    tried = len(rows)
    clear = sum(1 for r in rows if r.ran is not None and r.ran.code == 2 and r.problem is None)
    tracebacks = sum(1 for r in rows if r.ran is not None and "Traceback" in r.ran.err + r.ran.out)
    failed = sum(1 for r in rows if r.problem is not None)
    peak = max(r.ran.peak_mb for r in rows if r.ran is not None)
    print(
        f"\ninputs tried {tried}; refused with one clear line {clear}; tracebacks {tracebacks}; "
        f"rows failed {failed}; largest process {peak:.0f} MB"
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
