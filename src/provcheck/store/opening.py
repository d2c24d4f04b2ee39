"""Opening a store by where it is: a SQLite file's path, or a PostgreSQL database's URL."""

from __future__ import annotations

import os
from pathlib import Path

from provcheck.store.interface import Store
from provcheck.store.postgres import PostgresStore, is_postgres_url
from provcheck.store.postgres_schema import upgrade as upgrade_database
from provcheck.store.sqlite import LocalStore
from provcheck.store.sqlite_file import upgrade_store_file

__all__ = ["STORE_URL_ENV", "StoreLocation", "open_store", "store_exists", "upgrade_store"]

# The team's store, for every command and worker that is not given `--store`.
STORE_URL_ENV = "PROVCHECK_STORE_URL"

# A file's path, or `postgresql://user@host:port/database`.
StoreLocation = str | os.PathLike[str]


def open_store(location: StoreLocation | None) -> Store:
    """The store at `location`, made if there is none yet (None: the per-user SQLite file)."""
    if is_postgres_url(location):
        return PostgresStore(str(location))
    return LocalStore(location)


def store_exists(location: StoreLocation) -> bool:
    """Whether there is a store at `location` to read (a database is asked when it is opened)."""
    return is_postgres_url(location) or Path(location).is_file()


def upgrade_store(location: StoreLocation) -> tuple[int, int]:
    """Bring the store at `location` to this program's schema version: (from, to)."""
    if is_postgres_url(location):
        return upgrade_database(str(location))
    return upgrade_store_file(Path(location))
