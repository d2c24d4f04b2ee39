"""The faults every mock service can inject, and `provcheck mock`."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest

from provcheck import InputError
from provcheck.cli import main
from provcheck.cli import mock as mock_commands
from provcheck.testing.mocks import (
    FaultInjection,
    Faults,
    IdempotencyConflict,
    IdempotencyKeys,
    PollPacing,
    Refusal,
    in_process,
    installed_mocks,
    serve,
)

pytestmark = pytest.mark.anyio


class Counter:
    """A tiny JSON service that counts the requests it acted on."""

    def __init__(self) -> None:
        self.acted = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.acted += 1
        body = json.dumps({"status": "queued", "id": self.acted}).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def client(faults: Faults) -> tuple[httpx.AsyncClient, Counter]:
    app = Counter()
    transport = in_process(FaultInjection(app, faults))
    return httpx.AsyncClient(transport=transport, base_url="http://mock"), app


async def test_refusals_are_answered_at_the_door_and_counted_down() -> None:
    http, app = client(Faults(rate_limited=2, retry_after=7))
    async with http:
        answers = [await http.get("/") for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "7"
    assert app.acted == 1


async def test_faults_can_be_kept_to_one_method() -> None:
    http, app = client(Faults(server_error=5, method="POST"))
    async with http:
        assert (await http.get("/")).status_code == 200
        assert (await http.post("/")).status_code == 500
    assert app.acted == 1


async def test_a_dropped_connection_comes_after_the_service_acted() -> None:
    http, app = client(Faults(dropped=1))
    async with http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post("/")
        assert (await http.post("/")).json()["id"] == 2
    assert app.acted == 2


async def test_a_malformed_answer_is_cut_off() -> None:
    http, _ = client(Faults(malformed=1))
    async with http:
        broken = await http.get("/")
        with pytest.raises(json.JSONDecodeError):
            json.loads(broken.content)
        assert (await http.get("/")).json()["status"] == "queued"


@pytest.mark.parametrize(
    ("drift", "keys"),
    [
        ("unknown-field", {"status", "id", "x_introduced_in_v2"}),
        ("renamed-field", {"status_v2", "id"}),
        ("missing-field", {"id"}),
    ],
)
async def test_schema_drift_changes_every_answer(drift: str, keys: set[str]) -> None:
    http, _ = client(Faults.model_validate({"drift": drift}))
    async with http:
        for _ in range(2):
            assert set((await http.get("/")).json()) == keys


def test_faults_parse_from_the_command_line() -> None:
    faults = Faults.parse(["rate-limited=5", "latency=0.5", "drift=renamed-field"])
    assert (faults.rate_limited, faults.latency, faults.drift) == (5, 0.5, "renamed-field")
    with pytest.raises(InputError, match="expected NAME=VALUE with NAME one of latency"):
        Faults.parse(["storms=5"])
    with pytest.raises(InputError, match="--fault rate_limited: "):
        Faults.parse(["rate_limited=many"])


def test_mock_list_names_the_installed_mocks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mock", "list"]) == 0
    out = capsys.readouterr().out
    for name in installed_mocks():
        assert name in out
    assert {"alr", "lsad"} <= set(installed_mocks())  # this repository's plugins


def test_mock_serve_prints_how_to_point_provcheck_at_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(
        mock_commands, "serve", lambda app, host, port: served.update(app=app, port=port)
    )
    args = ["mock", "serve", "alr", "--port", "9099", "--fault", "rate_limited=3"]
    assert main([*args, "--set", "credit=2"]) == 0
    out = capsys.readouterr().out
    assert "export PROVCHECK_ALR_BASE_URL=http://127.0.0.1:9099" in out
    assert "export PROVCHECK_ALR_API_KEY=alr-demo-key" in out
    assert "credit 2 searches" in out and "'rate_limited': 3" in out
    assert isinstance(served["app"], FaultInjection) and served["port"] == 9099
    # A service under a path of its host (Wikidata's /sparql) is pointed at with that path.
    assert main(["mock", "serve", "wikidata", "--port", "9098"]) == 0
    assert (
        "export PROVCHECK_WIKIDATA_BASE_URL=http://127.0.0.1:9098/sparql" in capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mock", "serve", "nope"], "no mock service named 'nope' is installed"),
        (["mock", "serve", "alr", "--fault", "storm"], "--fault 'storm': expected NAME=VALUE"),
        (["mock", "serve", "alr", "--set", "credit=lots"], "alr mock: credit: "),
        (["mock", "serve", "alr", "--set", "colour=red"], "alr mock: colour: "),
    ],
)
def test_mock_serve_refuses_bad_input_in_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_serving_on_a_port_in_use_is_one_clear_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(InputError, match=f"cannot serve on 127.0.0.1:{port}: .*another --port"):
            serve(Counter(), host="127.0.0.1", port=port)


def test_an_idempotency_key_names_one_request() -> None:
    keys = IdempotencyKeys()
    assert keys.known("k1", b'{"a": 1}') is None
    keys.remember("k1", b'{"a": 1}', "S-1")
    assert keys.known("k1", b'{"a": 1}') == "S-1"
    with pytest.raises(IdempotencyConflict):
        keys.known("k1", b'{"a": 2}')


def test_polling_too_soon_is_told_how_long_to_wait() -> None:
    pacing = PollPacing(min_interval=2.5)
    assert pacing.too_soon("S-1", now=10.0) is None
    assert pacing.too_soon("S-1", now=10.5) == 2  # Retry-After: whole seconds, at least 1
    assert pacing.too_soon("S-2", now=10.5) is None  # each search has its own pace
    assert pacing.too_soon("S-1", now=12.6) is None


def test_a_keyed_submission_is_refused_answered_again_or_new() -> None:
    keys = IdempotencyKeys()
    assert keys.submission("", b"{}", max_bytes=10, what="search") == Refusal(
        400, "idempotency_key_required", "send an Idempotency-Key header"
    )
    too_large = keys.submission("k", b"x" * 11, max_bytes=10, what="search")
    assert isinstance(too_large, Refusal) and too_large.status == 413
    assert keys.submission("k", b"{}", max_bytes=10, what="search") is None
    keys.remember("k", b"{}", "S-1")
    assert keys.submission("k", b"{}", max_bytes=10, what="search") == "S-1"
    reused = keys.submission("k", b"{ }", max_bytes=10, what="search")
    assert isinstance(reused, Refusal) and reused.status == 409


def test_a_mock_that_cannot_be_imported_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.metadata

    from provcheck import PluginLoadError
    from provcheck.testing import mocks as toolkit

    broken = importlib.metadata.EntryPoint(
        name="broken", value="no_such_plugin.service:create_mock", group="provcheck.mocks"
    )
    monkeypatch.setattr(toolkit.importlib.metadata, "entry_points", lambda group: [broken])
    with pytest.raises(PluginLoadError, match=r"the broken mock .* failed to import"):
        toolkit.load_mock("broken")
    assert main(["mock", "serve", "broken"]) == 2
    err = capsys.readouterr().err
    assert "the broken mock" in err and "Traceback" not in err and err.count("\n") == 1
