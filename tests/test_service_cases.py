"""The service's cases (opened, followed, verified, exported), its webhooks (signed deliveries to
a receiver on loopback, retried when it fails) and its watches (a mirror's sync that adds a
matching record raises an alert)."""

# The store and keys are test_service_jobs' fixtures, imported: each test names them again.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from conftest import FIXTURES
from sample_registries import ListedRegistry
from test_service_jobs import (  # noqa: F401 -- the store and keys are the fixtures
    CATALOGUE,
    catalogue,
    ended,
    keys,
    serving,
    store_path,
)

from provcheck.registers.fetching import ALLOW_PRIVATE_ENV
from provcheck.service import Role
from provcheck.service.webhooks import SIGNATURE_HEADER, verify_signature

pytestmark = pytest.mark.anyio

HOLLY = {"title": "Holly vase with dragonflies", "maker": "Émile Gallé", "period": "1900"}


class Receiver:
    """A webhook receiver on loopback: keeps what it was sent, answers `status`."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self, name: str) -> list[tuple[dict[str, str], bytes]]:
        return [(h, b) for h, b in self.received if json.loads(b)["event"] == name]

    async def wait_for(self, name: str, count: int = 1) -> list[tuple[dict[str, str], bytes]]:
        for _ in range(600):
            if len(self.events(name)) >= count:
                return self.events(name)
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {name} delivery: {self.received}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def tried_once(
    client: httpx.AsyncClient, hook: str, headers: dict[str, str]
) -> dict[str, Any]:
    """The hook's one delivery, once the service has recorded its first attempt's answer."""
    for _ in range(200):
        (delivery,) = (await client.get(hook, headers=headers)).json()
        if delivery["attempts"]:
            return dict(delivery)
        await asyncio.sleep(0.05)
    raise AssertionError(f"the delivery was never tried: {delivery}")


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")  # the receiver is on this machine
    receiver = Receiver()
    yield receiver
    receiver.close()


async def test_a_case_is_opened_followed_verified_and_exported(
    store_path: str, keys: dict[Role, dict[str, str]]
) -> None:
    async with serving(store_path) as client:
        opened = await client.post(
            "/cases", json={"title": "Acorn lamp offered by a dealer"}, headers=keys[Role.CHECK]
        )
        assert opened.status_code == 201, opened.text
        assert opened.json()["data"]["by"].startswith("Holder check (API key")
        case = opened.headers["location"]
        note = await client.post(
            f"{case}/notes", json={"text": "Asked for the invoice"}, headers=keys[Role.CHECK]
        )
        assert note.json()["sequence"] == 2
        record = await client.post(
            f"{case}/records",
            data={"text": "invoice received"},
            files={"attachment": ("../../invoice.pdf", b"%PDF-1.4 an invoice", "application/pdf")},
            headers=keys[Role.CHECK],
        )
        assert record.status_code == 201 and record.json()["attachment"]["name"] == "invoice.pdf"
        for hostile, kept in (("..", "attachment"), ("é" * 199 + ".txt", "é" * 96 + ".txt")):
            odd = await client.post(
                f"{case}/records",
                data={"text": "a file with an odd name"},
                files={"attachment": (hostile, b"x", "text/plain")},
                headers=keys[Role.CHECK],
            )
            assert odd.status_code == 201 and odd.json()["attachment"]["name"] == kept
        query = json.loads((FIXTURES / "queries" / "reworded.json").read_text(encoding="utf-8"))
        check = await client.post(f"{case}/checks", json={"query": query}, headers=keys[Role.CHECK])
        assert check.status_code == 201 and check.json()["conclusion"] == "possible-match"
        whole = (await client.get(case, headers=keys[Role.READ])).json()
        kinds = ["opened", "note", "record", "record", "record", "check"]
        assert [e["kind"] for e in whole["entries"]] == kinds
        assert whole["verification"]["ok"] and whole["watched"] is False
        page = await client.get(case, headers={**keys[Role.READ], "Accept": "text/html"})
        assert (
            "Holder check" in page.text
            and "default-src 'none'" in page.headers["content-security-policy"]
        )
        dossier = await client.get(f"{case}/dossier", headers=keys[Role.READ])
        names = zipfile.ZipFile(io.BytesIO(dossier.content)).namelist()
        assert any(n.endswith(".html") for n in names) and any(
            n.endswith("invoice.pdf") for n in names
        )
        assert (await client.get(f"{case}/verify", headers=keys[Role.READ])).json()["ok"]
        listed = (await client.get("/cases", headers=keys[Role.READ])).json()
        assert [c["url"] for c in listed] == [case]
        missing = await client.post(
            "/cases/C-nope/notes", json={"text": "x"}, headers=keys[Role.CHECK]
        )
        assert missing.status_code == 404
        refused = await client.post(f"{case}/notes", json={"text": "x"}, headers=keys[Role.READ])
        assert refused.status_code == 403


async def test_a_finished_batch_is_delivered_signed_to_a_webhook(
    store_path: str, keys: dict[Role, dict[str, str]], receiver: Receiver
) -> None:
    async with serving(store_path) as client:
        made = await client.post(
            "/hooks",
            json={"url": receiver.url, "events": ["job.finished"]},
            headers=keys[Role.ADMINISTER],
        )
        assert made.status_code == 201, made.text
        secret = made.json()["secret"]
        listed = await client.get("/hooks", headers=keys[Role.ADMINISTER])
        assert secret not in listed.text
        batch = await client.post("/batches", **catalogue(CATALOGUE), headers=keys[Role.CHECK])
        await ended(client, batch.headers["location"], keys[Role.READ])
        ((headers, body),) = await receiver.wait_for("job.finished")
        assert verify_signature(secret, headers[SIGNATURE_HEADER], body)
        assert not verify_signature("another secret", headers[SIGNATURE_HEADER], body)
        assert not verify_signature(secret, headers[SIGNATURE_HEADER], body + b" ")
        sent = json.loads(body)
        assert sent["data"]["kind"] == "batch" and sent["data"]["result"]["checked"] == 3
        assert headers["Provcheck-Delivery"] == sent["delivery_id"]
        # The receiver has the body before the service has its answer and records it.
        delivery = await tried_once(client, made.headers["location"], keys[Role.ADMINISTER])
        assert delivery["state"] == "delivered" and delivery["last_status"] == 200


async def test_a_failed_delivery_is_kept_and_tried_again_later(
    store_path: str, keys: dict[Role, dict[str, str]], receiver: Receiver
) -> None:
    receiver.status = 503
    async with serving(store_path) as client:
        made = await client.post(
            "/hooks",
            json={"url": receiver.url, "events": ["job.finished"]},
            headers=keys[Role.ADMINISTER],
        )
        batch = await client.post("/batches", **catalogue(CATALOGUE), headers=keys[Role.CHECK])
        await ended(client, batch.headers["location"], keys[Role.READ])
        await receiver.wait_for("job.finished")
        delivery = await tried_once(client, made.headers["location"], keys[Role.ADMINISTER])
    assert delivery["state"] == "pending" and delivery["last_status"] == 503
    assert delivery["next_attempt_at"] > delivery["created_at"]


async def test_a_webhook_into_this_machine_is_refused_unless_allowed(
    store_path: str, keys: dict[Role, dict[str, str]]
) -> None:
    async with serving(store_path) as client:
        for url in (
            "http://127.0.0.1:9/hook",
            "http://169.254.169.254/latest",
            "file:///etc/passwd",
        ):
            made = await client.post(
                "/hooks",
                json={"url": url, "events": ["job.finished"]},
                headers=keys[Role.ADMINISTER],
            )
            assert made.status_code == 400, (url, made.text)
        unknown = await client.post(
            "/hooks",
            json={"url": "https://example.org/", "events": ["everything"]},
            headers=keys[Role.ADMINISTER],
        )
        assert unknown.status_code == 422


async def test_a_watched_case_is_alerted_when_a_sync_adds_its_object(
    store_path: str, keys: dict[Role, dict[str, str]], receiver: Receiver
) -> None:
    ListedRegistry.listing = [{"description": {"title": f"Object {i}"}} for i in range(5)]
    async with serving(store_path, registries=("listed",)) as client:
        hook = await client.post(
            "/hooks",
            json={"url": receiver.url, "events": ["watch.alert"]},
            headers=keys[Role.ADMINISTER],
        )
        secret = hook.json()["secret"]
        first = await client.post(
            "/registers/listed/mirror", json={}, headers=keys[Role.ADMINISTER]
        )
        await ended(client, first.headers["location"], keys[Role.READ])
        case = (
            await client.post("/cases", json={"title": "Gallé vase"}, headers=keys[Role.CHECK])
        ).headers["location"]
        checked = await client.post(
            f"{case}/checks",
            json={"query": HOLLY, "registries": ["local"]},
            headers=keys[Role.CHECK],
        )
        assert checked.json()["conclusion"] != "possible-match"
        watched = await client.put(f"{case}/watch", headers=keys[Role.CHECK])
        assert watched.status_code == 200, watched.text
        # The register records the vase as stolen; the next sync brings it into the mirror.
        ListedRegistry.listing = [*ListedRegistry.listing, {"description": HOLLY}]
        second = await client.post(
            "/registers/listed/mirror", json={}, headers=keys[Role.ADMINISTER]
        )
        job = await ended(client, second.headers["location"], keys[Role.READ])
        assert job["state"] == "done", job
        (alert,) = (await client.get("/alerts", headers=keys[Role.READ])).json()
        assert alert["record_id"] == "5" and alert["case_id"] in case
        ((headers, body),) = await receiver.wait_for("watch.alert")
        assert verify_signature(secret, headers[SIGNATURE_HEADER], body)
        assert json.loads(body)["data"]["record_id"] == "5"
        entries = (await client.get(case, headers=keys[Role.READ])).json()["entries"]
        assert entries[-1]["kind"] == "check"
        assert entries[-1]["data"]["report"]["requested_by"] == "provcheck watch"
        # Synced again: the same record raises no second alert.
        third = await client.post(
            "/registers/listed/mirror", json={"full": True}, headers=keys[Role.ADMINISTER]
        )
        await ended(client, third.headers["location"], keys[Role.READ])
        assert len((await client.get("/alerts", headers=keys[Role.READ])).json()) == 1
        unwatched = await client.delete(f"{case}/watch", headers=keys[Role.CHECK])
        assert unwatched.status_code == 204


async def test_ones_own_records_are_added_searched_listed_and_withdrawn(
    store_path: str, keys: dict[Role, dict[str, str]]
) -> None:
    own = {"registry": "local", "record_id": "OWN-1", "description": HOLLY}
    async with serving(store_path) as client:
        added = await client.post("/local/records", json=own, headers=keys[Role.CHECK])
        assert added.status_code == 201, added.text
        mirrored = await client.post(
            "/local/records", json={**own, "registry": "fbi"}, headers=keys[Role.CHECK]
        )
        assert mirrored.status_code == 422 and "'local'" in mirrored.json()["detail"]
        found = await client.post(
            "/local/search",
            json={"query": {"title": "Holly vase", "maker": "Galle"}},
            headers=keys[Role.READ],
        )
        assert found.json()[0]["record"]["record_id"] == "OWN-1"
        listed = await client.get("/local/records", params={"limit": 500}, headers=keys[Role.READ])
        assert "OWN-1" in {r["record_id"] for r in listed.json()}
        checked = await client.post("/checks", json={"query": HOLLY}, headers=keys[Role.CHECK])
        assert checked.json()["conclusion"] == "possible-match"
        withdrawn = await client.delete(
            "/local/records/OWN-1",
            params={"reason": "recovered by the police"},
            headers=keys[Role.CHECK],
        )
        assert withdrawn.status_code == 204
        assert (
            await client.delete("/local/records/OWN-1", headers=keys[Role.CHECK])
        ).status_code == 404
        history = await client.get("/local/records/OWN-1/history", headers=keys[Role.READ])
        assert history.status_code == 200
        removal = history.json()[-1]
        assert removal["text"] == "removed: recovered by the police"
        assert removal["data"]["by"]  # the key's holder
        nothing = await client.get("/local/records/NONE/history", headers=keys[Role.READ])
        assert nothing.status_code == 404
        again = await client.post("/checks", json={"query": HOLLY}, headers=keys[Role.CHECK])
        assert again.json()["conclusion"] != "possible-match"


async def test_a_file_of_records_is_imported_but_never_one_naming_a_file_here(
    store_path: str, keys: dict[Role, dict[str, str]]
) -> None:
    good = json.dumps({"record_id": "I-1", "description": {"title": "A lost clock"}}) + "\n"
    bad = (
        json.dumps(
            {
                "record_id": "I-2",
                "description": {"title": "x", "images": [{"path": "/etc/hostname"}]},
            }
        )
        + "\n"
    )
    async with serving(store_path) as client:
        imported = await client.post(
            "/local/imports",
            files={"file": ("mine.jsonl", good.encode(), "application/x-ndjson")},
            headers=keys[Role.ADMINISTER],
        )
        assert imported.status_code == 200 and imported.json()["added"] == 1, imported.text
        refused = await client.post(
            "/local/imports",
            files={"file": ("mine.jsonl", (good + bad).encode(), "application/x-ndjson")},
            headers=keys[Role.ADMINISTER],
        )
        assert refused.status_code == 422 and "cannot name a file" in refused.json()["detail"]
        # A line naming a mirrored register's record goes into one's own, never over the mirror's.
        over = json.dumps({"registry": "fbi", "record_id": "X-1", "description": {"title": "y"}})
        written = await client.post(
            "/local/imports",
            files={"file": ("m.jsonl", (over + "\n").encode())},
            headers=keys[Role.ADMINISTER],
        )
        assert written.json()["registries"] == {"local": 1}
        assert "/tmp" not in refused.json()["detail"]
        assert (
            await client.post(
                "/local/imports",
                files={"file": ("m.jsonl", good.encode())},
                headers=keys[Role.CHECK],
            )
        ).status_code == 403


def test_a_delivery_goes_to_the_address_that_was_checked() -> None:
    """The host is resolved once, checked, and the request sent to that address (its name kept
    for the Host header and TLS): resolved again, a name could lead inside."""
    from provcheck.service.webhooks import _pinned

    target, host, tls = _pinned("https://cms.example.org:8443/hooks?a=1", "203.0.113.7")
    assert target == "https://203.0.113.7:8443/hooks?a=1"
    assert host == {"Host": "cms.example.org:8443"} and tls == {"sni_hostname": "cms.example.org"}
    target, host, tls = _pinned("http://cms.example.org/", "2001:db8::1")
    assert target == "http://[2001:db8::1]/" and tls == {}
