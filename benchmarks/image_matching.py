"""Image matching: find a registered artwork from a re-used image or a new photograph of it.

    uv run python benchmarks/image_matching.py [--corpus PATH] [--sample 40] [--pad 0] [--seed 5]

The register (a temporary local store) holds most of the corpus's images -- by default
`../shared/data/corpus`, else the sample register's images in fixtures/ -- plus, with `--pad N`,
pseudo-artworks cut from tiles of registered images that are not queried, until it holds N
images. Images kept out of it are the distractors. Each query is a transform of one image:

- (a) re-used image: resize, JPEG recompression, crop, border, rotation by 90/180/270, mirror,
  grayscale, colour and brightness shifts;
- (b) new photograph: perspective, rotation, a frame on a textured wall, uneven light, sensor
  noise, a larger crop, and all of them combined.

provcheck runs the real check (`provcheck.check` against the `local` register: hash and feature
retrieval, geometric verification, scoring). The baseline is `imagehash.phash` of the query
against the stored images' pHash, nearest within a fixed threshold (10 bits). Reported per
transform: recall@1 (the target first and at or above the match threshold) and false matches
(distractor queries with any candidate at or above it).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

import provcheck
from provcheck.store.importing import import_file
from provcheck.store.local_register import LocalRegistry
from provcheck.store.sqlite import LocalStore

ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPUS = ROOT.parent / "shared" / "data" / "corpus"
FIXTURE_IMAGES = ROOT / "fixtures" / "sample-register" / "images"
BASELINE_BITS = 10

Transform = Callable[[Image.Image, random.Random], Image.Image]


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def _crop(image: Image.Image, share: float, rng: random.Random) -> Image.Image:
    w, h = image.size
    left, top = rng.uniform(0, share) * w, rng.uniform(0, share) * h
    right, bottom = w - (share * w - left), h - (share * h - top)
    return image.crop((int(left), int(top), int(right), int(bottom)))


def _border(image: Image.Image, share: float, rng: random.Random) -> Image.Image:
    colour = rng.choice([(255, 255, 255), (0, 0, 0), (128, 128, 128), (240, 230, 210)])
    return ImageOps.expand(image, border=int(share * max(image.size) / 2), fill=colour)


def _perspective(image: Image.Image, amount: float, rng: random.Random) -> Image.Image:
    w, h = image.size
    d = [rng.uniform(0, amount) for _ in range(8)]
    target = [
        (d[0] * w, d[1] * h),
        (w - d[2] * w, d[3] * h),
        (w - d[4] * w, h - d[5] * h),
        (d[6] * w, h - d[7] * h),
    ]
    source = [(0, 0), (w, 0), (w, h), (0, h)]
    rows = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    coefficients = np.linalg.solve(np.array(rows, float), np.array(source, float).reshape(8))
    return image.transform(
        image.size,
        Image.Transform.PERSPECTIVE,
        list(coefficients),
        Image.Resampling.BICUBIC,
        fillcolor=(200, 200, 200),
    )


def _on_wall(image: Image.Image, rng: random.Random) -> Image.Image:
    frame = rng.choice([(60, 40, 20), (180, 150, 60), (20, 20, 20), (230, 225, 210)])
    framed = ImageOps.expand(image, border=max(8, image.width // 25), fill=frame)
    base = rng.uniform(150, 230)
    noise = np.random.default_rng(rng.randrange(10**6)).normal(
        base, 10, (framed.height * 3 // 2, framed.width * 3 // 2, 3)
    )
    wall = Image.fromarray(noise.clip(0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(1.5)
    )
    wall.paste(framed, ((wall.width - framed.width) // 2, (wall.height - framed.height) // 2))
    return wall


def _light(image: Image.Image, rng: random.Random) -> Image.Image:
    gradient = Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize(image.size)
    light = gradient.point(lambda v: int(140 + v * 0.45))
    return Image.composite(image, Image.new("RGB", image.size, (0, 0, 0)), light)


def _noise(image: Image.Image, rng: random.Random) -> Image.Image:
    pixels = np.asarray(image, dtype=np.int16)
    noisy = pixels + np.random.default_rng(rng.randrange(10**6)).normal(0, 7, pixels.shape).astype(
        np.int16
    )
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))


REUSED: dict[str, Transform] = {
    "resize 40%": lambda im, r: im.resize(
        (max(32, int(im.width * 0.4)), max(32, int(im.height * 0.4)))
    ),
    "jpeg quality 30": lambda im, r: _jpeg(im, 30),
    "crop 15%": lambda im, r: _crop(im, 0.15, r),
    "border 25%": lambda im, r: _border(im, 0.25, r),
    "rotate 90": lambda im, r: im.transpose(Image.Transpose.ROTATE_90),
    "rotate 180": lambda im, r: im.transpose(Image.Transpose.ROTATE_180),
    "rotate 270": lambda im, r: im.transpose(Image.Transpose.ROTATE_270),
    "mirror": lambda im, r: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    "grayscale": lambda im, r: ImageOps.grayscale(im).convert("RGB"),
    "colour and brightness": lambda im, r: ImageEnhance.Brightness(
        ImageEnhance.Color(im).enhance(1.5)
    ).enhance(1.2),
}
NEW_PHOTOGRAPH: dict[str, Transform] = {
    "perspective 20%": lambda im, r: _perspective(im, 0.2, r),
    "rotate ±10°": lambda im, r: im.rotate(
        r.uniform(-10, 10),
        resample=Image.Resampling.BICUBIC,
        expand=True,
        fillcolor=(210, 210, 210),
    ),
    "frame on a wall": lambda im, r: _on_wall(im, r),
    "uneven light": lambda im, r: _light(im, r),
    "sensor noise": lambda im, r: _noise(im, r),
    "crop 30%": lambda im, r: _crop(im, 0.30, r),
    "all combined": lambda im, r: _jpeg(
        _noise(_light(_perspective(_on_wall(_crop(im, 0.1, r), r), 0.12, r), r), r).rotate(
            r.uniform(-6, 6), resample=Image.Resampling.BICUBIC, fillcolor=(200, 200, 200)
        ),
        75,
    ),
}


def pseudo_artworks(
    sources: list[Path], count: int, folder: Path, rng: random.Random
) -> list[Path]:
    """Padding for the register: tiles cut from corpus images, resized, each a distinct 'work'."""
    made = []
    for number in range(count):
        source = Image.open(rng.choice(sources)).convert("RGB")
        w, h = source.size
        tw, th = int(w * rng.uniform(0.3, 0.6)), int(h * rng.uniform(0.3, 0.6))
        x, y = rng.randrange(0, w - tw), rng.randrange(0, h - th)
        tile = source.crop((x, y, x + tw, y + th)).resize(
            (rng.randrange(300, 600), rng.randrange(300, 600))
        )
        if rng.random() < 0.5:
            tile = tile.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        path = folder / f"pad-{number:06d}.jpg"
        tile.save(path, quality=85)
        made.append(path)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=SHARED_CORPUS if SHARED_CORPUS.is_dir() else FIXTURE_IMAGES
    )
    parser.add_argument("--sample", type=int, default=40, help="registered images to query")
    parser.add_argument("--distractors", type=int, default=40, help="images kept out, queried")
    parser.add_argument("--pad", type=int, default=0, help="pad the register to this many images")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--keep-false", type=Path, help="save false-match queries in this folder")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    images = sorted(args.corpus.resolve().rglob("*.jpg"))
    rng.shuffle(images)
    kept_out = images[: args.distractors]
    registered = images[args.distractors :]
    matcher = provcheck.Matcher()

    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        targets = rng.sample(registered, min(args.sample, len(registered)))
        # Padding is cut from registered works that are not queried: a tile of a target would be
        # a detail of the very picture sought, and one of a distractor a copy of it.
        sources = [path for path in registered if path not in targets] or registered
        padding = (
            pseudo_artworks(sources, max(0, args.pad - len(registered)), folder, rng)
            if args.pad
            else []
        )
        records = [
            {"record_id": path.stem, "description": {"images": [{"path": str(path)}]}}
            for path in registered + padding
        ]
        (folder / "register.jsonl").write_text(
            "\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8"
        )
        store = LocalStore(folder / "register.sqlite3")
        started = time.perf_counter()
        import_file(
            store,
            folder / "register.jsonl",
            progress=lambda done, total: (
                print(f"\r  importing {done}/{total}", end="", file=sys.stderr)
                if done % 200 == 0
                else None
            ),
        )
        import_seconds = time.perf_counter() - started
        print(f"\r  imported {len(records)} images in {import_seconds:.0f} s", file=sys.stderr)
        stored_phash = {
            path.stem: imagehash.phash(Image.open(path)) for path in registered + padding
        }
        registry = LocalRegistry(store=store)

        def run(query: Image.Image) -> tuple[str | None, float, tuple[str, int]]:
            out = io.BytesIO()
            query.convert("RGB").save(out, format="JPEG", quality=90)
            report = provcheck.check({"images": [out.getvalue()]}, [registry])
            best = report.candidates[0] if report.candidates else None
            ours = (best.record.record_id, best.score) if best else (None, 0.0)
            query_hash = imagehash.phash(query)
            nearest = min(stored_phash.items(), key=lambda item: item[1] - query_hash)
            return ours[0], ours[1], (nearest[0], nearest[1] - query_hash)

        rows: list[tuple[str, str, float, float, float, float, int]] = []
        latencies: list[float] = []
        for group, transforms in (("(a) re-used", REUSED), ("(b) new photo", NEW_PHOTOGRAPH)):
            for name, transform in transforms.items():
                found = base_found = false = base_false = 0
                for target in targets:
                    query = transform(Image.open(target).convert("RGB"), rng)
                    started = time.perf_counter()
                    best, score, (nearest, bits) = run(query)
                    latencies.append(time.perf_counter() - started)
                    found += best == target.stem and score >= matcher.match_threshold
                    base_found += nearest == target.stem and bits <= BASELINE_BITS
                for distractor in kept_out:
                    query = transform(Image.open(distractor).convert("RGB"), rng)
                    wrong, score, (_, bits) = run(query)
                    if score >= matcher.match_threshold:
                        false += 1
                        print(f"  false match: {distractor.stem} -> {wrong}", file=sys.stderr)
                        if args.keep_false:
                            args.keep_false.mkdir(parents=True, exist_ok=True)
                            query.save(args.keep_false / f"{distractor.stem}-{wrong}.png")
                    base_false += bits <= BASELINE_BITS
                rows.append(
                    (
                        group,
                        name,
                        found / len(targets),
                        base_found / len(targets),
                        false / len(kept_out),
                        base_false / len(kept_out),
                        len(targets),
                    )
                )
                print(f"  {group} {name}: {found}/{len(targets)}", file=sys.stderr)
        store.close()

    print(
        f"\nregister: {len(registered) + len(padding):,} images ({len(padding):,} padding); "
        f"{len(targets)} targets and {len(kept_out)} distractors per transform; seed {args.seed}"
    )
    print(f"{'transform':<32} {'recall@1':>17}  {'false matches':>17}")
    print(f"{'':<32} {'provcheck  base':>17}  {'provcheck  base':>17}")
    for group in ("(a) re-used", "(b) new photo"):
        picked = [r for r in rows if r[0] == group]
        for _, name, ours, base, false, base_false, _ in picked:
            print(
                f"{group[:3]} {name:<28} {ours:>9.3f} {base:>6.3f}  {false:>9.3f} {base_false:>6.3f}"
            )
        mean = [sum(r[i] for r in picked) / len(picked) for i in (2, 3, 4, 5)]
        print(f"{group:<32} {mean[0]:>9.3f} {mean[1]:>6.3f}  {mean[2]:>9.3f} {mean[3]:>6.3f}")
    latencies.sort()
    print(
        f"\nquery latency (check, verification included): median {1000 * latencies[len(latencies) // 2]:.0f} ms, "
        f"p95 {1000 * latencies[int(0.95 * (len(latencies) - 1))]:.0f} ms; import {import_seconds:.0f} s"
    )


if __name__ == "__main__":
    main()
