"""A register that answers with a redirect to another host never receives the API key there:
the redirect is refused with a clear error, and a redirect on the service itself is followed."""

from __future__ import annotations

import httpx
import pytest
import respx
from provcheck_alr import AlrRegistry

from provcheck import ObjectDescription, RegistryError, SearchPending

pytestmark = pytest.mark.anyio
KEY = "alr-redirect-key-51c0e2"
BASE = "https://alr.example.org"
OWNER = {"current_owner": "Example Gallery Ltd", "collection_type": "dealer stock"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def alr() -> AlrRegistry:
    return AlrRegistry(base_url=BASE, api_key=KEY, poll_interval=0.01, deadline=0.0, **OWNER)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_to_another_host_gets_no_api_key(status: int) -> None:
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{BASE}/v1/searches").respond(
            status, headers={"Location": "https://collector.example.net/v1/searches"}
        )
        elsewhere = mock.route(host="collector.example.net").respond(201, json={})
        async with alr() as registry:
            with pytest.raises(RegistryError, match="redirect") as raised:
                await registry.search(ObjectDescription(title="The Horsewoman"), limit=5)
    assert not elsewhere.called
    assert "collector.example.net" in str(raised.value) and KEY not in str(raised.value)
    assert raised.value.status == status


async def test_a_redirect_to_another_port_or_scheme_is_another_origin() -> None:
    for target in ("http://alr.example.org/v1/searches", "https://alr.example.org:8443/v1/x"):
        with respx.mock(assert_all_called=False) as mock:
            mock.post(f"{BASE}/v1/searches").respond(307, headers={"Location": target})
            elsewhere = mock.route(url__startswith=target.rsplit("/", 2)[0]).respond(201)
            async with alr() as registry:
                with pytest.raises(RegistryError, match="another origin"):
                    await registry.search(ObjectDescription(title="The Horsewoman"), limit=5)
        assert not elsewhere.called


async def test_a_redirect_on_the_service_itself_is_followed_with_the_key() -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.post("/v1/searches").respond(307, headers={"Location": "/v2/searches"})
        moved = mock.post("/v2/searches").respond(201, json={"id": "S-1", "status": "in_review"})
        mock.get("/v1/searches/S-1").respond(200, json={"id": "S-1", "status": "in_review"})
        async with alr() as registry:
            with pytest.raises(SearchPending, match="S-1 is in review"):
                await registry.search(ObjectDescription(title="The Horsewoman"), limit=5)
    assert moved.called and moved.calls.last.request.headers["X-API-Key"] == KEY


async def test_a_record_image_redirected_elsewhere_is_not_fetched() -> None:
    from provcheck import ImageRef

    with respx.mock(assert_all_called=False) as mock:
        mock.get(f"{BASE}/v1/images/1.jpg").respond(
            302, headers={"Location": "https://cdn.example.net/1.jpg"}
        )
        elsewhere = mock.route(host="cdn.example.net").respond(200, content=b"x")
        async with alr() as registry:
            with pytest.raises(RegistryError, match="another origin"):
                await registry.image_bytes(ImageRef(url=f"{BASE}/v1/images/1.jpg"))
    assert not elsewhere.called


def test_httpx_alone_would_have_sent_the_key() -> None:
    """Why the session follows redirects itself: httpx strips only `Authorization`."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "alr.example.org":
            return httpx.Response(302, headers={"Location": "https://collector.example.net/"})
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True) as client:
        client.get(BASE, headers={"X-API-Key": KEY})
    assert seen[-1].url.host == "collector.example.net" and seen[-1].headers["X-API-Key"] == KEY
