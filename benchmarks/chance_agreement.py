"""Chance agreement: how often two different objects' photographs are confirmed as one by local
features, and how many true photographs of a work the same rules confirm.

    uv run python benchmarks/chance_agreement.py [--backs 40] [--rounds 2] [--targets 60]
                                                 [--corpus PATH] [--seed 3]

Chance structure is hardest on canvas backs: stretcher bars, weave and labels of one printed kind
look alike from one canvas to the next. Each round makes `--backs` backs as a register keeps them
and as many others photographed as a seller would (`photographs_as_they_arrive.canvas_back`,
`photographed`), and maps every photograph onto every stored back: none of those pairs is one
object. The true pairs are the corpus's works (by default `../shared/data/corpus`, else the sample
register's images) as details, screens, halftone prints, old record photographs and occluded,
each mapped onto its own image. Printed per kind: pairs, confirmed, those of them confirmed by
fewer than 30 agreeing matches that are a minority of their matches (where chance structure and
true photographs overlap), and the fewest agreeing matches that confirmed.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
from collections.abc import Callable
from pathlib import Path

import photographs_as_they_arrive as arrive
from image_matching import FIXTURE_IMAGES, SHARED_CORPUS
from PIL import Image

from provcheck.images.verification import (
    GeometricMatch,
    LocalFeatures,
    features_of_bytes,
    matches_at_each_scale,
    query_features,
)
from provcheck.model.description import ImageRef

TRUE_KINDS: dict[str, Callable[[Image.Image, random.Random], Image.Image]] = {
    "detail": arrive.detail,
    "screen": arrive.screen,
    "halftone print": arrive.halftone_print,
    "archival": arrive.archival,
    "occluded": arrive.occluded,
}


def _jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()


def _best(photograph: bytes, stored: LocalFeatures) -> GeometricMatch:
    """The photograph's best mapping onto the stored image, at each scale it is described at (as
    a check verifies it)."""
    scales = query_features(ImageRef(data=photograph))
    return max(matches_at_each_scale(scales, stored), key=lambda m: m.inliers)


# Fewer agreeing matches than this, and a minority of the matches: both different canvas backs
# and true photographs of a work have been confirmed so (see the README's "Chance structure").
_FEW_AGREEING = 30


def _by_few_of_many(match: GeometricMatch) -> bool:
    """Confirmed by fewer than 30 agreeing matches that are a minority of the matches: where
    chance structure and true photographs meet (see the README)."""
    return match.confirmed and match.inliers < _FEW_AGREEING and match.inliers < 0.5 * match.matches


def _row(kind: str, matches: list[GeometricMatch]) -> str:
    confirmed = [m for m in matches if m.confirmed]
    fewest = min((m.inliers for m in confirmed), default=None)
    return (
        f"{kind:30s} {len(matches):7,d} {len(confirmed):10,d} "
        f"{sum(map(_by_few_of_many, matches)):26,d} {'-' if fewest is None else fewest:>16}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=SHARED_CORPUS if SHARED_CORPUS.is_dir() else FIXTURE_IMAGES
    )
    parser.add_argument("--backs", type=int, default=40, help="stored backs (and photographs)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of backs")
    parser.add_argument("--targets", type=int, default=60, help="works of the corpus mapped")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    different: list[GeometricMatch] = []
    for round_number in range(args.rounds):
        stored = [
            features_of_bytes(_jpeg(arrive.canvas_back(rng), 88), source="back")
            for _ in range(args.backs)
        ]
        for _ in range(args.backs):
            photograph = _jpeg(arrive.photographed(arrive.canvas_back(rng), rng, tilt=0.08))
            different += [_best(photograph, back) for back in stored]
        print(f"  round {round_number + 1}: {len(different):,} pairs of backs", file=sys.stderr)

    works = sorted(args.corpus.rglob("*.jpg"))
    works = rng.sample(works, min(args.targets, len(works)))
    same: dict[str, list[GeometricMatch]] = {kind: [] for kind in TRUE_KINDS}
    for number, path in enumerate(works, 1):
        image = Image.open(path).convert("RGB")
        stored_work = features_of_bytes(path.read_bytes(), source=path.name)
        for kind, make in TRUE_KINDS.items():
            same[kind].append(_best(_jpeg(make(image, rng)), stored_work))
        if number % 10 == 0:
            print(f"  {number}/{len(works)} works", file=sys.stderr)

    print(f"\n{args.rounds} round(s) of {args.backs} backs; {len(works)} works; seed {args.seed}")
    print(
        f"{'photographs of':30s} {'pairs':>7s} {'confirmed':>10s} "
        f"{'of them by <30, a minority':>26s} {'fewest agreeing':>16s}"
    )
    print(_row("different canvas backs", different))
    for kind, matches in same.items():
        print(_row(f"the same work: {kind}", matches))


if __name__ == "__main__":
    main()
