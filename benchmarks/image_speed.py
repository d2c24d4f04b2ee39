"""Image speed: fingerprinting throughput, and retrieval latency as the register grows.

    uv run python benchmarks/image_speed.py [--corpus PATH] [--sizes 10000,100000,1000000]

1. Fingerprinting 2, 6 and 12 MP JPEGs: provcheck's query fingerprints (draft decode, borders
   trimmed, 8 turns and mirrors, pHash and dHash), what an import computes per image (fingerprints,
   ORB descriptors, a stored copy), against naive `imagehash.phash(Image.open(path))`.
2. Retrieval against registers of synthetic fingerprints (random 64-bit hashes; the scan does not
   care what they are): hash retrieval at each size, and the local-feature index (400 stored
   descriptors per image) at the sizes that fit in memory here.
3. Memory per stored image.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image

from provcheck.descriptor_index import DescriptorIndex
from provcheck.imaging import compute_fingerprints, load_image, thumbnail_jpeg
from provcheck.verification import index_descriptors, local_features

ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPUS = ROOT.parent / "shared" / "data" / "corpus"
FIXTURE_IMAGES = ROOT / "fixtures" / "sample-register" / "images"
DESCRIPTORS_PER_IMAGE = 400


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
    image = load_image(path.read_bytes(), source=str(path))
    compute_fingerprints(image)
    index_descriptors(image)
    thumbnail_jpeg(image)


def naive_phash(path: Path) -> None:
    imagehash.phash(Image.open(path))


def hash_scan(stored: np.ndarray, queries: list[int]) -> None:
    best = np.full(len(stored), 64, dtype=np.int64)
    for value in queries:
        best = np.minimum(best, np.bitwise_count(stored ^ np.uint64(value)).astype(np.int64))
    np.argpartition(best, 20)[:20]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=SHARED_CORPUS if SHARED_CORPUS.is_dir() else FIXTURE_IMAGES
    )
    parser.add_argument(
        "--sizes", default="10000,100000,1000000", help="register sizes for hash retrieval"
    )
    parser.add_argument(
        "--feature-sizes", default="10000,30000", help="register sizes for the feature index"
    )
    args = parser.parse_args()
    source = sorted(args.corpus.rglob("*.jpg"))[0]
    rng = np.random.default_rng(1)

    print("1. fingerprinting, images per second (one core)")
    print(f"{'image':<8} {'query prints':>13} {'import work':>12} {'naive phash':>12}")
    with tempfile.TemporaryDirectory() as folder:
        for megapixels, path in _megapixel_jpegs(source, Path(folder)).items():
            query_fingerprints(path)  # warm the libraries
            print(
                f"{megapixels:>2} MP    {_rate(query_fingerprints, path):>13.1f} {_rate(import_work, path):>12.1f} "
                f"{_rate(naive_phash, path):>12.1f}"
            )

    print("\n2. retrieval latency, median of 20 queries")
    print(f"{'register':>10} {'hash retrieval':>15} {'feature index':>14} {'index build':>12}")
    query_hashes = [int(v) for v in rng.integers(0, 2**63, 16, dtype=np.int64)]  # 8 turns x 2 kinds
    query_features = local_features(Image.open(source).convert("RGB")).descriptors
    feature_sizes = {int(s) for s in args.feature_sizes.split(",") if s}
    for size in sorted({int(s) for s in args.sizes.split(",")} | feature_sizes):
        stored = rng.integers(0, 2**63, size, dtype=np.int64).view(np.uint64)
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            hash_scan(stored, query_hashes)
            timings.append(time.perf_counter() - started)
        hash_ms = f"{1000 * statistics.median(timings):.1f} ms"
        feature_ms = build = "-"
        if size in feature_sizes:
            descriptors = rng.integers(0, 256, (size * DESCRIPTORS_PER_IMAGE, 32), dtype=np.uint8)
            owners = np.repeat(np.arange(size), DESCRIPTORS_PER_IMAGE)
            started = time.perf_counter()
            index = DescriptorIndex(descriptors, owners)
            build = f"{time.perf_counter() - started:.1f} s"
            timings = []
            for _ in range(20):
                started = time.perf_counter()
                index.votes(query_features, limit=20, min_votes=5)
                timings.append(time.perf_counter() - started)
            feature_ms = f"{1000 * statistics.median(timings):.0f} ms"
            del index, descriptors, owners
        print(f"{size:>10,} {hash_ms:>15} {feature_ms:>14} {build:>12}")

    print("\n3. memory per stored image")
    print(
        f"  fingerprints in memory: 16 bytes; local descriptors: {DESCRIPTORS_PER_IMAGE * 32:,} bytes"
    )
    print(
        f"  feature index in memory: {DESCRIPTORS_PER_IMAGE * (32 + 8 + 8 * (4 + 8)):,} bytes (descriptors, owners, 8 tables)"
    )
    image = load_image(source.read_bytes(), source=str(source))
    print(f"  stored copy on disk: {len(thumbnail_jpeg(image)):,} bytes (768 px JPEG)")


if __name__ == "__main__":
    main()
