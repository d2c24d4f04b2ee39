"""`provcheck serve`: the web service in process (httpx over ASGI, its lifespan run), and once for
real on loopback (`provcheck serve` in a process of its own, asked over HTTP)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from conftest import FIXTURES
from service_process import sample_store, serving

from provcheck import CheckReport, verify_report
from provcheck.cli import main
from provcheck.service import Role, ServiceSettings, create_app, make_key
from provcheck.service.limits import RateLimiter
from provcheck.store.importing import import_file
from provcheck.store.opening import open_store
from provcheck.store.sqlite import LocalStore

QUERY = json.loads((FIXTURES / "queries" / "reworded.json").read_text(encoding="utf-8"))
PHOTO = FIXTURES / "queries" / "dealer-photo.jpg"


@pytest.fixture
def store_path(any_store: str, entry_points: Callable[..., None]) -> str:
    entry_points(local="provcheck.store.local_register:LocalRegistry")
    path = any_store  # a SQLite file, then a PostgreSQL database
    with open_store(path) as store:
        import_file(store, FIXTURES / "sample-register" / "records.jsonl")
    return path


@pytest.fixture
def keys(store_path: str) -> dict[Role, str]:
    with open_store(store_path) as store:
        return {role: make_key(store, f"Holder {role.value}", role)[1] for role in Role}


@asynccontextmanager
async def _client(store_path: str, **settings: object) -> AsyncIterator[httpx.AsyncClient]:
    options: dict[str, object] = {"registries": ("local",), **settings}
    app = create_app(ServiceSettings(store=store_path, **options))  # type: ignore[arg-type]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://service"
        ) as client,
    ):
        yield client


@pytest.fixture
async def client(store_path: str) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(store_path) as client:
        yield client


def _as(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _problem(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return str(body["detail"])


@pytest.mark.anyio
async def test_a_request_without_a_valid_key_is_refused(
    client: httpx.AsyncClient, keys: dict[Role, str]
) -> None:
    detail = _problem(await client.post("/checks", json={"query": QUERY}), 401)
    assert "api-key new" in detail
    forged = keys[Role.CHECK][:-4] + "AAAA"
    response = await client.post("/checks", json={"query": QUERY}, headers=_as(forged))
    assert "not valid" in _problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert (await client.get("/health")).json()["status"] == "ok"  # no key needed


@pytest.mark.anyio
async def test_a_role_allows_what_it_names_and_no_more(
    client: httpx.AsyncClient, keys: dict[Role, str]
) -> None:
    detail = _problem(
        await client.post("/checks", json={"query": QUERY}, headers=_as(keys[Role.READ])), 403
    )
    assert "'read'" in detail and "'check'" in detail
    _problem(await client.get("/keys", headers=_as(keys[Role.CHECK])), 403)
    assert (await client.get("/checks", headers=_as(keys[Role.READ]))).status_code == 200
    assert (await client.get("/keys", headers=_as(keys[Role.ADMINISTER]))).status_code == 200


@pytest.mark.anyio
async def test_a_check_is_reported_kept_and_given_back_byte_for_byte(
    client: httpx.AsyncClient, keys: dict[Role, str]
) -> None:
    made = await client.post("/checks", json={"query": QUERY}, headers=_as(keys[Role.CHECK]))
    assert made.status_code == 201, made.text
    report = CheckReport.model_validate_json(made.text)
    assert report.conclusion == "possible-match"
    assert report.requested_by is not None and report.requested_by.startswith("Holder check")
    assert made.headers["location"] == f"/checks/{report.report_id}"
    again = await client.get(made.headers["location"], headers=_as(keys[Role.READ]))
    assert again.status_code == 200 and again.content == made.content
    assert verify_report(json.loads(again.text)).ok  # the holder is inside the digest
    listed = (await client.get("/checks", headers=_as(keys[Role.READ]))).json()
    assert [r["report_id"] for r in listed] == [report.report_id]
    assert listed[0]["conclusion"] == "possible-match"


@pytest.mark.anyio
async def test_a_report_is_a_page_for_a_browser(
    client: httpx.AsyncClient, keys: dict[Role, str]
) -> None:
    made = await client.post("/checks", json={"query": QUERY}, headers=_as(keys[Role.CHECK]))
    page = await client.get(
        made.headers["location"],
        headers={**_as(keys[Role.READ]), "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "Acorn" in page.text and "Holder check" in page.text


@pytest.mark.anyio
async def test_photographs_are_uploaded_with_the_request(
    client: httpx.AsyncClient, keys: dict[Role, str]
) -> None:
    made = await client.post(
        "/checks",
        data={"request": json.dumps({"query": {"object_type": "Painting"}})},
        files=[("photo", ("from-the-dealer.jpg", PHOTO.read_bytes(), "image/jpeg"))],
        headers=_as(keys[Role.CHECK]),
    )
    assert made.status_code == 201, made.text
    report = CheckReport.model_validate_json(made.text)
    (image,) = report.query.images
    assert image.caption == "from-the-dealer.jpg" and image.sha256
    best = report.candidates[0]
    assert best.record.record_id == "LOSS-2020"
    assert any(e.field == "images" and (e.similarity or 0) > 0.9 for e in best.evidence)


@pytest.mark.parametrize(
    ("body", "status", "said"),
    [
        (
            {"query": {"title": "x", "images": [{"path": "/etc/passwd"}]}},
            422,
            "query.images.0.path",
        ),
        ({"query": {"title": 5}}, 422, "query.title"),
        ({"query": {}}, 422, "describes nothing"),
        ({"query": QUERY, "limit": 0}, 422, "limit"),
        ({"query": QUERY, "registries": ["nowhere"]}, 400, "nowhere"),
        ({"query": QUERY, "api_key": "x"}, 422, "api_key"),
        ({"query": {"title": "x" * 20_001}}, 422, "query.title: longer than 20,000"),
        ({"query": {"title": "x", "keywords": ["y" * 30_000]}}, 422, "query.keywords"),
    ],
)
@pytest.mark.anyio
async def test_a_wrong_request_is_one_line_naming_the_field(
    client: httpx.AsyncClient,
    keys: dict[Role, str],
    body: dict[str, object],
    status: int,
    said: str,
) -> None:
    detail = _problem(
        await client.post("/checks", json=body, headers=_as(keys[Role.CHECK])), status
    )
    assert said in detail and "\n" not in detail and "Traceback" not in detail


@pytest.mark.anyio
async def test_what_is_not_json_or_a_form_is_refused(
    client: httpx.AsyncClient, keys: dict[Role, str]
) -> None:
    response = await client.post(
        "/checks", content=b"<xml/>", headers={**_as(keys[Role.CHECK]), "Content-Type": "text/xml"}
    )
    assert "application/json" in _problem(response, 415)
    form = await client.post(
        "/checks",
        data={"other": "x"},
        files=[("photo", ("a.jpg", PHOTO.read_bytes(), "image/jpeg"))],
        headers=_as(keys[Role.CHECK]),
    )
    assert "`request`" in _problem(form, 422)
    broken = await client.post(
        "/checks",
        content=b'{"query": ',
        headers={**_as(keys[Role.CHECK]), "Content-Type": "application/json"},
    )
    _problem(broken, 422)


@pytest.mark.anyio
async def test_a_body_larger_than_the_limit_is_refused_before_it_is_read(
    store_path: str, keys: dict[Role, str]
) -> None:
    async with _client(store_path, max_body_bytes=10_000) as client:
        response = await client.post(
            "/checks",
            data={"request": json.dumps({"query": QUERY})},
            files=[("photo", ("big.jpg", b"\xff" * 20_000, "image/jpeg"))],
            headers=_as(keys[Role.CHECK]),
        )
        assert "10,000 bytes" in _problem(response, 413)

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"query": {"title": "'
            for _ in range(30):
                yield b"x" * 1_000
            yield b'"}}'

        streamed = await client.post(
            "/checks",
            content=chunks(),
            headers={**_as(keys[Role.CHECK]), "Content-Type": "application/json"},
        )
        _problem(streamed, 413)
        assert (await client.get("/checks", headers=_as(keys[Role.READ]))).json() == []


@pytest.mark.anyio
async def test_a_key_past_its_rate_limit_is_told_when_to_come_back(
    store_path: str, keys: dict[Role, str]
) -> None:
    async with _client(store_path, rate_limit=2) as client:
        for _ in range(2):
            assert (await client.get("/checks", headers=_as(keys[Role.READ]))).status_code == 200
        response = await client.get("/checks", headers=_as(keys[Role.READ]))
        assert "2 requests a minute" in _problem(response, 429)
        assert int(response.headers["retry-after"]) >= 1
        # Another key has its own.
        assert (await client.get("/checks", headers=_as(keys[Role.CHECK]))).status_code == 200


def test_the_rate_limit_fills_again_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert all(limiter.take("k") is None for _ in range(60))
    wait = limiter.take("k")
    assert wait is not None and 0.9 < wait <= 1.0
    now[0] += 1.0
    assert limiter.take("k") is None and limiter.take("k") is not None


@pytest.mark.anyio
async def test_keys_are_made_listed_and_revoked_by_an_administrator(
    client: httpx.AsyncClient, keys: dict[Role, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = _as(keys[Role.ADMINISTER])
    made = await client.post(
        "/keys", json={"holder": "Dealer desk", "role": "check"}, headers=admin
    )
    assert made.status_code == 201
    key, key_id = made.json()["key"], made.json()["key_id"]
    listed = await client.get("/keys", headers=admin)
    assert key_id in listed.text and key not in listed.text and "digest" not in listed.text
    assert (await client.get("/checks", headers=_as(key))).status_code == 200
    assert (await client.delete(f"/keys/{key_id}", headers=admin)).json()["revoked_at"]
    _problem(await client.get("/checks", headers=_as(key)), 401)
    assert "revoked already" in _problem(await client.delete(f"/keys/{key_id}", headers=admin), 400)
    assert "no such key" in _problem(await client.delete("/keys/nope", headers=admin), 400)
    for secret in (key, *keys.values()):
        assert secret not in caplog.text


@pytest.mark.anyio
async def test_an_unknown_report_is_not_found(
    client: httpx.AsyncClient, keys: dict[Role, str]
) -> None:
    assert "no report" in _problem(
        await client.get("/checks/nope", headers=_as(keys[Role.READ])), 404
    )
    _problem(await client.get("/nowhere"), 404)


@pytest.mark.anyio
async def test_the_openapi_document_is_made_from_the_librarys_models(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    for model in ("CheckRequest", "ObjectDescription-Input", "CheckReport", "Problem", "KeyMade"):
        assert model in schemas
    assert schemas["CheckRequest"]["properties"]["query"] == {
        "$ref": "#/components/schemas/ObjectDescription-Input"
    }
    body = document["paths"]["/checks"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    assert document["components"]["securitySchemes"]["APIKey"]["scheme"] == "bearer"
    # What the README sends validates against the document (as a generated client would check).
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource(
        "urn:document", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    jsonschema.Draft202012Validator(
        {"$ref": "urn:document#/components/schemas/CheckRequest"}, registry=registry
    ).validate({"query": QUERY, "registries": ["local"]})
    refs = json.dumps(document)
    for name in {part.split('"')[0] for part in refs.split("#/components/schemas/")[1:]}:
        assert name in schemas  # every reference resolves


def test_provcheck_serve_answers_on_loopback(tmp_path: Path) -> None:
    """The README's way: import, make a key, serve, post the example object with curl's
    equivalent -- a real server, a real socket."""
    store = sample_store(tmp_path)
    with LocalStore(store) as opened:
        _, key = make_key(opened, "Registrar", Role.CHECK)
    log = tmp_path / "service.log"
    with serving(store, log=log) as base:
        assert httpx.post(f"{base}/checks", json={"query": QUERY}).status_code == 401
        # A key where it does not belong is refused, and not written down with the address.
        assert httpx.post(f"{base}/checks?api_key={key}", json={"query": QUERY}).status_code == 401
        made = httpx.post(f"{base}/checks", json={"query": QUERY}, headers=_as(key), timeout=60)
        assert made.status_code == 201 and made.json()["conclusion"] == "possible-match"
        page = httpx.get(
            base + made.headers["location"], headers={**_as(key), "Accept": "text/html"}
        )
        assert page.headers["content-type"].startswith("text/html")
    output = log.read_text(encoding="utf-8", errors="replace")
    assert "POST /checks" in output and key not in output  # logged, but never the key


def test_api_keys_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "store.sqlite3")
    assert (
        main(["api-key", "new", "--holder", "Registrar", "--role", "read", "--store", store]) == 0
    )
    key = capsys.readouterr().out.strip()
    assert key.startswith("pck_")
    assert main(["api-key", "list", "--store", store]) == 0
    listed = capsys.readouterr().out
    key_id = key.split("_")[1]
    assert key_id in listed and key not in listed and "Registrar" in listed
    assert main(["api-key", "revoke", key_id, "--store", store]) == 0
    assert main(["api-key", "revoke", key_id, "--store", store]) == 2
    assert "revoked already" in capsys.readouterr().err
    assert main(["api-key", "new", "--holder", " ", "--store", store]) == 2


@pytest.mark.anyio
async def test_the_document_gives_the_headers_a_created_resource_is_answered_with(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    check = paths["/checks"]["post"]["responses"]["201"]["headers"]
    assert set(check) == {"Location", "Link"}
    for path, status in (("/batches", "202"), ("/cases", "201"), ("/hooks", "201")):
        assert "Location" in paths[path]["post"]["responses"][status]["headers"], path
    assert "400" in paths["/checks"]["post"]["responses"]


@pytest.mark.anyio
async def test_the_service_reads_the_image_index_ahead_of_the_first_photograph(
    store_path: str,
) -> None:
    with open_store(store_path) as store:
        index = store.index_folder / "index.json"  # type: ignore[attr-defined]
    assert not index.exists()
    async with _client(store_path) as client:
        for _ in range(100):  # on a worker thread, as the service starts
            if index.is_file():
                break
            await asyncio.sleep(0.05)
        assert index.is_file()
        assert (await client.get("/health")).status_code == 200


def test_a_served_worker_collects_garbage_less_often(
    store_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from provcheck.service.app import app_from_environment

    monkeypatch.setenv("PROVCHECK_LOCAL_PATH", str(store_path))
    threshold = gc.get_threshold()
    try:
        app_from_environment()
        # Several collections a check, and full ones that held a worker for a quarter of a
        # second, at the default threshold (700).
        assert gc.get_threshold()[0] >= 10_000
        assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
