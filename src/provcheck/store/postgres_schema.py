"""A PostgreSQL store's database: connecting to it, its tables, and their versions.

A database is a provcheck store once its `meta` table names a schema version. An empty database
becomes one when first opened; a store of an older version is brought up to date by `upgrade`
(`provcheck store upgrade`), never silently while workers run; a newer one is refused.
What the server needs: PostgreSQL 13 or newer, with the `unaccent` and `pg_trgm` extensions
(PostgreSQL's contrib package; both are trusted, so the store's owner may create them).
"""

from __future__ import annotations

import urllib.parse
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg

from provcheck._version import __version__
from provcheck.errors import InputError
from provcheck.store.case_tables import CaseTables
from provcheck.store.schema_version import SCHEMA_VERSION, refuse_other_version
from provcheck.store.service_tables import ServiceTables

__all__ = ["connect", "shown_url", "upgrade"]

# The word index: every column of a record's text, written as provcheck normalises words
# (`provcheck.text.normalise`: case and accents folded, other scripts transliterated), so that the
# query's words and the stored ones are read alike. `unaccent` folds what SQL written by hand
# searches for as the index does.
_TABLES = """
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
DO $$ BEGIN
    CREATE TEXT SEARCH CONFIGURATION provcheck_words (COPY = simple);
    ALTER TEXT SEARCH CONFIGURATION provcheck_words
        ALTER MAPPING FOR asciiword, word, hword, hword_part, asciihword, hword_asciipart
        WITH unaccent, simple;
EXCEPTION WHEN unique_violation THEN NULL;
END $$;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE schema_migrations (
    version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, program TEXT NOT NULL
);
CREATE TABLE imports (
    id BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    added INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE records (
    id BIGSERIAL PRIMARY KEY,
    registry TEXT NOT NULL,
    record_id TEXT NOT NULL,
    record_json TEXT NOT NULL,
    import_id BIGINT REFERENCES imports(id),
    updated_at TEXT NOT NULL,
    removed_at TEXT,
    origin TEXT NOT NULL DEFAULT 'import',
    -- Weighted as the SQLite store's BM25 columns: A the title, B the makers, C inscriptions
    -- and numbers, D the rest (object type, materials, description, period).
    words TSVECTOR NOT NULL,
    UNIQUE (registry, record_id)
);
CREATE INDEX records_words ON records USING gin (words);
CREATE INDEX records_live_by_registry ON records (registry) WHERE removed_at IS NULL;
CREATE INDEX records_by_update ON records (registry, updated_at);
-- The words of stored titles and makers, for misspelt queries to find (by trigrams).
CREATE TABLE name_words (word TEXT PRIMARY KEY);
CREATE INDEX name_words_trigrams ON name_words USING gist (word gist_trgm_ops);
-- How many live records use each word, for a search to weigh rare words above common ones:
-- refreshed from the index (ts_stat) once the records have settled, as of `generation`.
CREATE TABLE word_counts (word TEXT PRIMARY KEY, records INTEGER NOT NULL);
CREATE TABLE images (
    sha256 TEXT PRIMARY KEY,
    phash BIGINT NOT NULL,
    dhash BIGINT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    thumbnail BYTEA NOT NULL
);
CREATE TABLE image_descriptors (
    sha256 TEXT PRIMARY KEY REFERENCES images(sha256), descriptors BYTEA NOT NULL
);
CREATE TABLE image_features (
    sha256 TEXT PRIMARY KEY REFERENCES images(sha256), features BYTEA NOT NULL
);
CREATE TABLE record_images (
    record BIGINT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    sha256 TEXT NOT NULL REFERENCES images(sha256),
    PRIMARY KEY (record, position)
);
CREATE INDEX record_images_sha256 ON record_images (sha256);
-- The records' generation: one more at every transaction that changes a record or its images,
-- whoever makes it (moved by the triggers below, once per transaction, and before the change:
-- a writer takes this row's lock first, so two writers wait in turn rather than deadlock).
-- Each worker reads again what it keeps in memory of the records when it has moved.
CREATE TABLE records_generation (n BIGINT NOT NULL);
INSERT INTO records_generation VALUES (0);
CREATE FUNCTION provcheck_move_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('provcheck.generation_moved_in', true) IS DISTINCT FROM
            txid_current()::text THEN
        UPDATE records_generation SET n = n + 1;
        PERFORM set_config('provcheck.generation_moved_in', txid_current()::text, true);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER records_move_generation BEFORE INSERT OR UPDATE OR DELETE ON records
    FOR EACH STATEMENT EXECUTE FUNCTION provcheck_move_generation();
CREATE TRIGGER record_images_move_generation BEFORE INSERT OR UPDATE OR DELETE ON record_images
    FOR EACH STATEMENT EXECUTE FUNCTION provcheck_move_generation();
CREATE TRIGGER image_descriptors_move_generation
    BEFORE INSERT OR UPDATE OR DELETE ON image_descriptors
    FOR EACH STATEMENT EXECUTE FUNCTION provcheck_move_generation();
"""

# The case files' and the service's tables, as the SQLite store makes them, in PostgreSQL's types.
_TABLES += "".join(
    statement.replace(" BLOB", " BYTEA").replace(" REAL", " DOUBLE PRECISION") + ";\n"
    for statement in CaseTables.STATEMENTS + ServiceTables.STATEMENTS
)

# Each version's changes from the one before, applied in turn by `upgrade` (the first PostgreSQL
# store was written at version 2, the SQLite store's schema version then).
_MIGRATIONS: dict[int, str] = {}
_FIRST_VERSION = 2

# Taken while a store's tables are made or upgraded: two programs opening a new database at once
# make them once.
_SCHEMA_LOCK = 0x70726F76  # "prov"


def shown_url(url: str) -> str:
    """The URL as messages show it: without its password (`postgresql://user@host/db`), however
    the password is written (with a "/", an "@", or badly percent-encoded)."""
    scheme, found, rest = url.partition("://")
    if not found:
        return url
    address, _, query = rest.partition("?")
    userinfo, at, place = address.rpartition("@")  # a host has no "@": the last one ends the user
    if at:
        address = f"{userinfo.partition(':')[0]}@{place}"
    query = "&".join(
        part for part in query.split("&") if part and part.partition("=")[0].lower() != "password"
    )
    return f"{scheme}://{address}" + (f"?{query}" if query else "")


def _passwords(url: str) -> list[str]:
    """The password written in `url`, as written and decoded, to be scrubbed from what the
    server or libpq say (which may quote it)."""
    address, _, query = url.partition("://")[2].partition("?")
    userinfo = address.rpartition("@")[0]
    found = [userinfo.partition(":")[2]] if ":" in userinfo else []
    found += [p.partition("=")[2] for p in query.split("&") if p.lower().startswith("password=")]
    found += [urllib.parse.unquote(p) for p in found]
    return sorted({p for p in found if p}, key=len, reverse=True)


def connect(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    """A connection to the store at `url` (autocommit: writes go in transactions the store
    opens), its tables made if the database is empty. `InputError` if it cannot connect, if the
    database holds other tables, or if its store is of another version."""
    where = shown_url(url)
    db = _connection(url)
    try:
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            version = _stored_version(db, where)
            if version is None:
                _make_tables(db, where)
                version = SCHEMA_VERSION
        refuse_other_version(version, where)
    except BaseException:
        db.close()
        raise
    return db


def upgrade(url: str) -> tuple[int, int]:
    """Bring the store at `url` to this program's schema version: (from, to)."""
    where = shown_url(url)
    db = _connection(url)
    with db, db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        found = _stored_version(db, where)
        if found is None:
            _make_tables(db, where)
            return 0, SCHEMA_VERSION
        if found > SCHEMA_VERSION:
            refuse_other_version(found, where)
        if found < _FIRST_VERSION:
            raise InputError(
                f"{where}: store schema {found}, but PostgreSQL stores begin at schema "
                f"{_FIRST_VERSION}: not a store provcheck wrote, or changed by hand"
            )
        for version in range(found + 1, SCHEMA_VERSION + 1):
            db.execute(_MIGRATIONS[version])
            _log_version(db, version)
        return found, SCHEMA_VERSION


def _connection(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as error:
        lines = str(error).strip().splitlines()
        reason = lines[0].strip() if lines else type(error).__name__
        for password in _passwords(url):
            reason = reason.replace(password, "**********")
        raise InputError(
            f"{shown_url(url)}: cannot connect to the PostgreSQL store ({shown_url(reason)}); "
            "check the URL, that the server runs, and the password ($PGPASSWORD or ~/.pgpass)"
        ) from None


def _stored_version(db: psycopg.Connection[tuple[Any, ...]], where: str) -> int | None:
    """The store's schema version; None if the database is empty (it becomes a store)."""
    tables = [
        str(row[0])
        for row in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        ).fetchall()
    ]
    if not tables:
        return None
    row = (
        db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if "meta" in tables
        else None
    )
    if row is None or not str(row[0]).isdigit():
        shown = ", ".join(tables[:3]) + (", ..." if len(tables) > 3 else "")
        raise InputError(
            f"{where}: not a provcheck store (a database with other tables: {shown}); "
            "give --store an empty database, or a provcheck store's"
        )
    return int(str(row[0]))


def _make_tables(db: psycopg.Connection[tuple[Any, ...]], where: str) -> None:
    try:
        db.execute(_TABLES)  # our own text, several statements
    except psycopg.errors.InsufficientPrivilege as error:
        raise InputError(
            f"{where}: cannot make the store's tables ({str(error).strip()}); the user needs "
            "CREATE on the database, and the server PostgreSQL's contrib extensions "
            "(unaccent, pg_trgm)"
        ) from None
    except psycopg.errors.UndefinedFile as error:
        raise InputError(
            f"{where}: the server lacks an extension provcheck needs ({str(error).strip()}); "
            "install PostgreSQL's contrib package (unaccent, pg_trgm)"
        ) from None
    db.execute(
        "INSERT INTO meta VALUES ('schema_version', %s), ('store_id', %s)",
        (str(SCHEMA_VERSION), uuid.uuid4().hex),
    )
    _log_version(db, SCHEMA_VERSION)


def _log_version(db: psycopg.Connection[tuple[Any, ...]], version: int) -> None:
    db.execute(
        "INSERT INTO schema_migrations VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (version, datetime.now(UTC).isoformat(timespec="seconds"), f"provcheck {__version__}"),
    )
    db.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(version),))
