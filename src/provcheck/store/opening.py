"""Opening a store by where it is: a SQLite file's path, or a PostgreSQL database's URL."""

from __future__ import annotations

import os
import re
from pathlib import Path

from provcheck.errors import InputError
from provcheck.store.interface import Store
from provcheck.store.postgres import PostgresStore, is_postgres_url
from provcheck.store.postgres_schema import upgrade as upgrade_database
from provcheck.store.sqlite import LocalStore
from provcheck.store.sqlite_file import upgrade_store_file

__all__ = [
    "STORE_URL_ENV",
    "StoreLocation",
    "a_folder_for_a_store",
    "open_store",
    "refuse_a_mistyped_url",
    "store_exists",
    "upgrade_store",
]

# The team's store, for every command and worker that is not given `--store`.
STORE_URL_ENV = "PROVCHECK_STORE_URL"

# A file's path, or `postgresql://user@host:port/database`.
StoreLocation = str | os.PathLike[str]


def open_store(location: StoreLocation | None) -> Store:
    """The store at `location`, made if there is none yet (None: the per-user SQLite file)."""
    if location is not None:
        refuse_a_mistyped_url(location)
    if is_postgres_url(location):
        return PostgresStore(str(location))
    return LocalStore(location)


def store_exists(location: StoreLocation) -> bool:
    """Whether there is a store at `location` to read (a database is asked when it is opened)."""
    refuse_a_mistyped_url(location)
    return is_postgres_url(location) or Path(location).is_file()


def a_folder_for_a_store(location: StoreLocation) -> str | None:
    """What to say when `location`, where a store's file was wanted, is a folder (the one the
    store sits in, say): "no store there" would send the user to make one. None otherwise."""
    if is_postgres_url(location) or not Path(location).is_dir():
        return None
    return (
        f"{location} is a folder, not a store; give --store the store's file (e.g. "
        f"{Path(location) / 'store.sqlite3'}) or a database's URL"
    )


def upgrade_store(location: StoreLocation) -> tuple[int, int]:
    """Bring the store at `location` to this program's schema version: (from, to); from 0 when
    there was no store, and one was made."""
    refuse_a_mistyped_url(location)
    if is_postgres_url(location):
        return upgrade_database(str(location))
    return upgrade_store_file(Path(location))


# A scheme, as an address begins: "POSTGRES://", "postgresql:/", "https://" (not a drive, "C:/").
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:/")


def refuse_a_mistyped_url(location: StoreLocation) -> None:
    """`InputError` for what looks like an address and is not a PostgreSQL store's URL
    ("POSTGRESQL://...", "postgresql:/...", "mysql://..."): taken for a file's path, it would
    make a store in folders named after the address, its password among them."""
    text = os.fspath(location)
    looks_like_one = _SCHEME.match(text) or text.lower().startswith(("postgresql:", "postgres:"))
    if is_postgres_url(text) or not looks_like_one:
        return
    raise InputError(
        f"--store {text.partition(':')[0]}:...: not a store's location; a PostgreSQL store's URL "
        "begins postgresql:// (in lower case), and anything else is a file's path"
    )
