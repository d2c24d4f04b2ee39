"""The staff page's sessions over HTTP: a key exchanged for a session, forms refused without
the session's token, a session ended by signing out or by revoking its key. (The flows in a real
browser are in test_service_browser.)"""

# The store and keys are test_service_jobs' fixtures, imported: each test names them again.
# ruff: noqa: F811

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from test_service_jobs import keys, serving, store_path  # noqa: F401 -- the fixtures

from provcheck.service import Role
from provcheck.service.sessions import SESSION_COOKIE

pytestmark = pytest.mark.anyio


def _token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


async def _signed_in(client: httpx.AsyncClient, key: str) -> str:
    """Sign in; the session's CSRF token."""
    form = await client.get("/ui/sign-in")
    sent = await client.post("/ui/sign-in", data={"csrf": _token(form.text), "key": key})
    assert sent.status_code == 303 and sent.headers["location"] == "/ui/", sent.text
    cookie = sent.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    return _token((await client.get("/ui/")).text)


@pytest.fixture
async def client(store_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(store_path) as client:
        yield client


def _key(keys: dict[Role, dict[str, str]], role: Role) -> str:
    return keys[role]["Authorization"].removeprefix("Bearer ")


async def test_a_page_asks_to_sign_in_and_a_wrong_key_is_refused(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/ui/cases")).headers["location"] == "/ui/sign-in"
    form = await client.get("/ui/sign-in")
    wrong = await client.post("/ui/sign-in", data={"csrf": _token(form.text), "key": "pck_x"})
    assert wrong.status_code == 401 and "not a valid API key" in wrong.text
    assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")


async def test_signing_in_needs_the_sign_in_forms_own_token(
    client: httpx.AsyncClient,
    keys: dict[Role, dict[str, str]],
) -> None:
    await client.get("/ui/sign-in")
    forged = await client.post(
        "/ui/sign-in", data={"csrf": "from-another-site", "key": _key(keys, Role.CHECK)}
    )
    assert forged.status_code == 403 and "token" in forged.text


async def test_every_form_needs_the_sessions_token(
    client: httpx.AsyncClient,
    keys: dict[Role, dict[str, str]],
) -> None:
    token = await _signed_in(client, _key(keys, Role.CHECK))
    for path, data in (
        ("/ui/cases", {"title": "A case"}),
        ("/ui/check", {"title": "Acorn"}),
        ("/ui/sign-out", {}),
    ):
        refused = await client.post(path, data=data)
        assert refused.status_code == 403, (path, refused.text)
        assert "default-src 'none'" in refused.headers["content-security-policy"]
    made = await client.post("/ui/cases", data={"csrf": token, "title": "A case"})
    assert made.status_code == 303 and made.headers["location"].startswith("/ui/cases/C-")


async def test_a_read_only_key_sees_but_does_not_check(
    client: httpx.AsyncClient,
    keys: dict[Role, dict[str, str]],
) -> None:
    token = await _signed_in(client, _key(keys, Role.READ))
    refused = await client.post("/ui/check", data={"csrf": token, "title": "Acorn"})
    assert refused.status_code == 403 and "the role &#39;read&#39;" in refused.text
    assert (await client.get("/ui/checks")).status_code == 200


async def test_a_session_ends_on_signing_out_and_when_its_key_is_revoked(
    client: httpx.AsyncClient,
    keys: dict[Role, dict[str, str]],
) -> None:
    token = await _signed_in(client, _key(keys, Role.CHECK))
    out = await client.post("/ui/sign-out", data={"csrf": token})
    assert out.status_code == 303
    assert (await client.get("/ui/")).headers["location"] == "/ui/sign-in"
    await _signed_in(client, _key(keys, Role.CHECK))
    key_id = _key(keys, Role.CHECK).split("_")[1]
    revoked = await client.delete(f"/keys/{key_id}", headers=keys[Role.ADMINISTER])
    assert revoked.status_code == 200
    assert (await client.get("/ui/")).headers["location"] == "/ui/sign-in"


async def test_a_check_without_anything_said_is_told_on_the_form(
    client: httpx.AsyncClient,
    keys: dict[Role, dict[str, str]],
) -> None:
    token = await _signed_in(client, _key(keys, Role.CHECK))
    empty = await client.post("/ui/check", data={"csrf": token, "registry": "local"})
    assert empty.status_code == 200 and "describes nothing" in empty.text


async def test_an_unknown_case_is_not_found_without_saying_where_the_store_is(
    client: httpx.AsyncClient, keys: dict[Role, dict[str, str]], store_path: Path
) -> None:
    token = await _signed_in(client, _key(keys, Role.CHECK))
    for path in ("/ui/cases/C-nope/notes", "/ui/cases/C-nope/records"):
        missing = await client.post(path, data={"csrf": token, "text": "x"})
        assert missing.status_code == 404 and str(store_path) not in missing.text
    assert (await client.get("/ui/cases/C-nope/check")).status_code == 404
