"""Mirroring a register into the local store, so that its records can be searched by photograph
and by any words, however little its own service can search.

A register with bulk access implements `Registry.iter_records(since=...)` (newest changes first)
and `Registry.count_records()`. `mirror` stores every record it yields under the register's name,
fetches each record's image (in the size asked for) once, and keeps its fingerprints and local
features, exactly as an import does. It is incremental: the store remembers how far the last
complete sync reached (the newest `Record.modified` it saw), and the next one asks only for what
changed since. Mirrored records the register no longer holds are marked removed -- after a full
sync, or when the register's count no longer agrees with the mirror's, which sends the sync
through the whole list once. Records of the same register imported from a file are not the
mirror's: it never marks them removed. An interrupted sync keeps what it stored; the next one takes it up from where
the last complete one ended, and fetches no image it already has.

A bad answer (a proxy ending the listing early, an empty body) must not wipe a mirror, so a whole
listing marks records removed only when it is known complete: a listing of no records, or of
fewer than the register counts (beyond `SHORTFALL`), fails the sync (`RegistryError`) with what it
stored kept, nothing marked removed, and the sync not counted. Nor does one sync mark more than
half of the mirror removed unless the caller asked for a full sync (`provcheck mirror NAME
--full`): a registrar would rather be asked than lose a mirror silently.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from provcheck.errors import InputError, RegistryError
from provcheck.model.description import ImageRef
from provcheck.model.record import Record
from provcheck.registers.discovery import MirrorInfo, installed_registries
from provcheck.registers.registry import Registry
from provcheck.store.importing import keep_image
from provcheck.store.interface import MirrorState, Store

__all__ = ["MirrorSummary", "mirror", "mirrors_in"]

# Records written per transaction: an interruption loses at most these (they are fetched again).
BATCH = 100
# A whole listing may fall short of the register's count by one record in this many (none below
# that many records) and still be complete: records withdrawn during a long sync, and items the
# plugin cannot read (left out, read again by the next sync), would otherwise fail every sync of
# a large register. A truncated answer loses at least a page (100 to 500 records), far more.
SHORTFALL = 1000


@dataclass
class MirrorSummary:
    """What a sync did; also what its progress callback is given as it goes."""

    registry: str
    full: bool
    expected: int | None = None  # what the register said it holds, when it says
    fetched: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    images_fetched: int = 0
    images_kept: int = 0  # already in the store: not fetched again
    images_failed: int = 0
    synced_at: str = ""


Progress = Callable[[MirrorSummary], None]


async def mirror(
    registry: Registry,
    store: Store,
    *,
    image_size: str = "large",
    full: bool = False,
    progress: Progress | None = None,
) -> MirrorSummary:
    """Bring the store's mirror of `registry` up to date; `full` lists every record again, and
    accepts that more than half of the mirror went (see the module's doc).

    `image_size` names the image variant to keep (`large`, `thumb`, ...; the original when a
    record's image has no such variant). One sync of a register into a store runs at a time: a
    second, started meanwhile (another worker, another machine on a shared store), fetches nothing
    and fails (`RegistryError`) saying so.
    """
    with store.mirror_lock(registry.name) as held:
        if not held:
            raise RegistryError(
                f"another sync of {registry.name} into {store.location} is running; this one "
                "fetched nothing (run it again once that one has ended)",
                registry=registry.name,
            )
        return await _sync(registry, store, image_size=image_size, full=full, progress=progress)


async def _sync(
    registry: Registry,
    store: Store,
    *,
    image_size: str,
    full: bool,
    progress: Progress | None,
) -> MirrorSummary:
    name = registry.name
    state = store.mirror_state(name)
    asked_full = full
    full = full or state is None or state.watermark is None
    since = None if full or state is None else _parse_time(state.watermark)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    summary = MirrorSummary(name, full, expected=await registry.count_records())
    watermark = since
    seen: set[str] = set()
    batch: list[Record] = []

    def write() -> None:
        with store.transaction():
            for new in store.put_records(batch, mirrored=True):
                summary.added += new
                summary.updated += not new
        batch.clear()

    async for record in registry.iter_records(since=since):
        seen.add(record.record_id)
        images = [
            await _kept_image(registry, store, record, image, image_size, summary)
            for image in record.description.images
        ]
        batch.append(
            record.model_copy(
                update={
                    "description": record.description.model_copy(update={"images": tuple(images)})
                }
            )
        )
        if record.modified is not None and (watermark is None or record.modified > watermark):
            watermark = record.modified
        summary.fetched += 1
        if len(batch) >= BATCH:
            await asyncio.to_thread(write)
        if progress is not None:
            progress(summary)
    if batch:
        await asyncio.to_thread(write)

    listed_at = state.listed_at if state is not None else None
    # Only what a mirror wrote: records of the same register imported from a file (the NSAF
    # listing, say) are not the mirror's to mark removed, nor to count against the register's.
    held = store.record_ids(name, mirrored=True)
    if full:
        _require_complete(name, len(seen), summary.expected)
    elif summary.expected is not None and summary.expected != len(held):
        # The register's count and the mirror's disagree: something went. List everything once.
        seen = {record.record_id async for record in registry.iter_records(since=None)}
        _require_complete(name, len(seen), summary.expected)
        full = True
    if full:
        gone = held - seen
        if len(gone) * 2 > len(held) and not asked_full:
            raise RegistryError(
                f"the listing would mark {len(gone):,} of the mirror's {len(held):,} records "
                "removed; nothing was marked removed. If the register did withdraw them, run "
                f"`provcheck mirror {name} --full` to accept it",
                registry=name,
            )
        summary.removed = store.mark_removed(name, gone)
        listed_at = started
    summary.synced_at = started
    store.set_mirror_state(
        name,
        MirrorState(
            synced_at=started,
            watermark=watermark.isoformat() if watermark is not None else None,
            listed_at=listed_at,
        ),
    )
    return summary


def _require_complete(name: str, listed: int, expected: int | None) -> None:
    """Refuse a whole listing not known complete: empty, or short of the register's count."""
    if listed == 0:
        raise RegistryError(
            "the register listed no records; nothing was marked removed", registry=name
        )
    if expected is not None and listed < expected - expected // SHORTFALL:
        raise RegistryError(
            f"the listing ended after {listed:,} of {expected:,} records; "
            "nothing was marked removed",
            registry=name,
        )


async def _kept_image(
    registry: Registry,
    store: Store,
    record: Record,
    image: ImageRef,
    size: str,
    summary: MirrorSummary,
) -> ImageRef:
    """A record image with its digest and fingerprints, fetched and kept unless the store has it
    already (from an earlier sync of the same record). One that cannot be fetched or read stays a
    reference: the record is mirrored all the same, and counted."""
    if image.url is None or image.sha256:
        return image
    earlier = store.get(record.registry, record.record_id)
    for kept in earlier.description.images if earlier is not None else ():
        if kept.url == image.url and kept.sha256 and store.has_image(kept.sha256):
            summary.images_kept += 1
            return image.model_copy(
                update={"sha256": kept.sha256, "fingerprints": kept.fingerprints}
            )
    url = image.variants.get(size) or image.url
    try:
        data = await registry.image_bytes(ImageRef(url=url))
        if data is None:
            raise InputError(f"{url}: the register gave no image")
        digest, fingerprints = await asyncio.to_thread(keep_image, store, data, source=url)
    except (RegistryError, InputError):
        summary.images_failed += 1
        return image
    summary.images_fetched += 1
    return image.model_copy(update={"sha256": digest, "fingerprints": fingerprints})


def _parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    with contextlib.suppress(ValueError):
        return datetime.fromisoformat(text)
    return None


def mirrors_in(store: Store) -> dict[str, MirrorInfo]:
    """The mirror `store` holds of each installed register that has one."""
    found: dict[str, MirrorInfo] = {}
    for name in installed_registries():
        state = store.mirror_state(name)
        if state is not None:
            found[name] = MirrorInfo(synced_at=state.synced_at, records=store.count(name))
    return found
