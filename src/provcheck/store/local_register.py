"""The built-in `local` register: the records in this machine's local store.

It is announced through the same `provcheck.registries` entry point as any third-party register
and uses only the public plugin API. It searches every record in the store -- your own losses,
imported lists, mirrors of other registers -- by text (FTS5) and by image fingerprints.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Self, TypeVar

from pydantic import field_validator

from provcheck.errors import InputError, QueryNotSupported, RegistryUnavailableError
from provcheck.images.verification import LocalFeatures, retrieval_descriptors
from provcheck.model.description import ImageRef, ObjectDescription
from provcheck.model.display import ImageSource, own_bytes
from provcheck.model.record import Record
from provcheck.registers.registry import (
    Access,
    Capabilities,
    DataSource,
    Registry,
    RegistrySettings,
    SearchResult,
)
from provcheck.store.interface import Store
from provcheck.store.opening import (
    STORE_URL_ENV,
    a_folder_for_a_store,
    open_store,
    refuse_a_mistyped_url,
    store_exists,
)
from provcheck.store.postgres import is_postgres_url
from provcheck.store.sqlite import LocalStore

T = TypeVar("T")

__all__ = ["LocalRegistry", "LocalSettings", "local_copies", "store_copies"]

# pHash/dHash bits two photographs of the same flat work may differ by and still be retrieved.
# Retrieval only: the matcher then weighs the distance as evidence.
IMAGE_RETRIEVAL_DISTANCE = 18
# Query keypoints that must meet a stored image's again for it to be a candidate at all; the
# engine's geometric verification then decides. Candidates come heaviest first, so this drops
# only those met too rarely to rank among the first; but a close photograph of a detail, or of
# a printed halftone, may meet its work in two to four places alone (the index finds a patch
# seen again in another light a few times in ten). At 10,000 images, details among the first
# five candidates 53 of 60 when five were asked for, 55 with two; halftones 51 and 59 (chosen
# there); on 60 queries drawn apart, details 53 -> 57, halftones 58 -> 60.
FEATURE_RETRIEVAL_VOTES = 2


class LocalSettings(RegistrySettings):
    # The store: a SQLite file's path, or a PostgreSQL database's URL; default: $PROVCHECK_STORE_URL,
    # else the per-user data folder's file.
    path: str | None = None

    @field_validator("path", mode="before")
    @classmethod
    def _a_path_object_too(cls, path: object) -> object:
        # `Path("store.sqlite3")` names the file as its string does.
        return os.fspath(path) if isinstance(path, os.PathLike) else path

    @classmethod
    def load(
        cls, registry: str, /, *, environ: Mapping[str, str] | None = None, **given: Any
    ) -> Self:
        # The team's store ($PROVCHECK_STORE_URL) is everyone's unless a store is given: it
        # comes before a file named in $PROVCHECK_LOCAL_PATH.
        url = (os.environ if environ is None else environ).get(STORE_URL_ENV)
        if url and given.get("path") is None:
            given["path"] = url
        return super().load(registry, environ=environ, **given)

    def store_location(self) -> str | Path:
        """The store these settings name: a database's URL, a file's path, else the per-user
        default file."""
        if self.path is None:
            return LocalStore.default_path()
        refuse_a_mistyped_url(self.path)  # before a URL is read as a path, and mangled
        return self.path if is_postgres_url(self.path) else Path(self.path)


class LocalRegistry(Registry):
    name = "local"
    title = "Local store (your losses, imported lists, mirrors)"
    access = Access.LOCAL
    capabilities = Capabilities(
        fields=frozenset(
            {
                "title",
                "makers",
                "object_type",
                "materials",
                "inscriptions",
                "period",
                "subject",
                "distinguishing_features",
                "description",
                "inventory_number",
                "place_of_origin",
                "keywords",
            }
        ),
        images=True,
    )
    Settings = LocalSettings
    settings: LocalSettings

    def __init__(
        self,
        settings: LocalSettings | None = None,
        /,
        *,
        store: Store | None = None,
        registries: Sequence[str] | None = None,
        **options: Any,
    ) -> None:
        """`store` is an open store to search instead of the settings' one; `registries` keeps
        the search to the records of those registers (a mirror's), instead of all."""
        super().__init__(settings, **options)
        self._store = store
        self._registries = list(registries) if registries is not None else None
        self._owns_store = store is None
        self._lock = asyncio.Lock()
        self._using_store = threading.Lock()

    @property
    def store(self) -> Store:
        if self._store is None:
            try:
                self._store = open_store(self.settings.store_location())
            except InputError as error:  # for a check, a store it cannot open is a failed register
                raise RegistryUnavailableError(str(error), registry=self.name) from None
        return self._store

    async def _in_thread(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)` on a worker thread, one at a time (one SQLite connection). The thread
        holds a lock of its own for as long as it uses the store: a cancelled task gives up the
        asyncio lock at once, while its thread goes on, and the store must not be closed under it."""

        def locked() -> T:
            with self._using_store:
                return work(*args)

        async with self._lock:
            return await asyncio.to_thread(locked)

    async def using_store(self, work: Callable[[Store], T]) -> T:
        """`work(store)` with this register's store, on a worker thread, one at a time."""
        return await self._in_thread(lambda: work(self.store))

    async def search(self, query: ObjectDescription, *, limit: int) -> Sequence[Record]:
        return await self._in_thread(self._search, query, limit)

    def _search(self, query: ObjectDescription, limit: int) -> SearchResult:
        location = self.settings.store_location()
        if self._store is None and not store_exists(location):
            # A check never makes a store: a mistyped path would leave an empty one behind.
            if folder := a_folder_for_a_store(location):
                raise QueryNotSupported(f"{self.name}: {folder}; nothing was compared")
            raise QueryNotSupported(
                f"{self.name}: the local store at {location} holds no records (there is no store "
                "there, and a check makes none), so nothing was compared; import records first "
                "(`provcheck local import FILE`), or give --store your store's path"
            )
        store = self.store
        stats = store.stats()
        held = {
            name: count
            for name, count in stats.records_by_registry.items()
            if self._registries is None or name in self._registries
        }
        if not any(held.values()):
            # Searching nothing proves nothing: the check must not read as "no match found".
            which = f" of {', '.join(self._registries)}" if self._registries is not None else ""
            raise QueryNotSupported(
                f"{self.name}: the local store at {store.location} holds no records{which}, so "
                "nothing was compared; import records first (`provcheck local import FILE`)"
            )
        fingerprints = [image.fingerprints for image in query.images if image.fingerprints]
        only = self._registries
        by_image = store.search_images(
            fingerprints, limit=limit, max_distance=IMAGE_RETRIEVAL_DISTANCE, registries=only
        )
        # Each photograph's own features (its mirror image is for verification only: a mirrored
        # copy of a registered image is already found by its turned and mirrored hashes).
        features = [found for image in query.images for found in retrieval_descriptors(image)]
        by_features = store.search_by_features(
            features, limit=limit, min_votes=FEATURE_RETRIEVAL_VOTES, registries=only
        )
        by_text = store.search_text(query, limit=limit, registries=only)
        found: dict[str, Record] = {}
        # The best of each way in turn -- shared local features (two at a time: a photograph of
        # a detail shares too little with its work to come first every time), look-alike hashes,
        # words -- so that many weak feature votes (a mirrored photograph collects them
        # everywhere) cannot push an exact hash hit out of the answer.
        featured = [r for r, _ in by_features]
        ways = [featured[0::2], featured[1::2], [r for r, _ in by_image], by_text]
        for rank in range(max(map(len, ways))):
            for way in ways:
                if rank < len(way):
                    found.setdefault(way[rank].key, way[rank])
        warnings: list[str] = []
        if query.images and not fingerprints:
            warnings.append("the query's images could not be compared (no fingerprints)")
        last = stats.last_import
        return SearchResult(
            records=tuple(list(found.values())[:limit]),
            warnings=tuple(warnings),
            source=DataSource.LOCAL,
            data_as_of=datetime.fromisoformat(last.finished_at)
            if last and last.finished_at
            else None,
        )

    async def image_bytes(self, image: ImageRef) -> bytes | None:
        """The store's copy of a record image (kept at import), whatever became of the original."""
        if image.sha256 is None:
            return image.data
        return await self._in_thread(lambda: self.store.thumbnail(image.sha256 or ""))

    async def image_features(self, image: ImageRef) -> LocalFeatures | None:
        """The local features kept with a record image at import."""
        if image.sha256 is None:
            return None
        return await self._in_thread(lambda: self.store.image_features(image.sha256 or ""))

    async def aclose(self) -> None:
        if self._owns_store and self._store is not None:
            await asyncio.to_thread(self.close_store)

    def close_given_store(self) -> None:
        """Close the store this register was given, once no worker thread uses it (a search,
        a task reading its indexes ahead), from any thread: for the store's owner, as it stops."""
        with self._using_store:
            if self._store is not None:
                self._store.close()

    def close_store(self) -> None:
        """Close the store this register opened (never one it was given), from any thread."""
        with self._using_store:  # after any search still running on a worker thread
            if self._owns_store and self._store is not None:
                self._store.close()
                self._store = None


def local_copies(store_path: str | Path | None = None) -> ImageSource:
    """Image bytes for a page: the image's own (inline, or a readable file), else the local
    store's copy of it (kept at import or mirroring, by content digest). URLs are never fetched:
    a report is rendered offline, and a register's address is not to be trusted."""
    location = store_path or LocalSettings.load("local").store_location()

    def source(image: ImageRef) -> bytes | None:
        own = own_bytes(image)
        if own is None and image.sha256 and store_exists(location):
            with open_store(location) as store:
                return store.thumbnail(image.sha256)
        return own

    return source


def store_copies(store: Store) -> ImageSource:
    """Image bytes for a page, from an open store: the image's own (inline, or a readable file),
    else the store's copy of it. URLs are never fetched (see `local_copies`)."""

    def source(image: ImageRef) -> bytes | None:
        own = own_bytes(image)
        if own is None and image.sha256:
            return store.thumbnail(image.sha256)
        return own

    return source
