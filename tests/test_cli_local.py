"""The local store through the command line, and the demo end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, NSAF

from provcheck import verify_report
from provcheck.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_then_check_finds_the_record(
    capsys: pytest.CaptureFixture[str], private_store: Path
) -> None:
    code, out, _ = run(capsys, "local", "import", str(NSAF), "--mapping", "nsaf")
    assert code == 0
    assert out.strip() == (
        f"Imported 4,523 records from {NSAF} into {private_store}: "
        "4,523 added, 0 updated, 0 skipped (fbi: 4,523); 4,523 rows read, 6 repeated ids numbered"
    )
    code, out, _ = run(
        capsys,
        "check",
        "--title",
        "Hysterical Venus",
        "--maker",
        "Dali",
        "--registry",
        "local",
        "--json",
    )
    assert code == 1
    report = json.loads(out)
    assert report["conclusion"] == "possible-match"
    assert report["outcomes"][0]["candidates"][0]["record"]["record_id"] == "hysterical-venus"

    code, out, _ = run(
        capsys, "check", "--title", "Zyzzyva quokka", "--maker", "Vermeulen", "--registry", "local"
    )
    assert code == 0 and out.startswith("NO MATCH FOUND")
    code, out, _ = run(capsys, "check", "--title", "Zyzzyva quokka", "--registry", "local")
    assert code == 3 and "too little to rule a record out" in out  # one field rules out nothing

    code, out, _ = run(capsys, "local", "stats")
    assert code == 0
    assert "fbi             4,523 records" in out
    assert "Last import:" in out and "4,523 added" in out
    code, out, _ = run(capsys, "local", "stats", "--json")
    assert json.loads(out)["records"] == {"fbi": 4523}


def test_store_option_overrides_the_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, private_store: Path
) -> None:
    other = tmp_path / "other.sqlite3"
    code, _, _ = run(
        capsys,
        "local",
        "import",
        str(FIXTURES / "sample-register" / "records.jsonl"),
        "--store",
        str(other),
    )
    assert code == 0
    assert other.exists() and not private_store.exists()


def test_bad_import_gets_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"record_id": "1"}\n{"record_id": 2}\n', encoding="utf-8")
    code, out, err = run(capsys, "local", "import", str(bad))
    assert code == 2 and out == ""
    assert err.strip() == (
        f"provcheck: error: {bad}:2: record_id: Input should be a valid string; "
        "nothing was imported: fix the file, or use --skip-bad"
    )
    code, out, err = run(capsys, "local", "import", str(bad), "--skip-bad")
    assert code == 0
    assert f"skipped {bad}:2: record_id: Input should be a valid string" in err
    assert "1 added, 0 updated, 1 skipped" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["local", "import", "missing.jsonl"], "missing.jsonl: no such import file"),
        (["local", "import", str(NSAF)], "needs --mapping"),
        (
            ["local", "import", str(NSAF), "--mapping", "nope"],
            "--mapping nope: no such file, and no preset",
        ),
        (
            ["check", "--title", "x", "--registry", "nowhere"],
            "no register named 'nowhere' is installed",
        ),
        (
            ["check", "--image", str(NSAF.parent / "README.md"), "--registry", "local"],
            "README.md: not a readable image",
        ),
        (["verify", "missing.json"], "missing.json: no such report file"),
    ],
)
def test_bad_input_one_line_nonzero(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_check_with_a_photograph(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "local", "import", str(FIXTURES / "sample-register" / "records.jsonl"))
    code, out, _ = run(
        capsys,
        "check",
        "--image",
        str(FIXTURES / "queries" / "dealer-photo.jpg"),
        "--registry",
        "local",
    )
    assert code == 1
    assert "local:LOSS-2020  The Horsewoman" in out


def test_every_command_has_help_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["check"],
        ["demo"],
        ["registries"],
        ["verify"],
        ["schema"],
        ["local", "import"],
        ["local", "stats"],
    ):
        with pytest.raises(SystemExit) as raised:
            main([*argv, "--help"])
        assert raised.value.code == 0
        assert "example" in capsys.readouterr().out, argv


def test_demo_end_to_end(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, private_store: Path
) -> None:
    out_dir = tmp_path / "demo"
    code, out, _ = run(capsys, "demo", "--out", str(out_dir))
    assert code == 0
    conclusions = {}
    for name in ("dealer-photo", "reworded", "not-registered"):
        path = out_dir / f"{name}.json"
        assert verify_report(path).ok
        conclusions[name] = json.loads(path.read_text(encoding="utf-8"))["conclusion"]
    assert conclusions == {
        "dealer-photo": "possible-match",
        "reworded": "possible-match",
        # Every register answered none, but the live APIs of the FBI and Wikidata cannot be
        # searched for the photograph: not everything given was compared.
        "not-registered": "incomplete",
    }
    not_registered = json.loads((out_dir / "not-registered.json").read_text(encoding="utf-8"))
    assert [(lim["kind"], lim["subject"]) for lim in not_registered["limitations"]] == [
        ("photograph-not-searched", "fbi"),
        ("photograph-not-searched", "wikidata"),
    ]
    assert "Try next:" in out
    assert not private_store.exists(), "the demo must not touch the user's own store"


def test_demo_as_a_newcomer_runs_it(tmp_path: Path) -> None:
    env = {**os.environ, "PROVCHECK_LOCAL_PATH": str(tmp_path / "untouched.sqlite3")}
    done = subprocess.run(
        [sys.executable, "-m", "provcheck", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "provcheck-demo").iterdir()) == [
        "dealer-photo.json",
        "not-registered.json",
        "reworded.json",
    ]
    assert not (tmp_path / "untouched.sqlite3").exists()


def test_export_writes_a_folder_once_and_says_what_it_wrote(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = ["--store", str(tmp_path / "store.sqlite3")]
    sample = str(FIXTURES / "sample-register" / "records.jsonl")
    assert run(capsys, "local", "import", sample, *store)[0] == 0
    out_folder = str(tmp_path / "export")
    code, out, _ = run(capsys, "export", "--format", "lido", "--out", out_folder, *store)
    assert code == 0
    assert out.startswith(f"Exported 35 records and 35 photographs as lido to {out_folder}")
    code, _, err = run(capsys, "export", "--format", "lido", "--out", out_folder, *store)
    assert code == 2 and "holds a previous export" in err
    assert (
        run(capsys, "export", "--format", "lido", "--out", out_folder, "--overwrite", *store)[0]
        == 0
    )
    code, _, err = run(
        capsys, "export", "--format", "csv", "--record", "X", "--out", out_folder + "2", *store
    )
    assert code == 2 and "--record X: no record local:X" in err
    assert not (tmp_path / "export2" / "records.csv").exists()
