"""Image matching: find a registered artwork from a re-used image or a new photograph of it.

    uv run python benchmarks/image_matching.py [--corpus PATH] [--sample 40] [--pad 0] [--seed 5]

The register (a temporary local store) holds most of the corpus's images -- by default
`../shared/data/corpus`, else the sample register's images in fixtures/ -- plus, with `--pad N`,
pseudo-artworks cut from tiles of registered images that are not queried, until it holds N
images. Images kept out of it are the distractors. Each query is a transform of one image:

- (a) re-used image: resize, JPEG recompression, crop, border, rotation by 90/180/270, mirror,
  grayscale, colour and brightness shifts;
- (b) new photograph: perspective, rotation, a frame on a textured wall, uneven light, sensor
  noise, a larger crop, and all of them combined;
- (c) photographs as they really arrive (`photographs_as_they_arrive.py`): a detail of 15-30% of
  the work photographed close up; the work on a screen (moire) and in a printed halftone,
  photographed; occluded by a hand, paper or glare; an old black-and-white record photograph as
  the query, and as the register's image of a work photographed anew (the register holds those
  works by an old photograph); several views -- a hard photograph of the front and one of the
  back of the canvas, against records holding the front and their own back.

And impressions: every series of impressions in the corpus (prints of one title and maker, all
registered), each queried by its exact image, must come first and never tied, its sisters said
to be possibly another impression.

    uv run python benchmarks/image_matching.py --sample 60 --distractors 60 [--only detail]
                                               [--explain] [--keep-missed DIR] [--keep-false DIR]

provcheck runs the real check (`provcheck.check` against the `local` register: hash and feature
retrieval, geometric verification, scoring). The baseline is `imagehash.phash` of the query
against the stored images' pHash, nearest within a fixed threshold (10 bits). Reported per
family: recall@1 (the target first and at or above the match threshold) and false matches
(distractor queries, the kept-out images through the same family, with any candidate at or above
it).
"""

from __future__ import annotations

import argparse
import csv
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
import photographs_as_they_arrive as arrive
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
    "jpeg quality 30": lambda im, r: arrive.recompressed(im, 30),
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
    "all combined": lambda im, r: arrive.recompressed(
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


def impression_series(images: list[Path], metadata: Path | None) -> list[list[Path]]:
    """Works of which the corpus holds several impressions (prints of one plate, one title and
    maker): the exact-copy-first rule is measured on each."""
    if metadata is None or not metadata.is_file():
        return []
    by_file = {path.relative_to(metadata.parent).as_posix(): path for path in images}
    groups: dict[tuple[str, str], list[Path]] = {}
    with metadata.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            kind = row.get("object_type", "")
            if row["file"] in by_file and ("print" in kind or "photograph" in kind):
                key = (row["title"].casefold(), row["artist"].split(",")[0].casefold())
                groups.setdefault(key, []).append(by_file[row["file"]])
    return [sorted(series) for series in groups.values() if len(series) > 1]


def same_works(images: list[Path], metadata: Path | None) -> dict[str, set[str]]:
    """Images of one work, by file stem: a museum's photograph of a detail of an object and its
    photograph of the whole (one museum, title and maker). Either is the right answer to a query
    of the other, so neither is a distractor, nor cut into padding."""
    if metadata is None or not metadata.is_file():
        return {}
    by_file = {path.relative_to(metadata.parent).as_posix(): path for path in images}
    groups: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    with metadata.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            if row["file"] in by_file:
                key = (row["museum"], row["title"].casefold(), row["artist"].casefold())
                groups.setdefault(key, []).append((by_file[row["file"]].stem, row["object_type"]))
    found: dict[str, set[str]] = {}
    for members in groups.values():
        kinds = [kind == "detail of object" for _, kind in members]
        if any(kinds) and not all(kinds):
            found |= {stem: {s for s, _ in members} for stem, _ in members}
    return found


def distractible(images: list[Path], metadata: Path | None) -> list[Path]:
    """Works that may stand for objects in no register, in the order given: neither an
    impression of a series (every impression is registered) nor one of two images of one work
    (either is the right answer for the other)."""
    in_series = {path for group in impression_series(images, metadata) for path in group}
    one_work = same_works(images, metadata)
    return [p for p in images if p not in in_series and p.stem not in one_work]


# A query is one photograph or several (views of one object); a case makes it from the target.
Case = Callable[[Path, random.Random], list[Image.Image]]


def _one(transform: Transform) -> Case:
    return lambda path, rng: [transform(Image.open(path).convert("RGB"), rng)]


_HARD_FRONTS = (arrive.detail, arrive.screen, arrive.halftone_print, arrive.occluded)


def _explain(target: str, candidates: list[provcheck.Candidate]) -> None:
    """Where a target ranked, and what the photographs said of the first candidates."""
    ranked = [c.record.record_id for c in candidates]
    place = ranked.index(target) + 1 if target in ranked else None
    print(f"    {target} ranked {place or 'nowhere'}", file=sys.stderr)
    shown = list(candidates[:2]) + [c for c in candidates if c.record.record_id == target]
    for candidate in {id(c): c for c in shown}.values():
        for evidence in candidate.evidence:
            if evidence.field == "images":
                print(f"    {candidate.score:.3f} {evidence.reason[:300]}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=SHARED_CORPUS if SHARED_CORPUS.is_dir() else FIXTURE_IMAGES
    )
    parser.add_argument("--sample", type=int, default=40, help="registered images to query")
    parser.add_argument("--distractors", type=int, default=40, help="images kept out, queried")
    parser.add_argument("--pad", type=int, default=0, help="pad the register to this many images")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--only", help="run only the families whose name contains this (e.g. 'detail')"
    )
    parser.add_argument("--keep-false", type=Path, help="save false-match queries in this folder")
    parser.add_argument("--keep-missed", type=Path, help="save missed queries in this folder")
    parser.add_argument(
        "--explain", action="store_true", help="print the photographs' evidence of each miss"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    corpus = args.corpus.resolve()
    images = sorted(corpus.rglob("*.jpg"))
    series = impression_series(images, corpus / "metadata.csv")
    in_series = {path for group in series for path in group}
    one_work = same_works(images, corpus / "metadata.csv")
    rng.shuffle(images)
    # Every impression of a series is registered: the rule is about telling them apart.
    kept_out = distractible(images, corpus / "metadata.csv")[: args.distractors]
    registered = [path for path in images if path not in kept_out]
    matcher = provcheck.Matcher()

    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        free = [path for path in registered if path not in in_series]
        chosen = rng.sample(free, min(3 * args.sample, len(free)))
        # Three sets of targets: queried as they are registered; registered by an old record
        # photograph; registered with the back of the canvas as a second view.
        targets, archived, with_back = (
            chosen[: args.sample],
            chosen[args.sample : 2 * args.sample],
            chosen[2 * args.sample :],
        )
        # Padding is cut from registered works that are not queried: a tile of a target would be
        # a detail of the very picture sought, and one of a distractor a copy of it.
        # Nor of an impression, which is queried by its exact image.
        sources = [
            p
            for p in registered
            if p not in chosen and p not in in_series and p.stem not in one_work
        ] or registered
        padding = (
            pseudo_artworks(sources, max(0, args.pad - len(registered)), folder, rng)
            if args.pad
            else []
        )
        register_images: dict[str, list[Path]] = {path.stem: [path] for path in registered}
        backs: dict[str, Image.Image] = {}
        for path in archived:
            old = folder / f"archival-{path.stem}.jpg"
            arrive.archival(Image.open(path).convert("RGB"), rng).save(old, quality=85)
            register_images[path.stem] = [old]
        for path in with_back:
            backs[path.stem] = arrive.canvas_back(rng)
            back = folder / f"back-{path.stem}.jpg"
            backs[path.stem].save(back, quality=88)
            register_images[path.stem] = [path, back]
        register_images |= {path.stem: [path] for path in padding}
        records = [
            {
                "record_id": stem,
                "description": {"images": [{"path": str(path)} for path in paths]},
            }
            for stem, paths in register_images.items()
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
        print(f"\r  imported {len(records)} records in {import_seconds:.0f} s", file=sys.stderr)
        stored_phash = [
            (stem, imagehash.phash(Image.open(path)))
            for stem, paths in register_images.items()
            for path in paths
        ]
        registry = LocalRegistry(store=store)

        def run(query: list[Image.Image]) -> tuple[list[provcheck.Candidate], tuple[str, int]]:
            photographs = []
            for image in query:
                out = io.BytesIO()
                image.convert("RGB").save(out, format="JPEG", quality=90)
                photographs.append(out.getvalue())
            report = provcheck.check({"images": photographs}, [registry])
            hashes = [imagehash.phash(image) for image in query]
            nearest = min(
                ((stem, stored - h) for stem, stored in stored_phash for h in hashes),
                key=lambda pair: pair[1],
            )
            return list(report.candidates), nearest

        def new_photograph_of(path: Path, r: random.Random) -> list[Image.Image]:
            return [arrive.photographed(Image.open(path).convert("RGB"), r, tilt=0.08)]

        def several_views(path: Path, r: random.Random) -> list[Image.Image]:
            """A hard photograph of the front and one of the back: the register's back when it
            keeps one (re-photographed), else a back of the seller's own."""
            front = r.choice(_HARD_FRONTS)(Image.open(path).convert("RGB"), r)
            back = backs.get(path.stem) or arrive.canvas_back(r)
            views = [front, arrive.photographed(back, r, tilt=0.08)]
            r.shuffle(views)
            return views

        families: list[tuple[str, str, Case, list[Path]]] = [
            *[("(a) re-used", name, _one(t), targets) for name, t in REUSED.items()],
            *[("(b) new photo", name, _one(t), targets) for name, t in NEW_PHOTOGRAPH.items()],
            ("(c) as they arrive", "detail 15-30%", _one(arrive.detail), targets),
            ("(c) as they arrive", "screen (moire)", _one(arrive.screen), targets),
            ("(c) as they arrive", "halftone print", _one(arrive.halftone_print), targets),
            ("(c) as they arrive", "occluded 20-35%", _one(arrive.occluded), targets),
            ("(c) as they arrive", "archival query", _one(arrive.archival), targets),
            ("(c) as they arrive", "archival record", new_photograph_of, archived),
            ("(c) as they arrive", "several views", several_views, with_back),
        ]
        if args.only:
            families = [f for f in families if args.only.casefold() in f[1].casefold()]
        rows: list[tuple[str, str, float, float, float, float]] = []
        latencies: list[float] = []
        false_total = distractor_total = 0
        for group, name, case, queried in families:
            found = base_found = false = base_false = 0
            for target in queried:
                query = case(target, rng)
                started = time.perf_counter()
                candidates, (nearest, bits) = run(query)
                latencies.append(time.perf_counter() - started)
                best = candidates[0] if candidates else None
                hit = (
                    best is not None
                    and best.record.record_id in one_work.get(target.stem, {target.stem})
                    and best.score >= matcher.match_threshold
                )
                found += hit
                base_found += nearest == target.stem and bits <= BASELINE_BITS
                if not hit and args.explain:
                    print(f"  missed: {name}", file=sys.stderr)
                    _explain(target.stem, candidates)
                if not hit and args.keep_missed:
                    args.keep_missed.mkdir(parents=True, exist_ok=True)
                    for number, image in enumerate(query):
                        image.save(args.keep_missed / f"{name[:12]}-{target.stem}-{number}.jpg")
            for distractor in kept_out:
                query = case(distractor, rng)
                candidates, (_, bits) = run(query)
                if candidates and candidates[0].score >= matcher.match_threshold:
                    false += 1
                    wrong = candidates[0].record.record_id
                    print(f"  false match: {name}: {distractor.stem} -> {wrong}", file=sys.stderr)
                    if args.explain:
                        _explain(distractor.stem, candidates[:1])
                    if args.keep_false:
                        args.keep_false.mkdir(parents=True, exist_ok=True)
                        for number, image in enumerate(query):
                            image.save(args.keep_false / f"{distractor.stem}-{wrong}-{number}.png")
                base_false += bits <= BASELINE_BITS
            false_total += false
            distractor_total += len(kept_out)
            rows.append(
                (
                    group,
                    name,
                    found / max(1, len(queried)),
                    base_found / max(1, len(queried)),
                    false / max(1, len(kept_out)),
                    base_false / max(1, len(kept_out)),
                )
            )
            print(f"  {group} {name}: {found}/{len(queried)}, {false} false", file=sys.stderr)

        # Impressions: each registered impression queried by its exact image must come first,
        # strictly above its sister impressions, which are said to be possibly another one.
        exact_first = impressions_said = queried_impressions = 0
        if not args.only or "impression" in args.only:
            for group in series:
                for member in group:
                    candidates, _ = run([Image.open(member).convert("RGB")])
                    queried_impressions += 1
                    sisters = {path.stem for path in group if path != member}
                    first_ok = (
                        bool(candidates)
                        and candidates[0].record.record_id == member.stem
                        and (len(candidates) < 2 or candidates[1].score < candidates[0].score)
                    )
                    exact_first += first_ok
                    impressions_said += all(
                        any("another impression" in e.reason for e in c.evidence)
                        for c in candidates
                        if c.record.record_id in sisters
                    )
                    if not first_ok:
                        ranked = [(c.record.record_id, c.score) for c in candidates[:3]]
                        print(f"  impressions: {member.stem} -> {ranked}", file=sys.stderr)
        store.close()

    print(
        f"\nregister: {sum(len(p) for p in register_images.values()):,} images in "
        f"{len(register_images):,} records ({len(padding):,} padding); {args.sample} targets per "
        f"family and {len(kept_out)} distractors per family; seed {args.seed}"
    )
    print(f"{'family':<32} {'recall@1':>17}  {'false matches':>17}")
    print(f"{'':<32} {'provcheck  base':>17}  {'provcheck  base':>17}")
    for group in dict.fromkeys(r[0] for r in rows):
        picked = [r for r in rows if r[0] == group]
        for _, name, ours, base, false, base_false in picked:
            print(
                f"{group[:3]} {name:<28} {ours:>9.3f} {base:>6.3f}  {false:>9.3f} {base_false:>6.3f}"
            )
        mean = [sum(r[i] for r in picked) / len(picked) for i in (2, 3, 4, 5)]
        print(f"{group:<32} {mean[0]:>9.3f} {mean[1]:>6.3f}  {mean[2]:>9.3f} {mean[3]:>6.3f}")
    print(f"\nfalse matches in all: {false_total} of {distractor_total} distractor queries")
    if queried_impressions:
        print(
            f"impressions ({len(series)} series, {queried_impressions} impressions): the exact "
            f"image first, never tied, {exact_first} of {queried_impressions}; the others said "
            f"to be possibly another impression {impressions_said} of {queried_impressions}"
        )
    latencies.sort()
    if latencies:
        print(
            f"query latency (check, verification included): median "
            f"{1000 * latencies[len(latencies) // 2]:.0f} ms, p95 "
            f"{1000 * latencies[int(0.95 * (len(latencies) - 1))]:.0f} ms; "
            f"import {import_seconds:.0f} s"
        )


if __name__ == "__main__":
    main()
