"""`LocalStore`: the `Store` in one SQLite file -- records, their text index, images, imports.

It holds records of several registers side by side, each under its register's name (your own
losses, imported lists, mirrors), with their images' fingerprints and bounded copies, and a log of
every import. Text search uses SQLite FTS5 over the Object ID text fields; image search reads the
stored hashes into arrays once and scans them all at once (`provcheck.images.hash_scan`); local
features are searched through an index saved beside the file (`provcheck.store.sqlite_feature_index`).
The file and its tables are `provcheck.store.sqlite_file`'s, the case files' tables
`provcheck.store.sqlite_cases`'s.

Writes of records happen in transactions the caller opens (`with store.transaction():`), so an
import is all or nothing. Each record remembers where it came from (`origin`): an `import` of a
user's file, or a `mirror` of its register. A mirror owns only what it mirrored: records of the
same register imported from a file are never marked removed by a sync that did not list them.
Image fingerprints are a cache, committed as they are computed, so an interrupted import does not
decode the same photographs again.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from provcheck.images.descriptor_index import INDEXED_DESCRIPTORS, DescriptorIndex
from provcheck.images.hash_scan import nearest_images, nearest_owners
from provcheck.images.verification import LocalFeatures, features_from_bytes, features_to_bytes
from provcheck.model.description import ObjectDescription
from provcheck.model.record import Record
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
    StoreStats,
)
from provcheck.store.sqlite_cases import CaseTables
from provcheck.store.sqlite_feature_index import index_folder, saved_descriptor_index
from provcheck.store.sqlite_file import default_store_path, open_store_file, sqlite_transaction
from provcheck.store.sqlite_service import ServiceTables
from provcheck.text.normalise import (
    LONGEST_WORD,
    STOPWORDS,
    normalise_text,
    slips_allowed,
    tokens,
)
from provcheck.text.vocabulary import title_terms

__all__ = [
    "ImportLog",
    "LocalStore",
    "MirrorState",
    "StoreStats",
    "default_store_path",
    # Where it was before the scan moved to the images layer (benchmarks import it from here).
    "nearest_images",
]

# Words of the query's title and maker this long or longer, not in any stored title or maker, are
# looked for as misspellings (shorter ones have too many neighbours); so many spellings each.
_RESPELL_MIN = 4
_RESPELLINGS = 3
# A query's words, and its title's terms (each with its forms in every language), misspellings
# and abbreviations, are looked for up to so many: a long description costs no more than this.
_MOST_WORDS = 64
_MOST_TERMS = 12
_MAKER_SHARE = 4  # a quarter of a text search's candidates are kept for the makers named
_MOST_INITIALS = 6  # "H.V.", "J. M. W.": a maker named by this many initials at most

# bm25 weights, in the column order of records_text: a title or a maker says more than a word in
# a long description.
_BM25_WEIGHTS = "10.0, 8.0, 2.0, 2.0, 6.0, 1.0, 1.0, 8.0"
# The records kept read, the most recently found, each of at most so many characters of JSON
# (at most some 30 MB of it; a register's record is a few thousand).
_PARSED_RECORDS = 2_048
_PARSED_LONGEST = 16_000


@dataclass(frozen=True)
class _NameTerms:
    """The words of stored titles and makers, as of one version of the store."""

    version: int
    records_with: dict[str, int]  # normalised word -> records using it
    ordered: list[str]  # the normalised words, sorted
    indexed: dict[str, list[str]]  # normalised word -> how the index wrote it, where it differs


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _origin(mirrored: bool) -> str:
    return "mirror" if mirrored else "import"


def _to_signed(fingerprint: str) -> int:
    # SQLite integers are signed 64-bit; a 64-bit hash is stored as its two's complement.
    value = int(fingerprint, 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def _search_text_columns(description: ObjectDescription) -> tuple[str, ...]:
    makers = " ".join(
        [description.maker_text or ""]
        + [m.name for m in description.makers]
        + [n for m in description.makers for n in m.other_names]
    )
    description_text = " ".join(
        filter(
            None,
            [
                description.description,
                description.distinguishing_features,
                description.subject,
                description.place_of_origin,
                " ".join(description.keywords),
            ],
        )
    )
    return (
        description.title or "",
        makers,
        description.object_type or "",
        description.materials or "",
        description.inscriptions or "",
        description_text,
        description.period.text if description.period else "",
        description.inventory_number or "",
    )


class LocalStore(Store):
    """One SQLite file of records, images and import logs. Open it, use it, `close()` it."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self._db = open_store_file(self.path)
        self._cases = CaseTables(self._db)
        self._service = ServiceTables(self._db)
        self._image_index: tuple[int, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._features_index: tuple[int, DescriptorIndex] | None = None
        self._name_terms: _NameTerms | None = None
        self._counts: tuple[int, dict[str, int]] | None = None
        self._parsed: OrderedDict[int, tuple[str, Record]] = OrderedDict()
        self._prepared_at = self._version()

    @property
    def connection(self) -> sqlite3.Connection:
        """The store's SQLite connection (for tests that change a store by hand). Write inside
        `transaction()`."""
        return self._db

    @property
    def location(self) -> str:
        return str(self.path)

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
            self._image_index = None
            self._features_index = None
            self._name_terms = None
            self._counts = None

    def start_import(self, source: str) -> int:
        cursor = self._db.execute(
            "INSERT INTO imports (source, started_at) VALUES (?, ?)", (source, _now())
        )
        return int(cursor.lastrowid or 0)

    def finish_import(self, import_id: int, *, added: int, updated: int, skipped: int) -> None:
        self._db.execute(
            "UPDATE imports SET finished_at = ?, added = ?, updated = ?, skipped = ? WHERE id = ?",
            (_now(), added, updated, skipped, import_id),
        )

    def import_finished(self, import_id: int) -> bool:
        """Whether the import of that id was committed to the end."""
        row = self._db.execute(
            "SELECT finished_at FROM imports WHERE id = ?", (import_id,)
        ).fetchone()
        return row is not None and row[0] is not None

    def put_record(
        self, record: Record, *, import_id: int | None = None, mirrored: bool = False
    ) -> bool:
        """Store a record, replacing the one with the same register and id. True if it is new.

        `mirrored`: written by a mirror of its register (which then owns it, and may mark it
        removed); otherwise by an import (`import_id`)."""
        origin = _origin(mirrored)
        existing = self._db.execute(
            "SELECT id FROM records WHERE registry = ? AND record_id = ?",
            (record.registry, record.record_id),
        ).fetchone()
        payload = record.model_dump_json()
        if existing is None:
            cursor = self._db.execute(
                "INSERT INTO records (registry, record_id, record_json, import_id, updated_at,"
                " origin) VALUES (?, ?, ?, ?, ?, ?)",
                (record.registry, record.record_id, payload, import_id, _now(), origin),
            )
            row_id = int(cursor.lastrowid or 0)
        else:
            row_id = int(existing[0])
            self._db.execute(
                "UPDATE records SET record_json = ?, import_id = ?, updated_at = ?,"
                " removed_at = NULL, origin = ? WHERE id = ?",
                (payload, import_id, _now(), origin, row_id),
            )
            self._db.execute("DELETE FROM records_text WHERE rowid = ?", (row_id,))
            self._db.execute("DELETE FROM record_images WHERE record = ?", (row_id,))
        self._db.execute(
            "INSERT INTO records_text (rowid, title, makers, object_type, materials, inscriptions,"
            " description, period, numbers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row_id, *_search_text_columns(record.description)),
        )
        for position, image in enumerate(record.description.images):
            if image.sha256 and self.has_image(image.sha256):
                self._db.execute(
                    "INSERT INTO record_images (record, position, sha256) VALUES (?, ?, ?)",
                    (row_id, position, image.sha256),
                )
        return existing is None

    def has_image(self, sha256: str) -> bool:
        return (
            self._db.execute("SELECT 1 FROM images WHERE sha256 = ?", (sha256,)).fetchone()
            is not None
        )

    def image_fingerprints(self, sha256: str) -> dict[str, str] | None:
        row = self._db.execute(
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
        self._db.execute(
            "INSERT OR IGNORE INTO images (sha256, phash, dhash, width, height, thumbnail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                sha256,
                _to_signed(fingerprints["phash"]),
                _to_signed(fingerprints["dhash"]),
                size[0],
                size[1],
                thumbnail,
            ),
        )
        if features is not None and len(features.descriptors):
            indexed = features.descriptors[:INDEXED_DESCRIPTORS]
            self._db.execute(
                "INSERT OR IGNORE INTO image_descriptors (sha256, descriptors) VALUES (?, ?)",
                (sha256, np.ascontiguousarray(indexed, dtype=np.uint8).tobytes()),
            )
            self._db.execute(
                "INSERT OR IGNORE INTO image_features (sha256, features) VALUES (?, ?)",
                (sha256, features_to_bytes(features)),
            )

    def image_features(self, sha256: str) -> LocalFeatures | None:
        """The local features kept for an image at import (None for images stored before they
        were kept, or without any)."""
        row = self._db.execute(
            "SELECT features FROM image_features WHERE sha256 = ?", (sha256,)
        ).fetchone()
        return None if row is None else features_from_bytes(bytes(row[0]))

    def thumbnail(self, sha256: str) -> bytes | None:
        row = self._db.execute(
            "SELECT thumbnail FROM images WHERE sha256 = ?", (sha256,)
        ).fetchone()
        return None if row is None else bytes(row[0])

    # Reading ---------------------------------------------------------------------------------

    def get(self, registry: str, record_id: str) -> Record | None:
        row = self._db.execute(
            "SELECT record_json FROM records WHERE registry = ? AND record_id = ?",
            (registry, record_id),
        ).fetchone()
        return None if row is None else Record.model_validate_json(row[0])

    def iter_records(self, registry: str | None = None) -> Iterator[Record]:
        """Every record in the store (of one register, if named), in the order they were added."""
        sql = "SELECT record_json FROM records WHERE removed_at IS NULL"
        parameters: tuple[str, ...] = ()
        if registry is not None:
            sql, parameters = sql + " AND registry = ?", (registry,)
        for (payload,) in self._db.execute(sql + " ORDER BY id", parameters).fetchall():
            yield Record.model_validate_json(payload)

    def count(self, registry: str | None = None) -> int:
        if registry is None:
            row = self._db.execute(
                "SELECT count(*) FROM records WHERE removed_at IS NULL"
            ).fetchone()
        else:
            row = self._db.execute(
                "SELECT count(*) FROM records WHERE registry = ? AND removed_at IS NULL",
                (registry,),
            ).fetchone()
        return int(row[0])

    def search_text(
        self, query: ObjectDescription, *, limit: int, registries: Sequence[str] | None = None
    ) -> list[Record]:
        """Records sharing identifying words with the query, best first by BM25: its own words
        anywhere; the stored titles' and makers' words it misspells, in titles and makers; its
        title's words in other languages, in titles."""
        # A title word the vocabulary knows is looked for in titles in all its forms and
        # languages ("Bildnis einer Dame" and "Portrait of a lady" search titles alike), and as
        # written elsewhere.
        terms = list(title_terms(query.title).values())[:_MOST_TERMS]
        translated: set[str] = set().union(*terms)
        own = set(_query_words(query)[:_MOST_WORDS])
        # The title's words that are forms of its terms are found in titles among the forms.
        elsewhere = sorted(own & translated & set(tokens(query.title)))
        words = sorted(own - set(elsewhere))
        respelled = sorted(set(self._respelled(query)) - own)
        shortened = sorted(set(_abbreviations(query.title)))[:_MOST_TERMS]
        if not words and not respelled and not shortened and not translated:
            return []
        indexed = self._as_indexed
        expression = " OR ".join(
            [f'"{word}"' for word in indexed(words)]
            + [f'{{title makers}} : "{word}"' for word in indexed(respelled)]
            + [f'title : "{form}"' for form in indexed(translated)]
            + [f'- title : "{word}"' for word in indexed(elsewhere)]
            + [f'title : "{word}" *' for word in shortened]
        )
        found = self._matching(expression, limit, registries)
        # A title's term matched in many forms ("Landschaft (Paysage)") outweighs a maker's
        # name in the ranking: the makers named have a share of the candidates of their own.
        names = _maker_words(query)
        if not names or limit < 2:
            return found
        share = max(1, limit // _MAKER_SHARE)
        makers = " OR ".join(f'makers : "{word}"' for word in indexed(names + respelled))
        # The maker's records that share the query's other words first ("Balustervase" among
        # thousands of Meissen's), then any of theirs ("Küstenlandschaft" for "coastal landscape").
        by_maker = self._matching(f"({makers}) AND ({expression})", share, registries)
        if len(by_maker) < share:
            by_maker += self._matching(makers, share, registries)
        keys = {r.key for r in found}
        extra = list({r.key: r for r in by_maker if r.key not in keys}.values())[:share]
        return found[: limit - len(extra)] + extra if extra else found

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
        votes: dict[int, int] = {}
        for query in descriptors:
            for row_id, count in index.votes(query, limit=limit * 2, min_votes=min_votes):
                votes[row_id] = max(votes.get(row_id, 0), count)
        ranked = sorted(votes.items(), key=lambda item: -item[1])
        return self._ranked_records(ranked, limit, registries)

    def _ranked_records(
        self, ranked: list[tuple[int, int]], limit: int, registries: Sequence[str] | None
    ) -> list[tuple[Record, int]]:
        """The records of (row id, measure) pairs, in that order, of the named registers only."""
        results: list[tuple[Record, int]] = []
        for row_id, measure in ranked:
            row = self._db.execute(
                "SELECT record_json, registry FROM records WHERE id = ? AND removed_at IS NULL",
                (row_id,),
            ).fetchone()
            if row is None or (registries is not None and row[1] not in registries):
                continue
            results.append((self._records_of([(row_id, row[0])])[0], measure))
            if len(results) >= limit:
                break
        return results

    def _respelled(self, query: ObjectDescription) -> list[str]:
        """The words of the registers' titles and makers that the query's own title and maker
        words misspell ("Srping Floers": spring, flowers), for the search to find them too."""
        names = [maker.name for maker in query.makers]
        written = tokens(" ".join(filter(None, [query.title, query.maker_text, *names])))
        unknown = list(
            dict.fromkeys(
                w for w in written if _RESPELL_MIN <= len(w) <= LONGEST_WORD and not w.isdigit()
            )
        )[:_MOST_TERMS]
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
            found += [term for term, _, _ in near[:_RESPELLINGS]]
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

    def _version(self) -> int:
        """The records' generation (see the store's schema): what is kept in memory of them is
        current while it stays the same."""
        return int(self._db.execute("SELECT n FROM records_generation").fetchone()[0])

    def _descriptor_index(self) -> DescriptorIndex:
        """The retrieval index of the record images' descriptors, each owned by its record's row
        id; read again when the records or images have changed."""
        version = self._version()
        if self._features_index is None or self._features_index[0] != version:
            self._features_index = (version, saved_descriptor_index(self._db, self.path))
        return self._features_index[1]

    def _images(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        version = self._version()
        if self._image_index is None or self._image_index[0] != version:
            rows = self._db.execute(
                "SELECT ri.record, i.phash, i.dhash FROM record_images ri"
                " JOIN images i ON i.sha256 = ri.sha256"
            ).fetchall()
            record_ids = np.array([r[0] for r in rows], dtype=np.int64)
            phashes = np.array([r[1] for r in rows], dtype=np.int64).view(np.uint64)
            dhashes = np.array([r[2] for r in rows], dtype=np.int64).view(np.uint64)
            self._image_index = (version, record_ids, phashes, dhashes)
        return self._image_index[1], self._image_index[2], self._image_index[3]

    # Mirrors -------------------------------------------------------------------------------

    def mirror_state(self, registry: str) -> MirrorState | None:
        """When the mirror of `registry` was last synced to the end, and how far it reached."""
        row = self._db.execute(
            "SELECT value FROM meta WHERE key = ?", (f"mirror:{registry}",)
        ).fetchone()
        return None if row is None else MirrorState(**json.loads(row[0]))

    def set_mirror_state(self, registry: str, state: MirrorState) -> None:
        with sqlite_transaction(self._db):
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (f"mirror:{registry}", json.dumps(vars(state))),
            )

    def record_ids(self, registry: str, *, mirrored: bool | None = None) -> set[str]:
        """The ids of the records of `registry` the store holds (not marked removed); with
        `mirrored`, only those a mirror wrote (True) or an import wrote (False)."""
        sql = "SELECT record_id FROM records WHERE registry = ? AND removed_at IS NULL"
        parameters: tuple[str, ...] = (registry,)
        if mirrored is not None:
            sql, parameters = sql + " AND origin = ?", (registry, _origin(mirrored))
        return {row[0] for row in self._db.execute(sql, parameters).fetchall()}

    def record_ids_not_from(self, registry: str, source: str) -> set[str]:
        """The ids of every record of `registry` (removed ones too) that an import of `source`
        (a file's resolved path) did not write last: mirrored ones, and other files'."""
        rows = self._db.execute(
            "SELECT r.record_id FROM records r LEFT JOIN imports i ON i.id = r.import_id"
            " WHERE r.registry = ? AND (r.origin != 'import' OR i.source IS NULL"
            " OR i.source != ?)",
            (registry, source),
        ).fetchall()
        return {row[0] for row in rows}

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
                    (_now(), registry, record_id),
                )
                marked += cursor.rowcount
        return marked

    def withdraw_record(self, registry: str, record_id: str) -> bool:
        with self.transaction():
            cursor = self._db.execute(
                "UPDATE records SET removed_at = ? WHERE registry = ? AND record_id = ?"
                " AND removed_at IS NULL",
                (_now(), registry, record_id),
            )
        return cursor.rowcount > 0

    def imports(self) -> list[ImportLog]:
        rows = self._db.execute(
            "SELECT id, source, started_at, finished_at, added, updated, skipped FROM imports"
            " WHERE finished_at IS NOT NULL ORDER BY id"
        ).fetchall()
        return [ImportLog(*row) for row in rows]

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
        index = index_folder(self.path)
        files = [self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")]
        files += list(index.iterdir()) if index.is_dir() else []  # the saved feature index
        size = sum(p.stat().st_size for p in files if p.is_file())
        return StoreStats(self.path, size, counts, images, logs[-1] if logs else None)

    # Case files ------------------------------------------------------------------------------

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

    def claim_job(self, now: str, lease_until: str) -> StoredJob | None:
        return self._service.claim_job(now, lease_until)

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


def _maker_words(query: ObjectDescription) -> list[str]:
    """The words of the makers the query names (not "Unbekannt", a place or a culture); of a
    maker named by initials alone ("H.V."), its letters together, as a phrase ("h v")."""
    found: list[str] = []
    for maker in (m for m in query.makers if m.names_someone):
        telling = [w for w in tokens(maker.name) if len(w) > 2 and not w.isdigit()]
        # Every letter of the initials, "a" and "e" too (words of their own elsewhere); a longer
        # run of them is no name, and is not searched.
        letters = normalise_text(maker.name).split()
        initials = len(letters) >= 2 and all(len(w) == 1 and w.isalpha() for w in letters)
        found += telling or (
            [" ".join(letters)] if initials and len(letters) <= _MOST_INITIALS else []
        )
    return list(dict.fromkeys(found))[:_MOST_TERMS]


def _query_words(query: ObjectDescription) -> list[str]:
    text = " ".join(column for column in _search_text_columns(query) if column)
    # One-letter words and bare numbers below 100 ("a", "1") match everything and identify nothing.
    # (Compared by length: Python refuses int() of more than 4,300 digits.)
    words = [w for w in tokens(text) if len(w) > 1 and not (w.isdigit() and len(w.lstrip("0")) < 3)]
    return list(dict.fromkeys(words))  # in order: the title's and maker's words first


# Starting at a word's beginning only: a run of letters with no full stop is tried once, not
# once per letter (a pasted page of one "word" took minutes).
_ABBREVIATION = re.compile(r"\b(\w{3,})\.")


def _abbreviations(title: str | None) -> list[str]:
    """Words a title shortens with a full stop ("Schrei. weibl. Akt", "Hl. Georg"), for the words
    they begin to be looked for."""
    return [
        word
        for written in _ABBREVIATION.findall(title or "")
        for word in normalise_text(written).split()
        if len(word) >= 3 and not word.isdigit() and word not in STOPWORDS
    ]
