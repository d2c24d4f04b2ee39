"""Searching a register's mirror: what a plugin asks the local store before, or instead of, its
register's own service.

A register mirrored into the local store (`provcheck mirror NAME`) is searched there, by every
field and by photograph; one not mirrored there is asked live, or declines. The plugins that can
be mirrored share a `mode` setting (`auto`: the mirror if there is one; `live`: never the mirror;
`mirror`: only the mirror), which `search_mirror` follows; what is asked live, and whether beside
the mirror, stays each plugin's own: it takes None for "ask live".
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from provcheck.errors import QueryNotSupported, RegistryError
from provcheck.images.verification import LocalFeatures
from provcheck.model.description import ImageRef, ObjectDescription
from provcheck.model.record import Record
from provcheck.registers.registry import DataSource, SearchResult
from provcheck.store.interface import MirrorState
from provcheck.store.local_register import LocalRegistry, LocalSettings
from provcheck.store.sqlite import LocalStore

__all__ = ["mirror_image_features", "search_mirror", "search_mirror_and_live"]


async def search_mirror(
    registry: str,
    store: str | Path | None,
    query: ObjectDescription,
    *,
    limit: int,
    mode: Literal["auto", "live", "mirror"] = "auto",
) -> SearchResult | None:
    """The records of `registry`'s mirror that `query` may match, at most `limit`, searched in
    the local store at `store` (None or empty: the local register's store), with the search's
    warnings, `source=DataSource.MIRROR` and `data_as_of` the mirror's last complete sync.

    None when `registry` has not been mirrored into that store (no store file, or no sync that
    reached the end; asking creates nothing), and always in `mode="live"`; in `mode="mirror"`,
    no mirror is `QueryNotSupported`, which says how to make one.
    """
    if mode == "live":
        return None
    path = Path(store) if store else LocalSettings.load("local").store_path()
    synced = await asyncio.to_thread(_mirror_state, path, registry)
    if synced is None:
        if mode == "mirror":
            raise QueryNotSupported(
                f"{registry}: there is no mirror to search; make one with "
                f"`provcheck mirror {registry}`"
            )
        return None
    async with LocalRegistry(path=str(path), registries=[registry]) as local:
        found = await local.search(query, limit=limit)
    return SearchResult(
        tuple(found),
        warnings=tuple(found.warnings) if isinstance(found, SearchResult) else (),
        source=DataSource.MIRROR,
        data_as_of=datetime.fromisoformat(synced.synced_at),
    )


async def search_mirror_and_live(
    registry: str,
    store: str | Path | None,
    query: ObjectDescription,
    *,
    limit: int,
    mode: Literal["auto", "live", "mirror"],
    live: Callable[[], Awaitable[Sequence[Record]]] | None,
    unanswerable: str,
    service: str = "live API",
    live_first: bool = False,
) -> SearchResult:
    """A register that has both a mirror and a live service, searched as its `mode` says.

    `live` asks the service (None: it cannot answer this query). Without a mirror, the service
    answers alone -- its photographs not searched, which the report says -- or the search is
    skipped with `unanswerable`. With one, in `auto`, the service is asked as well for what
    changed since the sync (`live_first`: its records before the mirror's), and a service out
    of reach leaves the mirror's answer with a warning naming `service`.
    """
    mirrored = await search_mirror(registry, store, query, limit=limit, mode=mode)
    if mirrored is None:
        if live is None:
            raise QueryNotSupported(unanswerable)
        answer = _as_result(await live())
        return dataclasses.replace(answer, photographs_searched=False)
    if mode != "auto" or live is None:
        return mirrored
    try:
        fresh = _as_result(await live())
    except RegistryError as error:
        warning = f"the {service} could not be asked ({error}); mirror only"
        return dataclasses.replace(mirrored, warnings=(*mirrored.warnings, warning))
    first, then = (fresh, mirrored) if live_first else (mirrored, fresh)
    held = {record.key for record in first.records}
    records = [*first.records, *(r for r in then.records if r.key not in held)]
    return dataclasses.replace(
        mirrored,
        records=tuple(records[:limit]),
        warnings=(*mirrored.warnings, *fresh.warnings),
    )


def _as_result(answer: Sequence[Record]) -> SearchResult:
    return answer if isinstance(answer, SearchResult) else SearchResult(tuple(answer))


def _mirror_state(path: Path, registry: str) -> MirrorState | None:
    if not path.is_file():
        return None  # no store, so no mirror: nothing is created by asking
    with LocalStore(path) as store:
        return store.mirror_state(registry)


async def mirror_image_features(store: str | Path | None, image: ImageRef) -> LocalFeatures | None:
    """The local features the mirror in the local store at `store` (None or empty: the local
    register's) kept for a record image, found by its digest; None when it kept none. A plugin's
    `Registry.image_features` returns them, so that a photograph is verified against its mirror
    without asking the register's service, which may be out of reach."""
    if image.sha256 is None:
        return None
    path = Path(store) if store else LocalSettings.load("local").store_path()
    return await asyncio.to_thread(_kept_features, path, image.sha256)


def _kept_features(path: Path, sha256: str) -> LocalFeatures | None:
    if not path.is_file():
        return None
    with LocalStore(path) as store:
        return store.image_features(sha256)
