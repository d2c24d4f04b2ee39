"""The `Store` interface: what provcheck asks of a place that keeps registers' records.

A store holds records of several registers side by side, each under its register's name, with
the fingerprints, local features and a bounded copy of their images, a log of every import, how
far each register's mirror reached, and the case files. The importer, the mirror, the `local`
register and the case files use a store through this interface only; `LocalStore`
(`provcheck.store.sqlite`, one SQLite file) is the implementation provcheck ships, and
`provcheck.testing.store_contract.StoreContract` is the behaviour any implementation must show.

Rules every implementation keeps:

* Record writes happen in transactions the caller opens (`with store.transaction():`): all of
  them, or none. Images are a cache the importer and the mirror write before they open the
  transaction for the records, outside any: kept at once, so that an interrupted import does not
  decode the same photographs again.
* Each record remembers where it came from: an import of a file (`import_id`), or a mirror of its
  register (`mirrored=True`). A mirror owns only what it mirrored: `mark_removed` never marks a
  record an import wrote.
* A record's images are linked to it by content digest (`ImageRef.sha256`) when it is stored;
  an image must be stored (`put_image`) before the records that show it.
* Case entries are only ever appended; a case's head is replaced with each signed entry.
* An API key is kept by its digest only; a kept report is never changed.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np

from provcheck.images.verification import LocalFeatures
from provcheck.model.description import ObjectDescription
from provcheck.model.record import Record

__all__ = [
    "ImportLog",
    "MirrorState",
    "Store",
    "StoreStats",
    "StoredAlert",
    "StoredApiKey",
    "StoredCase",
    "StoredDelivery",
    "StoredHook",
    "StoredJob",
    "StoredReport",
    "StoredSession",
    "StoredWatch",
]


@dataclass(frozen=True)
class ImportLog:
    id: int
    source: str
    started_at: str
    finished_at: str | None
    added: int
    updated: int
    skipped: int


@dataclass(frozen=True)
class StoreStats:
    path: Path | str  # a file's path, or a database's URL (without its password)
    size_bytes: int
    records_by_registry: dict[str, int]
    images: int
    last_import: ImportLog | None

    def as_json(self) -> dict[str, Any]:
        """What `provcheck local stats --json` prints: plain JSON values, the records per
        register under `records`, and the last import's log whole (or None)."""
        return {
            "path": str(self.path),
            "size_bytes": self.size_bytes,
            "records": dict(self.records_by_registry),
            "images": self.images,
            "last_import": None if self.last_import is None else asdict(self.last_import),
        }


@dataclass(frozen=True)
class MirrorState:
    """A register's mirror: when it was last synced to the end (`synced_at`), the newest
    modification it had seen then (`watermark`, where the next sync starts), and when every
    record was last listed (`listed_at`, the last check for records that went)."""

    synced_at: str
    watermark: str | None = None
    listed_at: str | None = None


@dataclass(frozen=True)
class StoredCase:
    """A case as the store lists it: its id, title and when it was opened (ISO 8601)."""

    id: str
    title: str
    created_at: str


@dataclass(frozen=True)
class StoredApiKey:
    """An API key of the service as the store keeps it: its public id, who holds it, its role,
    the SHA-256 of the whole key (never the key), and when it was made and revoked (ISO 8601)."""

    key_id: str
    holder: str
    role: str
    digest: str
    created_at: str
    revoked_at: str | None = None


@dataclass(frozen=True)
class StoredReport:
    """A report kept by the service, as listed: its id, when, its conclusion, and the holder of
    the key that asked for it."""

    report_id: str
    created_at: str
    conclusion: str
    requested_by: str | None


@dataclass(frozen=True)
class StoredJob:
    """Long work of the service (a batch, a mirror's sync, a check's pending searches), kept so
    that it outlives the request that started it and a restart of the service. Times are ISO 8601
    in UTC, written alike so that they compare as text; `state` is `queued`, `running`, `done` or
    `failed`; a running job's worker holds it until `lease_until`, and renews that while it works:
    a job whose lease ran out (its worker was stopped or died) is taken up again."""

    job_id: str
    kind: str
    state: str
    created_at: str
    updated_at: str
    run_after: str
    request_json: str
    requested_by: str | None = None
    progress_json: str | None = None
    result_json: str | None = None
    error: str | None = None
    lease_until: str | None = None
    attempts: int = 0


@dataclass(frozen=True)
class StoredHook:
    """A webhook: where its deliveries go, which events it wants, the secret they are signed
    with (kept to sign; never shown again after it is made), and who made it."""

    hook_id: str
    url: str
    events: tuple[str, ...]
    secret: str = field(repr=False)
    created_at: str
    created_by: str | None = None
    removed_at: str | None = None


@dataclass(frozen=True)
class StoredDelivery:
    """One event for one webhook, and how delivering it went: `state` is `pending`,
    `delivered` or `failed` (given up after its last attempt)."""

    delivery_id: str
    hook_id: str
    event: str
    body: str
    state: str
    created_at: str
    next_attempt_at: str
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    delivered_at: str | None = None


@dataclass(frozen=True)
class StoredSession:
    """A signed-in session of the staff page: the SHA-256 of its cookie (never the cookie),
    the key it signed in with, its CSRF token, and when it ends."""

    digest: str
    key_id: str
    csrf: str = field(repr=False)
    created_at: str
    expires_at: str


@dataclass(frozen=True)
class StoredWatch:
    """A case whose object is checked again whenever a mirror syncs."""

    case_id: str
    watched_at: str
    watched_by: str | None = None


@dataclass(frozen=True)
class StoredAlert:
    """A new possible match for a watched case, found after a mirror's sync."""

    alert_id: str
    case_id: str
    registry: str
    record_id: str
    score: float
    created_at: str
    summary: str = ""


# What `Store.update_job` may change.
JOB_CHANGES = frozenset(
    {"state", "progress_json", "result_json", "error", "lease_until", "run_after"}
)


class Store(abc.ABC):
    """Records, images, imports, mirrors and case files, kept somewhere. Open one, use it,
    `close()` it (or use it as a context manager)."""

    # Lifecycle -------------------------------------------------------------------------------

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the store is, for messages: a file's path, a database's name (never a secret)."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @abc.abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All the record and case writes inside it happen, or none do (an exception, or Ctrl-C,
        before its end leaves nothing written)."""

    # Imports ---------------------------------------------------------------------------------

    @abc.abstractmethod
    def start_import(self, source: str) -> int:
        """Log an import of `source` (a file's resolved path) starting: its id."""

    @abc.abstractmethod
    def finish_import(self, import_id: int, *, added: int, updated: int, skipped: int) -> None: ...

    @abc.abstractmethod
    def import_finished(self, import_id: int) -> bool:
        """Whether the import of that id was committed to the end."""

    @abc.abstractmethod
    def imports(self) -> list[ImportLog]:
        """The finished imports, oldest first."""

    # Records ---------------------------------------------------------------------------------

    @abc.abstractmethod
    def put_record(
        self, record: Record, *, import_id: int | None = None, mirrored: bool = False
    ) -> bool:
        """Store a record, replacing the one with the same register and id (which is then found
        again if it was marked removed). True if it is new. `mirrored`: written by a mirror of its
        register (which then owns it); otherwise by an import (`import_id`)."""

    def put_records(
        self, records: Sequence[Record], *, import_id: int | None = None, mirrored: bool = False
    ) -> list[bool]:
        """`put_record` of each record in turn (whether each is new); a store may write them
        all at once, as an import and a mirror's batch give them."""
        return [self.put_record(r, import_id=import_id, mirrored=mirrored) for r in records]

    @abc.abstractmethod
    def get(self, registry: str, record_id: str) -> Record | None: ...

    @abc.abstractmethod
    def iter_records(self, registry: str | None = None) -> Iterator[Record]:
        """Every record not marked removed (of one register, if named), in the order they were
        first added."""

    @abc.abstractmethod
    def count(self, registry: str | None = None) -> int:
        """How many records are not marked removed (of one register, if named)."""

    @abc.abstractmethod
    def record_ids(self, registry: str, *, mirrored: bool | None = None) -> set[str]:
        """The ids of the records of `registry` not marked removed; with `mirrored`, only those a
        mirror wrote (True) or an import wrote (False)."""

    @abc.abstractmethod
    def record_ids_not_from(self, registry: str, source: str) -> set[str]:
        """The ids of every record of `registry` (removed ones too) that an import of `source`
        did not write last: mirrored ones, and other files'."""

    @abc.abstractmethod
    def mark_removed(self, registry: str, record_ids: Iterable[str]) -> int:
        """Mark mirrored records the register no longer holds: kept, but no longer found, until
        stored again. Imported records are never marked. How many were marked (in a transaction
        of its own)."""

    @abc.abstractmethod
    def withdraw_record(self, registry: str, record_id: str) -> bool:
        """Mark a record its owner withdrew (an object of one's own found again, a record
        entered by mistake): kept, with the time it went, but no longer found, whoever wrote
        it; stored again, it is found again. False if no such record is found now. Inside a
        transaction the caller holds it is part of it; else in one of its own."""

    def removed_records(self, registry: str) -> list[tuple[Record, str]]:
        """The register's records marked removed or withdrawn (kept, no longer found), with
        when (ISO 8601), oldest first. A store that keeps none says so."""
        return []

    @abc.abstractmethod
    def search_text(
        self, query: ObjectDescription, *, limit: int, registries: Sequence[str] | None = None
    ) -> list[Record]:
        """Records sharing identifying words with the query (whatever their case or accents),
        best first: a title or a maker's word counts for more than one in a long description."""

    @abc.abstractmethod
    def stats(self) -> StoreStats: ...

    def prepare_search(self) -> None:  # noqa: B027 -- a store that keeps nothing need not
        """Read now what searches keep in memory of the records (indexes of their images, the
        words of their titles), if they changed and have settled since the last call: a service
        calls it when it starts and from time to time, so that no check waits while an index is
        built."""

    # Images ----------------------------------------------------------------------------------

    @abc.abstractmethod
    def has_image(self, sha256: str) -> bool: ...

    @abc.abstractmethod
    def image_fingerprints(self, sha256: str) -> dict[str, str] | None:
        """The stored image's 64-bit hashes, `{"phash": hex, "dhash": hex}` (16 hex digits)."""

    @abc.abstractmethod
    def put_image(
        self,
        sha256: str,
        fingerprints: dict[str, str],
        *,
        size: tuple[int, int],
        thumbnail: bytes,
        features: LocalFeatures | None = None,
    ) -> None:
        """Keep an image's fingerprints, local features and bounded copy, once per digest (a later
        call for the same digest changes nothing). Outside a transaction, it is kept at once."""

    @abc.abstractmethod
    def image_features(self, sha256: str) -> LocalFeatures | None:
        """The local features kept for an image (None for an image stored without any)."""

    @abc.abstractmethod
    def thumbnail(self, sha256: str) -> bytes | None: ...

    @abc.abstractmethod
    def image_digests(self) -> list[str]:
        """Every stored image's digest, in order."""

    @abc.abstractmethod
    def replace_image_features(self, sha256: str, features: LocalFeatures) -> None:
        """Keep these local features for a stored image in place of those kept, and its share of
        the retrieval index with them (`provcheck.store.refreshing`)."""

    @abc.abstractmethod
    def search_images(
        self,
        fingerprints: Sequence[dict[str, str]],
        *,
        limit: int,
        max_distance: int,
        registries: Sequence[str] | None = None,
    ) -> list[tuple[Record, int]]:
        """Records with an image within `max_distance` bits of any query image (fingerprints by
        `kind` or `kind@variant`), nearest first, with that distance."""

    @abc.abstractmethod
    def search_by_features(
        self,
        descriptors: Sequence[np.ndarray],
        *,
        limit: int,
        min_votes: int,
        registries: Sequence[str] | None = None,
    ) -> list[tuple[Record, int]]:
        """Records whose images share at least `min_votes` local features (N x 32 uint8 ORB
        descriptors) with a query image, with that count; the best first, a shared feature
        weighing less the more stored images it also meets
        (`DescriptorIndex.weighted_votes`)."""

    # Mirrors ---------------------------------------------------------------------------------

    @abc.abstractmethod
    def mirror_state(self, registry: str) -> MirrorState | None:
        """When the mirror of `registry` was last synced to the end, and how far it reached."""

    @abc.abstractmethod
    def set_mirror_state(self, registry: str, state: MirrorState) -> None:
        """Replace the mirror's state (in a transaction of its own)."""

    @contextmanager
    def mirror_lock(self, registry: str) -> Iterator[bool]:
        """Hold the lock of `registry`'s mirror while the block runs: True if this program holds
        it, False if another's sync of that register into this store is running (this one must
        then do nothing). Released when the block ends, or when the program dies. (A store that
        cannot lock says True: syncs into it are not kept apart.)"""
        yield True

    # Case files ------------------------------------------------------------------------------
    # The case files' rules (hash chain, signatures) are `provcheck.cases`'s; a store keeps their
    # rows. Entries and heads are JSON text, kept byte for byte: verification recomputes hashes
    # from exactly what was stored.

    @abc.abstractmethod
    def add_case(self, case_id: str, title: str, created_at: str) -> None: ...

    @abc.abstractmethod
    def has_case(self, case_id: str) -> bool: ...

    @abc.abstractmethod
    def cases(self) -> list[StoredCase]:
        """Every case, oldest first (by when it was opened, then id)."""

    @abc.abstractmethod
    def add_case_entry(self, case_id: str, sequence: int, entry_json: str) -> None:
        """Append an entry to a case (a sequence number it already has is an error)."""

    @abc.abstractmethod
    def case_entries(self, case_id: str) -> list[tuple[object, object]]:
        """(sequence, entry JSON) of the case's entries, by sequence. As stored: a store changed
        outside provcheck may hold anything there, which the case files then report."""

    @abc.abstractmethod
    def last_case_entry(self, case_id: str) -> tuple[object, object] | None:
        """(sequence, entry JSON) of the case's last entry, as stored; None if it has none."""

    @abc.abstractmethod
    def case_head(self, case_id: str) -> str | None:
        """The case's signed head (JSON), if it has one."""

    @abc.abstractmethod
    def set_case_head(self, case_id: str, head_json: str) -> None: ...

    @abc.abstractmethod
    def put_case_file(self, sha256: str, data: bytes) -> None:
        """Keep an attached file by its digest (once: the same digest again changes nothing)."""

    @abc.abstractmethod
    def case_file(self, sha256: str) -> bytes | None: ...

    # The service ---------------------------------------------------------------------------
    # Its API keys (by digest) and the reports of the checks made through it; each write is kept
    # at once, outside any transaction.

    @abc.abstractmethod
    def add_api_key(self, key: StoredApiKey) -> None:
        """Keep a new key (an id it already has is an error)."""

    @abc.abstractmethod
    def api_key(self, key_id: str) -> StoredApiKey | None: ...

    @abc.abstractmethod
    def api_keys(self) -> list[StoredApiKey]:
        """Every key, revoked ones too, oldest first."""

    @abc.abstractmethod
    def revoke_api_key(self, key_id: str, revoked_at: str) -> bool:
        """Revoke a key; False if there is no such key or it was revoked already."""

    @abc.abstractmethod
    def put_report(self, report: StoredReport, report_json: str) -> None:
        """Keep a report's JSON, byte for byte (an id it already has is an error)."""

    @abc.abstractmethod
    def report_json(self, report_id: str) -> str | None: ...

    @abc.abstractmethod
    def reports(self, *, limit: int, offset: int = 0) -> list[StoredReport]:
        """The kept reports, newest first."""

    @abc.abstractmethod
    def add_job(self, job: StoredJob) -> None:
        """Keep a new job (an id it already has is an error)."""

    @abc.abstractmethod
    def job(self, job_id: str) -> StoredJob | None: ...

    @abc.abstractmethod
    def jobs(self, *, kind: str | None = None, limit: int, offset: int = 0) -> list[StoredJob]:
        """The jobs (of `kind`, or all), newest first."""

    @abc.abstractmethod
    def claim_job(self, now: str, lease_until: str) -> StoredJob | None:
        """Take the oldest job that may run at `now` -- queued and due, or running with its lease
        run out -- as one step no other worker can interleave with: it is running, held until
        `lease_until`, one attempt more; None if there is none."""

    @abc.abstractmethod
    def update_job(self, job_id: str, updated_at: str, **changes: str | None) -> None:
        """Change a job's fields (those in `JOB_CHANGES`)."""

    # Webhooks, watches and their alerts --------------------------------------------------

    @abc.abstractmethod
    def add_hook(self, hook: StoredHook) -> None: ...

    @abc.abstractmethod
    def hooks(self) -> list[StoredHook]:
        """The webhooks not removed, oldest first."""

    @abc.abstractmethod
    def remove_hook(self, hook_id: str, removed_at: str) -> bool:
        """False if there is no such hook, or it was removed already."""

    @abc.abstractmethod
    def add_delivery(self, delivery: StoredDelivery) -> None: ...

    @abc.abstractmethod
    def due_deliveries(self, now: str, *, limit: int) -> list[StoredDelivery]:
        """Pending deliveries whose next attempt is due, oldest first."""

    @abc.abstractmethod
    def update_delivery(self, delivery: StoredDelivery) -> None:
        """Replace the delivery's state, attempts, times and last answer."""

    @abc.abstractmethod
    def deliveries(self, hook_id: str, *, limit: int) -> list[StoredDelivery]:
        """The hook's deliveries, newest first."""

    @abc.abstractmethod
    def watch(self, watch: StoredWatch) -> bool:
        """Watch a case; False if it was watched already (the first watch is kept)."""

    @abc.abstractmethod
    def unwatch(self, case_id: str) -> bool: ...

    @abc.abstractmethod
    def watches(self) -> list[StoredWatch]: ...

    @abc.abstractmethod
    def add_alert(self, alert: StoredAlert) -> bool:
        """Keep an alert; False (and nothing kept) if the case was alerted to that record
        before."""

    @abc.abstractmethod
    def alerts(self, *, limit: int, offset: int = 0) -> list[StoredAlert]:
        """The alerts, newest first."""

    @abc.abstractmethod
    def records_updated_since(self, registry: str, since: str) -> set[str]:
        """The ids of the register's records written at or after `since` (ISO 8601, UTC)."""

    @abc.abstractmethod
    def add_session(self, session: StoredSession) -> None: ...

    @abc.abstractmethod
    def session(self, digest: str, now: str) -> StoredSession | None:
        """The session whose cookie has this digest, if it has not ended by `now`."""

    @abc.abstractmethod
    def end_session(self, digest: str) -> None: ...
