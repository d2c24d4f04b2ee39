"""`PostgresStore`: the `Store` in a PostgreSQL database, for a team and several service workers.

The same records, images, imports, mirrors, case files and service rows as the SQLite store, in
tables of the same names (`provcheck.store.postgres_schema`). Text search is PostgreSQL's: a
weighted `tsvector` of each record's words under a GIN index, queried with the words
`provcheck.store.text_query` chooses, ranked in the database by the rarity of the words found and
the column they were found in; misspelt titles and makers are looked for among the stored words by
trigram distance (pg_trgm). Photographs are found as in the SQLite store, in each worker's memory:
the hashes and local features are kept in the database, and each worker reads them again when the
records' generation has moved.

Several programs may use one store at once: writes of records wait for each other (the
generation's row), checks never wait for writes, a mirror's sync holds a lock of its register for
as long as it runs (`mirror_lock`), and the case files append under a lock of their case.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs
import psycopg
from rapidfuzz.distance import OSA

from provcheck.model.description import ObjectDescription
from provcheck.model.record import Record
from provcheck.store.case_tables import CaseTables
from provcheck.store.interface import (
    StoredJob,
    StoreStats,
)
from provcheck.store.postgres_schema import connect, shown_url
from provcheck.store.service_tables import ServiceTables
from provcheck.store.sql_rows import Cursor
from provcheck.store.sql_store import SqlStore, now, origin
from provcheck.store.text_query import (
    RESPELLINGS,
    TextQuery,
    respellable_words,
    search_text_columns,
    with_makers_share,
)
from provcheck.text.normalise import LONGEST_WORD, normalise_text, slips_allowed

__all__ = ["PostgresStore", "is_postgres_url"]

# The weight of a word found in each class of column (tsvector weights D, C, B, A: the rest;
# inscriptions and numbers; makers; title), as the SQLite store's BM25 column weights.
_COLUMN_WEIGHTS = {"A": 10.0, "B": 8.0, "C": 7.0, "D": 1.5}
# A search's candidates are read from the index by its rarest words, as many as keep them to
# about so many records -- a twentieth of the register, at least 500, at most 5,000 -- (and at
# least its rarest word's, however many): ranking them is what costs the most.
_CANDIDATES_READ = 5_000
_CANDIDATES_LEAST = 500
_CANDIDATES_SHARE = 20
# Words are weighed by their rarity in tiers this wide (of BM25's inverse document frequency),
# each tier one ts_rank per candidate; the rarest share the last. (Tiers of 2 found 0.935 of the
# Lost Art benchmark's targets among 20 candidates, of 1 0.944, of 0.5 0.947; SQLite's BM25 0.952.)
_TIER_WIDTH = 0.5
_TIERS = 24
_NEAREST_SPELLINGS = 40  # stored words nearest by trigrams, of which the misspelt are chosen
_RECOUNT_AFTER = 1_000  # records imported at once (or a tenth of the store) that count words anew
_WORD_COUNTS_LOCK = 0x776F726473  # "words"
_NOTHING = "''"  # the tsquery of no word, which matches nothing
_LONGEST_LEXEME = 2_047  # bytes; normalised words are ASCII
_NOT_LEXEME = re.compile(r"[^a-z0-9]")  # normalised words are these; anything else is dropped


def is_postgres_url(location: object) -> bool:
    """Whether a store's location names a PostgreSQL database (`postgresql://...`)."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


class _Rows:
    """The store's connection as the shared rows use it: `?` placeholders, `in_transaction`."""

    def __init__(self, db: psycopg.Connection[tuple[Any, ...]]) -> None:
        self._db = db
        self._translated: dict[str, str] = {}

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Cursor:
        written = self._translated.get(sql)
        if written is None:
            written = self._translated[sql] = sql.replace("%", "%%").replace("?", "%s")
        return self._db.execute(written, parameters)

    @property
    def in_transaction(self) -> bool:
        return self._db.info.transaction_status != psycopg.pq.TransactionStatus.IDLE


class _PostgresCaseTables(CaseTables):
    STATEMENTS = ()  # the schema has them

    def last_case_entry(self, case_id: str) -> tuple[object, object] | None:
        # Read to append after it: the case's row is locked until the transaction ends, so that
        # a second writer waits, then reads the entry the first appended (one chain, no fork).
        if self._db.in_transaction:
            self._db.execute("SELECT 1 FROM cases WHERE id = ? FOR UPDATE", (case_id,))
        return super().last_case_entry(case_id)


class _PostgresServiceTables(ServiceTables):
    STATEMENTS = ()  # the schema has them

    def claim_job(self, now: str, lease_until: str) -> StoredJob | None:
        # One statement; a job another worker is taking is skipped, not waited for.
        row = self._db.execute(
            "UPDATE jobs SET state = 'running', lease_until = ?, updated_at = ?,"
            " attempts = attempts + 1 WHERE job_id = (SELECT job_id FROM jobs"
            " WHERE (state = 'queued' AND run_after <= ?) OR (state = 'running'"
            " AND lease_until < ?) ORDER BY run_after, created_at LIMIT 1"
            " FOR UPDATE SKIP LOCKED) RETURNING job_id",
            (lease_until, now, now, now),
        ).fetchone()
        return None if row is None else self.job(row[0])


class PostgresStore(SqlStore):
    """A PostgreSQL database of records, images, imports, cases and the service's rows, at
    `url` (`postgresql://user@host:port/database`; a password from the URL, $PGPASSWORD or
    ~/.pgpass). Made in an empty database when first opened."""

    def __init__(self, url: str) -> None:
        self._shown = shown_url(url)  # the URL is kept nowhere: it may hold a password
        self._db = connect(url)
        self._rows = self._sql = _Rows(self._db)
        self._cases = _PostgresCaseTables(self._rows)
        self._service: _PostgresServiceTables = _PostgresServiceTables(self._rows)
        self._store_id = str(self._one("SELECT value FROM meta WHERE key = 'store_id'"))
        self._counted = False  # the word counts were seen made, once
        self._start_caches()

    @property
    def location(self) -> str:
        return self._shown

    def close(self) -> None:
        self._db.close()

    def __repr__(self) -> str:
        return f"<PostgresStore {self._shown!r}>"

    def _one(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        row = self._rows.execute(sql, parameters).fetchone()
        return None if row is None else row[0]

    # Writing ---------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            with self._db.transaction():
                yield
        finally:
            self._forget_caches()

    @contextmanager
    def mirror_lock(self, registry: str) -> Iterator[bool]:
        """Hold the lock of `registry`'s mirror for as long as the block runs: True if this
        program holds it, False if another program's sync of it is running (which then goes on
        alone). Released when the block ends, or when the program's connection goes."""
        key = int.from_bytes(hashlib.sha256(f"mirror:{registry}".encode()).digest()[:8], "big")
        key -= 1 << 63  # a signed BIGINT
        taken = bool(self._one("SELECT pg_try_advisory_lock(?)", (key,)))
        try:
            yield taken
        finally:
            if taken:
                self._one("SELECT pg_advisory_unlock(?)", (key,))

    def start_import(self, source: str) -> int:
        return int(
            self._one(
                "INSERT INTO imports (source, started_at) VALUES (?, ?) RETURNING id",
                (source, now()),
            )
        )

    def finish_import(self, import_id: int, *, added: int, updated: int, skipped: int) -> None:
        self._rows.execute(
            "UPDATE imports SET finished_at = ?, added = ?, updated = ?, skipped = ? WHERE id = ?",
            (now(), added, updated, skipped, import_id),
        )
        # A large import changes which words are rare: counted again now, not at the next
        # search. (A few records wait for `prepare_search`: counting takes seconds at a million.)
        if added + updated >= max(_RECOUNT_AFTER, sum(self.stats_counts().values()) // 10):
            self.refresh_word_counts()

    def put_record(
        self, record: Record, *, import_id: int | None = None, mirrored: bool = False
    ) -> bool:
        return self.put_records([record], import_id=import_id, mirrored=mirrored)[0]

    def put_records(
        self, records: Sequence[Record], *, import_id: int | None = None, mirrored: bool = False
    ) -> list[bool]:
        """Each record written as `put_record` would, a few statements for them all: a
        thousand records cost a few round trips to the server, not thousands."""
        new: list[bool] = []
        batch: dict[tuple[str, str], Record] = {}
        for record in records:
            key = (record.registry, record.record_id)
            if key in batch:  # a row can be written once per statement: the rest in the next
                new += self._write(list(batch.values()), import_id, mirrored)
                batch.clear()
            batch[key] = record
        if batch:
            new += self._write(list(batch.values()), import_id, mirrored)
        return new

    def _write(self, records: list[Record], import_id: int | None, mirrored: bool) -> list[bool]:
        columns = [
            [normalise_text(column) for column in search_text_columns(r.description)]
            for r in records
        ]
        rows = self._rows.execute(
            "INSERT INTO records (registry, record_id, record_json, import_id, updated_at,"
            " origin, words) SELECT registry, record_id, record_json, ?, ?, ?,"
            " setweight(to_tsvector('simple', a), 'A') || setweight(to_tsvector('simple', b),"
            " 'B') || setweight(to_tsvector('simple', c), 'C') || setweight(to_tsvector("
            "'simple', d), 'D') FROM unnest(?::text[], ?::text[], ?::text[], ?::text[],"
            " ?::text[], ?::text[], ?::text[]) AS given(registry, record_id, record_json, a, b,"
            " c, d) ON CONFLICT (registry, record_id) DO UPDATE SET record_json ="
            " excluded.record_json, import_id = excluded.import_id, updated_at ="
            " excluded.updated_at, removed_at = NULL, origin = excluded.origin,"
            " words = excluded.words RETURNING registry, record_id, id, xmax = 0",
            (
                import_id,
                now(),
                origin(mirrored),
                [r.registry for r in records],
                [r.record_id for r in records],
                [r.model_dump_json() for r in records],
                [c[0] for c in columns],  # title
                [c[1] for c in columns],  # makers
                [f"{c[4]} {c[7]}" for c in columns],  # inscriptions, numbers
                [f"{c[2]} {c[3]} {c[5]} {c[6]}" for c in columns],  # the rest
            ),
        ).fetchall()
        written = {(str(r[0]), str(r[1])): (int(r[2]), bool(r[3])) for r in rows}
        ids = [written[(r.registry, r.record_id)][0] for r in records]
        replaced = [row_id for row_id, is_new in written.values() if not is_new]
        if replaced:
            self._rows.execute("DELETE FROM record_images WHERE record = ANY(?)", (replaced,))
        shown = [
            (row_id, position, image.sha256)
            for row_id, r in zip(ids, records, strict=True)
            for position, image in enumerate(r.description.images)
            if image.sha256
        ]
        if shown:
            self._rows.execute(
                "INSERT INTO record_images (record, position, sha256) SELECT r, p, s"
                " FROM unnest(?::bigint[], ?::int[], ?::text[]) AS t(r, p, s)"
                " WHERE EXISTS (SELECT 1 FROM images WHERE sha256 = s)",
                ([r for r, _, _ in shown], [p for _, p, _ in shown], [s for _, _, s in shown]),
            )
        # The words a misspelling may be of: no number, and no "word" longer than a word is.
        named = sorted(
            {
                w
                for c in columns
                for w in f"{c[0]} {c[1]}".split()
                if not w.isdigit() and len(w) <= LONGEST_WORD
            }
        )
        if named:
            self._rows.execute(
                "INSERT INTO name_words (word) SELECT unnest(?::text[]) ON CONFLICT DO NOTHING",
                (named,),
            )
        return [written[(r.registry, r.record_id)][1] for r in records]

    # Reading ---------------------------------------------------------------------------------

    def iter_records(self, registry: str | None = None) -> Iterator[Record]:
        sql = "SELECT record_json FROM records WHERE removed_at IS NULL"
        parameters: tuple[str, ...] = ()
        if registry is not None:
            sql, parameters = sql + " AND registry = ?", (registry,)
        # Read in batches through a server-side cursor: a register of a million records is not
        # held in memory at once.
        with self._db.cursor(name=f"records_{id(self)}", withhold=True) as cursor:
            cursor.execute((sql + " ORDER BY id").replace("?", "%s"), parameters)
            while batch := cursor.fetchmany(1_000):
                for (payload,) in batch:
                    yield Record.model_validate_json(payload)

    def search_text(
        self, query: ObjectDescription, *, limit: int, registries: Sequence[str] | None = None
    ) -> list[Record]:
        """Records sharing identifying words with the query, best first: each word found counts
        by how rare it is among the records and by the column it is found in (title and makers
        most). What is looked for is `provcheck.store.text_query`'s, as in the SQLite store."""
        looked_for = TextQuery.of(query, self._respelled(query))
        if looked_for is None:
            return []
        terms = (
            [(word, "") for word in looked_for.anywhere]
            + [(word, "AB") for word in looked_for.respelled]
            + [(form, "A") for form in looked_for.translated]
            + [(word, "BCD") for word in looked_for.elsewhere]
            + [(word, "A*") for word in looked_for.shortened]
        )
        found = self._matching(terms, limit, registries)
        # A maker's word thousands of records use ("unbekannt", "werkstatt") names no one: the
        # makers' share is for the records of those the query names.
        named = looked_for.makers + looked_for.respelled
        used = self._records_with(named)
        makers = [(word, "B") for word in named if used.get(word, 0) <= _CANDIDATES_READ]

        def by_maker(share: int, also_other_words: bool) -> list[Record]:
            if not makers:
                return []
            return self._matching(makers, share, registries, also=terms if also_other_words else [])

        return with_makers_share(found, looked_for, limit, by_maker)

    def _matching(
        self,
        terms: list[tuple[str, str]],
        limit: int,
        registries: Sequence[str] | None,
        *,
        also: list[tuple[str, str]] | None = None,
    ) -> list[Record]:
        """The records matching any of `terms` -- (words, where: "" anywhere, else tsvector
        weights, "*" a prefix) -- and, if given, any of `also` too, best first.

        Candidates are chosen by the rarest terms, as many as keep them to about
        `_CANDIDATES_READ` records (a word half the register uses would have the database rank
        half the register); then every term ranks them, each tier of rarity weighing its words'
        inverse document frequency, a word in a title or maker more than one in a description."""
        if not self._counted:
            if self._counted_at() is None:
                self.refresh_word_counts()  # never counted: now (later, after imports and syncs)
            self._counted = True
        ranked = terms + (also or [])
        counts = self._records_with([words for words, _ in ranked])
        live = max(1, sum(self.stats_counts().values()))
        queries = [_tsquery(words, where) for words, where in ranked]
        budget = max(_CANDIDATES_LEAST, min(_CANDIDATES_READ, live // _CANDIDATES_SHARE))
        chosen = _any_of([queries[i] for i in _rarest(terms, counts, budget)])
        if also:  # the makers' records that share the query's other words
            chosen = f"({chosen}) & ({_any_of(queries[len(terms) :])})"
        # Each word weighs its rarity (BM25's inverse document frequency, in narrow tiers: one
        # ts_rank each), and the column it is found in (ts_rank's weights). (Counting the words
        # of titles only in titles, as the SQLite store does, found fewer: measured.)
        tiers: dict[int, list[int]] = {}
        for number, (words, _) in enumerate(ranked):
            idf = _idf(counts.get(words, 0), live)
            tiers.setdefault(min(int(idf // _TIER_WIDTH), _TIERS), []).append(number)
        # ts_rank of an OR query is the mean over its words: times their number, the sum.
        score = " + ".join(
            f"{_TIER_WIDTH * (tier + 0.5) * len(members):.3f}"
            f" * ts_rank('{{{_weights()}}}', words, %s::tsquery, 0)"
            for tier, members in sorted(tiers.items())
        )
        parameters: list[Any] = [_any_of([queries[i] for i in m]) for _, m in sorted(tiers.items())]
        sql = (
            f"SELECT id, record_json, {score} AS score FROM records"
            " WHERE words @@ %s::tsquery AND removed_at IS NULL"
        )
        parameters.append(chosen)
        if registries is not None:
            sql += " AND registry = ANY(%s)"
            parameters.append(list(registries))
        sql += " ORDER BY score DESC, id LIMIT %s"
        parameters.append(limit)
        rows = self._db.execute(sql, parameters).fetchall()
        return self._records_of((int(row[0]), str(row[1])) for row in rows)

    def _counted_at(self) -> str | None:
        """The generation the word counts were last made at (None: never)."""
        found = self._one("SELECT value FROM meta WHERE key = 'word_counts_generation'")
        return None if found is None else str(found)

    def _records_with(self, words: Iterable[str]) -> dict[str, int]:
        """How many records use each of these words (each word of a phrase; the rarest)."""
        parts = {part for phrase in words for part in phrase.split()}
        rows = self._rows.execute(
            "SELECT word, records FROM word_counts WHERE word = ANY(?)", (sorted(parts),)
        ).fetchall()
        known = {str(word): int(n) for word, n in rows}
        return {
            phrase: min(known.get(part, 0) for part in phrase.split())
            for phrase in words
            if phrase.split()
        }

    def refresh_word_counts(self) -> None:
        """Count again how many live records use each word (for the ranking of a search): done
        after an import, and by `prepare_search` when the records have changed."""
        version = self._version()
        with self.transaction():
            # One counting at a time (every worker prepares its searches): the second waits, and
            # finds the counts made.
            self._one("SELECT pg_advisory_xact_lock(?)", (_WORD_COUNTS_LOCK,))
            if self._counted_at() == str(version):
                return
            self._rows.execute("DELETE FROM word_counts")
            self._rows.execute(
                "INSERT INTO word_counts (word, records) SELECT word, ndoc FROM"
                " ts_stat('SELECT words FROM records WHERE removed_at IS NULL')"
            )
            self._rows.execute(
                "INSERT INTO meta VALUES ('word_counts_generation', ?) ON CONFLICT (key)"
                " DO UPDATE SET value = excluded.value",
                (str(version),),
            )

    def _respelled(self, query: ObjectDescription) -> list[str]:
        """The stored title and maker words that the query's own misspell, nearest by trigrams,
        then within the slips `slips_allowed` allows; of equally near ones, the most used."""
        unknown = respellable_words(query)
        if not unknown:
            return []
        known = {
            str(row[0])
            for row in self._rows.execute(
                "SELECT word FROM name_words WHERE word = ANY(?)", (unknown,)
            ).fetchall()
        }
        found: list[str] = []
        for word in unknown:
            if word in known:
                continue
            nearest = [
                str(row[0])
                for row in self._rows.execute(
                    "SELECT word FROM name_words ORDER BY word <-> ? LIMIT ?",
                    (word, _NEAREST_SPELLINGS),
                ).fetchall()
            ]
            slips = slips_allowed(len(word))
            near = [(w, OSA.distance(word, w)) for w in nearest]
            near = [(w, d) for w, d in near if d <= slips]
            if not near:
                continue
            used = self._records_with(w for w, _ in near)
            near.sort(key=lambda match: (match[1], -used.get(match[0], 0)))
            found += [w for w, _ in near[:RESPELLINGS]]
        return found

    def prepare_search(self) -> None:
        version = self._version()
        settled, self._prepared_at = version == self._prepared_at, version
        if not settled:
            return
        self.stats_counts()
        if self._counted_at() != str(version):
            self.refresh_word_counts()
        self._images()
        self._descriptor_index()

    @property
    def index_folder(self) -> Path:
        """Where the local-feature index is saved: the user's cache folder, which the workers of
        one machine share."""
        cache = Path(platformdirs.user_cache_dir("provcheck", appauthor=False))
        return cache / f"postgres-{self._store_id}.index"

    def _index_tag(self, version: int) -> str:
        return f"{self._store_id}:{version}"

    # Mirrors ---------------------------------------------------------------------------------

    def mark_removed(self, registry: str, record_ids: Iterable[str]) -> int:
        with self.transaction():
            cursor = self._rows.execute(
                "UPDATE records SET removed_at = ? WHERE registry = ? AND record_id = ANY(?)"
                " AND removed_at IS NULL AND origin = 'mirror'",
                (now(), registry, sorted(set(record_ids))),
            )
        return cursor.rowcount

    def stats_counts(self) -> dict[str, int]:
        """The live records of each register, kept while the generation stays."""
        version = self._version()
        if self._counts is None or self._counts[0] != version:
            rows = self._rows.execute(
                "SELECT registry, count(*) FROM records WHERE removed_at IS NULL"
                " GROUP BY registry ORDER BY registry"
            ).fetchall()
            self._counts = (version, {str(r): int(n) for r, n in rows})
        return dict(self._counts[1])

    def stats(self) -> StoreStats:
        images = int(self._one("SELECT count(*) FROM images"))
        logs = self.imports()
        size = int(self._one("SELECT pg_database_size(current_database())"))
        return StoreStats(
            self._shown, size, self.stats_counts(), images, logs[-1] if logs else None
        )

    def claim_job(self, now: str, lease_until: str) -> StoredJob | None:
        return self._service.claim_job(now, lease_until)


def _rarest(terms: list[tuple[str, str]], counts: dict[str, int], budget: int) -> list[int]:
    """The numbers of the rarest terms, as many as together are in about `budget` records, and
    at least the rarest one that some record uses (words no record uses, a query's translations
    and guesses, cost nothing and are all taken)."""
    chosen: list[int] = []
    total = 0
    for number in sorted(range(len(terms)), key=lambda i: counts.get(terms[i][0], 0)):
        found = counts.get(terms[number][0], 0)
        if total and total + found > budget:
            break
        chosen.append(number)
        total += found
    return chosen


def _any_of(queries: list[str]) -> str:
    """Any of the tsqueries (none: one that matches nothing)."""
    return " | ".join(f"({query})" for query in queries if query != _NOTHING) or _NOTHING


def _weights() -> str:
    order = [_COLUMN_WEIGHTS[c] / _COLUMN_WEIGHTS["A"] for c in "DCBA"]
    return ", ".join(f"{w:.3f}" for w in order)


def _idf(records_with: int, live: int) -> float:
    """A word's weight by its rarity (BM25's inverse document frequency)."""
    return float(np.log(1 + (live - records_with + 0.5) / (records_with + 0.5)))


def _tsquery(words: str, where: str) -> str:
    """The tsquery text of a word or phrase of normalised words, found only in the columns
    `where` names ("" anywhere, else tsvector weights; a final "*": as a prefix)."""
    weights = where.rstrip("*")
    suffix = (":*" if where.endswith("*") else ":" if weights else "") + weights
    lexemes = [_NOT_LEXEME.sub("", word) for word in words.split()]
    # PostgreSQL indexes no word longer than its limit (and refuses one in a query): none is kept.
    kept = [lexeme for lexeme in lexemes if 0 < len(lexeme) <= _LONGEST_LEXEME]
    return " <-> ".join(f"'{lexeme}'{suffix}" for lexeme in kept) or _NOTHING
