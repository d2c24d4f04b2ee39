"""A store file another program is writing, or one that cannot be written, is read where it can be
and otherwise named for what it is: never "not a provcheck store", never an internal error."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from provcheck.cli import main
from provcheck.store import sqlite_file
from provcheck.store.sqlite import LocalStore

FIXTURES = Path(__file__).parent.parent / "fixtures"
RECORDS = FIXTURES / "sample-register" / "records.jsonl"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def store_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "store.sqlite3"
    code, _, err = run(capsys, "local", "import", str(RECORDS), "--store", str(path))
    assert code == 0, err
    return path


@pytest.fixture
def another_program_writing(store_path: Path) -> Iterator[None]:
    """Another program in the middle of a write to the store (an import in another terminal)."""
    other = sqlite3.connect(store_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")
    yield
    other.execute("ROLLBACK")
    other.close()


@pytest.fixture
def short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_file, "BUSY_TIMEOUT_SECONDS", 0.2)


@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every store opened as SQLite opens a file this user may not write (or one on a read-only
    disk): for reading only. (Tests run as root in CI, which may write any file.)"""
    connect = sqlite3.connect

    def read_only_connect(path: Path, **options: object) -> sqlite3.Connection:
        return connect(f"{Path(path).as_uri()}?mode=ro", uri=True, **options)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(sqlite_file.sqlite3, "connect", read_only_connect)


def test_a_store_another_program_is_writing_is_read_meanwhile(
    store_path: Path,
    short_wait: None,
    another_program_writing: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with LocalStore(store_path) as store:
        assert store.get("local", "LOSS-2018") is not None
    code, out, err = run(
        capsys, "check", "--title", "Adam and Eve", "--maker", "Dürer",
        "--registry", "local", "--store", str(store_path), "--json",
    )  # fmt: skip
    assert code == 1 and '"status": "failed"' not in out, out + err  # 1: a possible match


def test_writing_to_a_store_another_program_is_writing_says_it_is_busy(
    store_path: Path,
    short_wait: None,
    another_program_writing: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "local", "import", str(RECORDS), "--store", str(store_path))
    assert code == 2
    assert err.startswith(f"provcheck: error: {store_path}: the store is busy: another program")
    assert "try again when it has finished" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_store_that_cannot_be_written_is_read_and_a_write_is_refused_in_one_line(
    store_path: Path, read_only: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalStore(store_path) as store:
        assert store.get("local", "LOSS-2018") is not None
    code, out, err = run(capsys, "local", "stats", "--store", str(store_path))
    assert code == 0 and "local" in out, err
    code, out, err = run(
        capsys, "check", "--title", "Adam and Eve", "--maker", "Dürer",
        "--registry", "local", "--store", str(store_path), "--json",
    )  # fmt: skip
    assert code == 1 and '"status": "failed"' not in out, out + err  # 1: a possible match
    code, _, err = run(capsys, "local", "import", str(RECORDS), "--store", str(store_path))
    assert code == 2
    assert err.startswith(f"provcheck: error: {store_path}: cannot write to the store")
    assert "a folder you can write to" in err and "not a provcheck store" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_missing_store_is_not_made_by_asking_what_it_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mistyped = tmp_path / "stroe.sqlite3"
    code, _, err = run(capsys, "local", "stats", "--store", str(mistyped))
    assert code == 2 and err.startswith(f"provcheck: error: {mistyped}: no store there")
    assert not mistyped.exists()
