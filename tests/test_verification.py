"""Geometric verification on the sample register's real artworks."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import FIXTURES
from PIL import Image, ImageFilter

import provcheck
from provcheck import Conclusion, ObjectDescription
from provcheck.engine.checking import DEFAULT_LIMIT
from provcheck.engine.photographs import VERIFIED_CANDIDATES
from provcheck.images.verification import (
    _index_order,
    _nearest_two,
    features_from_bytes,
    features_of_bytes,
    features_to_bytes,
    local_features,
    match_geometry,
    query_features,
)
from provcheck.store.importing import import_file
from provcheck.store.local_register import LocalRegistry
from provcheck.store.sqlite import LocalStore

IMAGES = FIXTURES / "sample-register" / "images"
HORSEWOMAN = IMAGES / "imgdata-the-horsewoman.jpg"
# Look-alikes by hash enough for three rounds of verification, within a check's answers.
LOOK_ALIKES = 2 * VERIFIED_CANDIDATES + 1
assert LOOK_ALIKES <= DEFAULT_LIMIT


def photographed(path: Path, *, angle: float = 6.0, warp: float = 0.12) -> Image.Image:
    """A phone-style photograph: the picture in a dark frame, on a textured wall, at an angle,
    under uneven light, with sensor noise."""
    picture = Image.open(path).convert("RGB")
    framed = Image.new("RGB", (picture.width + 40, picture.height + 40), (60, 40, 20))
    framed.paste(picture, (20, 20))
    rng = np.random.default_rng(1)
    wall = (
        (rng.normal(200, 12, (framed.height * 2, framed.width * 2, 3)))
        .clip(0, 255)
        .astype(np.uint8)
    )
    canvas = Image.fromarray(wall).filter(ImageFilter.GaussianBlur(1))
    canvas.paste(framed, (framed.width // 2, framed.height // 2))
    w, h = canvas.size
    inset = warp * w / 2
    # Perspective: the far side of the picture smaller, as from a step to the left.
    coefficients = _perspective(
        [(0, 0), (w, 0), (w, h), (0, h)],
        [(0, inset), (w - inset, 0), (w, h), (inset * 0.5, h - inset)],
    )
    canvas = canvas.transform(
        canvas.size, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC
    )
    canvas = canvas.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(190, 190, 190))
    light = Image.linear_gradient("L").resize(canvas.size).point(lambda v: 170 + v // 3)
    canvas = Image.composite(canvas, Image.new("RGB", canvas.size, (0, 0, 0)), light)
    noisy = np.asarray(canvas, dtype=np.int16) + rng.normal(
        0, 6, (canvas.height, canvas.width, 3)
    ).astype(np.int16)
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))


def _perspective(
    source: list[tuple[float, float]], target: list[tuple[float, float]]
) -> list[float]:
    rows = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    solution = np.linalg.solve(
        np.array(rows, dtype=float), np.array(source, dtype=float).reshape(8)
    )
    return [float(c) for c in solution]


def test_a_new_photograph_is_confirmed_by_geometry() -> None:
    ours = local_features(photographed(HORSEWOMAN))
    theirs = local_features(Image.open(HORSEWOMAN))
    match = match_geometry(ours, theirs)
    assert match.confirmed, match
    assert match.coverage > 0.5


def test_each_feature_s_nearest_two_are_a_brute_force_matcher_s() -> None:
    query = local_features(photographed(HORSEWOMAN))
    record = local_features(Image.open(HORSEWOMAN))
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(query.descriptors, record.descriptors, k=2)
    expected = [(p[0].trainIdx, p[0].distance, p[1].trainIdx, p[1].distance) for p in pairs]
    assert _nearest_two(query, record).tolist() == [list(map(float, row)) for row in expected]


def test_another_painting_is_not_confirmed() -> None:
    ours = local_features(photographed(HORSEWOMAN))
    for other in sorted(IMAGES.iterdir())[:12]:
        if other.name == HORSEWOMAN.name:
            continue
        match = match_geometry(ours, local_features(Image.open(other)))
        assert not match.confirmed, (other.name, match)


def test_images_without_features_match_nothing() -> None:
    blank = local_features(Image.new("RGB", (300, 200), (128, 128, 128)))
    assert len(blank.descriptors) == 0
    assert match_geometry(blank, local_features(Image.open(HORSEWOMAN))).inliers == 0


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("verify") / "store.sqlite3"
    with LocalStore(path) as store:
        import_file(store, FIXTURES / "sample-register" / "records.jsonl")
    return path


def test_the_dealer_photograph_is_verified_in_the_evidence(sample_store: Path) -> None:
    query = ObjectDescription.from_file(FIXTURES / "queries" / "dealer-photo.json")
    report = provcheck.check(query, [LocalRegistry(path=str(sample_store))])
    best = report.candidates[0]
    images = next(e for e in best.evidence if e.field == "images")
    assert "feature matches agree" in images.reason and "confirmed" in images.reason
    assert best.record.record_id == "LOSS-2020"
    assert report.conclusion is Conclusion.POSSIBLE_MATCH
    # The record evidence is written into the report as it was measured.
    assert (
        "covered"
        in json.loads(report.to_json())["outcomes"][0]["candidates"][0]["evidence"][0]["reason"]
    )


def test_a_look_alike_by_hash_is_overruled_by_geometry(sample_store: Path) -> None:
    # A registered painting's photograph, a different painting's record: give the matcher the
    # first one's fingerprints on the second record and let geometry decide.
    with LocalStore(sample_store) as store:
        horsewoman = store.get("local", "LOSS-2020")
        other = store.get("local", "LOSS-2025")
    assert horsewoman is not None and other is not None
    stolen_fingerprints = horsewoman.description.images[0].fingerprints
    disguised = tuple(
        image.model_copy(update={"fingerprints": stolen_fingerprints})
        for image in other.description.images
    )
    impostor = other.model_copy(
        update={"description": other.description.model_copy(update={"images": disguised})}
    )
    out = io.BytesIO()
    Image.open(HORSEWOMAN).save(out, format="JPEG", quality=80)
    query = ObjectDescription(images=[out.getvalue()])

    class Impostor(LocalRegistry):
        async def search(self, query: ObjectDescription, *, limit: int) -> list[provcheck.Record]:
            return [impostor]

    report = provcheck.check(query, [Impostor(path=str(sample_store))])
    evidence = next(e for e in report.candidates[0].evidence if e.field == "images")
    assert "not confirmed" in evidence.reason
    assert evidence.similarity is not None and evidence.similarity <= 0.25
    assert report.conclusion is Conclusion.NO_MATCH_FOUND


def _horsewoman_and_look_alikes(sample_store: Path, count: int) -> tuple[bytes, LocalRegistry]:
    """A photograph of LOSS-2020 and a register answering `count` records of other paintings,
    each given that photograph's fingerprints: hash look-alikes that geometry must overrule."""
    with LocalStore(sample_store) as store:
        horsewoman = store.get("local", "LOSS-2020")
        others = [r for r in store.iter_records("local") if r.record_id != "LOSS-2020"]
    assert horsewoman is not None and others
    stolen = horsewoman.description.images[0].fingerprints
    look_alikes = []
    for number in range(count):
        other = others[number % len(others)]
        disguised = tuple(
            image.model_copy(update={"fingerprints": stolen}) for image in other.description.images
        )
        look_alikes.append(
            other.model_copy(
                update={
                    "record_id": f"LOOK-{number}",
                    "description": other.description.model_copy(update={"images": disguised}),
                }
            )
        )

    class LookAlikes(LocalRegistry):
        async def search(self, query: ObjectDescription, *, limit: int) -> list[provcheck.Record]:
            return look_alikes[:limit]

    out = io.BytesIO()
    Image.open(HORSEWOMAN).save(out, format="JPEG", quality=80)
    return out.getvalue(), LookAlikes(path=str(sample_store))


def test_the_local_registers_fifth_answer_by_features_is_verified(sample_store: Path) -> None:
    """The local register answers two found by features for each found by hashes: its seventh
    answer is the fifth found by features, where a close photograph of a detail in a large
    register may rank (details against 10,000 images: one of 120, a map). It is verified, so
    found, though its hashes look like nothing."""
    with LocalStore(sample_store) as store:
        horsewoman = store.get("local", "LOSS-2020")
        others = [r for r in store.iter_records("local") if r.record_id != "LOSS-2020"]
    assert horsewoman is not None and len(others) >= 6
    unlike = others[0].description.images[0].fingerprints
    hidden = horsewoman.model_copy(
        update={
            "description": horsewoman.description.model_copy(
                update={
                    "images": tuple(
                        image.model_copy(update={"fingerprints": unlike})
                        for image in horsewoman.description.images
                    )
                }
            )
        }
    )
    answers = [*others[1:7], hidden]

    class Answers(LocalRegistry):
        async def search(self, query: ObjectDescription, *, limit: int) -> list[provcheck.Record]:
            return answers[:limit]

    out = io.BytesIO()
    Image.open(HORSEWOMAN).save(out, format="JPEG", quality=80)
    report = provcheck.check({"images": [out.getvalue()]}, [Answers(path=str(sample_store))])
    assert report.candidates[0].record.record_id == "LOSS-2020"
    images = next(e for e in report.candidates[0].evidence if e.field == "images")
    assert "confirmed" in images.reason and "not confirmed" not in images.reason, images.reason
    assert report.conclusion is Conclusion.POSSIBLE_MATCH


def test_every_look_alike_by_hash_is_verified_not_only_the_first_few(sample_store: Path) -> None:
    # A large register holds many pictures whose hashes happen to sit close to a photograph's
    # (plain ones, or turned by one of the variants tried). None may be reported on its hashes
    # alone for want of a turn at verification: each that would be a match is verified.
    photograph, register = _horsewoman_and_look_alikes(sample_store, LOOK_ALIKES)
    report = provcheck.check({"images": [photograph]}, [register])
    assert len(report.candidates) == LOOK_ALIKES
    for candidate in report.candidates:
        evidence = next(e for e in candidate.evidence if e.field == "images")
        assert "not confirmed" in evidence.reason, candidate.record.record_id
    assert report.conclusion is Conclusion.NO_MATCH_FOUND


def test_look_alikes_beyond_what_is_verified_are_said(
    sample_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import provcheck.engine.search as search

    monkeypatch.setattr(search, "VERIFIED_AT_MOST", 4)
    photograph, register = _horsewoman_and_look_alikes(sample_store, 8)
    report = provcheck.check({"images": [photograph]}, [register])
    (warning,) = [w for w in report.outcomes[0].warnings if "not verified" in w]
    verified = int(warning.split("features (")[1].split(" were")[0])
    assert verified >= 4 and warning.startswith(f"{8 - verified} more candidate(s)")
    assert "hashes only" in warning


def test_cli_finds_a_phone_photograph_and_nothing_for_another_work(
    sample_store: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from provcheck.cli import main

    monkeypatch.setenv("PROVCHECK_LOCAL_PATH", str(sample_store))
    photo = tmp_path / "phone.jpg"
    photographed(IMAGES / "imgdata-troika.jpg", angle=-8, warp=0.18).save(photo, quality=80)
    assert main(["check", "--image", str(photo), "--registry", "local"]) == 1
    out = capsys.readouterr().out
    assert "local:LOSS-2025  Troika" in out and "confirmed" in out

    other = tmp_path / "other.jpg"
    Image.open(FIXTURES / "queries" / "not-registered.jpg").save(other)
    assert main(["check", "--image", str(other), "--registry", "local"]) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"\xff\xd8\xff\xe0 this is not the rest of a jpeg",
            "photo.jpg: damaged or truncated image",
        ),
        (None, "too large to open"),
    ],
)
def test_cli_bad_images_get_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    from test_imaging import _png_claiming

    from provcheck.cli import main

    path = tmp_path / "photo.jpg"
    path.write_bytes(content if content is not None else _png_claiming(50_000, 50_000))
    assert main(["check", "--image", str(path), "--registry", "local"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_mapping_no_camera_could_make_is_not_a_match() -> None:
    from provcheck.images.verification import _plausible

    centre = np.array([300.0, 200.0])
    turned = cv2.getRotationMatrix2D((300, 200), 8, 0.7)
    assert _plausible(np.vstack([turned, [0, 0, 1]]), centre)  # a photograph, turned, smaller
    mirrored = np.array([[-1.0, 0, 600], [0, 1, 0], [0, 0, 1]])
    assert not _plausible(mirrored, centre)  # a camera keeps a picture's handedness
    squashed = np.array([[0.55, 0.3, 0], [0.05, 0.09, 0], [0, 0, 1]])
    assert not _plausible(squashed, centre)  # 6:1, as chance matches make


def test_features_survive_storage_and_put_the_index_set_first() -> None:
    features = local_features(Image.open(HORSEWOMAN))
    again = features_from_bytes(features_to_bytes(features))
    assert np.array_equal(again.descriptors, features.descriptors)
    assert np.abs(again.keypoints - features.keypoints).max() < 0.5  # half precision, in pixels
    assert (again.width, again.height) == (features.width, features.height)
    # The first features (what an index keeps) come from every scale, not only the finest.
    small = Image.open(HORSEWOMAN).convert("L")
    small.thumbnail((768, 768))
    keypoints = cv2.ORB.create(nfeatures=1000).detect(np.asarray(small), None)
    first_octaves = {keypoints[i].octave for i in _index_order(keypoints)[:16]}
    assert len(first_octaves) >= 6


def test_stored_features_spare_verification_the_image(sample_store: Path) -> None:
    store = LocalStore(sample_store)
    registry = LocalRegistry(store=store)
    record = store.get("local", "LOSS-2020")
    assert record is not None
    image = record.description.images[0]
    kept = asyncio.run(registry.image_features(image))
    assert kept is not None and len(kept.descriptors) > 100
    photo = io.BytesIO()
    photographed(HORSEWOMAN).save(photo, format="JPEG")
    assert match_geometry(local_features(Image.open(photo)), kept).confirmed
    store.close()


@pytest.mark.parametrize(
    "name", ["imgdata-the-horsewoman.jpg", *sorted(p.name for p in IMAGES.glob("*.jpg"))[:6]]
)
def test_a_mirrored_copy_is_found_and_confirmed(sample_store: Path, name: str) -> None:
    # A reversed copy collects weak feature votes from many images; its exact mirrored hash must
    # still bring it in, and verification must try the photograph's mirror image.
    out = io.BytesIO()
    Image.open(IMAGES / name).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(out, format="JPEG")
    report = provcheck.check({"images": [out.getvalue()]}, [LocalRegistry(path=str(sample_store))])
    best = report.candidates[0]
    assert best.record.description.images[0].location.endswith(name)
    assert "confirmed" in next(e for e in best.evidence if e.field == "images").reason


def test_few_matches_between_textured_pictures_overrule_a_hash_look_alike() -> None:
    from provcheck.images.verification import GeometricMatch
    from provcheck.matching.comparators import Comparison
    from provcheck.matching.matcher import _with_geometry

    look_alike = Comparison(0.9, detail="dhash 8 of 64 bits apart")
    nothing = ObjectDescription()

    def judged(match: GeometricMatch) -> Comparison | None:
        return _with_geometry(look_alike, [match], nothing, nothing)

    # A thousand features each and hardly any in common: not the same picture.
    textured = judged(GeometricMatch(7, 11, 0.0, 1000, 1000))
    assert textured is not None and textured.similarity <= 0.25
    # A detailed photograph against a blank-looking picture (no features at all): not a copy.
    blank = judged(GeometricMatch(0, 0, 0.0, 1000, 0))
    assert blank is not None and blank.similarity <= 0.25
    # A flat print with a few dozen features: geometry cannot say; the hashes stand.
    flat = judged(GeometricMatch(3, 5, 0.0, 1000, 40))
    assert flat is look_alike


def test_a_small_old_photograph_does_not_overrule_hashes_that_say_the_same_picture() -> None:
    from provcheck.images.verification import GeometricMatch
    from provcheck.matching.comparators import Comparison
    from provcheck.matching.matcher import _with_geometry

    same = Comparison(1.0, detail="phash 4 of 64 bits apart")
    nothing = ObjectDescription()
    # A new photograph against a soft 250 px record photograph with 120 features: 11 of 21
    # matches agree, in a small part of it; not confirmed, but the hashes stand.
    old = GeometricMatch(11, 21, 1.0, 1000, 120, spread=0.05)
    assert not old.confirmed and old.conclusive
    assert _with_geometry(same, [old], nothing, nothing) is same
    # Both pictures full of features and nothing maps: the hashes are overruled even so.
    textured = _with_geometry(same, [GeometricMatch(7, 30, 0.0, 1000, 1000)], nothing, nothing)
    assert textured is not None and textured.similarity <= 0.25


def test_a_turned_look_alike_does_not_stand_against_the_geometry() -> None:
    from provcheck.images.verification import GeometricMatch
    from provcheck.matching.comparators import compare_images
    from provcheck.matching.matcher import _with_geometry

    # Hashes 5 bits apart, but only once the query is turned a quarter: one of the many variants
    # tried, so a chance likeness of a plain picture. Geometry that says something (15 of 45
    # matches agree, on a record of 55 features) is not set aside for it, as it is for an old
    # record photograph that looks like the query as it was taken.
    plain = "8c3a5f0e71d2b94c"
    near = "93" + plain[2:]
    record = ObjectDescription(
        images=[provcheck.ImageRef(path="r.jpg", fingerprints={"dhash": plain})]
    )
    match = GeometricMatch(15, 45, 0.0, 1000, 55, spread=0.2)
    assert match.conclusive and not match.confirmed and not match.overrules_likeness
    for variant, stands in (("dhash", True), ("dhash@rot90", False)):
        query = ObjectDescription(
            images=[provcheck.ImageRef(path="q.jpg", fingerprints={variant: near})]
        )
        hashes = compare_images(query, record)
        assert hashes is not None and hashes.similarity >= 1.0
        judged = _with_geometry(hashes, [match], query, record)
        assert judged is not None
        assert (judged.similarity >= 1.0) is stands, variant


def test_unreadable_kept_features_fall_back_to_the_picture(sample_store: Path) -> None:
    class Damaged(LocalRegistry):
        async def image_features(self, image: provcheck.ImageRef) -> provcheck.LocalFeatures:
            raise ValueError("not a local-features record")

    query = ObjectDescription.from_file(FIXTURES / "queries" / "dealer-photo.json")
    report = provcheck.check(query, [Damaged(path=str(sample_store))])
    assert report.outcomes[0].state.value == "searched"
    images = next(e for e in report.candidates[0].evidence if e.field == "images")
    assert "confirmed" in images.reason  # verified from the stored copy instead
    # ... and the plugin's failure is on the record, not swallowed.
    (warning,) = [w for w in report.outcomes[0].warnings if "kept features" in w]
    assert "ValueError: not a local-features record" in warning


class _Unplugged(LocalRegistry):
    """A register whose record photographs can be had neither as kept features nor as bytes."""

    async def image_features(self, image: provcheck.ImageRef) -> provcheck.LocalFeatures:
        return None  # type: ignore[return-value]

    async def image_bytes(self, image: provcheck.ImageRef) -> bytes:
        raise RuntimeError("the image store is unplugged")


def test_a_record_photograph_that_cannot_be_had_is_a_warning(sample_store: Path) -> None:
    query = ObjectDescription.from_file(FIXTURES / "queries" / "dealer-photo.json")
    report = provcheck.check(query, [_Unplugged(path=str(sample_store))])
    outcome = report.outcomes[0]
    assert outcome.state.value == "searched"  # verification adds evidence, it fails nothing
    warnings = [w for w in outcome.warnings if "could not be verified" in w]
    assert warnings and "RuntimeError: the image store is unplugged" in warnings[0]
    assert len(warnings) == 1  # one line for the register, not one per photograph


def test_a_record_photograph_not_compared_leaves_the_check_incomplete(sample_store: Path) -> None:
    """A detail of a registered painting, whose photograph the register cannot give (its copy
    damaged, its host down): the hashes alone cannot find a detail, so "no match found" would
    rest on a comparison never made."""
    photograph = (FIXTURES / "queries" / "detail-photo.jpg").read_bytes()
    report = provcheck.check({"images": [photograph]}, [_Unplugged(path=str(sample_store))])
    assert report.conclusion is Conclusion.INCOMPLETE
    (limitation,) = [
        lim for lim in report.limitations if lim.kind == "record-photograph-not-compared"
    ]
    assert limitation.subject == "local"
    assert "could not be compared by local features" in limitation.message
    assert "RuntimeError: the image store is unplugged" in limitation.message
    # The same register, its photographs whole: the detail is found.
    found = provcheck.check({"images": [photograph]}, [LocalRegistry(path=str(sample_store))])
    assert found.conclusion is Conclusion.POSSIBLE_MATCH and not found.limitations


def test_record_photographs_not_verified_in_several_rounds_are_said_once(
    sample_store: Path,
) -> None:
    # Look-alikes by hash are verified a few at a time: what could not be verified in each
    # round is one line for the register, with the count of all rounds, not a line per round.
    photograph, register = _horsewoman_and_look_alikes(sample_store, LOOK_ALIKES)

    class Broken(_Unplugged, type(register)):  # type: ignore[misc]
        pass

    report = provcheck.check({"images": [photograph]}, [Broken(path=str(sample_store))])
    (warning,) = [w for w in report.outcomes[0].warnings if "could not be verified" in w]
    assert warning.startswith(f"{LOOK_ALIKES} record photograph(s) could not")


def test_a_damaged_features_record_is_refused() -> None:
    kept = features_to_bytes(local_features(Image.open(HORSEWOMAN)))
    with pytest.raises(ValueError, match="not a local-features record"):
        features_from_bytes(kept[:-5])
    with pytest.raises(ValueError, match="not a local-features record"):
        features_from_bytes(b"")


def test_a_pair_the_hashes_did_not_judge_cannot_overrule_them() -> None:
    """The front's hashes say the same picture; only the back was mapped (the record's front
    could not be read): the back's failed mapping says nothing of the front."""
    from provcheck.images.verification import GeometricMatch
    from provcheck.matching.comparators import Comparison
    from provcheck.matching.matcher import _with_geometry

    same, other = "0f" * 8, "f0" * 8
    front, back = (
        provcheck.ImageRef(data=b"x", fingerprints={"phash": same}),
        provcheck.ImageRef(data=b"y", fingerprints={"phash": other}),
    )
    query = ObjectDescription(images=(front, back))
    record = ObjectDescription(images=(front, back))
    hashes = Comparison(1.0, detail="phash 0 of 64 bits apart")
    back_only = GeometricMatch(5, 30, 0.0, 1000, 1000, photograph=1, record_photograph=1)
    assert _with_geometry(hashes, [back_only], query, record) is hashes


def _close_photograph(path: Path, box: tuple[float, float, float, float]) -> bytes:
    """A close photograph of part of a picture (`box`: left, top, right, bottom, as shares):
    enlarged to a camera's frame, slightly turned and soft, as a JPEG."""
    picture = Image.open(path).convert("RGB")
    w, h = picture.size
    part = picture.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    scale = 1100 / max(part.size)
    part = part.resize(
        (int(part.width * scale), int(part.height * scale)), Image.Resampling.BICUBIC
    )
    part = part.rotate(3, resample=Image.Resampling.BICUBIC, fillcolor=(40, 40, 40))
    out = io.BytesIO()
    part.filter(ImageFilter.GaussianBlur(1)).save(out, format="JPEG", quality=85)
    return out.getvalue()


def test_a_close_photograph_of_a_bare_part_of_a_work_is_confirmed_as_a_detail() -> None:
    """Adam and Eve's strongest features crowd into its figures and foliage; the bottom left,
    earth and shadow, keeps almost none of them. The register's filling there confirms it."""
    path = IMAGES / "imgdata-adam-and-eve.jpg"
    record = features_of_bytes(path.read_bytes(), source=path.name)
    assert 0 < record.filling <= len(record.descriptors) - 500
    photograph = provcheck.ImageRef(data=_close_photograph(path, (0.0, 0.55, 0.45, 1.0)))
    (query, *_) = query_features(photograph)
    found = match_geometry(query, record)
    assert found.confirmed and found.detail is not None and "bottom left" in found.detail
    assert not match_geometry(query, record.strongest()).confirmed  # what the filling adds
    assert not match_geometry(query, record, filling=False).confirmed  # not asked for


def test_a_photograph_is_decoded_once_for_every_way_it_is_described(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As taken, halved, descreened, mirrored: four descriptions of one large photograph, one
    decoding."""
    from provcheck.images import verification

    decoded: list[str] = []
    load_image = verification.load_image

    def counted(data: bytes, **options: object) -> Image.Image:
        decoded.append(str(options.get("source")))
        return load_image(data, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(verification, "load_image", counted)
    out = io.BytesIO()
    photographed(HORSEWOMAN).resize((1600, 1200)).save(out, format="JPEG", quality=90)
    photograph = provcheck.ImageRef(data=out.getvalue())
    scales = query_features(photograph) + query_features(photograph, mirrored=True)
    assert len(scales) >= 4 and len(decoded) == 1


def test_a_close_photograph_of_a_faintly_textured_part_is_confirmed_as_a_detail() -> None:
    """Bathsheba's top left, a dark curtain and shadowed stone: even ORB's 3,000 strongest
    corners hold few there (5 of 11 matches agreed). The filling is drawn from all the corners
    ORB finds, the faint ones with them."""
    path = IMAGES / "wmb-bathsheba-receiving-david-s-letter.jpg"
    record = features_of_bytes(path.read_bytes(), source=path.name)
    photograph = provcheck.ImageRef(data=_close_photograph(path, (0.0, 0.0, 0.45, 0.45)))
    found = [match_geometry(query, record) for query in query_features(photograph)]
    confirmed = [m for m in found if m.confirmed]
    assert confirmed and all(m.detail and "top left" in m.detail for m in confirmed)
    assert max(m.inliers for m in confirmed) >= 2 * 20  # not at the edge of chance


def test_filling_confirms_only_a_detail_over_an_area() -> None:
    from provcheck.images.verification import GeometricMatch

    detail = GeometricMatch(60, 80, 0.22, 1000, 1500, spread=0.4)
    assert detail.detail_over_an_area
    # Two canvas backs, in a sliver of either (chance structure, were they not three in four).
    assert GeometricMatch(30, 40, 0.54, 1000, 1500, spread=0.045).confirmed
    assert not GeometricMatch(30, 40, 0.54, 1000, 1500, spread=0.045).detail_over_an_area
    # Few but most of the matches: an occluded Degas on another Degas.
    assert GeometricMatch(10, 19, 0.72, 1000, 1500, spread=0.5).confirmed
    assert not GeometricMatch(10, 19, 0.3, 1000, 1500, spread=0.5).detail_over_an_area
    # The whole picture: its strongest features must say so.
    assert not GeometricMatch(60, 80, 0.8, 1000, 1500, spread=0.7).detail_over_an_area
    # In a smaller part: twice as many agreeing, and three in four of the matches.
    assert GeometricMatch(62, 74, 0.2, 1000, 1500, spread=0.09).detail_over_an_area
    assert not GeometricMatch(39, 48, 0.2, 1000, 1500, spread=0.09).detail_over_an_area
    assert not GeometricMatch(62, 90, 0.2, 1000, 1500, spread=0.09).detail_over_an_area


def test_a_detail_mostly_of_a_bare_wall_is_confirmed() -> None:
    """The Lute Player's bottom right: a sleeve, a violin, a marble table and a bare dark wall.
    (That what maps may lie in a small part of either picture, if it is many matches and most
    of those found, is `test_filling_confirms_only_a_detail_over_an_area`.)"""
    path = IMAGES / "imgdata-the-lute-player.jpg"
    record = features_of_bytes(path.read_bytes(), source=path.name)
    photograph = provcheck.ImageRef(data=_close_photograph(path, (0.55, 0.55, 1.0, 1.0)))
    found = [match_geometry(query, record) for query in query_features(photograph)]
    assert any(m.detail is not None and "bottom right" in m.detail for m in found)


def test_a_register_pictures_filling_is_stored_and_indexed_with_its_strongest() -> None:
    features = local_features(Image.open(HORSEWOMAN), filling=500)
    again = features_from_bytes(features_to_bytes(features))
    assert again.filling == features.filling > 0
    assert np.array_equal(
        again.strongest().descriptors, local_features(Image.open(HORSEWOMAN)).descriptors
    )
    indexed = again.indexed(500, 150)
    strongest = len(again.descriptors) - again.filling
    assert len(indexed) == 500
    assert np.array_equal(indexed[:350], again.descriptors[:350])
    assert np.array_equal(indexed[350:], again.descriptors[strongest : strongest + 150])
    # Features kept before there was filling are read as the strongest alone.
    before = features_to_bytes(local_features(Image.open(HORSEWOMAN)))
    assert features_from_bytes(before).filling == 0
    with pytest.raises(ValueError, match="not a local-features record"):
        features_from_bytes(before + np.array([len(features.descriptors) + 1], "<u4").tobytes())


def test_the_nearest_two_of_a_pictures_strongest_and_filling_are_those_of_all_its_features() -> (
    None
):
    from provcheck.images.verification import LocalFeatures, _nearer_two, _nearest_two

    rng = np.random.default_rng(4)

    def features(count: int) -> LocalFeatures:
        points = rng.uniform(0, 100, (count, 2)).astype(np.float32)
        return LocalFeatures(points, rng.integers(0, 256, (count, 32), dtype=np.uint8), 100, 100)

    query, strongest, filling = features(300), features(200), features(120)
    whole = LocalFeatures(
        np.concatenate([strongest.keypoints, filling.keypoints]),
        np.concatenate([strongest.descriptors, filling.descriptors]),
        100,
        100,
        filling=120,
    )
    apart = _nearest_two(query, filling)
    apart[:, (0, 2)] += 200
    merged = _nearer_two(_nearest_two(query, strongest), apart)
    at_once = _nearest_two(query, whole)
    assert np.array_equal(merged[:, (1, 3)], at_once[:, (1, 3)])  # the same distances
    nearest = whole.descriptors[merged[:, 0].astype(int)]
    distances = np.unpackbits(nearest ^ query.descriptors, axis=1).sum(axis=1)
    assert np.array_equal(distances, merged[:, 1])


def test_a_close_photograph_of_a_bare_part_of_a_work_is_found_in_the_register(
    sample_store: Path,
) -> None:
    """Retrieval meets the filling the index keeps; verification confirms the detail by it."""
    photograph = _close_photograph(IMAGES / "imgdata-adam-and-eve.jpg", (0.0, 0.55, 0.45, 1.0))
    report = provcheck.check({"images": [photograph]}, [LocalRegistry(path=str(sample_store))])
    best = report.candidates[0]
    assert best.record.record_id == "LOSS-2004" and best.band is not provcheck.Band.WEAK
    (evidence,) = [e for e in best.evidence if e.field == "images"]
    assert "confirmed; a detail: " in evidence.reason and "bottom left" in evidence.reason
