"""How much of the real NSAF text the parsers read into structure.

    uv run python benchmarks/parsing.py [--csv PATH]

Counted as in the core issue: a measurement field counts when it contains a digit, a period when
it contains a year (three or four digits) or a century; "structured" means at least one
measurement, or at least one bound of the years, was read. The verbatim text is always kept.
"""

from __future__ import annotations

import argparse
import csv
import re
import time
from pathlib import Path

from provcheck import parse_makers, parse_measurements, parse_period

DEFAULT_CSV = (
    Path(__file__).resolve().parent.parent
    / "adapters/provcheck-fbi/src/provcheck_fbi/seed/nsaf_data.csv"
)
_YEAR_OR_CENTURY = re.compile(r"\d{3,4}|centur|\d\s*(?:st|nd|rd|th)\b", re.IGNORECASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    args = parser.parse_args()
    with args.csv.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))

    started = time.perf_counter()
    sizes = [r["Measurements"] for r in rows if re.search(r"\d", r["Measurements"])]
    sizes_read = [t for t in sizes if parse_measurements(t)]
    periods = [r["Time Period"] for r in rows if _YEAR_OR_CENTURY.search(r["Time Period"])]
    periods_read = [t for t in periods if (p := parse_period(t)) is not None and p.is_structured]
    makers = [r["Maker/Artist"] for r in rows if r["Maker/Artist"].strip()]
    several = [t for t in makers if len(parse_makers(t)) > 1]
    elapsed = time.perf_counter() - started

    print(f"{'field':<40} {'counted':>8} {'structured':>11} {'share':>7}")
    print(
        f"{'measurements with a number':<40} {len(sizes):>8,} {len(sizes_read):>11,} {len(sizes_read) / len(sizes):>7.1%}"
    )
    print(
        f"{'periods with a year or a century':<40} {len(periods):>8,} {len(periods_read):>11,} {len(periods_read) / len(periods):>7.1%}"
    )
    print(
        f"{'maker fields split into several makers':<40} {len(makers):>8,} {len(several):>11,} {len(several) / len(makers):>7.1%}"
    )
    print(f"\n{len(rows):,} rows parsed in {elapsed:.2f} s; not read:")
    for text in sorted(set(sizes) - set(sizes_read)) + sorted(set(periods) - set(periods_read)):
        print(f"  {text!r}")


if __name__ == "__main__":
    main()
