"""A store's SQLite file: where it is, its tables, and opening it -- refusing what is not one.

The tables are the on-disk format of every store provcheck has written: they change only with
the schema version (`provcheck.store.schema_version`). A store written by an older provcheck is
refused until `provcheck store upgrade` brings it up to date in place (`upgrade_store_file`); one
written by a newer provcheck is refused.
"""

from __future__ import annotations

import sqlite3
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from provcheck._version import __version__
from provcheck.errors import InputError
from provcheck.store.schema_version import SCHEMA_VERSION, refuse_other_version

__all__ = [
    "default_store_path",
    "open_store_file",
    "sqlite_transaction",
    "upgrade_store_file",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY,
    registry TEXT NOT NULL,
    record_id TEXT NOT NULL,
    record_json TEXT NOT NULL,
    import_id INTEGER REFERENCES imports(id),
    updated_at TEXT NOT NULL,
    removed_at TEXT,
    origin TEXT NOT NULL DEFAULT 'import',
    UNIQUE (registry, record_id)
);
CREATE VIRTUAL TABLE IF NOT EXISTS records_text USING fts5(
    title, makers, object_type, materials, inscriptions, description, period, numbers,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS images (
    sha256 TEXT PRIMARY KEY,
    phash INTEGER NOT NULL,
    dhash INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    thumbnail BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS image_descriptors (
    sha256 TEXT PRIMARY KEY REFERENCES images(sha256),
    descriptors BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS image_features (
    sha256 TEXT PRIMARY KEY REFERENCES images(sha256),
    features BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS record_images (
    record INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    sha256 TEXT NOT NULL REFERENCES images(sha256),
    PRIMARY KEY (record, position)
);
CREATE INDEX IF NOT EXISTS record_images_sha256 ON record_images(sha256);
-- Every search counts each register's live records: an index, not a scan of a mirror's rows.
CREATE INDEX IF NOT EXISTS records_live_by_registry ON records(registry, removed_at);
-- The records' generation: one more at every change of a record or its images, whoever made
-- it. What is read from the records and kept in memory (the words of titles and makers, the
-- image indexes) is read again when it has moved -- and not when a report or a job is written.
-- (Moved by the triggers made after the tables.)
CREATE TABLE IF NOT EXISTS records_generation (n INTEGER NOT NULL);
INSERT INTO records_generation SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM records_generation);
CREATE TABLE IF NOT EXISTS imports (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    added INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0
);
""" + "".join(
    f"CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()}_moves_generation"
    f" AFTER {event} ON {table} BEGIN UPDATE records_generation SET n = n + 1; END;\n"
    for table in ("records", "record_images", "image_descriptors")
    for event in ("INSERT", "UPDATE", "DELETE")
)

# Version 2: every store logs the migrations applied to it; records are found by time of change.
_VERSION_2 = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, program TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_update ON records(registry, updated_at);
"""


# How long a write waits for another program's write to the same store to end.
BUSY_TIMEOUT_SECONDS = 10.0


def default_store_path() -> Path:
    """The per-user store: the platform's data folder (platformdirs), `provcheck/local.sqlite3`."""
    return Path(platformdirs.user_data_dir("provcheck", appauthor=False)) / "local.sqlite3"


@contextmanager
def sqlite_transaction(db: sqlite3.Connection) -> Iterator[None]:
    """All the writes inside it happen, or none do. `InputError` if the store cannot be written
    (read-only) or another program's write kept it for over `BUSY_TIMEOUT_SECONDS`."""
    try:
        db.execute("BEGIN IMMEDIATE")
        yield
        db.execute("COMMIT")
    except sqlite3.OperationalError as error:
        problem = _access_problem(_file_of(db), error)
        if problem is None:
            raise
        raise problem from None
    finally:
        # Anything that stopped it before the commit ended -- an error, Ctrl-C between the
        # last write and COMMIT -- leaves nothing written and no transaction open. (A commit
        # that happened stays: Ctrl-C during it is raised only once it has returned.)
        if db.in_transaction:
            db.execute("ROLLBACK")


def open_store_file(path: Path) -> sqlite3.Connection:
    """The store at `path`, made if there is nothing there (in autocommit mode: writes go in
    `sqlite_transaction`s). `InputError` if it is not a file, not a store, or a newer one."""
    _refuse_what_is_not_a_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.DatabaseError as error:
        raise _store_problem(path, error) from None
    except OSError as error:
        raise InputError(f"{path}: cannot open the store ({error.strerror or error})") from None
    try:
        db.execute(f"PRAGMA busy_timeout={round(BUSY_TIMEOUT_SECONDS * 1000)}")
        # Before anything is written -- even the journal mode, which changes the file --
        # another program's database is refused, not given provcheck's tables.
        new = _refuse_another_database(db, path)
        _write_ahead(db, path)
        db.execute("PRAGMA foreign_keys=ON")
        _create_schema(db, path, new=new)
    except BaseException as error:
        db.close()
        if isinstance(error, sqlite3.DatabaseError):
            raise _store_problem(path, error) from None
        raise
    return db


def _write_ahead(db: sqlite3.Connection, path: Path) -> None:
    """Keep the store in WAL mode: readers never wait for a writer. A copy kept with a rollback
    journal (`VACUUM INTO`, a backup) is changed to it when it can be; one that cannot be
    written, or that another program is writing, is read as it is."""
    try:
        db.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError as error:
        if _access_problem(path, error) is None:
            raise


def _store_problem(path: Path, error: sqlite3.DatabaseError) -> InputError:
    """What SQLite's `error` opening the file at `path` means to the person who named it."""
    problem = _access_problem(path, error)
    return problem or InputError(f"{path}: not a provcheck store ({error})")


def _access_problem(path: Path, error: sqlite3.DatabaseError) -> InputError | None:
    """An `InputError` saying what to do if `error` is about this user's access to a store that
    is there (read-only, or another program writing it), else None."""
    name = getattr(error, "sqlite_errorname", "")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return InputError(
            f"{path}: the store is busy: another program has been writing to it for over "
            f"{BUSY_TIMEOUT_SECONDS:g} s; try again when it has finished"
        )
    if name.startswith("SQLITE_READONLY"):
        return InputError(
            f"{path}: cannot write to the store ({error}); provcheck writes to its store as it "
            "works: give --store a copy of it in a folder you can write to, or ask for write "
            "access to this one"
        )
    if name.startswith("SQLITE_CANTOPEN") and not path.exists():
        return InputError(
            f"{path}: cannot make a store there ({error}); give --store a path in a folder you "
            "can write to"
        )
    if name.startswith("SQLITE_CANTOPEN") and path.is_file():
        return InputError(
            f"{path}: cannot open the store ({error}); provcheck needs to read and write it and "
            "to make its journal files beside it: give --store a copy of it in a folder you can "
            "write to, or ask for access to this one"
        )
    return None


def _file_of(db: sqlite3.Connection) -> Path:
    """The file a connection's main database is in."""
    return Path(next(row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"))


def _refuse_what_is_not_a_file(path: Path) -> None:
    """`InputError` if `path` is there and is not a regular file (SQLite would open a device,
    block on a FIFO, or fail with "disk I/O error")."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise InputError(f"{path}: cannot open the store ({error.strerror or error})") from None
    if stat.S_ISREG(mode):
        return
    what = (
        "a folder"
        if stat.S_ISDIR(mode)
        else "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
    )
    raise InputError(
        f"{path}: not a provcheck store ({what}, not a file); give --store a file's path"
    )


def _refuse_another_database(db: sqlite3.Connection, path: Path) -> bool:
    """Is the file new (no tables: it becomes a store)? `InputError` if it holds tables but
    no provcheck store: a store is known by its `meta` table's schema version (written with
    its tables, in one transaction)."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    if not tables:
        return True
    version = None
    if "meta" in tables:
        with suppress(sqlite3.DatabaseError):
            version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if version is None:
        shown = ", ".join(sorted(tables)[:3]) + (", ..." if len(tables) > 3 else "")
        raise InputError(
            f"{path}: not a provcheck store (a database with other tables: {shown}); "
            "give --store a new file's path, or a provcheck store's"
        )
    return False


def _create_schema(db: sqlite3.Connection, path: Path, *, new: bool) -> None:
    if new:
        # One transaction: a store is never left with its tables and no schema version
        # (it would then be refused as another program's database).
        with sqlite_transaction(db):
            _apply(db, _SCHEMA + _VERSION_2)
            db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
            _log_version(db, SCHEMA_VERSION)
    refuse_other_version(_stored_version(db), str(path))
    # Which store this is, whatever its path: a saved index is never taken for another's. Only
    # a store without one is written to: opening a store to read it waits for no one's write.
    if db.execute("SELECT 1 FROM meta WHERE key = 'store_id'").fetchone() is None:
        db.execute("INSERT OR IGNORE INTO meta VALUES ('store_id', ?)", (uuid.uuid4().hex,))


def upgrade_store_file(path: Path) -> tuple[int, int]:
    """Bring the store at `path` to this program's schema version, in one transaction: (from,
    to); a new store where there is none. `InputError` if it is not a store, or a newer one."""
    _refuse_what_is_not_a_file(path)
    if not path.exists():
        open_store_file(path).close()
        return 0, SCHEMA_VERSION
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute(f"PRAGMA busy_timeout={round(BUSY_TIMEOUT_SECONDS * 1000)}")
        if _refuse_another_database(db, path):
            db.close()
            open_store_file(path).close()  # an empty file: made a store, as opening it would
            return 0, SCHEMA_VERSION
        found = _stored_version(db)
        if found > SCHEMA_VERSION:
            refuse_other_version(found, str(path))
        if found < SCHEMA_VERSION:  # else nothing to write: no other program's write waited on
            with sqlite_transaction(db):
                if _stored_version(db) < 2:  # read again under the lock: not upgraded twice
                    _upgrade_to_2(db)
        return found, SCHEMA_VERSION
    except sqlite3.DatabaseError as error:
        raise _store_problem(path, error) from None
    finally:
        db.close()


def _stored_version(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row is not None and str(row[0]).isdigit() else 1


def _upgrade_to_2(db: sqlite3.Connection) -> None:
    """Version 1's tables grew in place as provcheck learnt more: whatever a store of it lacks
    is made, then version 2's own."""
    _apply(db, _SCHEMA)
    columns = {row[1] for row in db.execute("PRAGMA table_info(records)")}
    if "origin" not in columns:
        # A store from before records knew their origin: a mirror wrote records without an
        # import, and only a mirror did.
        db.execute("ALTER TABLE records ADD COLUMN origin TEXT NOT NULL DEFAULT 'import'")
        db.execute("UPDATE records SET origin = 'mirror' WHERE import_id IS NULL")
    _apply(db, _VERSION_2)
    _log_version(db, 2)


def _apply(db: sqlite3.Connection, script: str) -> None:
    """Each statement of `script`, inside the caller's transaction (`executescript` would
    commit it)."""
    for statement in _statements(script):
        db.execute(statement)


def _statements(script: str) -> list[str]:
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    return [s for s in statements if s]


def _log_version(db: sqlite3.Connection, version: int) -> None:
    db.execute(
        "INSERT OR IGNORE INTO schema_migrations VALUES (?, ?, ?)",
        (version, datetime.now(UTC).isoformat(timespec="seconds"), f"provcheck {__version__}"),
    )
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
