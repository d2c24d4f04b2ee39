"""Mirroring speed: the whole Lost Art export (127,500 records) from its mock, in-process, then
text checks against the mirror.

    uv run python benchmarks/lostart_mirror.py [--corpus PATH] [--checks 50]

The mock serves the corpus (`--corpus`, default `../shared/data/lostart/lostart.csv.gz` beside
the checkout, else the plugin's 2,000-record seed) in the export's real format, 500 rows a page.
Three figures: a full mirror into a fresh store (target: under 2 minutes on 2 cores), an
incremental sync after two records were published, and checks by title, maker and date against
the mirror (target: median under 100 ms), each query taken from a record of the set. The mock
answers at once: against the real service the client keeps one page a second.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from provcheck_lostart import LostArtRegistry
from provcheck_lostart.service import LostArtService, create_mock

from provcheck import LocalStore, acheck
from provcheck.store.mirroring import mirror
from provcheck.testing.mocks import MockService, in_process

CORPUS = Path(__file__).resolve().parents[1].parent / "shared/data/lostart/lostart.csv.gz"


def registry(mock: MockService, store: Path) -> LostArtRegistry:
    return LostArtRegistry(transport=in_process(mock.app), **mock.client_settings, store=str(store))


async def timed_sync(mock: MockService, store_path: Path) -> tuple[int, float]:
    with LocalStore(store_path) as store:
        async with registry(mock, store_path) as client:
            started = time.perf_counter()
            summary = await mirror(client, store)
            return summary.fetched, time.perf_counter() - started


async def check_latencies(
    mock: MockService, store_path: Path, service: LostArtService, checks: int
) -> list[float]:
    chance = random.Random(7)
    dated = [r for r in service.rows if r["Hersteller/Künstler/Autor:in"] and r["Datierung"]]
    latencies = []
    async with registry(mock, store_path) as client:
        for row in chance.sample(dated, min(checks, len(dated))):
            query = {
                "title": row["Titel"],
                "maker": row["Hersteller/Künstler/Autor:in"].split("[")[0],
                "period": row["Datierung"].split("[")[0],
            }
            started = time.perf_counter()
            await acheck(query, [client])
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def run(corpus: Path | None, checks: int, folder: Path) -> None:
    started = time.perf_counter()
    mock = create_mock(None, {"source": str(corpus)} if corpus else {})
    service = mock.state
    assert isinstance(service, LostArtService)
    load_s = time.perf_counter() - started
    store_path = folder / "lostart.sqlite3"

    fetched, full_s = await timed_sync(mock, store_path)
    for number in range(2):
        service.publish({**service.rows[number], "Lost Art ID": f"59999999{number:02d}"})
    again, again_s = await timed_sync(mock, store_path)
    latencies = await check_latencies(mock, store_path, service, checks)
    size_mb = store_path.stat().st_size / 1e6

    print(
        f"corpus: {corpus or 'the plugin seed'} ({len(service.rows):,} rows, "
        f"read in {load_s:.1f} s), {service.requests:,} export pages served"
    )
    rows = [
        ("full mirror", f"{fetched:,} records", f"{full_s:.1f} s", "< 120 s"),
        ("records/s", f"{fetched / full_s:,.0f}", "", ""),
        ("incremental, 2 published", f"{again:,} records", f"{again_s:.1f} s", ""),
        ("store size", f"{size_mb:.0f} MB", "", ""),
        ("text check, median", f"{statistics.median(latencies):.0f} ms", "", "< 100 ms"),
        ("text check, p95", f"{statistics.quantiles(latencies, n=20)[-1]:.0f} ms", "", ""),
    ]
    print(f"{'what':<26} {'figure':>16} {'time':>8} {'target':>9}")
    for what, figure, seconds, target in rows:
        print(f"{what:<26} {figure:>16} {seconds:>8} {target:>9}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=CORPUS if CORPUS.is_file() else None,
        help="the export copy the mock serves (.csv or .csv.gz)",
    )
    parser.add_argument("--checks", type=int, default=50, help="text checks timed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(args.corpus, args.checks, Path(folder)))


if __name__ == "__main__":
    main()
