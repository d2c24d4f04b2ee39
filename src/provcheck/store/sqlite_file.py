"""A store's SQLite file: where it is, its tables, and opening it -- refusing what is not one.

The tables are the on-disk format of every store provcheck has written: they change only with
`_SCHEMA_VERSION`, and a store written by an older provcheck is brought up to date in place
(tables it lacked are added; records learn their origin).
"""

from __future__ import annotations

import sqlite3
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import platformdirs

from provcheck.errors import InputError

__all__ = ["TablesOfTheirOwn", "default_store_path", "open_store_file", "sqlite_transaction"]

_SCHEMA_VERSION = "1"
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


def default_store_path() -> Path:
    """The per-user store: the platform's data folder (platformdirs), `provcheck/local.sqlite3`."""
    return Path(platformdirs.user_data_dir("provcheck", appauthor=False)) / "local.sqlite3"


@contextmanager
def sqlite_transaction(db: sqlite3.Connection) -> Iterator[None]:
    """All the writes inside it happen, or none do."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
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
        raise InputError(f"{path}: not a provcheck store ({error})") from None
    except OSError as error:
        raise InputError(f"{path}: cannot open the store ({error.strerror or error})") from None
    try:
        db.execute("PRAGMA busy_timeout=10000")
        # Before anything is written -- even the journal mode, which changes the file --
        # another program's database is refused, not given provcheck's tables.
        new = _refuse_another_database(db, path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        _create_schema(db, path, new=new)
    except BaseException as error:
        db.close()
        if isinstance(error, sqlite3.DatabaseError):
            raise InputError(f"{path}: not a provcheck store ({error})") from None
        raise
    return db


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
        db.executescript(
            f"BEGIN IMMEDIATE; {_SCHEMA} INSERT OR IGNORE INTO meta "
            f"VALUES ('schema_version', '{_SCHEMA_VERSION}'); COMMIT;"
        )
    else:
        db.executescript(_SCHEMA)  # tables a newer provcheck added
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (_SCHEMA_VERSION,))
    elif row[0] != _SCHEMA_VERSION:
        raise InputError(
            f"{path}: store schema {row[0]}, this provcheck reads {_SCHEMA_VERSION}; "
            "upgrade provcheck"
        )
    columns = {row[1] for row in db.execute("PRAGMA table_info(records)")}
    if "origin" not in columns:
        # A store from before records knew their origin: a mirror wrote records without an
        # import, and only a mirror did.
        with sqlite_transaction(db):
            db.execute("ALTER TABLE records ADD COLUMN origin TEXT NOT NULL DEFAULT 'import'")
            db.execute("UPDATE records SET origin = 'mirror' WHERE import_id IS NULL")
    # Which store this is, whatever its path: a saved index is never taken for another's.
    db.execute("INSERT OR IGNORE INTO meta VALUES ('store_id', ?)", (uuid.uuid4().hex,))


class TablesOfTheirOwn:
    """Tables a store has only once it is used for them (cases, the service): made on first use,
    so that a store never used so has none, as it always had. `STATEMENTS` make them."""

    STATEMENTS: tuple[str, ...] = ()

    def __init__(self, db: sqlite3.Connection) -> None:
        self._connection = db
        self._made = False

    @property
    def _db(self) -> sqlite3.Connection:
        if not self._made:
            for statement in self.STATEMENTS:
                self._connection.execute(statement)
            # Made inside a transaction, they go if it is rolled back: made again next time.
            self._made = not self._connection.in_transaction
        return self._connection
