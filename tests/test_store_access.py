"""A store file another program is writing, or one that cannot be written, is read where it can be
and otherwise named for what it is: never "not a provcheck store", never an internal error."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sample_registries import ListedRegistry

from provcheck import InputError
from provcheck.cli import main
from provcheck.store import mirroring, refreshing, sqlite_file
from provcheck.store.sqlite import LocalStore

FIXTURES = Path(__file__).parent.parent / "fixtures"
RECORDS = FIXTURES / "sample-register" / "records.jsonl"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def check_adam_and_eve(capsys: pytest.CaptureFixture[str], store: Path) -> tuple[int, str, str]:
    """A check of the local register in `store` for a sample-register work (a possible match)."""
    return run(
        capsys, "check", "--title", "Adam and Eve", "--maker", "Dürer",
        "--registry", "local", "--store", str(store), "--json",
    )  # fmt: skip


@pytest.fixture
def store_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "store.sqlite3"
    code, _, err = run(capsys, "local", "import", str(RECORDS), "--store", str(path))
    assert code == 0, err
    return path


@pytest.fixture
def another_program_starts_writing(store_path: Path) -> Iterator[Callable[[], None]]:
    """Call it to have another program begin a write to the store (in the middle of a command,
    say); the write is rolled back after the test."""
    writers: list[sqlite3.Connection] = []

    def start() -> None:
        other = sqlite3.connect(store_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        writers.append(other)

    yield start
    for other in writers:
        other.execute("ROLLBACK")
        other.close()


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
    code, out, err = check_adam_and_eve(capsys, store_path)
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


def test_upgrading_a_store_already_up_to_date_waits_on_no_other_programs_write(
    store_path: Path,
    short_wait: None,
    another_program_writing: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Nothing to change: nothing is written, so another program's write (or a store this user
    may only read) does not stop `store upgrade` from saying the store is up to date."""
    code, out, err = run(capsys, "store", "upgrade", "--store", str(store_path))
    assert code == 0 and "up to date" in out, err


def test_a_store_that_cannot_be_written_is_read_and_a_write_is_refused_in_one_line(
    store_path: Path, read_only: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalStore(store_path) as store:
        assert store.get("local", "LOSS-2018") is not None
    code, out, err = run(capsys, "local", "stats", "--store", str(store_path))
    assert code == 0 and "local" in out, err
    code, out, err = check_adam_and_eve(capsys, store_path)
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


@pytest.mark.parametrize("command", [["local", "stats"], ["case", "list"], ["api-key", "list"]])
def test_a_folder_given_as_the_store_is_said_to_be_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """`--store` names the store's file; a folder (the one the store sits in, say) is not "no
    store there", which would send the user to make one, nor "no cases yet"."""
    code, _, err = run(capsys, *command, "--store", str(tmp_path))
    assert code == 2 and err.startswith(f"provcheck: error: {tmp_path} is a folder, not a store")
    assert "give --store the store's file" in err and len(err.strip().splitlines()) == 1


def test_a_check_given_a_folder_as_the_store_says_so_and_is_incomplete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "check", "--title", "x", "--registry", "local", "--store", str(tmp_path)
    )
    assert code == 3 and f"{tmp_path} is a folder, not a store" in out
    assert list(tmp_path.iterdir()) == []  # nothing made in it


@pytest.fixture
def backup(store_path: Path) -> Path:
    """A copy made with `VACUUM INTO` (a common backup of a live store): it has a rollback
    journal, not WAL."""
    copy = store_path.with_name("backup.sqlite3")
    with sqlite3.connect(store_path) as db:
        db.execute(f"VACUUM INTO '{copy}'")
    db.close()
    return copy


def test_a_store_kept_with_a_rollback_journal_is_read_while_another_program_writes_it(
    backup: Path, short_wait: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Opening it to read must neither wait for another's write nor need to write itself."""
    other = sqlite3.connect(backup, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")
        code, out, err = check_adam_and_eve(capsys, backup)
        assert code == 1 and '"status": "failed"' not in out, out + err
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_read_only_copy_kept_with_a_rollback_journal_is_read(
    backup: Path, capsys: pytest.CaptureFixture[str], read_only: None
) -> None:
    before = backup.read_bytes()
    code, out, err = run(capsys, "local", "stats", "--store", str(backup))
    assert code == 0 and "local" in out, err
    assert backup.read_bytes() == before


def test_a_check_never_makes_a_store_at_a_mistyped_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mistyped = tmp_path / "no-such-folder" / "stroe.sqlite3"
    code, out, _ = run(
        capsys, "check", "--title", "Adam and Eve", "--maker", "Dürer",
        "--registry", "local", "--store", str(mistyped),
    )  # fmt: skip
    assert code == 3 and "there is no store there" in out
    assert not mistyped.parent.exists()


def test_a_new_store_in_a_folder_that_cannot_be_written_is_named_so(
    tmp_path: Path, read_only: None
) -> None:
    path = tmp_path / "new.sqlite3"
    with pytest.raises(InputError) as raised:
        LocalStore(path)
    assert str(raised.value).startswith(f"{path}: cannot make a store there")


def test_refreshing_a_store_describes_images_outside_its_transactions(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Describing a hundred images takes seconds: a transaction held meanwhile would keep every
    other program's write waiting (and failing as busy)."""
    with LocalStore(store_path) as store:
        with store.transaction():
            for digest in store.image_digests():
                kept = store.image_features(digest)
                assert kept is not None
                store.replace_image_features(digest, kept.strongest())
        describe = refreshing.local_features
        during: list[bool] = []

        def watched(*args: Any, **kwargs: Any) -> Any:
            during.append(store.connection.in_transaction)
            return describe(*args, **kwargs)

        monkeypatch.setattr(refreshing, "local_features", watched)
        summary = refreshing.refresh_features(store)
    assert summary.refreshed == len(during) > 0
    assert not any(during)


def test_refreshing_stopped_by_another_programs_write_says_what_was_kept(
    store_path: Path,
    short_wait: None,
    another_program_starts_writing: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Refreshing keeps each batch as it is done; stopped as busy half-way, it says so, as it
    does when interrupted, so that the user runs it again rather than fearing it all lost."""
    with LocalStore(store_path) as store, store.transaction():
        for digest in store.image_digests():
            kept = store.image_features(digest)
            assert kept is not None
            store.replace_image_features(digest, kept.strongest())
    monkeypatch.setattr(refreshing, "_BATCH", 3)
    describe = refreshing.local_features
    described: list[int] = []

    def described_then_another_program_writes(*args: Any, **kwargs: Any) -> Any:
        described.append(1)
        if len(described) == 4:  # as the second batch is described, another program writes
            another_program_starts_writing()
        return describe(*args, **kwargs)

    monkeypatch.setattr(refreshing, "local_features", described_then_another_program_writes)
    code, _, err = run(capsys, "local", "refresh-features", "--store", str(store_path))
    assert code == 2 and "the store is busy" in err and len(err.strip().splitlines()) == 1
    assert "the 3 images gone through before it are kept" in err
    assert "run the same command again to continue" in err


class WrittenToMidway(ListedRegistry):
    """A register of five records, mirrored two to a batch; as its fourth is listed, another
    program starts a write to the store (`midway`)."""

    listing: ClassVar[list[dict[str, Any]]] = [
        {"description": {"title": f"Object {number}"}} for number in range(5)
    ]
    midway: ClassVar[Callable[[], None]]

    async def iter_records(self, *, since: Any = None) -> Any:
        number = 0
        async for record in super().iter_records(since=since):
            number += 1
            if number == 4:
                type(self).midway()
            yield record


def test_a_mirror_stopped_by_another_programs_write_says_what_was_kept(
    store_path: Path,
    short_wait: None,
    another_program_starts_writing: Callable[[], None],
    entry_points: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The records written before the store turned busy are kept; the mirror says so and to run
    it again, as it does for a register that failed half-way, not only that the store is busy."""
    entry_points(listed="test_store_access:WrittenToMidway")
    monkeypatch.setattr(mirroring, "BATCH", 2)
    monkeypatch.setattr(WrittenToMidway, "midway", another_program_starts_writing, raising=False)
    code, _, err = run(capsys, "mirror", "listed", "--store", str(store_path))
    assert code == 2 and "the store is busy" in err and len(err.strip().splitlines()) == 1
    assert "the 2 records written before it are kept" in err
    assert "run the same command again to continue" in err
    with LocalStore(store_path) as store:
        assert store.count("listed") == 2
