"""Where the FBI's record images may send provcheck: the API's own host (as the user configured
it), or public addresses -- never loopback or a private network because an answer said so, in a
check or in a mirror; and redirects of the API stay on its origin."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import respx
from PIL import Image
from provcheck_fbi import FbiRegistry, record_from_item

from provcheck import ImageRef, LocalStore, ObjectDescription, RegistryError
from provcheck.store.mirroring import mirror

pytestmark = pytest.mark.anyio
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
ITEM = json.loads((FIXTURES / "fbi" / "item.json").read_text(encoding="utf-8"))
API = "https://api.fbi.gov"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    table = {"artcrimes.fbi.gov": ["93.184.216.34"], "localhost": ["127.0.0.1"]}

    def resolve(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise OSError(-2, "Name or service not known")
        return table[host]

    monkeypatch.setattr("provcheck.registers.fetching.resolve_addresses", resolve)
    monkeypatch.delenv("PROVCHECK_ALLOW_PRIVATE_ADDRESSES", raising=False)
    return table


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def pointing_at(url: str) -> dict[str, object]:
    return dict(ITEM, uid="pointed", images=[{"original": url, "large": url}])


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/admin.png",
        "http://localhost/x.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/x.png",
        "http://10.0.0.5/x.png",
    ],
)
async def test_a_record_image_on_a_private_address_is_not_fetched(
    dns: dict[str, list[str]], url: str
) -> None:
    with respx.mock(assert_all_called=False) as mock:
        anywhere = mock.route().respond(200, content=png())
        async with FbiRegistry(min_interval=0) as registry:
            image = record_from_item(pointing_at(url)).description.images[0]
            with pytest.raises(RegistryError, match="public addresses only"):
                await registry.image_bytes(image)
    assert not anywhere.called


async def test_a_public_record_image_is_fetched(dns: dict[str, list[str]]) -> None:
    url = "https://artcrimes.fbi.gov/image-repository/x.png"
    with respx.mock() as mock:
        route = mock.get(url).respond(200, content=png())
        async with FbiRegistry(min_interval=0) as registry:
            data = await registry.image_bytes(ImageRef(url=url))
    assert data == png() and route.called


async def test_images_on_the_configured_api_host_come_through_the_session() -> None:
    """A mock or mirror on loopback is fine when the user pointed base_url at it."""
    with respx.mock() as mock:
        route = mock.get("http://127.0.0.1:9999/image-repository/x.png").respond(200, content=png())
        async with FbiRegistry(base_url="http://127.0.0.1:9999", min_interval=0) as registry:
            data = await registry.image_bytes(
                ImageRef(url="http://127.0.0.1:9999/image-repository/x.png")
            )
    assert data == png() and route.called


async def test_a_mirror_does_not_follow_images_to_loopback(
    dns: dict[str, list[str]], tmp_path: Path
) -> None:
    item = pointing_at("http://127.0.0.1:8080/secret.png")
    with respx.mock(assert_all_called=False) as mock:
        mock.get(f"{API}/@artcrimes").respond(200, json={"total": 1, "page": 1, "items": [item]})
        loopback = mock.route(host="127.0.0.1").respond(200, content=png())
        with LocalStore(tmp_path / "store.sqlite3") as store:
            async with FbiRegistry(min_interval=0, store=str(tmp_path / "s.sqlite3")) as registry:
                summary = await mirror(registry, store)
    assert (summary.fetched, summary.images_fetched, summary.images_failed) == (1, 0, 1)
    assert not loopback.called


async def test_an_api_redirect_to_another_host_is_refused() -> None:
    with respx.mock(assert_all_called=False) as mock:
        mock.get(f"{API}/@artcrimes").respond(
            302, headers={"Location": "http://127.0.0.1:8080/@artcrimes"}
        )
        loopback = mock.route(host="127.0.0.1").respond(200, json={"total": 0, "items": []})
        async with FbiRegistry(min_interval=0) as registry:
            with pytest.raises(RegistryError, match="another origin"):
                await registry.search(ObjectDescription(title="Venus"), limit=5)
    assert not loopback.called
