"""Image speed: fingerprinting throughput, and retrieval latency as the register grows.

    uv run python benchmarks/image_speed.py [--corpus PATH] [--sizes 10000,100000,1000000]
                                            [--check-sizes 10000,100000]

1. Fingerprinting 2, 6 and 12 MP JPEGs: provcheck's query fingerprints (draft decode, borders
   trimmed, 8 turns and mirrors, pHash and dHash), what an import computes per image (fingerprints,
   local features, a stored copy), against naive `imagehash.phash(Image.open(path))`.
2. Hash retrieval alone (the store's own scan) against registers of synthetic fingerprints
   (random 64-bit hashes; the scan does not care what they are).
3. The whole check of a new photograph (`provcheck.check` on the local register: query
   fingerprints and features, hash and feature retrieval, geometric verification, scoring), of a
   registered work and of one held out of the register (how many of those were flagged), against
   a store of the corpus's real images padded to each size with synthetic images. A synthetic
   image's features are real ORB descriptors drawn at random from the corpus's images (so the
   index meets their real crowding), lightly perturbed, at random positions (so that none of them
   verifies by chance geometry it would not have).
4. Memory and disk per stored image.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import imagehash
import numpy as np
from image_matching import (  # the same new photographs and kept-out works as the recall benchmark
    NEW_PHOTOGRAPH,
    distractible,
)
from PIL import Image

import provcheck
from provcheck.images.descriptor_index import INDEX_TABLES, INDEXED_DESCRIPTORS
from provcheck.images.fingerprints import compute_fingerprints
from provcheck.images.loading import WORKING_SIDE, load_image, thumbnail_jpeg
from provcheck.images.verification import (
    REGISTER_FILLING,
    LocalFeatures,
    features_to_bytes,
    local_features,
)
from provcheck.store.importing import import_file
from provcheck.store.interface import Store
from provcheck.store.local_register import IMAGE_RETRIEVAL_DISTANCE, LocalRegistry
from provcheck.store.sqlite import LocalStore, nearest_images

ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPUS = ROOT.parent / "shared" / "data" / "corpus"
FIXTURE_IMAGES = ROOT / "fixtures" / "sample-register" / "images"


def _megapixel_jpegs(source: Path, folder: Path) -> dict[int, Path]:
    image = Image.open(source).convert("RGB")
    made = {}
    for megapixels in (2, 6, 12):
        scale = (megapixels * 1_000_000 / (image.width * image.height)) ** 0.5
        big = image.resize(
            (int(image.width * scale), int(image.height * scale)), Image.Resampling.BICUBIC
        )
        path = folder / f"{megapixels}mp.jpg"
        big.save(path, quality=88)
        made[megapixels] = path
    return made


def _rate(function: object, path: Path, repeat: int = 5) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        function(path)  # type: ignore[operator]
    return repeat / (time.perf_counter() - started)


def query_fingerprints(path: Path) -> None:
    compute_fingerprints(
        load_image(path.read_bytes(), source=str(path), max_side=512), variants=True
    )


def import_work(path: Path) -> None:
    image = load_image(path.read_bytes(), source=str(path), max_side=WORKING_SIDE)
    compute_fingerprints(image)
    local_features(image, filling=REGISTER_FILLING)
    thumbnail_jpeg(image)


def naive_phash(path: Path) -> None:
    imagehash.phash(Image.open(path))


def padded_store(
    folder: Path, images: list[Path], size: int, seed: int, *, into: Store | None = None
) -> Store:
    """A store of `images` imported for real, padded with synthetic images up to `size`: a new
    SQLite file in `folder`, or the store `into`."""
    records = [
        {"record_id": path.stem, "description": {"images": [{"path": str(path)}]}}
        for path in images
    ]
    (folder / "register.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    store = into if into is not None else LocalStore(folder / f"register-{size}.sqlite3")
    import_file(store, folder / "register.jsonl")
    pool = np.concatenate(
        [
            features.descriptors
            for record in store.iter_records()
            for image in record.description.images
            if image.sha256 and (features := store.image_features(image.sha256)) is not None
        ]
    )
    rng = np.random.default_rng(seed)
    width = height = 768
    for start in range(len(images), size, 1000):
        with store.transaction():
            for number in range(start, min(size, start + 1000)):
                # Each bit flipped with probability 1/8: about 32 of 256 bits from its source, so
                # the synthetic images are neither copies of the real ones nor of each other.
                # As many as an imported picture keeps: its strongest, then its filling.
                kept = 1000 + REGISTER_FILLING
                flips = rng.integers(0, 256, (3, kept, 32), dtype=np.uint8)
                descriptors = pool[rng.integers(0, len(pool), kept)] ^ (
                    flips[0] & flips[1] & flips[2]
                )
                points = rng.uniform(0, width, (kept, 2)).astype(np.float32)
                sha256 = f"{number:064x}"
                fingerprints = {
                    kind: f"{int(v):016x}"
                    for kind, v in zip(("phash", "dhash"), rng.integers(0, 2**63, 2), strict=True)
                }
                store.put_image(
                    sha256,
                    fingerprints,
                    size=(width, height),
                    thumbnail=b"",
                    features=LocalFeatures(
                        points, descriptors, width, height, filling=REGISTER_FILLING
                    ),
                )
                store.put_record(
                    provcheck.Record(
                        registry="local",
                        record_id=f"synthetic-{number}",
                        description=provcheck.ObjectDescription(
                            images=[
                                provcheck.ImageRef(
                                    url=f"https://example.org/{number}.jpg",
                                    sha256=sha256,
                                    fingerprints=fingerprints,
                                )
                            ]
                        ),
                    )
                )
            print(f"\r  padding {number + 1:,}/{size:,}", end="", file=sys.stderr)
    print(file=sys.stderr)
    return store


def check_latency(
    images: list[Path], metadata: Path, size: int, queries: int, seed: int
) -> tuple[str, ...]:
    rng = random.Random(seed)
    # Works held out of the register: most objects checked are in no register, and their
    # check is the slowest (nothing is confirmed, so more candidates are verified).
    absent = rng.sample(distractible(images, metadata), min(queries, len(images) // 4))
    images = [path for path in images if path not in absent]
    with tempfile.TemporaryDirectory() as folder_name:
        built = padded_store(Path(folder_name), images, size, seed)
        assert isinstance(built, LocalStore)
        # A photograph's check builds the feature index (a title's alone does not need it).
        warm_up = {"images": [images[0].read_bytes()]}
        started = time.perf_counter()
        provcheck.check(warm_up, [LocalRegistry(store=built)])
        build = time.perf_counter() - started
        built.close()
        # The next command's view: the store opened afresh, its saved index memory-mapped.
        store = LocalStore(built.path)
        registry = LocalRegistry(store=store)
        started = time.perf_counter()
        provcheck.check(warm_up, [registry])
        reopen = time.perf_counter() - started
        timings, absent_timings, found, flagged = [], [], 0, 0
        transforms = list(NEW_PHOTOGRAPH.items())
        for number in range(queries):
            target = rng.choice(images)
            _, transform = transforms[number % len(transforms)]
            report, seconds = _timed_check(
                transform(Image.open(target).convert("RGB"), rng), registry
            )
            timings.append(seconds)
            best = report.candidates[0] if report.candidates else None
            found += best is not None and best.record.record_id == target.stem
        for number, work in enumerate(absent):
            _, transform = transforms[number % len(transforms)]
            report, seconds = _timed_check(
                transform(Image.open(work).convert("RGB"), rng), registry
            )
            absent_timings.append(seconds)
            flagged += report.conclusion is not provcheck.Conclusion.NO_MATCH_FOUND
        stored = store.stats().size_bytes
        store.close()
    return (
        *_median_and_p95(timings),
        f"{found}/{queries}",
        *_median_and_p95(absent_timings),
        f"{flagged}/{len(absent)}",
        f"{build:.1f} s / {1000 * reopen:.0f} ms",
        f"{stored / size / 1024:.0f} KB",
    )


def _timed_check(
    photograph: Image.Image, registry: LocalRegistry
) -> tuple[provcheck.CheckReport, float]:
    out = io.BytesIO()
    photograph.save(out, format="JPEG", quality=90)
    started = time.perf_counter()
    report = provcheck.check({"images": [out.getvalue()]}, [registry])
    return report, time.perf_counter() - started


def _median_and_p95(timings: list[float]) -> tuple[str, str]:
    timings = sorted(timings)
    return (
        f"{1000 * statistics.median(timings):.0f} ms",
        f"{1000 * timings[int(0.95 * (len(timings) - 1))]:.0f} ms",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=SHARED_CORPUS if SHARED_CORPUS.is_dir() else FIXTURE_IMAGES
    )
    parser.add_argument(
        "--sizes", default="10000,100000,1000000", help="register sizes for hash retrieval"
    )
    parser.add_argument(
        "--check-sizes", default="10000,100000", help="register sizes for the whole check"
    )
    parser.add_argument("--queries", type=int, default=42, help="photographs per size")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    images = sorted(args.corpus.resolve().rglob("*.jpg"))
    rng = np.random.default_rng(1)

    print("1. fingerprinting, images per second (one core)")
    print(f"{'image':<8} {'query prints':>13} {'import work':>12} {'naive phash':>12}")
    with tempfile.TemporaryDirectory() as folder:
        for megapixels, path in _megapixel_jpegs(images[0], Path(folder)).items():
            query_fingerprints(path)  # warm the libraries
            print(
                f"{megapixels:>2} MP    {_rate(query_fingerprints, path):>13.1f} {_rate(import_work, path):>12.1f} "
                f"{_rate(naive_phash, path):>12.1f}"
            )

    # A photograph's query fingerprints: 8 turns and mirrors, of the whole and of the artwork
    # found in it, pHash and dHash.
    photo = NEW_PHOTOGRAPH["frame on a wall"](
        Image.open(images[0]).convert("RGB"), random.Random(1)
    )
    query = compute_fingerprints(photo, variants=True)
    print(f"\n2. hash retrieval alone, median of 20 queries ({len(query)} hashes per photograph)")
    for size in sorted(int(s) for s in args.sizes.split(",") if s):
        stored = {
            kind: rng.integers(0, 2**63, size, dtype=np.int64).view(np.uint64)
            for kind in ("phash", "dhash")
        }
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            nearest_images(stored, [query], IMAGE_RETRIEVAL_DISTANCE)
            timings.append(time.perf_counter() - started)
        print(f"{size:>10,} images   {1000 * statistics.median(timings):>6.1f} ms")

    print(
        f"\n3. check of a new photograph (verification included), {args.queries} queries per size"
    )
    print(f"{'':>10} {'registered works':>26} {'works in no register':>29}")
    print(
        f"{'register':>10} {'median':>8} {'p95':>8} {'found':>8} {'median':>8} {'p95':>8}"
        f" {'flagged':>11} {'index build / reopen':>21} {'store per image':>16}"
    )
    for size in sorted(int(s) for s in args.check_sizes.split(",") if s):
        row = check_latency(
            images, args.corpus.resolve() / "metadata.csv", size, args.queries, args.seed
        )
        print(
            f"{size:>10,} {row[0]:>8} {row[1]:>8} {row[2]:>8} {row[3]:>8} {row[4]:>8}"
            f" {row[5]:>11} {row[6]:>21} {row[7]:>16}"
        )

    print("\n4. memory per stored image")
    print(
        f"  hash retrieval: 16 bytes; feature index: {INDEXED_DESCRIPTORS * 32:,} bytes of"
        f" descriptors and {INDEXED_DESCRIPTORS * 4 * INDEX_TABLES:,} of bucket tables (memory-mapped)"
    )
    image = load_image(images[0].read_bytes(), source=str(images[0]))
    print(
        f"  kept on disk: {len(thumbnail_jpeg(image)):,} bytes of stored copy (768 px JPEG),"
        f" {len(features_to_bytes(local_features(image, filling=REGISTER_FILLING))):,} of local features"
    )


if __name__ == "__main__":
    main()
