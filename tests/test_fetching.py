"""Photographs given by address: fetched under the address policy, bounded, and compared like a
file -- or, when they cannot be fetched, named as not compared (never a quiet "no match")."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import pytest
import respx
from conftest import FIXTURES

from provcheck import check
from provcheck.cli import main
from provcheck.errors import InputError
from provcheck.registers.fetching import ALLOW_PRIVATE_ENV, address_refusal, fetch_image

PHOTO = (FIXTURES / "queries" / "dealer-photo.jpg").read_bytes()
PUBLIC = "93.184.216.34"


def resolver(table: dict[str, list[str]]) -> Callable[[str, int], Sequence[str]]:
    def resolve(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise OSError(-2, "Name or service not known")
        return table[host]

    return resolve


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """A resolver for the whole process (the engine's fetches too): no test asks real DNS."""
    table: dict[str, list[str]] = {"photos.example": [PUBLIC]}
    monkeypatch.setattr("provcheck.registers.fetching.resolve_addresses", resolver(table))
    monkeypatch.delenv(ALLOW_PRIVATE_ENV, raising=False)
    return table


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),  # a cloud's metadata service
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:10.0.0.1", "private"),
        ("240.0.0.1", "private"),
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
    ],
)
def test_non_public_addresses_are_refused(address: str, kind: str) -> None:
    assert address_refusal(address) == kind


@pytest.mark.parametrize("address", [PUBLIC, "2606:4700:4700::1111", "8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(address) is None


@respx.mock
def test_a_public_photograph_is_fetched() -> None:
    route = respx.get("https://photos.example/p.jpg").respond(200, content=PHOTO)
    data = fetch_image(
        "https://photos.example/p.jpg", resolve=resolver({"photos.example": [PUBLIC]})
    )
    assert data == PHOTO and route.called
    assert route.calls.last.request.headers["Accept"] == "image/*"


@pytest.mark.parametrize(
    ("url", "table", "message"),
    [
        ("http://127.0.0.1:8080/admin", {"127.0.0.1": ["127.0.0.1"]}, "loopback address"),
        ("http://internal.example/p.jpg", {"internal.example": ["10.0.0.7"]}, "private address"),
        # One private address among public ones is enough: the connection could go there.
        ("http://mixed.example/p.jpg", {"mixed.example": [PUBLIC, "::1"]}, "loopback address"),
        ("http://[::ffff:7f00:1]/p.jpg", {"::ffff:7f00:1": ["::ffff:7f00:1"]}, "loopback"),
        ("ftp://photos.example/p.jpg", {}, "only http and https"),
        ("file:///etc/passwd", {}, "only http and https"),
        ("http://nowhere.example/p.jpg", {}, "could not be resolved"),
    ],
)
def test_refused_addresses_are_never_asked(
    url: str, table: dict[str, list[str]], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ALLOW_PRIVATE_ENV, raising=False)
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route().respond(200, content=PHOTO)
        with pytest.raises(InputError, match=message) as raised:
            fetch_image(url, resolve=resolver(table))
    assert not route.called
    assert len(str(raised.value).splitlines()) == 1


@respx.mock
def test_private_addresses_are_fetched_when_the_user_allows_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    respx.get("http://nas.local/p.jpg").respond(200, content=PHOTO)
    table = {"nas.local": ["192.168.1.20"]}
    assert fetch_image("http://nas.local/p.jpg", resolve=resolver(table), allow_private=True)
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")
    assert fetch_image("http://nas.local/p.jpg", resolve=resolver(table)) == PHOTO
    with pytest.raises(InputError, match="private address"):
        fetch_image("http://nas.local/p.jpg", resolve=resolver(table), allow_private=False)


@respx.mock
def test_every_redirect_hop_is_checked() -> None:
    respx.get("https://photos.example/p.jpg").respond(
        302, headers={"Location": "http://metadata.example/latest/"}
    )
    inner = respx.get("http://metadata.example/latest/").respond(200, content=PHOTO)
    table = {"photos.example": [PUBLIC], "metadata.example": ["169.254.169.254"]}
    with pytest.raises(InputError, match=r"redirected to http://metadata\.example.*link-local"):
        fetch_image("https://photos.example/p.jpg", resolve=resolver(table))
    assert not inner.called


@respx.mock
def test_redirects_are_followed_to_public_addresses_and_bounded() -> None:
    respx.get("https://photos.example/a.jpg").respond(301, headers={"Location": "/b.jpg"})
    respx.get("https://photos.example/b.jpg").respond(200, content=PHOTO)
    table = {"photos.example": [PUBLIC]}
    assert fetch_image("https://photos.example/a.jpg", resolve=resolver(table)) == PHOTO

    respx.get("https://photos.example/loop.jpg").respond(302, headers={"Location": "/loop.jpg"})
    with pytest.raises(InputError, match="more than 5 redirects"):
        fetch_image("https://photos.example/loop.jpg", resolve=resolver(table))


@respx.mock
def test_the_body_is_capped_by_what_is_read_not_what_is_declared() -> None:
    table = {"photos.example": [PUBLIC]}

    def endless() -> httpx.Response:
        chunks = (b"\0" * 65536 for _ in range(10_000))  # 655 MB if read to the end
        return httpx.Response(200, content=chunks)  # chunked: no Content-Length

    respx.get("https://photos.example/big.jpg").mock(side_effect=lambda request: endless())
    with pytest.raises(InputError, match="larger than the limit of 1,000,000 bytes"):
        fetch_image("https://photos.example/big.jpg", resolve=resolver(table), max_bytes=1_000_000)
    respx.get("https://photos.example/declared.jpg").respond(
        200, headers={"Content-Length": "999999999"}, content=b"x"
    )
    with pytest.raises(InputError, match="larger than the limit"):
        fetch_image("https://photos.example/declared.jpg", resolve=resolver(table))


@respx.mock
def test_an_error_status_and_a_timeout_are_one_line_without_the_query_string() -> None:
    table = {"photos.example": [PUBLIC]}
    respx.get("https://photos.example/gone.jpg").respond(404)
    with pytest.raises(InputError) as raised:
        fetch_image("https://photos.example/gone.jpg?token=s3cret", resolve=resolver(table))
    assert "HTTP 404" in str(raised.value) and "s3cret" not in str(raised.value)
    respx.get("https://photos.example/slow.jpg").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(InputError, match="did not answer in time"):
        fetch_image("https://photos.example/slow.jpg", resolve=resolver(table))


def test_the_connection_goes_to_the_checked_address_only() -> None:
    """A real connection: the name is resolved once, by the policy, and the socket is opened to
    that address -- the system resolver is never asked again (no DNS rebinding)."""
    from provcheck.testing import served

    async def app(scope: dict[str, object], receive: object, send: Callable[..., object]) -> None:
        assert scope["type"] == "http"
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[misc]
        await send({"type": "http.response.body", "body": PHOTO})  # type: ignore[misc]

    with served(app) as url:
        port = httpx.URL(url).port
        # "rebound.invalid" cannot resolve anywhere: only the pin can connect it.
        got = fetch_image(
            f"http://rebound.invalid:{port}/p.jpg",
            resolve=resolver({"rebound.invalid": ["127.0.0.1"]}),
            allow_private=True,
        )
        assert got == PHOTO
        with pytest.raises(InputError, match="loopback"):
            fetch_image(f"{url}/p.jpg", resolve=resolver({"127.0.0.1": ["127.0.0.1"]}))


# -- in a check ----------------------------------------------------------------------------------


@pytest.fixture
def sample_register(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["local", "import", str(FIXTURES / "sample-register" / "records.jsonl")]) == 0
    capsys.readouterr()


@respx.mock
def test_a_photograph_by_url_is_compared_like_its_file(
    dns: dict[str, list[str]], sample_register: None, capsys: pytest.CaptureFixture[str]
) -> None:
    route = respx.get("https://photos.example/dealer-photo.jpg").respond(200, content=PHOTO)
    url = "https://photos.example/dealer-photo.jpg"
    code = main(["check", "--image", url, "--image", url, "--registry", "local", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["conclusion"] == "possible-match"
    top = report["outcomes"][0]["candidates"][0]
    assert top["record"]["record_id"] == "LOSS-2020"
    image = report["query"]["images"][0]
    assert image["url"] == url and image.get("data") is None  # the address, not the bytes
    assert image["sha256"] and image["fingerprints"]
    assert route.call_count == 1  # the same address is fetched once per check


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (httpx.Response(404), "HTTP 404"),
        (httpx.Response(200, content=b"<html>not an image</html>"), "not a readable image"),
    ],
)
@respx.mock
def test_a_photograph_that_cannot_be_fetched_makes_the_check_incomplete(
    dns: dict[str, list[str]],
    sample_register: None,
    answer: httpx.Response,
    why: str,
) -> None:
    url = "https://photos.example/dealer-photo.jpg"
    respx.get(url).mock(return_value=answer)
    report = check({"title": "Zyzzyva quokka", "images": [url]}, ["local"])
    assert report.conclusion == "incomplete"
    [limitation] = [x for x in report.limitations if x.kind == "photograph-not-compared"]
    assert limitation.kind == "photograph-not-compared" and limitation.subject == url
    assert why in limitation.message


def test_a_photograph_on_a_loopback_address_is_not_fetched(
    dns: dict[str, list[str]], sample_register: None
) -> None:
    dns["localhost"] = ["127.0.0.1"]
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route().respond(200, content=PHOTO)
        report = check({"images": ["http://localhost:9/photo.jpg"]}, ["local"])
    assert not route.called
    assert report.conclusion == "incomplete"
    [limitation] = [x for x in report.limitations if x.kind == "photograph-not-compared"]
    assert "loopback" in limitation.message and ALLOW_PRIVATE_ENV in limitation.message


@respx.mock
def test_a_query_file_and_a_catalogue_row_with_a_photograph_by_url(
    dns: dict[str, list[str]],
    sample_register: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = "https://photos.example/dealer-photo.jpg"
    respx.get(url).respond(200, content=PHOTO)
    query = tmp_path / "query.json"
    query.write_text(json.dumps({"images": [{"url": url}]}))
    assert main(["check", "--query", str(query), "--registry", "local"]) == 1
    assert "LOSS-2020" in capsys.readouterr().out

    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(f"lot,description,photo\nA1,a young woman on a horse,{url}\n")
    code = main(["batch", str(catalogue), "--registry", "local", "--out", str(tmp_path / "out")])
    assert code == 1, capsys.readouterr()
    assert "1 possible-match" in capsys.readouterr().out


# -- found by review -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address", ["2002:7f00:1::1", "2002:a00:1::1", "2001:0:4136:e378:8000:63bf:80ff:fffe"]
)
def test_ipv4_addresses_inside_ipv6_ones_are_judged_as_themselves(address: str) -> None:
    # 6to4 of 127.0.0.1 and 10.0.0.1; a Teredo address whose client is 127.0.0.1.
    assert address_refusal(address) is not None


def test_a_malformed_international_host_is_one_line() -> None:
    with pytest.raises(InputError, match="xn--"):
        fetch_image("http://xn--/a.jpg", resolve=resolver({}))


def test_a_photograph_on_an_international_host_is_fetched() -> None:
    from provcheck.testing import served

    async def app(scope: dict[str, object], receive: object, send: Callable[..., object]) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[misc]
        await send({"type": "http.response.body", "body": PHOTO})  # type: ignore[misc]

    asked: list[str] = []

    def resolve(host: str, port: int) -> Sequence[str]:
        asked.append(host)
        return ["127.0.0.1"]

    with served(app) as url:
        port = httpx.URL(url).port
        got = fetch_image(
            f"http://bücher.example:{port}/p.jpg", resolve=resolve, allow_private=True
        )
    assert got == PHOTO and asked == ["xn--bcher-kva.example"]


def test_a_server_that_drips_its_headers_is_given_up_at_the_deadline() -> None:
    import socket
    import threading
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def drip() -> None:
        connection, _ = listener.accept()
        with connection:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200:
                if stop.wait(0.2):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    worker = threading.Thread(target=drip, daemon=True)
    worker.start()
    started = time.monotonic()
    try:
        with pytest.raises(InputError, match="took too long"):
            fetch_image(
                f"http://127.0.0.1:{port}/p.jpg",
                allow_private=True,
                timeout=httpx.Timeout(1.0),
                deadline=1.0,
            )
    finally:
        stop.set()
        listener.close()
    assert time.monotonic() - started < 3.0
