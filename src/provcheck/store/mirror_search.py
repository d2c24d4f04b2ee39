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
import weakref
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from provcheck.errors import QueryNotSupported, RegistryError
from provcheck.images.verification import LocalFeatures
from provcheck.model.description import ImageRef, ObjectDescription
from provcheck.model.record import Record
from provcheck.registers.registry import DataSource, SearchResult
from provcheck.store.local_register import LocalRegistry, LocalSettings
from provcheck.store.opening import store_exists
from provcheck.store.postgres import is_postgres_url

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
    local = _mirror_of(store or LocalSettings.load("local").store_location(), registry)
    synced = None if local is None else await local.using_store(lambda s: s.mirror_state(registry))
    if local is None or synced is None:
        if mode == "mirror":
            raise QueryNotSupported(
                f"{registry}: there is no mirror to search; make one with "
                f"`provcheck mirror {registry}`"
            )
        return None
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


# The mirrors searched from each event loop, their stores kept open while it lives: a service or
# a batch asks the same mirror thousands of times, and opening a store (its vocabulary read
# again) costs more than the search. Each loop has its own, as a register's locks are a loop's.
_OPEN: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], LocalRegistry]]
_OPEN = weakref.WeakKeyDictionary()


def _mirror_of(location: str | Path, registry: str) -> LocalRegistry | None:
    """The local register over the mirror of `registry` in the store at `location`, opened once
    per event loop; None when there is no store (asking creates nothing)."""
    if not store_exists(location):
        return None
    loop = asyncio.get_running_loop()
    held = _OPEN.get(loop)
    if held is None:
        held = _OPEN[loop] = {}
        weakref.finalize(loop, _close_all, held)
    where = str(location) if is_postgres_url(location) else str(Path(location).resolve())
    key = (where, registry)
    if key not in held:
        held[key] = LocalRegistry(path=str(location), registries=[registry])
    return held[key]


def _close_all(held: dict[tuple[str, str], LocalRegistry]) -> None:
    for local in held.values():
        local.close_store()
    held.clear()


async def mirror_image_features(store: str | Path | None, image: ImageRef) -> LocalFeatures | None:
    """The local features the mirror in the local store at `store` (None or empty: the local
    register's) kept for a record image, found by its digest; None when it kept none. A plugin's
    `Registry.image_features` returns them, so that a photograph is verified against its mirror
    without asking the register's service, which may be out of reach."""
    if image.sha256 is None:
        return None
    local = _mirror_of(store or LocalSettings.load("local").store_location(), "")
    digest = image.sha256
    return None if local is None else await local.using_store(lambda s: s.image_features(digest))
