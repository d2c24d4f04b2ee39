"""Local store speed: importing the FBI NSAF listing, and answering text queries against it.

    uv run python benchmarks/local_store.py [--csv PATH] [--queries 200]

Targets (issue 3): importing all 4,523 NSAF rows in under 10 s on a 2-core machine; a text query
answering in under 50 ms. Queries are real rows' titles and makers, so each has an answer.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import tempfile
import time
from pathlib import Path

from provcheck import ObjectDescription
from provcheck.store.importing import import_file, load_mapping
from provcheck.store.sqlite import LocalStore

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CSV = ROOT / "adapters/provcheck-fbi/src/provcheck_fbi/seed/nsaf_data.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="an NSAF-format CSV file")
    parser.add_argument("--queries", type=int, default=200, help="text queries to time")
    args = parser.parse_args()

    with args.csv.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    mapping = load_mapping("nsaf")
    with tempfile.TemporaryDirectory() as folder:
        store = LocalStore(Path(folder) / "bench.sqlite3")
        started = time.perf_counter()
        summary = import_file(store, args.csv, mapping=mapping)
        first_import = time.perf_counter() - started
        started = time.perf_counter()
        import_file(store, args.csv, mapping=mapping)
        reimport = time.perf_counter() - started

        sample = random.Random(7).sample(rows, min(args.queries, len(rows)))
        latencies, found_first = [], 0
        for row in sample:
            query = ObjectDescription(title=row["Title"], maker=row["Maker/Artist"])
            started = time.perf_counter()
            records = store.search_text(query, limit=20)
            latencies.append((time.perf_counter() - started) * 1000)
            found_first += bool(records) and records[0].description.title == row["Title"].strip()
        size = store.stats().size_bytes
        store.close()

    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    table = [
        ("rows imported", f"{summary.added:,}", ""),
        ("first import", f"{first_import:.2f} s", "< 10 s"),
        ("import rate", f"{summary.added / first_import:,.0f} rows/s", ""),
        ("re-import (all updates)", f"{reimport:.2f} s", "< 10 s"),
        ("store size", f"{size / 1e6:.1f} MB", ""),
        ("text query, median", f"{statistics.median(latencies):.1f} ms", "< 50 ms"),
        ("text query, p95", f"{p95:.1f} ms", "< 50 ms"),
        ("queries with their own row first", f"{found_first}/{len(sample)}", ""),
    ]
    width = max(len(name) for name, _, _ in table)
    print(f"{'measure':<{width}}  {'value':>16}  target")
    for name, value, target in table:
        print(f"{name:<{width}}  {value:>16}  {target}")


if __name__ == "__main__":
    main()
