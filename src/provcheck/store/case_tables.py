"""The case files' tables in a store: cases, their entries, heads and attachments.

In a SQLite store the tables are made the first time it is used for cases (a store never used
for them has none, as it always had); a PostgreSQL store has them from the start. What the rows mean -- the hash chain, the signatures -- is
`provcheck.cases`'s business; here they are only kept.
"""

from __future__ import annotations

from provcheck.store.interface import StoredCase
from provcheck.store.sql_rows import TablesOfTheirOwn

__all__ = ["CaseTables"]

_CASE_TABLES = (
    "CREATE TABLE IF NOT EXISTS cases"
    " (id TEXT PRIMARY KEY, title TEXT NOT NULL, created_at TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS case_entries (
    case_id TEXT NOT NULL REFERENCES cases(id),
    sequence INTEGER NOT NULL,
    entry_json TEXT NOT NULL,
    PRIMARY KEY (case_id, sequence)
)""",
    "CREATE TABLE IF NOT EXISTS case_files (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS case_heads (case_id TEXT PRIMARY KEY, head_json TEXT NOT NULL)",
)


class CaseTables(TablesOfTheirOwn):
    """The case rows of one store's connection (`STATEMENTS`: SQLite's tables for them)."""

    STATEMENTS: tuple[str, ...] = _CASE_TABLES

    def add_case(self, case_id: str, title: str, created_at: str) -> None:
        self._db.execute(
            "INSERT INTO cases (id, title, created_at) VALUES (?, ?, ?)",
            (case_id, title, created_at),
        )

    def has_case(self, case_id: str) -> bool:
        return (
            self._db.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone() is not None
        )

    def cases(self) -> list[StoredCase]:
        rows = self._db.execute("SELECT id, title, created_at FROM cases ORDER BY created_at, id")
        return [StoredCase(r[0], r[1], r[2]) for r in rows.fetchall()]

    def add_case_entry(self, case_id: str, sequence: int, entry_json: str) -> None:
        self._db.execute(
            "INSERT INTO case_entries (case_id, sequence, entry_json) VALUES (?, ?, ?)",
            (case_id, sequence, entry_json),
        )

    def case_entries(self, case_id: str) -> list[tuple[object, object]]:
        rows = self._db.execute(
            "SELECT sequence, entry_json FROM case_entries WHERE case_id = ? ORDER BY sequence",
            (case_id,),
        ).fetchall()
        return [(sequence, text) for sequence, text in rows]

    def last_case_entry(self, case_id: str) -> tuple[object, object] | None:
        row = self._db.execute(
            "SELECT sequence, entry_json FROM case_entries WHERE case_id = ?"
            " ORDER BY sequence DESC LIMIT 1",
            (case_id,),
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def case_head(self, case_id: str) -> str | None:
        row = self._db.execute(
            "SELECT head_json FROM case_heads WHERE case_id = ?", (case_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def set_case_head(self, case_id: str, head_json: str) -> None:
        self._db.execute(
            "INSERT INTO case_heads (case_id, head_json) VALUES (?, ?)"
            " ON CONFLICT (case_id) DO UPDATE SET head_json = excluded.head_json",
            (case_id, head_json),
        )

    def put_case_file(self, sha256: str, data: bytes) -> None:
        self._db.execute(
            "INSERT INTO case_files (sha256, data) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (sha256, data),
        )

    def case_file(self, sha256: str) -> bytes | None:
        row = self._db.execute("SELECT data FROM case_files WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else bytes(row[0])
