"""A bad answer from the Lost Art export never wipes a mirror, never crashes, and never loses a
row silently: a truncated export is an error, a malformed row is reported, an oversized field is
one clear line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from provcheck_lostart import LostArtRegistry, parse_export
from provcheck_lostart.export import FIELD_LIMIT
from provcheck_lostart.service import COLUMNS, LostArtService, create_mock, fputcsv_line

from provcheck import LocalStore, MalformedResponseError, RegistryError
from provcheck.mocks import in_process
from provcheck.store.mirroring import mirror

pytestmark = pytest.mark.anyio
SEED_ROWS = 2000
HEADER = fputcsv_line(list(COLUMNS))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def service() -> LostArtService:
    mock = create_mock(None, {})
    assert isinstance(mock.state, LostArtService)
    return mock.state


def registry_of(service: LostArtService, tmp_path: Path) -> LostArtRegistry:
    return LostArtRegistry(
        transport=in_process(service.app()),
        base_url="http://lostart.mock",
        min_interval=0,
        store=str(tmp_path / "store.sqlite3"),
    )


def row_line(**values: str) -> str:
    row = {"Meldungsart": "Suchmeldung", "Lost Art ID": "17001", "Titel": "Heiliger Georg"}
    row["Veröffentlicht seit"] = "2016-06-01"
    return fputcsv_line([{**row, **values}.get(name, "") for name in COLUMNS])


async def test_an_export_ending_before_the_rows_it_counted_is_an_error(
    service: LostArtService, tmp_path: Path
) -> None:
    async with registry_of(service, tmp_path) as registry:
        assert await registry.count_records() == SEED_ROWS
        service.rows = service.rows[:500]  # the proxy now answers empty after the first page
        with pytest.raises(
            RegistryError, match=r"^lostart: the export ended after 500 rows, before the 2,000"
        ):
            [record async for record in registry.iter_records()]


async def test_an_empty_export_is_an_error_never_an_empty_register(
    service: LostArtService, tmp_path: Path
) -> None:
    service.rows = []
    async with registry_of(service, tmp_path) as registry:
        with pytest.raises(RegistryError, match=r"^lostart: the export answered no rows at all"):
            [record async for record in registry.iter_records()]
        with LocalStore(tmp_path / "store.sqlite3") as store:
            with pytest.raises(RegistryError):
                await mirror(registry, store)
            assert store.mirror_state("lostart") is None


async def test_a_malformed_row_is_reported_not_dropped_silently(
    service: LostArtService, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service.rows.insert(3, {**service.rows[0], "Lost Art ID": "12a", "Titel": "Verdreht"})
    with caplog.at_level(logging.WARNING, logger="provcheck_lostart"):
        async with registry_of(service, tmp_path) as registry:
            records = [record async for record in registry.iter_records()]
    assert len(records) == SEED_ROWS
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("lostart: 1 export row left out, not a record: row 4: ")
    assert "'12a' is not a number" in warnings[0]


def test_a_field_over_the_limit_is_one_clear_line() -> None:
    body = HEADER + row_line(Beschreibung="x" * (10 * 1024 * 1024))
    with pytest.raises(MalformedResponseError) as raised:
        parse_export(body.encode())
    message = str(raised.value)
    assert message.startswith("lostart: the export has a field longer than 1,048,576 characters")
    assert "\n" not in message


def test_a_long_description_under_the_limit_is_read() -> None:
    # Over the csv module's own default limit (131,072), which a real description may pass.
    rows = parse_export((HEADER + row_line(Beschreibung="y" * 200_000)).encode())
    assert len(rows[0]["Beschreibung"]) == 200_000 < FIELD_LIMIT
