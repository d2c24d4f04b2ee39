"""Batch speed: a catalogue of 1,000 objects checked against the local register and the mock
registers of the installed plugins (in-process), on this machine.

    uv run python benchmarks/batch.py [--objects 1000] [--concurrency 8]

The local store holds the 4,523 records of the NSAF listing; the catalogue's objects are real
rows of it and of the public-domain corpus's metadata (`fixtures/benchmark/artworks.csv`), so
some are registered and most are not, described in text as catalogues are. The mocks' staff
answer at once (`review_seconds=0`): what is measured is provcheck's own work and the services'
round trips, not a register's review time. Target (issue 8): 1,000 objects in under 2 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import tempfile
import time
from pathlib import Path

from provcheck import LocalRegistry, LocalStore, Registry
from provcheck.batch import read_catalogue, run_batch
from provcheck.registers.discovery import registry_class
from provcheck.store.importing import import_file, load_mapping
from provcheck.testing.mocks import Faults, in_process, installed_mocks, load_mock

ROOT = Path(__file__).resolve().parent.parent
NSAF = ROOT / "adapters/provcheck-fbi/src/provcheck_fbi/seed/nsaf_data.csv"
ARTWORKS = ROOT / "fixtures" / "benchmark" / "artworks.csv"


def catalogue(path: Path, objects: int, seed: int) -> None:
    chance = random.Random(seed)
    with NSAF.open(encoding="utf-8", newline="") as file:
        registered = [
            {"title": r["Title"], "maker": r["Maker/Artist"], "period": r["Time Period"],
             "materials": r["Materials"], "measurements": r["Measurements"]}
            for r in csv.DictReader(file)
        ]  # fmt: skip
    with ARTWORKS.open(encoding="utf-8", newline="") as file:
        unregistered = list(csv.DictReader(file))
    rows = chance.sample(registered, objects // 5) + chance.sample(
        unregistered * 4, objects - objects // 5
    )
    chance.shuffle(rows)
    with path.open("w", encoding="utf-8") as file:
        for number, row in enumerate(rows, start=1):
            file.write(json.dumps({"id": f"lot-{number}", **row}) + "\n")


def mock_registers() -> list[Registry]:
    registers: list[Registry] = []
    for name in installed_mocks():
        if name == "fbi":
            continue  # the FBI's live API is text search of another service: not a register here
        mock = load_mock(name)(Faults(), {"review_seconds": "0", "min_poll_interval": "0"})
        settings = {**mock.client_settings, "poll_interval": 0.05}
        registers.append(registry_class(name)(transport=in_process(mock.app), **settings))
    return registers


async def run(objects: int, concurrency: int, folder: Path) -> None:
    store = LocalStore(folder / "store.sqlite3")
    import_file(store, NSAF, mapping=load_mapping("nsaf"))
    catalogue(folder / "catalogue.jsonl", objects, seed=8)
    items, problems = read_catalogue(folder / "catalogue.jsonl")
    registers: list[Registry] = [LocalRegistry(store=store), *mock_registers()]
    started = time.perf_counter()
    try:
        summary = await run_batch(items, registers, folder / "out", concurrency=concurrency)
    finally:
        await asyncio.gather(*(r.aclose() for r in registers))
        store.close()
    seconds = time.perf_counter() - started
    names = ", ".join(r.name for r in registers)
    print(f"{'objects':<10} {'registers':<18} {'concurrency':>11} {'seconds':>8} {'objects/s':>10}")
    print(
        f"{summary.checked:<10,} {names:<18} {concurrency:>11} {seconds:>8.1f} {summary.checked / seconds:>10.1f}"
    )
    print(f"\nconclusions: {summary.by_conclusion}; rows left out: {len(problems)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(args.objects, args.concurrency, Path(folder)))


if __name__ == "__main__":
    main()
