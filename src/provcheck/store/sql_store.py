"""What the SQL stores share: every `Store` method written in the SQL both SQLite and PostgreSQL
read (`?` placeholders, `INSERT ... ON CONFLICT`), over the store's connection (`_sql`), and the
case files' and the service's rows handed to their tables (`provcheck.store.case_tables`,
`provcheck.store.service_tables`). `LocalStore` and `PostgresStore` inherit it; what each
database says its own way -- writing records and their text index, searching text, taking a job,
reading records in bulk -- is each store's.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from provcheck.images.descriptor_index import INDEXED_DESCRIPTORS, INDEXED_FILLING, DescriptorIndex
from provcheck.images.hash_scan import nearest_owners
from provcheck.images.verification import LocalFeatures, features_from_bytes, features_to_bytes
from provcheck.model.record import Record
from provcheck.store.case_tables import CaseTables
from provcheck.store.feature_index import saved_descriptor_index
from provcheck.store.interface import (
    ImportLog,
    MirrorState,
    Store,
    StoredAlert,
    StoredApiKey,
    StoredCase,
    StoredDelivery,
    StoredHook,
    StoredJob,
    StoredReport,
    StoredSession,
    StoredWatch,
)
from provcheck.store.service_tables import ServiceTables
from provcheck.store.sql_rows import Connection

__all__ = ["SqlStore", "now", "origin", "to_signed"]

# The records kept read, the most recently found, each of at most so many characters of JSON
# (at most some 30 MB of it; a register's record is a few thousand).
_PARSED_RECORDS = 2_048
_PARSED_LONGEST = 16_000


def now() -> str:
    """Now, as the stores write times: ISO 8601 in UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def origin(mirrored: bool) -> str:
    """Who wrote a record: a `mirror` of its register, or an `import`."""
    return "mirror" if mirrored else "import"


def to_signed(fingerprint: str) -> int:
    """A 64-bit hash as a signed 64-bit integer (SQLite's INTEGER, PostgreSQL's BIGINT): its
    two's complement."""
    value = int(fingerprint, 16)
    return value - (1 << 64) if value >= 1 << 63 else value


class SqlStore(Store):
    """A store in a SQL database: the subclass opens `_sql`, `_cases` and `_service`, and calls
    `_start_caches()`."""

    _sql: Connection
    _cases: CaseTables
    _service: ServiceTables

    def _start_caches(self) -> None:
        # What is kept in memory of the records, each as of the generation it was read at.
        self._image_index: tuple[int, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._features_index: tuple[int, DescriptorIndex] | None = None
        self._counts: tuple[int, dict[str, int]] | None = None
        self._parsed: OrderedDict[int, tuple[str, Record]] = OrderedDict()
        self._prepared_at = self._version()

    def _forget_caches(self) -> None:
        """After a transaction: what was read inside it may have been rolled back."""
        self._image_index = None
        self._features_index = None
        self._counts = None

    @property
    def index_folder(self) -> Path:
        """Where the local-feature index is saved (each store's own place)."""
        raise NotImplementedError

    def _index_tag(self, version: int) -> str:
        """What the saved index must say it was built from to be taken as current."""
        raise NotImplementedError

    def _descriptor_index(self) -> DescriptorIndex:
        """The retrieval index of the record images' descriptors, each owned by its record's row
        id: the saved one if current, else built (and saved); read again when the generation
        has moved."""
        version = self._version()
        if self._features_index is None or self._features_index[0] != version:

            def rows() -> list[tuple[int, bytes]]:
                # An image stored when the index kept fewer descriptors an image has all of
                # them in its kept features: the index takes its first ones from there.
                found = self._sql.execute(
                    "SELECT ri.record, d.descriptors,"
                    " CASE WHEN length(d.descriptors) < ? THEN f.features END"
                    " FROM record_images ri JOIN image_descriptors d ON d.sha256 = ri.sha256"
                    " LEFT JOIN image_features f ON f.sha256 = ri.sha256",
                    (INDEXED_DESCRIPTORS * 32,),
                ).fetchall()
                return [(row, _indexed(bytes(kept), more)) for row, kept, more in found]

            tag = self._index_tag(version)
            self._features_index = (version, saved_descriptor_index(self.index_folder, tag, rows))
        return self._features_index[1]

    def import_finished(self, import_id: int) -> bool:
        """Whether the import of that id was committed to the end."""
        row = self._sql.execute(
            "SELECT finished_at FROM imports WHERE id = ?", (import_id,)
        ).fetchone()
        return row is not None and row[0] is not None

    def has_image(self, sha256: str) -> bool:
        return (
            self._sql.execute("SELECT 1 FROM images WHERE sha256 = ?", (sha256,)).fetchone()
            is not None
        )

    def image_fingerprints(self, sha256: str) -> dict[str, str] | None:
        row = self._sql.execute(
            "SELECT phash, dhash FROM images WHERE sha256 = ?", (sha256,)
        ).fetchone()
        if row is None:
            return None
        return {"phash": f"{row[0] & (2**64 - 1):016x}", "dhash": f"{row[1] & (2**64 - 1):016x}"}

    def put_image(
        self,
        sha256: str,
        fingerprints: dict[str, str],
        *,
        size: tuple[int, int],
        thumbnail: bytes,
        features: LocalFeatures | None = None,
    ) -> None:
        """Keep an image's fingerprints, local features and a bounded copy; committed at once
        (it is a cache). The strongest features go into the retrieval index; all of them are kept
        for verification, so that a check need not decode and describe the image again."""
        self._sql.execute(
            "INSERT INTO images (sha256, phash, dhash, width, height, thumbnail)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (
                sha256,
                to_signed(fingerprints["phash"]),
                to_signed(fingerprints["dhash"]),
                size[0],
                size[1],
                thumbnail,
            ),
        )
        if features is not None and len(features.descriptors):
            self._keep_features(sha256, features, replacing=False)

    def _keep_features(self, sha256: str, features: LocalFeatures, *, replacing: bool) -> None:
        """An image's local features and its share of the retrieval index: kept the first time,
        or `replacing` those kept."""
        indexed = np.ascontiguousarray(
            features.indexed(INDEXED_DESCRIPTORS, INDEXED_FILLING), dtype=np.uint8
        )
        for table, column, value in (
            ("image_descriptors", "descriptors", indexed.tobytes()),
            ("image_features", "features", features_to_bytes(features)),
        ):
            kept = (
                f"(sha256) DO UPDATE SET {column} = excluded.{column}"
                if replacing
                else "DO NOTHING"
            )
            self._sql.execute(
                f"INSERT INTO {table} (sha256, {column}) VALUES (?, ?) ON CONFLICT {kept}",
                (sha256, value),
            )

    def image_features(self, sha256: str) -> LocalFeatures | None:
        """The local features kept for an image at import (None for images stored before they
        were kept, or without any)."""
        row = self._sql.execute(
            "SELECT features FROM image_features WHERE sha256 = ?", (sha256,)
        ).fetchone()
        return None if row is None else features_from_bytes(bytes(row[0]))

    def thumbnail(self, sha256: str) -> bytes | None:
        row = self._sql.execute(
            "SELECT thumbnail FROM images WHERE sha256 = ?", (sha256,)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def image_digests(self) -> list[str]:
        rows = self._sql.execute("SELECT sha256 FROM images ORDER BY sha256").fetchall()
        return [str(row[0]) for row in rows]

    def replace_image_features(self, sha256: str, features: LocalFeatures) -> None:
        self._keep_features(sha256, features, replacing=True)
        # A saved retrieval index names what it was built from (`_index_tag`); the same number
        # of images described anew must not pass for it.
        self._sql.execute(
            "INSERT INTO meta (key, value) VALUES ('features_revision', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (uuid.uuid4().hex,),
        )

    def get(self, registry: str, record_id: str) -> Record | None:
        row = self._sql.execute(
            "SELECT record_json FROM records WHERE registry = ? AND record_id = ?",
            (registry, record_id),
        ).fetchone()
        return None if row is None else Record.model_validate_json(row[0])

    def count(self, registry: str | None = None) -> int:
        if registry is None:
            row = self._sql.execute(
                "SELECT count(*) FROM records WHERE removed_at IS NULL"
            ).fetchone()
        else:
            row = self._sql.execute(
                "SELECT count(*) FROM records WHERE registry = ? AND removed_at IS NULL",
                (registry,),
            ).fetchone()
        return int(row[0])

    def _records_of(self, rows: Iterable[tuple[int, str]]) -> list[Record]:
        """The records of (row id, record JSON) rows, each read once while its JSON stays the
        same: the same records are candidates check after check, and reading one costs more than
        finding it. Kept by the JSON just read, not by the generation, which another connection
        may move between the query and now. (Records are frozen: one object serves every caller.)"""
        parsed = self._parsed
        records = []
        for row_id, text in rows:
            kept = parsed.get(row_id)
            if kept is not None and kept[0] == text:
                parsed.move_to_end(row_id)
                record = kept[1]
            else:
                record = Record.model_validate_json(text)
                if len(text) <= _PARSED_LONGEST:  # a record with its images inline is not kept
                    parsed[row_id] = (text, record)
                    if len(parsed) > _PARSED_RECORDS:
                        parsed.popitem(last=False)
            records.append(record)
        return records

    def search_images(
        self,
        fingerprints: Sequence[dict[str, str]],
        *,
        limit: int,
        max_distance: int,
        registries: Sequence[str] | None = None,
    ) -> list[tuple[Record, int]]:
        """Records with an image within `max_distance` bits of any query image, nearest first."""
        if not fingerprints:
            return []  # without reading the stored hashes
        record_ids, phashes, dhashes = self._images()
        found = nearest_owners(
            record_ids, {"phash": phashes, "dhash": dhashes}, fingerprints, max_distance
        )
        return self._ranked_records(found, limit, registries)

    def search_by_features(
        self,
        descriptors: Sequence[np.ndarray],
        *,
        limit: int,
        min_votes: int,
        registries: Sequence[str] | None = None,
    ) -> list[tuple[Record, int]]:
        """Records whose images share many local features with a query image, most first."""
        if not descriptors:
            return []  # without reading the index
        index = self._descriptor_index()
        # Each image's best showing over the query's photographs and their readings (each
        # reading's sizes one array: see `verification.retrieval_descriptors`), by weight.
        votes: dict[int, tuple[float, int]] = {}
        for query in descriptors:
            for row_id, count, weight in index.weighted_votes(
                query, limit=limit * 2, min_votes=min_votes
            ):
                votes[row_id] = max(votes.get(row_id, (0.0, 0)), (weight, count))
        ranked = sorted(votes.items(), key=lambda item: -item[1][0])
        return self._ranked_records([(row, count) for row, (_, count) in ranked], limit, registries)

    def _ranked_records(
        self, ranked: list[tuple[int, int]], limit: int, registries: Sequence[str] | None
    ) -> list[tuple[Record, int]]:
        """The records of (row id, measure) pairs, in that order, of the named registers only."""
        results: list[tuple[Record, int]] = []
        for row_id, measure in ranked:
            row = self._sql.execute(
                "SELECT record_json, registry FROM records WHERE id = ? AND removed_at IS NULL",
                (row_id,),
            ).fetchone()
            if row is None or (registries is not None and row[1] not in registries):
                continue
            results.append((self._records_of([(row_id, row[0])])[0], measure))
            if len(results) >= limit:
                break
        return results

    def _version(self) -> int:
        """The records' generation (see the store's schema): what is kept in memory of them is
        current while it stays the same."""
        return int(self._sql.execute("SELECT n FROM records_generation").fetchone()[0])

    def _images(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        version = self._version()
        if self._image_index is None or self._image_index[0] != version:
            rows = self._sql.execute(
                "SELECT ri.record, i.phash, i.dhash FROM record_images ri"
                " JOIN images i ON i.sha256 = ri.sha256"
            ).fetchall()
            record_ids = np.array([r[0] for r in rows], dtype=np.int64)
            phashes = np.array([r[1] for r in rows], dtype=np.int64).view(np.uint64)
            dhashes = np.array([r[2] for r in rows], dtype=np.int64).view(np.uint64)
            self._image_index = (version, record_ids, phashes, dhashes)
        return self._image_index[1], self._image_index[2], self._image_index[3]

    def mirror_state(self, registry: str) -> MirrorState | None:
        """When the mirror of `registry` was last synced to the end, and how far it reached."""
        row = self._sql.execute(
            "SELECT value FROM meta WHERE key = ?", (f"mirror:{registry}",)
        ).fetchone()
        return None if row is None else MirrorState(**json.loads(row[0]))

    def set_mirror_state(self, registry: str, state: MirrorState) -> None:
        self._sql.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (f"mirror:{registry}", json.dumps(vars(state))),
        )

    def record_ids(self, registry: str, *, mirrored: bool | None = None) -> set[str]:
        """The ids of the records of `registry` the store holds (not marked removed); with
        `mirrored`, only those a mirror wrote (True) or an import wrote (False)."""
        sql = "SELECT record_id FROM records WHERE registry = ? AND removed_at IS NULL"
        parameters: tuple[str, ...] = (registry,)
        if mirrored is not None:
            sql, parameters = sql + " AND origin = ?", (registry, origin(mirrored))
        return {row[0] for row in self._sql.execute(sql, parameters).fetchall()}

    def record_ids_not_from(self, registry: str, source: str) -> set[str]:
        """The ids of every record of `registry` (removed ones too) that an import of `source`
        (a file's resolved path) did not write last: mirrored ones, and other files'."""
        rows = self._sql.execute(
            "SELECT r.record_id FROM records r LEFT JOIN imports i ON i.id = r.import_id"
            " WHERE r.registry = ? AND (r.origin != 'import' OR i.source IS NULL"
            " OR i.source != ?)",
            (registry, source),
        ).fetchall()
        return {row[0] for row in rows}

    def removed_records(self, registry: str) -> list[tuple[Record, str]]:
        rows = self._sql.execute(
            "SELECT record_json, removed_at FROM records WHERE registry = ?"
            " AND removed_at IS NOT NULL ORDER BY removed_at, record_id",
            (registry,),
        ).fetchall()
        return [(Record.model_validate_json(row[0]), str(row[1])) for row in rows]

    def withdraw_record(self, registry: str, record_id: str) -> bool:
        # One statement: inside the caller's transaction (with the history entry that says
        # why), or in one of its own.
        within = self._sql.in_transaction
        with contextlib.nullcontext() if within else self.transaction():
            cursor = self._sql.execute(
                "UPDATE records SET removed_at = ? WHERE registry = ? AND record_id = ?"
                " AND removed_at IS NULL",
                (now(), registry, record_id),
            )
        return cursor.rowcount > 0

    def imports(self) -> list[ImportLog]:
        rows = self._sql.execute(
            "SELECT id, source, started_at, finished_at, added, updated, skipped FROM imports"
            " WHERE finished_at IS NOT NULL ORDER BY id"
        ).fetchall()
        return [ImportLog(*row) for row in rows]

    # Case files and the service's rows ---------------------------------------------------

    def add_case(self, case_id: str, title: str, created_at: str) -> None:
        self._cases.add_case(case_id, title, created_at)

    def has_case(self, case_id: str) -> bool:
        return self._cases.has_case(case_id)

    def cases(self) -> list[StoredCase]:
        return self._cases.cases()

    def add_case_entry(self, case_id: str, sequence: int, entry_json: str) -> None:
        self._cases.add_case_entry(case_id, sequence, entry_json)

    def case_entries(self, case_id: str) -> list[tuple[object, object]]:
        return self._cases.case_entries(case_id)

    def last_case_entry(self, case_id: str) -> tuple[object, object] | None:
        return self._cases.last_case_entry(case_id)

    def case_head(self, case_id: str) -> str | None:
        return self._cases.case_head(case_id)

    def set_case_head(self, case_id: str, head_json: str) -> None:
        self._cases.set_case_head(case_id, head_json)

    def put_case_file(self, sha256: str, data: bytes) -> None:
        self._cases.put_case_file(sha256, data)

    def case_file(self, sha256: str) -> bytes | None:
        return self._cases.case_file(sha256)

    # The service -----------------------------------------------------------------------------

    def add_api_key(self, key: StoredApiKey) -> None:
        self._service.add_api_key(key)

    def api_key(self, key_id: str) -> StoredApiKey | None:
        return self._service.api_key(key_id)

    def api_keys(self) -> list[StoredApiKey]:
        return self._service.api_keys()

    def revoke_api_key(self, key_id: str, revoked_at: str) -> bool:
        return self._service.revoke_api_key(key_id, revoked_at)

    def put_report(self, report: StoredReport, report_json: str) -> None:
        self._service.put_report(report, report_json)

    def report_json(self, report_id: str) -> str | None:
        return self._service.report_json(report_id)

    def reports(self, *, limit: int, offset: int = 0) -> list[StoredReport]:
        return self._service.reports(limit=limit, offset=offset)

    def add_job(self, job: StoredJob) -> None:
        self._service.add_job(job)

    def job(self, job_id: str) -> StoredJob | None:
        return self._service.job(job_id)

    def jobs(self, *, kind: str | None = None, limit: int, offset: int = 0) -> list[StoredJob]:
        return self._service.jobs(kind=kind, limit=limit, offset=offset)

    def update_job(self, job_id: str, updated_at: str, **changes: str | None) -> None:
        self._service.update_job(job_id, updated_at, **changes)

    def add_hook(self, hook: StoredHook) -> None:
        self._service.add_hook(hook)

    def hooks(self) -> list[StoredHook]:
        return self._service.hooks()

    def remove_hook(self, hook_id: str, removed_at: str) -> bool:
        return self._service.remove_hook(hook_id, removed_at)

    def add_delivery(self, delivery: StoredDelivery) -> None:
        self._service.add_delivery(delivery)

    def due_deliveries(self, now: str, *, limit: int) -> list[StoredDelivery]:
        return self._service.due_deliveries(now, limit=limit)

    def update_delivery(self, delivery: StoredDelivery) -> None:
        self._service.update_delivery(delivery)

    def deliveries(self, hook_id: str, *, limit: int) -> list[StoredDelivery]:
        return self._service.deliveries(hook_id, limit=limit)

    def watch(self, watch: StoredWatch) -> bool:
        return self._service.watch(watch)

    def unwatch(self, case_id: str) -> bool:
        return self._service.unwatch(case_id)

    def watches(self) -> list[StoredWatch]:
        return self._service.watches()

    def add_alert(self, alert: StoredAlert) -> bool:
        return self._service.add_alert(alert)

    def alerts(self, *, limit: int, offset: int = 0) -> list[StoredAlert]:
        return self._service.alerts(limit=limit, offset=offset)

    def records_updated_since(self, registry: str, since: str) -> set[str]:
        return self._service.records_updated_since(registry, since)

    def add_session(self, session: StoredSession) -> None:
        self._service.add_session(session)

    def session(self, digest: str, now: str) -> StoredSession | None:
        return self._service.session(digest, now)

    def end_session(self, digest: str) -> None:
        self._service.end_session(digest)


def _indexed(kept: bytes, features: bytes | None) -> bytes:
    """An image's descriptors for the index: those kept for it, or the first of its kept
    features when these hold more (see `INDEXED_DESCRIPTORS`)."""
    if features is None:
        return kept
    try:
        descriptors = features_from_bytes(bytes(features)).indexed(
            INDEXED_DESCRIPTORS, INDEXED_FILLING
        )
    except ValueError:
        return kept  # unreadable kept features: the index keeps what it has
    return descriptors.tobytes() if len(descriptors) * 32 > len(kept) else kept
