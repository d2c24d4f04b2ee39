"""The service's tables in a store: API keys (their digests, never the keys), the reports of the
checks made through the service, its jobs, webhooks, watches, alerts and sessions.

In a SQLite store they are made the first time it is used by the service, as the case tables are. What the rows mean
-- which role may do what, how a key is checked -- is `provcheck.service`'s business.
"""

from __future__ import annotations

import json

from provcheck.store.interface import (
    JOB_CHANGES,
    StoredAlert,
    StoredApiKey,
    StoredDelivery,
    StoredHook,
    StoredJob,
    StoredReport,
    StoredSession,
    StoredWatch,
)
from provcheck.store.sql_rows import TablesOfTheirOwn

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
    """CREATE TABLE IF NOT EXISTS hooks (
    hook_id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    events_json TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT,
    removed_at TEXT
)""",
    """CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id TEXT PRIMARY KEY,
    hook_id TEXT NOT NULL REFERENCES hooks(hook_id),
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    delivered_at TEXT
)""",
    "CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at)",
    """CREATE TABLE IF NOT EXISTS watches (
    case_id TEXT PRIMARY KEY,
    watched_at TEXT NOT NULL,
    watched_by TEXT
)""",
    """CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    registry TEXT NOT NULL,
    record_id TEXT NOT NULL,
    score REAL NOT NULL,
    created_at TEXT NOT NULL,
    summary TEXT NOT NULL,
    UNIQUE (case_id, registry, record_id)
)""",
    """CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
)""",
)

_HOOK_COLUMNS = "hook_id, url, events_json, secret, created_at, created_by, removed_at"
_DELIVERY_COLUMNS = (
    "delivery_id, hook_id, event, body, state, created_at, next_attempt_at, attempts,"
    " last_status, last_error, delivered_at"
)
_ALERT_COLUMNS = "alert_id, case_id, registry, record_id, score, created_at, summary"

_JOB_COLUMNS = (
    "job_id, kind, state, created_at, updated_at, run_after, request_json, requested_by,"
    " progress_json, result_json, error, lease_until, attempts"
)

_KEY_COLUMNS = "key_id, holder, role, digest, created_at, revoked_at"


class ServiceTables(TablesOfTheirOwn):
    """The service rows of one store's connection (`STATEMENTS`: SQLite's tables for them)."""

    STATEMENTS: tuple[str, ...] = _SERVICE_TABLES

    # `claim_job` is each store's: taking a job as one step is said differently in each.

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

    def update_job(self, job_id: str, updated_at: str, **changes: str | None) -> None:
        unknown = set(changes) - JOB_CHANGES
        if unknown:
            raise ValueError(f"a job has no field {sorted(unknown)[0]!r} to change")
        columns = ", ".join(f"{name} = ?" for name in changes)
        self._db.execute(
            f"UPDATE jobs SET {columns}{', ' if columns else ''}updated_at = ? WHERE job_id = ?",
            (*changes.values(), updated_at, job_id),
        )

    def add_hook(self, hook: StoredHook) -> None:
        self._db.execute(
            f"INSERT INTO hooks ({_HOOK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                hook.hook_id,
                hook.url,
                json.dumps(list(hook.events)),
                hook.secret,
                hook.created_at,
                hook.created_by,
                hook.removed_at,
            ),
        )

    def hooks(self) -> list[StoredHook]:
        rows = self._db.execute(
            f"SELECT {_HOOK_COLUMNS} FROM hooks WHERE removed_at IS NULL"
            " ORDER BY created_at, hook_id"
        )
        return [
            StoredHook(r[0], r[1], tuple(json.loads(r[2])), r[3], r[4], r[5], r[6])
            for r in rows.fetchall()
        ]

    def remove_hook(self, hook_id: str, removed_at: str) -> bool:
        cursor = self._db.execute(
            "UPDATE hooks SET removed_at = ? WHERE hook_id = ? AND removed_at IS NULL",
            (removed_at, hook_id),
        )
        return cursor.rowcount > 0

    def add_delivery(self, delivery: StoredDelivery) -> None:
        self._db.execute(
            f"INSERT INTO deliveries ({_DELIVERY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _delivery_row(delivery),
        )

    def due_deliveries(self, now: str, *, limit: int) -> list[StoredDelivery]:
        rows = self._db.execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE state = 'pending'"
            " AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT ?",
            (now, limit),
        )
        return [StoredDelivery(*row) for row in rows.fetchall()]

    def update_delivery(self, delivery: StoredDelivery) -> None:
        self._db.execute(
            "UPDATE deliveries SET state = ?, next_attempt_at = ?, attempts = ?, last_status = ?,"
            " last_error = ?, delivered_at = ? WHERE delivery_id = ?",
            (
                delivery.state,
                delivery.next_attempt_at,
                delivery.attempts,
                delivery.last_status,
                delivery.last_error,
                delivery.delivered_at,
                delivery.delivery_id,
            ),
        )

    def deliveries(self, hook_id: str, *, limit: int) -> list[StoredDelivery]:
        rows = self._db.execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE hook_id = ?"
            " ORDER BY created_at DESC, delivery_id LIMIT ?",
            (hook_id, limit),
        )
        return [StoredDelivery(*row) for row in rows.fetchall()]

    def watch(self, watch: StoredWatch) -> bool:
        cursor = self._db.execute(
            "INSERT INTO watches (case_id, watched_at, watched_by) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (watch.case_id, watch.watched_at, watch.watched_by),
        )
        return cursor.rowcount > 0

    def unwatch(self, case_id: str) -> bool:
        cursor = self._db.execute("DELETE FROM watches WHERE case_id = ?", (case_id,))
        return cursor.rowcount > 0

    def watches(self) -> list[StoredWatch]:
        rows = self._db.execute(
            "SELECT case_id, watched_at, watched_by FROM watches ORDER BY watched_at, case_id"
        )
        return [StoredWatch(*row) for row in rows.fetchall()]

    def add_alert(self, alert: StoredAlert) -> bool:
        cursor = self._db.execute(
            f"INSERT INTO alerts ({_ALERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (
                alert.alert_id,
                alert.case_id,
                alert.registry,
                alert.record_id,
                alert.score,
                alert.created_at,
                alert.summary,
            ),
        )
        return cursor.rowcount > 0

    def alerts(self, *, limit: int, offset: int) -> list[StoredAlert]:
        rows = self._db.execute(
            f"SELECT {_ALERT_COLUMNS} FROM alerts ORDER BY created_at DESC, alert_id"
            " LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [StoredAlert(*row) for row in rows.fetchall()]

    def records_updated_since(self, registry: str, since: str) -> set[str]:
        # Records keep their time to the second: compared to the second, so that a record
        # written in the very second `since` names is not missed.
        rows = self._db.execute(
            "SELECT record_id FROM records WHERE registry = ? AND removed_at IS NULL"
            " AND substr(updated_at, 1, 19) >= substr(?, 1, 19)",
            (registry, since),
        )
        return {str(row[0]) for row in rows.fetchall()}

    def add_session(self, session: StoredSession) -> None:
        # Sessions that ended go as new ones come: the table holds the living ones.
        self._db.execute("DELETE FROM sessions WHERE expires_at < ?", (session.created_at,))
        self._db.execute(
            "INSERT INTO sessions (digest, key_id, csrf, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                session.digest,
                session.key_id,
                session.csrf,
                session.created_at,
                session.expires_at,
            ),
        )

    def session(self, digest: str, now: str) -> StoredSession | None:
        row = self._db.execute(
            "SELECT digest, key_id, csrf, created_at, expires_at FROM sessions"
            " WHERE digest = ? AND expires_at > ?",
            (digest, now),
        ).fetchone()
        return StoredSession(*row) if row else None

    def end_session(self, digest: str) -> None:
        self._db.execute("DELETE FROM sessions WHERE digest = ?", (digest,))


def _delivery_row(delivery: StoredDelivery) -> tuple[object, ...]:
    return (
        delivery.delivery_id,
        delivery.hook_id,
        delivery.event,
        delivery.body,
        delivery.state,
        delivery.created_at,
        delivery.next_attempt_at,
        delivery.attempts,
        delivery.last_status,
        delivery.last_error,
        delivery.delivered_at,
    )
