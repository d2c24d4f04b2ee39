"""Store scale: SQLite and PostgreSQL side by side, at 10,000, 100,000 and 1,000,000 records.

    uv run python benchmarks/store_scale.py --postgres postgresql://USER:PASSWORD@localhost/postgres
        [--sizes 10000,100000,1000000] [--lostart PATH] [--queries 200]
        [--images 100000] [--workers 4] [--clients 50] [--checks 2000] [--parts records,images,workers]

`--postgres` is a server where the user may create databases: each store measured is a database
of its own, dropped at the end. Three parts:

1. **Records.** The FBI's NSAF listing (4,523 records) and the Lost Art export (127,500, read from
   `--lostart`, by default `../shared/data/lostart/lostart.csv.gz` when it is there), then past
   them synthetic records, each drawn from the real ones' distributions: its title, makers, object
   type, materials, description and period each from a different real record (so that every word
   keeps its real frequency, and the index its real shape). For each size and store: the write
   rate (records a second, as `provcheck local import` writes them: `Store.put_records`, a
   thousand to a transaction, the records' generation not counted), the store's size on disk, and
   a text check's median and p95: the store's search (20 candidates) and `Matcher.rank`, for
   `--queries` real records as a seller describes them (title, maker, object type, date).
2. **Photographs.** A register of `--images` images (the corpus's or the fixtures' real images,
   padded with synthetic ones as `image_speed.py` pads them) in each store; the index read from the
   store first (`prepare_search`), then the median of a whole photograph check (`provcheck.check`
   on the local register: retrieval and geometric verification) of new photographs.
3. **Workers.** `provcheck serve` on the largest PostgreSQL store with 1 worker, then `--workers`,
   each asked by `--clients` clients, each client sending its next check when the last is
   answered (`benchmarks/service.py`'s text checks): the throughput of each. The load generator
   runs on the same machine.

Targets (issue 18): a text check at 1,000,000 records under 150 ms median on PostgreSQL; writing
at least 2,000 records a second; 4 workers at least 3 times the throughput of one.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from image_matching import NEW_PHOTOGRAPH
from image_speed import FIXTURE_IMAGES, SHARED_CORPUS, padded_store
from PIL import Image
from service import _free_port, _load, _queries, _started

import provcheck
from provcheck import Matcher, ObjectDescription, Record
from provcheck.images.hash_scan import nearest_owners
from provcheck.service import Role, make_key
from provcheck.store.importing import import_file, load_mapping
from provcheck.store.interface import Store
from provcheck.store.local_register import LocalRegistry
from provcheck.store.opening import open_store
from provcheck.store.postgres import PostgresStore
from provcheck.store.sqlite import LocalStore
from provcheck.testing.postgres import fresh_database

ROOT = Path(__file__).resolve().parent.parent
NSAF = ROOT / "adapters/provcheck-fbi/src/provcheck_fbi/seed/nsaf_data.csv"
LOSTART = ROOT.parent / "shared/data/lostart/lostart.csv.gz"
CANDIDATES = 20
WRITTEN_AT_ONCE = 1_000


def real_records(lostart: Path | None) -> list[Record]:
    """The NSAF listing's records, then the Lost Art export's (when given)."""
    with tempfile.TemporaryDirectory() as folder, LocalStore(Path(folder) / "nsaf.sqlite3") as s:
        import_file(s, NSAF, mapping=load_mapping("nsaf"))
        records = list(s.iter_records())
    if lostart is not None and lostart.is_file():
        from text_matching_lostart import load

        records += load(lostart)
    return records


def synthetic(real: list[Record], count: int, seed: int) -> Iterator[Record]:
    """`count` records, each field from a different real record."""
    rng = random.Random(seed)
    for number in range(count):
        title, makers, kind, materials, text, period = (
            rng.choice(real).description for _ in range(6)
        )
        yield Record(
            registry="synthetic",
            record_id=f"synthetic-{number}",
            description=ObjectDescription(
                title=title.title,
                maker_text=makers.maker_text,
                makers=makers.makers,
                object_type=kind.object_type,
                materials=materials.materials,
                description=text.description,
                period=period.period,
            ),
        )


def records_of(real: list[Record], size: int, seed: int) -> Iterator[list[Record]]:
    """The first `size` records -- real, then synthetic -- a thousand at a time."""
    every = itertools.chain(real[:size], synthetic(real, max(0, size - len(real)), seed))
    while batch := list(itertools.islice(every, WRITTEN_AT_ONCE)):
        yield batch


def seller_queries(real: list[Record], count: int, seed: int) -> list[ObjectDescription]:
    rng = random.Random(seed)
    chosen = rng.sample([r for r in real if r.description.title], count)
    return [
        ObjectDescription(
            title=r.description.title,
            maker_text=r.description.maker_text,
            object_type=r.description.object_type,
            period=r.description.period,
        )
        for r in chosen
    ]


@contextmanager
def new_store(kind: str, server: str | None, folder: Path, name: str) -> Iterator[str]:
    """Where a new store of `kind` is: a SQLite file in `folder`, or a new database."""
    if kind == "SQLite":
        yield str(folder / f"{name}.sqlite3")
        return
    assert server is not None
    with fresh_database(server) as url:
        yield url


def measure_records(
    store: Store, real: list[Record], size: int, queries: list[ObjectDescription], seed: int
) -> dict[str, str]:
    written, writing = 0, 0.0
    for batch in records_of(real, size, seed):
        started = time.perf_counter()
        with store.transaction():
            store.put_records(batch)
        writing += time.perf_counter() - started
        written += len(batch)
        print(f"\r  {written:,}/{size:,}", end="", file=sys.stderr)
    print(file=sys.stderr)
    started = time.perf_counter()
    store.prepare_search()  # what a service does once the records have settled
    store.prepare_search()
    settling = time.perf_counter() - started
    matcher = Matcher()
    matcher.rank(queries[0], store.search_text(queries[0], limit=CANDIDATES))  # warm
    timings = []
    for query in queries:
        started = time.perf_counter()
        matcher.rank(query, store.search_text(query, limit=CANDIDATES))
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "write": f"{written / writing:,.0f}/s",
        "settle": f"{settling:.1f} s",
        "size": f"{store.stats().size_bytes / 1e6:,.0f} MB",
        "median": f"{statistics.median(timings):.0f} ms",
        "p95": f"{timings[int(0.95 * (len(timings) - 1))]:.0f} ms",
    }


def measure_photographs(store: Store, folder: Path, size: int, seed: int) -> dict[str, str]:
    images = sorted(p for p in SHARED_CORPUS.joinpath("works").glob("*.jpg"))[:200]
    images = images or sorted(FIXTURE_IMAGES.glob("*.jpg"))
    padded_store(folder, images, size, seed, into=store)
    started = time.perf_counter()
    store.prepare_search()
    store.prepare_search()
    reading = time.perf_counter() - started
    registry = LocalRegistry(store=store)
    rng = random.Random(seed)
    transforms = list(NEW_PHOTOGRAPH.values())
    timings, found = [], 0
    for number in range(30):
        target = rng.choice(images)
        out = io.BytesIO()
        transforms[number % len(transforms)](Image.open(target).convert("RGB"), rng).save(
            out, format="JPEG", quality=90
        )
        started = time.perf_counter()
        report = provcheck.check({"images": [out.getvalue()]}, [registry])
        timings.append((time.perf_counter() - started) * 1000)
        best = report.candidates[0] if report.candidates else None
        found += best is not None and best.record.record_id == target.stem
    got = {
        "index": f"{reading:.1f} s",
        "median": f"{statistics.median(timings):.0f} ms",
        "found": f"{found}/30",
        "hash scan in memory": f"{_hash_scan_in_memory(store):.1f} ms",
    }
    if isinstance(store, PostgresStore):
        got["hash scan in the database"] = f"{_hash_scan_in_database(store):.1f} ms"
    return got


def _a_query_hash(seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    return {"phash": f"{rng.getrandbits(64):016x}", "dhash": f"{rng.getrandbits(64):016x}"}


def _hash_scan_in_memory(store: Store) -> float:
    """The median time to scan every stored image's hashes for one photograph's (8 turns and
    mirrors, two kinds each), in this process, as a check does."""
    owners, phashes, dhashes = store._images()  # type: ignore[attr-defined]
    queries = [_a_query_hash(n) for n in range(8)]
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        nearest_owners(owners, {"phash": phashes, "dhash": dhashes}, queries, 18)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _signed(fingerprint: str) -> int:
    value = int(fingerprint, 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def _hash_scan_in_database(store: PostgresStore) -> float:
    """The same scan in SQL, with PostgreSQL's own popcount (`bit_count`): what retrieval in the
    database would cost (pgvector's `bit` type is not in this machine's packages)."""
    queries = [_a_query_hash(n) for n in range(8)]
    distance = " , ".join(
        f"bit_count((i.phash # {_signed(q['phash'])})::bit(64)),"
        f" bit_count((i.dhash # {_signed(q['dhash'])})::bit(64))"
        for q in queries
    )
    sql = (
        f"SELECT ri.record, least({distance}) AS d FROM record_images ri"
        " JOIN images i ON i.sha256 = ri.sha256 WHERE least(" + distance + ") <= 18"
    )
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        store._rows.execute(sql).fetchall()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def measure_workers(url: str, workers: list[int], clients: int, checks: int) -> dict[int, str]:
    with open_store(url) as store:
        _, key = make_key(store, "benchmark", Role.CHECK)
    bodies = [{"query": query, "registries": ["local"]} for query in _queries(checks, 7)]
    rates = {}
    for count in workers:
        port = _free_port()
        environment = {**os.environ, "PROVCHECK_STORE_URL": url}
        python = [sys.executable, "-m", "provcheck"]
        service = _started(
            [*python, "serve", "--port", str(port), "--workers", str(count), "--registry", "local"],
            environment,
            f"http://127.0.0.1:{port}/health",
        )
        try:
            base = f"http://127.0.0.1:{port}"
            headers = {"Authorization": f"Bearer {key}"}
            asyncio.run(_load(base, headers, bodies[: clients * 4], clients))  # warm every worker
            started = time.perf_counter()
            latencies, errors = asyncio.run(_load(base, headers, bodies, clients))
            elapsed = time.perf_counter() - started
            rates[count] = (
                f"{len(latencies) / elapsed:.1f} checks/s, median "
                f"{1000 * statistics.median(latencies):.0f} ms, {len(errors)} errors"
                + (f" ({errors[0]})" if errors else "")
            )
        finally:
            service.terminate()
            service.wait(30)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres", metavar="URL", help="a server where the user may create databases"
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--lostart", type=Path, default=LOSTART)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--checks", type=int, default=2_000)
    parser.add_argument("--parts", default="records,images,workers")
    parser.add_argument(
        "--record-stores",
        default="SQLite,PostgreSQL",
        help="the stores the records are measured in",
    )
    parser.add_argument(
        "--image-stores",
        default="SQLite,PostgreSQL",
        help="the stores the photographs are measured in (image_speed.py measures SQLite alone)",
    )
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    kinds = ["SQLite"] + (["PostgreSQL"] if args.postgres else [])
    sizes = [int(size) for size in args.sizes.split(",")]
    real = real_records(args.lostart)
    print(f"{len(real):,} real records read", file=sys.stderr)
    queries = seller_queries(real[: min(sizes)], args.queries, args.seed)
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        if "records" in parts:
            for size in sizes:
                for kind in [k for k in kinds if k in args.record_stores.split(",")]:
                    print(f"{kind}, {size:,} records", file=sys.stderr)
                    with new_store(kind, args.postgres, folder, f"records-{size}") as where:
                        with open_store(where) as store:
                            got = measure_records(store, real, size, queries, args.seed)
                        if kind == "PostgreSQL" and size == max(sizes) and "workers" in parts:
                            got["workers"] = "; ".join(
                                f"{n} worker{'s' if n > 1 else ''}: {rate}"
                                for n, rate in measure_workers(
                                    where, [1, args.workers], args.clients, args.checks
                                ).items()
                            )
                    rows.append((f"{size:,}", kind, *(f"{k} {v}" for k, v in got.items())))
                    print("  " + "  ".join(rows[-1]), file=sys.stderr)
        if "images" in parts:
            for kind in [k for k in kinds if k in args.image_stores.split(",")]:
                print(f"{kind}, {args.images:,} images", file=sys.stderr)
                with (
                    new_store(kind, args.postgres, folder, "images") as where,
                    open_store(where) as store,
                ):
                    got = measure_photographs(store, folder, args.images, args.seed)
                    rows.append(
                        (f"{args.images:,} images", kind, *(f"{k} {v}" for k, v in got.items()))
                    )
                    print("  " + "  ".join(rows[-1]), file=sys.stderr)
    print()
    for row in rows:
        print(" | ".join(row))


if __name__ == "__main__":
    main()
