"""Rows kept alike in SQLite and PostgreSQL: what the case files' and the service's tables need of
a connection, so that one class keeps each set of rows in both stores.

Their statements are written in the SQL both databases read (`?` placeholders, which the
PostgreSQL store turns into its own; `INSERT ... ON CONFLICT`); what differs -- making the tables,
taking a job as one step -- is each store's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["Connection", "Cursor", "TablesOfTheirOwn"]


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """The part of a DB-API connection the rows use (sqlite3's, or the PostgreSQL store's)."""

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Cursor: ...

    @property
    def in_transaction(self) -> bool: ...


class TablesOfTheirOwn:
    """Tables a store has only once it is used for them (cases, the service): made on first use,
    so that a store never used so has none, as it always had. `STATEMENTS` make them (none where
    the store's schema holds them from the start)."""

    STATEMENTS: tuple[str, ...] = ()

    def __init__(self, db: Connection) -> None:
        self._connection = db
        self._made = not self.STATEMENTS

    @property
    def connection(self) -> Connection:
        """The connection, its tables made."""
        return self._db

    @property
    def _db(self) -> Connection:
        if not self._made:
            for statement in self.STATEMENTS:
                self._connection.execute(statement)
            # Made inside a transaction, they go if it is rolled back: made again next time.
            self._made = not self._connection.in_transaction
        return self._connection
