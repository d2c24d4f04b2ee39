"""Mirroring speed: the FBI register from its mock API (all 4,523 NSAF rows as items), in-process.

    uv run python benchmarks/mirror.py [--pictures 300] [--page-size 50]

Three syncs into a fresh store: the records alone (no pictures), the records with `--pictures`
generated pictures fetched and fingerprinted (a second store), and an incremental re-run of the
second after two items changed. Records/s is the first sync's; images/s is what the pictures add
to the second (fetch, decode, fingerprints, local features, stored copy). The mock answers at
once: against the real service the client keeps to its throttling instead.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from provcheck_fbi import FbiRegistry
from provcheck_fbi.service import FbiService, create_mock

from provcheck import LocalStore
from provcheck.store.mirroring import MirrorSummary, mirror
from provcheck.testing.mocks import MockService, in_process


async def timed_sync(
    mock: MockService, store_path: Path, page_size: int
) -> tuple[MirrorSummary, float]:
    registry = FbiRegistry(
        transport=in_process(mock.app),
        base_url="http://fbi.mock",
        min_interval=0,
        page_size=page_size,
        store=str(store_path),
    )
    with LocalStore(store_path) as store:
        async with registry:
            started = time.perf_counter()
            summary = await mirror(registry, store)
            return summary, time.perf_counter() - started


async def run(pictures: int, page_size: int, folder: Path) -> None:
    bare = create_mock(None, {"photographs": "0"})
    records, records_s = await timed_sync(bare, folder / "bare.sqlite3", page_size)

    pictured = create_mock(None, {"photographs": str(pictures)})
    full, full_s = await timed_sync(pictured, folder / "pictured.sqlite3", page_size)
    service = pictured.state
    assert isinstance(service, FbiService)
    service.edit(service.items[0]["uid"], title="Edited")
    service.edit(service.items[1]["uid"], period="1890")
    again, again_s = await timed_sync(pictured, folder / "pictured.sqlite3", page_size)

    images_s = max(1e-9, full_s - records_s)
    rows = [
        ("records only (full)", records.fetched, 0, records_s),
        (f"records + {pictures} pictures (full)", full.fetched, full.images_fetched, full_s),
        ("incremental, 2 items changed", again.fetched, again.images_fetched, again_s),
    ]
    print(f"{'sync':<34} {'records':>8} {'images':>7} {'seconds':>8}")
    for name, fetched, images, seconds in rows:
        print(f"{name:<34} {fetched:>8,} {images:>7,} {seconds:>8.1f}")
    print(
        f"\nrecords/s: {records.fetched / records_s:,.0f}    "
        f"images/s (what the pictures add): {full.images_fetched / images_s:,.1f}    "
        f"store: {(folder / 'pictured.sqlite3').stat().st_size / 1e6:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=300, help="items with a picture")
    parser.add_argument("--page-size", type=int, default=50, help="items asked per page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(args.pictures, args.page_size, Path(folder)))


if __name__ == "__main__":
    main()
