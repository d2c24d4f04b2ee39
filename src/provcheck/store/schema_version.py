"""The version of the stores' schema this program reads and writes, the same for SQLite and
PostgreSQL: a store of another version is refused with what to do about it."""

from __future__ import annotations

from provcheck.errors import InputError

__all__ = ["SCHEMA_VERSION", "refuse_other_version"]

# 1: the first stores (their tables grew in place, made as they were first used).
# 2: every store knows its migrations (`schema_migrations`); records indexed by time of change.
SCHEMA_VERSION = 2


def refuse_other_version(version: int, where: str) -> None:
    """`InputError` unless a store of `version` is one this program reads."""
    if version > SCHEMA_VERSION:
        raise InputError(
            f"{where}: store schema {version} was written by a newer provcheck; this one reads "
            f"schema {SCHEMA_VERSION}: upgrade provcheck"
        )
    if version < SCHEMA_VERSION:
        raise InputError(
            f"{where}: store schema {version} is older than this provcheck's "
            f"({SCHEMA_VERSION}); run `provcheck store upgrade --store {where}` (once, for "
            "everyone who uses the store; back it up first)"
        )
