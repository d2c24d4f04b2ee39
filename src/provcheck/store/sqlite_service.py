"""The service's tables in a store's SQLite file: API keys (their digests, never the keys) and
the reports of the checks made through the service.

Made the first time a store is used by the service, as the case tables are. What the rows mean
-- which role may do what, how a key is checked -- is `provcheck.service`'s business.
"""

from __future__ import annotations

import sqlite3

from provcheck.store.interface import StoredApiKey, StoredReport

__all__ = ["ServiceTables"]

_SERVICE_TABLES = (
    """CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    role TEXT NOT NULL,
    digest TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
)""",
    """CREATE TABLE IF NOT EXISTS reports (
    report_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    conclusion TEXT NOT NULL,
    requested_by TEXT,
    report_json TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS reports_by_time ON reports (created_at)",
)

_KEY_COLUMNS = "key_id, holder, role, digest, created_at, revoked_at"


class ServiceTables:
    """The service rows of one store's connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._connection = db
        self._made = False

    @property
    def _db(self) -> sqlite3.Connection:
        if not self._made:
            for statement in _SERVICE_TABLES:
                self._connection.execute(statement)
            # Made inside a transaction, they go if it is rolled back: made again next time.
            self._made = not self._connection.in_transaction
        return self._connection

    def add_api_key(self, key: StoredApiKey) -> None:
        self._db.execute(
            f"INSERT INTO api_keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            (key.key_id, key.holder, key.role, key.digest, key.created_at, key.revoked_at),
        )

    def api_key(self, key_id: str) -> StoredApiKey | None:
        row = self._db.execute(
            f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_id = ?", (key_id,)
        ).fetchone()
        return StoredApiKey(*row) if row else None

    def api_keys(self) -> list[StoredApiKey]:
        rows = self._db.execute(f"SELECT {_KEY_COLUMNS} FROM api_keys ORDER BY created_at, key_id")
        return [StoredApiKey(*row) for row in rows.fetchall()]

    def revoke_api_key(self, key_id: str, revoked_at: str) -> bool:
        cursor = self._db.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
            (revoked_at, key_id),
        )
        return cursor.rowcount > 0

    def put_report(self, report: StoredReport, report_json: str) -> None:
        self._db.execute(
            "INSERT INTO reports (report_id, created_at, conclusion, requested_by, report_json)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                report.report_id,
                report.created_at,
                report.conclusion,
                report.requested_by,
                report_json,
            ),
        )

    def report_json(self, report_id: str) -> str | None:
        row = self._db.execute(
            "SELECT report_json FROM reports WHERE report_id = ?", (report_id,)
        ).fetchone()
        return str(row[0]) if row else None

    def reports(self, *, limit: int, offset: int) -> list[StoredReport]:
        rows = self._db.execute(
            "SELECT report_id, created_at, conclusion, requested_by FROM reports"
            " ORDER BY created_at DESC, report_id LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [StoredReport(*row) for row in rows.fetchall()]
