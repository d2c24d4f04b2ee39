"""`provcheck local refresh-features`: an older store's images described again, in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import FIXTURES
from PIL import Image
from test_verification import IMAGES, _close_photograph

import provcheck
from provcheck.cli import main
from provcheck.images import verification
from provcheck.images.verification import local_features
from provcheck.store import importing, refreshing
from provcheck.store.local_register import LocalRegistry
from provcheck.store.sqlite import LocalStore


def _refresh(capsys: pytest.CaptureFixture[str], store: Path) -> tuple[int, str, str]:
    code = main(["local", "refresh-features", "--store", str(store)])
    out, err = capsys.readouterr()
    return code, out, err


def _made_older(path: Path) -> int:
    """The store as an import before pictures kept their filling would have left it."""
    with LocalStore(path) as store, store.transaction():
        digests = store.image_digests()
        for digest in digests:
            kept = store.image_features(digest)
            assert kept is not None and kept.filling
            store.replace_image_features(digest, kept.strongest())
    return len(digests)


def _bare_part_found(path: Path) -> bool:
    photograph = _close_photograph(IMAGES / "imgdata-adam-and-eve.jpg", (0.0, 0.55, 0.45, 1.0))
    report = provcheck.check({"images": [photograph]}, [LocalRegistry(path=str(path))])
    best = report.candidates[0] if report.candidates else None
    return (
        best is not None
        and best.record.record_id == "LOSS-2004"
        and any("a detail: " in e.reason for e in best.evidence if e.field == "images")
    )


def test_an_older_stores_images_are_described_again_and_find_a_detail(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "store.sqlite3"
    assert (
        main(
            [
                "local",
                "import",
                str(FIXTURES / "sample-register" / "records.jsonl"),
                "--store",
                str(path),
            ]
        )
        == 0
    )
    images = _made_older(path)
    assert not _bare_part_found(path)  # what an older store's user sees

    code, out, err = _refresh(capsys, path)
    assert code == 0, err
    assert f"Described {images:,} of {images:,} stored images again" in out
    with LocalStore(path) as store:
        kept = [store.image_features(digest) for digest in store.image_digests()]
    assert all(features is not None and features.filling for features in kept)
    assert _bare_part_found(path)

    code, out, _ = _refresh(capsys, path)  # nothing left to do
    assert code == 0 and f"Described 0 of {images:,}" in out and f"{images:,} were current" in out


def test_images_given_the_earlier_filling_are_described_again(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pictures once kept 500 of filling drawn from ORB's 3,000 strongest corners; a faintly
    textured part (Bathsheba's dark curtain) is confirmed only by today's."""
    path = tmp_path / "store.sqlite3"
    records = FIXTURES / "sample-register" / "records.jsonl"
    with monkeypatch.context() as earlier:
        earlier.setattr(verification, "REGISTER_FILLING", 500)
        earlier.setattr(verification, "_FILLING_DETECTED", 3000)
        earlier.setattr(importing, "REGISTER_FILLING", 500)
        assert main(["local", "import", str(records), "--store", str(path)]) == 0
    with LocalStore(path) as store:
        fillings = [store.image_features(digest) for digest in store.image_digests()]
    earlier_ones = sum(1 for kept in fillings if kept is not None and kept.filling == 500)
    assert earlier_ones > 20

    code, out, err = _refresh(capsys, path)
    assert code == 0, err
    assert f"Described {earlier_ones:,} of " in out
    with LocalStore(path) as store:
        fillings = [store.image_features(digest) for digest in store.image_digests()]
    assert not any(kept is not None and kept.filling == 500 for kept in fillings)
    code, out, _ = _refresh(capsys, path)
    assert code == 0 and "Described 0 of " in out


def test_an_image_that_cannot_be_described_again_is_named_and_fails_the_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "store.sqlite3"
    features = local_features(Image.open(IMAGES / "imgdata-adam-and-eve.jpg")).strongest()
    with LocalStore(path) as store:
        for number, copy in enumerate((b"not a picture", b"")):
            store.put_image(
                f"{number:064x}",
                {"phash": "0" * 16, "dhash": "0" * 16},
                size=(10, 10),
                thumbnail=copy,
                features=features,
            )
    code, out, err = _refresh(capsys, path)
    assert code == 1
    assert "Described 0 of 2 stored images again" in out
    assert "1 have no stored copy, 1 could not be read" in out
    (line,) = err.strip().splitlines()[-1:]
    assert line.startswith("not described again: stored image 000000000000:")
    assert "Traceback" not in err


def test_an_interrupted_refresh_keeps_what_it_did_and_goes_on_where_it_stopped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "store.sqlite3"
    records = FIXTURES / "sample-register" / "records.jsonl"
    assert main(["local", "import", str(records), "--store", str(path)]) == 0
    images = _made_older(path)
    capsys.readouterr()
    monkeypatch.setattr(refreshing, "_BATCH", 10)
    read = refreshing.load_image
    calls = 0

    def interrupted(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 15:  # Ctrl-C in the second batch
            raise KeyboardInterrupt
        return read(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(refreshing, "load_image", interrupted)
    code, _, err = _refresh(capsys, path)
    assert code == 130 and "run the same command again to continue" in err
    monkeypatch.setattr(refreshing, "load_image", read)
    code, out, _ = _refresh(capsys, path)
    assert code == 0 and f"Described {images - 10:,} of {images:,}" in out
    assert "10 were current" in out


def test_damaged_kept_features_are_described_again_from_the_copy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A features record that cannot be read is exactly what the command is for: it must not
    stop it (every run would stop at the same image)."""
    path = tmp_path / "store.sqlite3"
    records = FIXTURES / "sample-register" / "records.jsonl"
    assert main(["local", "import", str(records), "--store", str(path)]) == 0
    with LocalStore(path) as store:
        digests = store.image_digests()
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE image_features SET features = ? WHERE sha256 = ?", (b"bad", digests[0]))
        # An image to describe again whose copy is not even bytes.
        db.execute("DELETE FROM image_features WHERE sha256 = ?", (digests[1],))
        db.execute("UPDATE images SET thumbnail = 'text' WHERE sha256 = ?", (digests[1],))
    db.close()
    capsys.readouterr()
    code, out, err = _refresh(capsys, path)
    assert code == 1 and "internal error" not in err
    assert f"Described 1 of {len(digests):,}" in out and "1 could not be read" in out
    assert f"stored image {digests[1][:12]}" in err
    with LocalStore(path) as store:
        mended = store.image_features(digests[0])
    assert mended is not None and mended.filling


def test_a_store_that_is_not_there_is_not_made(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = _refresh(capsys, tmp_path / "typo.sqlite3")
    assert code == 2 and "no store there" in err
    assert not (tmp_path / "typo.sqlite3").exists()
