from __future__ import annotations

import importlib.metadata
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from provcheck.registers import discovery as plugins

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# The FBI's NSAF listing is the FBI plugin's package data (its mock API serves it).
NSAF = (
    Path(__file__).resolve().parents[1]
    / "adapters/provcheck-fbi/src/provcheck_fbi/seed/nsaf_data.csv"
)


def pytest_configure(config: pytest.Config) -> None:
    """No test of the repository -- the plugins' under adapters/ too -- reads or writes the
    user's own store, keys, cache or data: their folders, for the whole run, are a temporary
    folder's (each test of tests/ then gets a store of its own, below)."""
    base = Path(tempfile.mkdtemp(prefix="provcheck-tests-"))
    config.add_cleanup(lambda: shutil.rmtree(base, ignore_errors=True))
    os.environ["XDG_DATA_HOME"] = str(base / "data")
    os.environ["XDG_CACHE_HOME"] = str(base / "cache")
    os.environ["PROVCHECK_LOCAL_PATH"] = str(base / "local.sqlite3")
    os.environ.pop("PROVCHECK_STORE_URL", None)


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
    monkeypatch.delenv("PROVCHECK_STORE_URL", raising=False)
    # Indexes a database's store keeps in the user's cache folder: one of the test's own.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    # And the files of a database's service jobs, in the user's data folder.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))
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


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a new, empty store is, once for each store provcheck ships: a SQLite file's path,
    then a PostgreSQL database's URL (a database of its own on the test server)."""
    if request.param == "sqlite":
        yield str(tmp_path / "store.sqlite3")
        return
    from provcheck.testing.postgres import fresh_database, postgres_server_url

    with fresh_database(postgres_server_url()) as url:
        yield url


def readme_commands(heading: str) -> list[list[str]]:
    """The `provcheck` commands of the first ```sh block after `heading` in the README, each as
    its words after `provcheck` (comments left out)."""
    import re
    import shlex

    text = (FIXTURES.parent / "README.md").read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, f"{heading}: no commands"
    return [
        words[1:]
        for line in block.group(1).splitlines()
        if (words := shlex.split(line, comments=True)) and words[0] == "provcheck"
    ]
