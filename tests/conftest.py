from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from pathlib import Path

import pytest

from provcheck.registers import discovery as plugins

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# The FBI's NSAF listing is the FBI plugin's package data (its mock API serves it).
NSAF = (
    Path(__file__).resolve().parents[1]
    / "adapters/provcheck-fbi/src/provcheck_fbi/seed/nsaf_data.csv"
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def entry_points(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Pretend these plugins are installed: `entry_points(memory="module:Class", ...)`."""

    def install(**targets: str) -> None:
        points = [
            importlib.metadata.EntryPoint(name=name, value=value, group=plugins.ENTRY_POINT_GROUP)
            for name, value in targets.items()
        ]
        monkeypatch.setattr(plugins, "_entry_points", lambda: points)

    install()  # by default: nothing installed, whatever this machine has
    return install


@pytest.fixture(autouse=True)
def private_store(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """No test ever touches the user's own local store."""
    path = tmp_path_factory.mktemp("store") / "local.sqlite3"
    monkeypatch.setenv("PROVCHECK_LOCAL_PATH", str(path))
    return path


def image_bytes(
    size: tuple[int, int] = (64, 48), *, seed: int = 1, format: str = "PNG", **save: object
) -> bytes:
    """A small image with structure (not flat colour), different for each seed."""
    import io
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle(
            [x, y, x + rng.randrange(4, size[0] // 2), y + rng.randrange(4, size[1] // 2)],
            fill=colour,
        )
    out = io.BytesIO()
    image.save(out, format=format, **save)
    return out.getvalue()
