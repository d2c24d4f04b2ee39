"""A register that answers with a redirect to another host never receives the client secret (in
the token request's form body) nor the bearer token there: the redirect is refused."""

from __future__ import annotations

import pytest
import respx
from provcheck_lsad import LsadRegistry

from provcheck import ImageRef, ObjectDescription, RegistryError, SearchPending

pytestmark = pytest.mark.anyio
SECRET = "lsad-redirect-secret-0d94aa"
BASE = "https://lsad.example.org"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def lsad() -> LsadRegistry:
    return LsadRegistry(
        base_url=BASE,
        client_id="client-1",
        client_secret=SECRET,
        requester_name="A. Registrar",
        requester_email="registrar@museum.example",
        poll_interval=0.01,
        deadline=0.0,
    )


@pytest.mark.parametrize("status", [307, 308, 302])
async def test_the_token_request_is_not_sent_to_another_host(status: int) -> None:
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{BASE}/oauth/token").respond(
            status, headers={"Location": "https://collector.example.net/oauth/token"}
        )
        elsewhere = mock.route(host="collector.example.net").respond(
            200, json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600}
        )
        async with lsad() as registry:
            with pytest.raises(RegistryError, match="another origin") as raised:
                await registry.search(ObjectDescription(title="The Horsewoman"), limit=5)
    assert not elsewhere.called
    assert SECRET not in str(raised.value)


async def test_a_bearer_request_is_not_sent_to_another_host() -> None:
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{BASE}/oauth/token").respond(
            200, json={"access_token": "t-secret", "token_type": "Bearer", "expires_in": 3600}
        )
        mock.get(f"{BASE}/images/1.jpg").respond(
            302, headers={"Location": "https://cdn.example.net/1.jpg"}
        )
        elsewhere = mock.route(host="cdn.example.net").respond(200, content=b"x")
        async with lsad() as registry:
            with pytest.raises(RegistryError, match="another origin"):
                await registry.image_bytes(ImageRef(url=f"{BASE}/images/1.jpg"))
    assert not elsewhere.called


async def test_a_redirect_on_the_service_itself_is_followed() -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.post("/oauth/token").respond(308, headers={"Location": "/oauth2/token"})
        moved = mock.post("/oauth2/token").respond(
            200, json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600}
        )
        mock.post("/requests").respond(201, json={"reference": "AAU/1", "status": "received"})
        mock.get("/requests/AAU/1").respond(200, json={"reference": "AAU/1", "status": "received"})
        async with lsad() as registry:
            with pytest.raises(SearchPending, match="AAU/1"):
                await registry.search(ObjectDescription(title="The Horsewoman"), limit=5)
    assert moved.called and SECRET in moved.calls.last.request.content.decode()
