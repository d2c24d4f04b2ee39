"""The service's tables in a store's SQLite file: API keys (their digests, never the keys) and
the reports of the checks made through the service.

Made the first time a store is used by the service, as the case tables are. What the rows mean
-- which role may do what, how a key is checked -- is `provcheck.service`'s business.
"""

from __future__ import annotations

import sqlite3

from provcheck.store.interface import JOB_CHANGES, StoredApiKey, StoredJob, StoredReport
from provcheck.store.sqlite_file import sqlite_transaction

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
    """CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    run_after TEXT NOT NULL,
    request_json TEXT NOT NULL,
    requested_by TEXT,
    progress_json TEXT,
    result_json TEXT,
    error TEXT,
    lease_until TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
)""",
    "CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, run_after)",
)

_JOB_COLUMNS = (
    "job_id, kind, state, created_at, updated_at, run_after, request_json, requested_by,"
    " progress_json, result_json, error, lease_until, attempts"
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

    def add_job(self, job: StoredJob) -> None:
        self._db.execute(
            f"INSERT INTO jobs ({_JOB_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.job_id,
                job.kind,
                job.state,
                job.created_at,
                job.updated_at,
                job.run_after,
                job.request_json,
                job.requested_by,
                job.progress_json,
                job.result_json,
                job.error,
                job.lease_until,
                job.attempts,
            ),
        )

    def job(self, job_id: str) -> StoredJob | None:
        row = self._db.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE job_id = ?", (job_id,))
        found = row.fetchone()
        return StoredJob(*found) if found else None

    def jobs(self, *, kind: str | None, limit: int, offset: int) -> list[StoredJob]:
        where, given = ("WHERE kind = ?", (kind,)) if kind is not None else ("", ())
        rows = self._db.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs {where} ORDER BY created_at DESC, job_id"
            " LIMIT ? OFFSET ?",
            (*given, limit, offset),
        )
        return [StoredJob(*row) for row in rows.fetchall()]

    def claim_job(self, now: str, lease_until: str) -> StoredJob | None:
        db = self._db
        with sqlite_transaction(db):  # BEGIN IMMEDIATE: no other worker between look and take
            row = db.execute(
                "SELECT job_id FROM jobs WHERE (state = 'queued' AND run_after <= ?)"
                " OR (state = 'running' AND lease_until < ?) ORDER BY run_after, created_at"
                " LIMIT 1",
                (now, now),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET state = 'running', lease_until = ?, updated_at = ?,"
                " attempts = attempts + 1 WHERE job_id = ?",
                (lease_until, now, row[0]),
            )
        return self.job(row[0])

    def update_job(self, job_id: str, updated_at: str, **changes: str | None) -> None:
        unknown = set(changes) - JOB_CHANGES
        if unknown:
            raise ValueError(f"a job has no field {sorted(unknown)[0]!r} to change")
        columns = ", ".join(f"{name} = ?" for name in changes)
        self._db.execute(
            f"UPDATE jobs SET {columns}{', ' if columns else ''}updated_at = ? WHERE job_id = ?",
            (*changes.values(), updated_at, job_id),
        )
