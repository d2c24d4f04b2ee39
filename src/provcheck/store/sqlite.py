"""`LocalStore`: the `Store` in one SQLite file -- records, their text index, images, imports.

It holds records of several registers side by side, each under its register's name (your own
losses, imported lists, mirrors), with their images' fingerprints and bounded copies, and a log of
every import. Text search uses SQLite FTS5 over the Object ID text fields; image search reads the
stored hashes into arrays once and scans them all at once (`provcheck.images.hash_scan`); local
features are searched through an index saved beside the file (`provcheck.store.feature_index`).
The file and its tables are `provcheck.store.sqlite_file`'s, the case files' tables
`provcheck.store.case_tables`'s.

Writes of records happen in transactions the caller opens (`with store.transaction():`), so an
import is all or nothing. Each record remembers where it came from (`origin`): an `import` of a
user's file, or a `mirror` of its register. A mirror owns only what it mirrored: records of the
same register imported from a file are never marked removed by a sync that did not list them.
Image fingerprints are a cache, committed as they are computed, so an interrupted import does not
decode the same photographs again.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from provcheck.images.hash_scan import nearest_images
from provcheck.model.description import ObjectDescription
from provcheck.model.record import Record
from provcheck.store.case_tables import CaseTables
from provcheck.store.feature_index import index_folder
from provcheck.store.file_locks import LockTaken, held_file_lock
from provcheck.store.interface import (
    ImportLog,
    MirrorState,
    StoredJob,
    StoreStats,
)
from provcheck.store.service_tables import ServiceTables
from provcheck.store.sql_store import SqlStore, now, origin
from provcheck.store.sqlite_file import default_store_path, open_store_file, sqlite_transaction
from provcheck.store.text_query import (
    RESPELLINGS,
    TextQuery,
    respellable_words,
    search_text_columns,
    with_makers_share,
)
from provcheck.text.normalise import normalise_text, slips_allowed

__all__ = [
    "ImportLog",
    "LocalStore",
    "MirrorState",
    "StoreStats",
    "default_store_path",
    # Where it was before the scan moved to the images layer (benchmarks import it from here).
    "nearest_images",
]

# bm25 weights, in the column order of records_text: a title or a maker says more than a word in
# a long description.
_BM25_WEIGHTS = "10.0, 8.0, 2.0, 2.0, 6.0, 1.0, 1.0, 8.0"


@dataclass(frozen=True)
class _NameTerms:
    """The words of stored titles and makers, as of one version of the store."""

    version: int
    records_with: dict[str, int]  # normalised word -> records using it
    ordered: list[str]  # the normalised words, sorted
    indexed: dict[str, list[str]]  # normalised word -> how the index wrote it, where it differs


class LocalStore(SqlStore):
    """One SQLite file of records, images and import logs. Open it, use it, `close()` it."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self._db = self._sql = open_store_file(self.path)
        self._cases = CaseTables(self._db)
        self._service = ServiceTables(self._db)
        self._name_terms: _NameTerms | None = None
        self._start_caches()

    @property
    def connection(self) -> sqlite3.Connection:
        """The store's SQLite connection (for tests that change a store by hand). Write inside
        `transaction()`."""
        return self._db

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def index_folder(self) -> Path:
        """Where the local-feature index is saved: beside the store's file."""
        return index_folder(self.path)

    @staticmethod
    def default_path() -> Path:
        """Where the per-user store is when no path is given (it may not exist yet)."""
        return default_store_path()

    def close(self) -> None:
        self._db.close()

    def __repr__(self) -> str:
        return f"<LocalStore {str(self.path)!r}>"

    # Writing ---------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All the record writes inside it happen, or none do."""
        try:
            with sqlite_transaction(self._db):
                yield
        finally:
            # What was read inside it may have been rolled back, the generation with it.
            self._forget_caches()
            self._name_terms = None

    def start_import(self, source: str) -> int:
        cursor = self._db.execute(
            "INSERT INTO imports (source, started_at) VALUES (?, ?)", (source, now())
        )
        return int(cursor.lastrowid or 0)

    def finish_import(self, import_id: int, *, added: int, updated: int, skipped: int) -> None:
        self._db.execute(
            "UPDATE imports SET finished_at = ?, added = ?, updated = ?, skipped = ? WHERE id = ?",
            (now(), added, updated, skipped, import_id),
        )

    def put_record(
        self, record: Record, *, import_id: int | None = None, mirrored: bool = False
    ) -> bool:
        """Store a record, replacing the one with the same register and id. True if it is new.

        `mirrored`: written by a mirror of its register (which then owns it, and may mark it
        removed); otherwise by an import (`import_id`)."""
        written_by = origin(mirrored)
        existing = self._db.execute(
            "SELECT id FROM records WHERE registry = ? AND record_id = ?",
            (record.registry, record.record_id),
        ).fetchone()
        payload = record.model_dump_json()
        if existing is None:
            cursor = self._db.execute(
                "INSERT INTO records (registry, record_id, record_json, import_id, updated_at,"
                " origin) VALUES (?, ?, ?, ?, ?, ?)",
                (record.registry, record.record_id, payload, import_id, now(), written_by),
            )
            row_id = int(cursor.lastrowid or 0)
        else:
            row_id = int(existing[0])
            self._db.execute(
                "UPDATE records SET record_json = ?, import_id = ?, updated_at = ?,"
                " removed_at = NULL, origin = ? WHERE id = ?",
                (payload, import_id, now(), written_by, row_id),
            )
            self._db.execute("DELETE FROM records_text WHERE rowid = ?", (row_id,))
            self._db.execute("DELETE FROM record_images WHERE record = ?", (row_id,))
        self._db.execute(
            "INSERT INTO records_text (rowid, title, makers, object_type, materials, inscriptions,"
            " description, period, numbers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row_id, *search_text_columns(record.description)),
        )
        for position, image in enumerate(record.description.images):
            if image.sha256 and self.has_image(image.sha256):
                self._db.execute(
                    "INSERT INTO record_images (record, position, sha256) VALUES (?, ?, ?)",
                    (row_id, position, image.sha256),
                )
        return existing is None

    # Reading ---------------------------------------------------------------------------------

    def iter_records(self, registry: str | None = None) -> Iterator[Record]:
        """Every record in the store (of one register, if named), in the order they were added."""
        sql = "SELECT record_json FROM records WHERE removed_at IS NULL"
        parameters: tuple[str, ...] = ()
        if registry is not None:
            sql, parameters = sql + " AND registry = ?", (registry,)
        for (payload,) in self._db.execute(sql + " ORDER BY id", parameters).fetchall():
            yield Record.model_validate_json(payload)

    def search_text(
        self, query: ObjectDescription, *, limit: int, registries: Sequence[str] | None = None
    ) -> list[Record]:
        """Records sharing identifying words with the query, best first by BM25: its own words
        anywhere; the stored titles' and makers' words it misspells, in titles and makers; its
        title's words in other languages, in titles (`provcheck.store.text_query`)."""
        looked_for = TextQuery.of(query, self._respelled(query))
        if looked_for is None:
            return []
        indexed = self._as_indexed
        expression = " OR ".join(
            [f'"{word}"' for word in indexed(looked_for.anywhere)]
            + [f'{{title makers}} : "{word}"' for word in indexed(looked_for.respelled)]
            + [f'title : "{form}"' for form in indexed(looked_for.translated)]
            + [f'- title : "{word}"' for word in indexed(looked_for.elsewhere)]
            + [f'title : "{word}" *' for word in looked_for.shortened]
        )
        makers = " OR ".join(
            f'makers : "{word}"' for word in indexed(looked_for.makers + looked_for.respelled)
        )

        def by_maker(share: int, also_other_words: bool) -> list[Record]:
            wanted = f"({makers}) AND ({expression})" if also_other_words else makers
            return self._matching(wanted, share, registries)

        found = self._matching(expression, limit, registries)
        return with_makers_share(found, looked_for, limit, by_maker)

    def _matching(
        self, expression: str, limit: int, registries: Sequence[str] | None
    ) -> list[Record]:
        """The records the full-text `expression` matches, best first by BM25."""
        sql = (
            "SELECT r.id, r.record_json FROM records_text t JOIN records r ON r.id = t.rowid"
            " WHERE records_text MATCH ? AND r.removed_at IS NULL"
        )
        parameters: list[object] = [expression]
        if registries is not None:
            sql += f" AND r.registry IN ({', '.join('?' * len(registries))})"
            parameters += list(registries)
        sql += f" ORDER BY bm25(records_text, {_BM25_WEIGHTS}) LIMIT ?"
        parameters.append(limit)
        rows = self._db.execute(sql, parameters).fetchall()
        return self._records_of(rows)

    def _respelled(self, query: ObjectDescription) -> list[str]:
        """The words of the registers' titles and makers that the query's own title and maker
        words misspell ("Srping Floers": spring, flowers), for the search to find them too."""
        unknown = respellable_words(query)
        if not unknown:
            return []
        terms = self._title_and_maker_terms()
        records_with, ordered = terms.records_with, terms.ordered
        found: list[str] = []
        for word in unknown:
            if word in records_with:
                continue
            slips = slips_allowed(len(word))
            near = process.extract(
                word, ordered, scorer=OSA.distance, score_cutoff=slips, limit=None
            )
            # The closest spellings first, and of those the words most records use: "kisen" is
            # more likely "kissen" (cushion) than "kiesen".
            near.sort(key=lambda match: (match[1], -records_with[match[0]]))
            found += [term for term, _, _ in near[:RESPELLINGS]]
        return found

    def prepare_search(self) -> None:
        # Once the records have settled (no change since the last call): a store that a mirror
        # is filling is not read again whole at every call, holding up the searches meanwhile.
        version = self._version()
        settled, self._prepared_at = version == self._prepared_at, version
        if settled:
            self.stats()
            self._title_and_maker_terms()
            self._images()
            self._descriptor_index()

    def _title_and_maker_terms(self) -> _NameTerms:
        """Every word of the stored titles and makers (from the full-text index's vocabulary),
        read again when the records have changed."""
        version = self._version()
        if self._name_terms is None or self._name_terms.version != version:
            self._db.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.records_terms"
                " USING fts5vocab(main, records_text, col)"
            )
            rows = self._db.execute(
                "SELECT term, sum(doc) FROM temp.records_terms"
                " WHERE col IN ('title', 'makers') GROUP BY term"
            ).fetchall()
            records_with: dict[str, int] = {}
            indexed: dict[str, list[str]] = {}
            for term, count in rows:
                # The index folds case and accents but keeps "ß", "æ", "ø": such a word is
                # searched for as the index wrote it ("schloß" for "Schloss").
                word = term if term.isascii() else normalise_text(term)
                records_with[word] = records_with.get(word, 0) + int(count)
                if word != term:
                    indexed.setdefault(word, []).append(term)
            self._name_terms = _NameTerms(version, records_with, sorted(records_with), indexed)
        return self._name_terms

    def _as_indexed(self, words: Iterable[str]) -> list[str]:
        """`words` (normalised), each with the forms the full-text index wrote it in."""
        indexed = self._title_and_maker_terms().indexed
        return sorted({form for word in words for form in (word, *indexed.get(word, ()))})

    def _index_tag(self, version: int) -> str:
        # Which store, how many images it indexed and when they were last described anew: the
        # saved index outlives the generation, which another program's writes move.
        return ":".join(
            str(value)
            for value in self._db.execute(
                "SELECT (SELECT value FROM meta WHERE key = 'store_id'), count(*),"
                " coalesce(max(rowid), 0), (SELECT count(*) FROM image_descriptors),"
                " (SELECT value FROM meta WHERE key = 'features_revision')"
                " FROM record_images"
            ).fetchone()
        )

    # Mirrors -------------------------------------------------------------------------------

    @contextmanager
    def mirror_lock(self, registry: str) -> Iterator[bool]:
        # A file beside the store's, in a folder of locks: SQLite's own locks are on its file.
        folder = Path(f"{self.path}.locks")
        name = hashlib.sha256(registry.encode()).hexdigest()[:16]
        with ExitStack() as held:
            try:
                folder.mkdir(exist_ok=True)
                held.enter_context(held_file_lock(folder / f"mirror-{name}.lock"))
            except LockTaken:
                yield False
                return
            except OSError:
                pass  # a folder that cannot be written: no one can lock, and all go on
            yield True

    def mark_removed(self, registry: str, record_ids: Iterable[str]) -> int:
        """Mark mirrored records the register no longer holds: kept, with the time they went, but
        no longer found. A record stored again is found again. Records imported from a file are
        never marked: the register's listing says nothing about them. Returns how many were
        marked."""
        marked = 0
        with self.transaction():
            for record_id in record_ids:
                cursor = self._db.execute(
                    "UPDATE records SET removed_at = ? WHERE registry = ? AND record_id = ?"
                    " AND removed_at IS NULL AND origin = 'mirror'",
                    (now(), registry, record_id),
                )
                marked += cursor.rowcount
        return marked

    def stats(self) -> StoreStats:
        # Every search asks: the counts are kept while the records stay as they were.
        version = self._version()
        if self._counts is None or self._counts[0] != version:
            counts = dict(
                self._db.execute(
                    "SELECT registry, count(*) FROM records WHERE removed_at IS NULL"
                    " GROUP BY registry ORDER BY registry"
                ).fetchall()
            )
            self._counts = (version, counts)
        counts = dict(self._counts[1])
        # Not kept: an image is written on its own, before the records that show it.
        images = int(self._db.execute("SELECT count(*) FROM images").fetchone()[0])
        logs = self.imports()
        index = self.index_folder
        files = [self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")]
        files += list(index.iterdir()) if index.is_dir() else []  # the saved feature index
        size = sum(p.stat().st_size for p in files if p.is_file())
        return StoreStats(self.path, size, counts, images, logs[-1] if logs else None)

    # The service's jobs -------------------------------------------------------------------

    def claim_job(self, now: str, lease_until: str) -> StoredJob | None:
        db = self._service.connection
        with sqlite_transaction(self._db):  # BEGIN IMMEDIATE: no other worker between look and take
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
