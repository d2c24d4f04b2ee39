"""Webhooks: an address a caller registers, and the events POSTed to it -- a job that ended, a
pending search answered, a watched object's new possible match.

Each delivery is signed: `Provcheck-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>" under the hook's secret>`; a receiver recomputes it (`verify_signature`) and
refuses a timestamp older than a few minutes, so that a delivery overheard cannot be replayed.
Deliveries are kept in the store before they are sent, retried with backoff when the receiver
fails (a 2xx is delivered, anything else is tried again later), and each attempt is kept: its
time, the status or error. No secret is ever logged or shown after the hook is made.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from provcheck._version import __version__
from provcheck.errors import InputError
from provcheck.registers.fetching import (
    ALLOW_PRIVATE_ENV,
    address_refusal,
    private_addresses_allowed,
    resolve_addresses,
)
from provcheck.service.jobs import now_text, woken
from provcheck.service.stores import StoreInThreads
from provcheck.store.interface import Store, StoredDelivery, StoredHook, StoredJob

__all__ = [
    "EVENTS",
    "SIGNATURE_HEADER",
    "Deliverer",
    "announce",
    "announce_job",
    "make_hook",
    "sign",
    "verify_signature",
]

_log = logging.getLogger("provcheck.service")

EVENTS = ("job.finished", "check.answered", "watch.alert")
SIGNATURE_HEADER = "Provcheck-Signature"

# Seconds before each retry; after the last, the delivery is given up (failed, and kept).
BACKOFF_S = (10, 60, 300, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
# A receiver has this long to answer; what it says is kept to this many characters.
DELIVERY_TIMEOUT = httpx.Timeout(10.0)
_KEPT_ERROR = 300


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header's value for `body` sent at `timestamp` (default: now)."""
    at = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def verify_signature(
    secret: str, header: str, body: bytes, *, tolerance_s: int = 300, now: float | None = None
) -> bool:
    """Whether `header` (`Provcheck-Signature`) signs `body` under `secret`, made within
    `tolerance_s` seconds of `now`: what a receiver checks before it believes a delivery."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not parts.get("t", "").isdigit() or "v1" not in parts:
        return False
    at = int(parts["t"])
    if abs((time.time() if now is None else now) - at) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, body, at), f"t={at},v1={parts['v1']}")


def _checked_address(url: str) -> tuple[str | None, str | None]:
    """Why deliveries may not go to `url` (None if they may), and the address they go to:
    http(s) only, a host that resolves, and (unless private addresses are allowed) none of
    this machine or its network -- a hook is no way into them."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:  # a port that is no number, a bracket left open, ...
        return f"not an address ({error})", None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "a webhook's address is an http(s) URL", None
    if parts.username or parts.password:
        return "a webhook's address carries no user name or password", None
    try:
        addresses = resolve_addresses(parts.hostname, port or 443)
    except OSError as error:
        return f"its host {parts.hostname!r} cannot be resolved ({error.strerror or error})", None
    if not private_addresses_allowed():
        for address in addresses:
            refusal = address_refusal(address)
            if refusal is not None:
                allow = f"set {ALLOW_PRIVATE_ENV}=1 to allow addresses of your network"
                return f"{refusal} ({allow})", None
    return None, addresses[0] if addresses else None


def _pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The request to `url` sent to `address`, the one checked: its URL, Host header and TLS
    name. A name resolved again when connecting could lead elsewhere than the one checked."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = literal + (f":{parts.port}" if parts.port else "")
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    given_host = parts.netloc.rsplit("@", 1)[-1]
    return target, {"Host": given_host}, {"sni_hostname": host} if parts.scheme == "https" else {}


def make_hook(
    store: Store, url: str, events: Sequence[str], created_by: str | None
) -> tuple[StoredHook, str]:
    """A new webhook, kept; returns it and its secret (shown once: it signs every delivery)."""
    problem, _ = _checked_address(url)
    if problem is not None:
        raise InputError(f"url {url[:200]!r}: {problem}")
    unknown = sorted(set(events) - set(EVENTS))
    if unknown or not events:
        raise InputError(
            f"events {unknown or list(events)}: give one or more of {', '.join(EVENTS)}"
        )
    secret = secrets.token_urlsafe(32)
    hook = StoredHook(
        hook_id=uuid.uuid4().hex[:16],
        url=url,
        events=tuple(dict.fromkeys(events)),
        secret=secret,
        created_at=now_text(),
        created_by=created_by,
    )
    store.add_hook(hook)
    return hook, secret


def announce(store: Store, event: str, data: Mapping[str, Any]) -> int:
    """Queue `event` for every hook that wants it; how many deliveries were queued."""
    queued = 0
    for hook in store.hooks():
        if event not in hook.events:
            continue
        delivery_id = uuid.uuid4().hex
        now = now_text()
        body = {"event": event, "delivery_id": delivery_id, "created_at": now, "data": data}
        store.add_delivery(
            StoredDelivery(
                delivery_id=delivery_id,
                hook_id=hook.hook_id,
                event=event,
                body=json.dumps(body, ensure_ascii=False, sort_keys=True),
                state="pending",
                created_at=now,
                next_attempt_at=now,
            )
        )
        queued += 1
    return queued


def announce_job(store: Store, job: StoredJob) -> None:
    """A job that ended, to the hooks that want `job.finished`; a check whose pending searches
    were all answered, to those that want `check.answered` too."""
    result = json.loads(job.result_json) if job.result_json else None
    announce(
        store,
        "job.finished",
        {
            "job_id": job.job_id,
            "kind": job.kind,
            "state": job.state,
            "requested_by": job.requested_by,
            "result": result,
            "error": job.error,
        },
    )
    if job.kind == "resume" and job.state == "done" and result is not None:
        announce(store, "check.answered", result)


class Deliverer:
    """Sends due deliveries until cancelled; `wake` when one was just queued."""

    def __init__(self, store_path: Any, *, poll_s: float = 1.0) -> None:
        self.store_path = store_path
        self.poll_s = poll_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        store = StoreInThreads(self.store_path)
        try:
            async with httpx.AsyncClient(
                timeout=DELIVERY_TIMEOUT,
                follow_redirects=False,
                headers={"User-Agent": f"provcheck/{__version__}"},
            ) as client:
                while True:
                    due = await store.run(lambda s: s.due_deliveries(now_text(), limit=20))
                    hooks = {h.hook_id: h for h in await store.run(lambda s: s.hooks())}
                    for delivery in due:
                        outcome = await self._attempt(client, hooks.get(delivery.hook_id), delivery)
                        await store.run(partial(_record_delivery, delivery=outcome))
                    if due:
                        continue
                    self._wake.clear()
                    await woken(self._wake, self.poll_s)
        finally:
            store.close()

    async def _attempt(
        self, client: httpx.AsyncClient, hook: StoredHook | None, delivery: StoredDelivery
    ) -> StoredDelivery:
        attempts = delivery.attempts + 1
        if hook is None:  # removed since: nothing is sent to it any more
            return _ended(delivery, "failed", attempts, None, "the webhook was removed")
        body = delivery.body.encode("utf-8")
        status: int | None = None
        # Resolved once, off the loop, and the request sent to the very address checked.
        error, address = await asyncio.to_thread(_checked_address, hook.url)
        if error is None and address is not None:
            target, host, tls = _pinned(hook.url, address)
            try:
                response = await client.post(
                    target,
                    content=body,
                    extensions=tls,
                    headers={
                        **host,
                        "Content-Type": "application/json",
                        "Provcheck-Event": delivery.event,
                        "Provcheck-Delivery": delivery.delivery_id,
                        SIGNATURE_HEADER: sign(hook.secret, body),
                    },
                )
                status = response.status_code
                if response.is_success:
                    _log.info(
                        "webhook %s: delivery %s delivered", hook.hook_id, delivery.delivery_id
                    )
                    return _ended(delivery, "delivered", attempts, status, None)
                error = f"the receiver answered {status}"
            except httpx.HTTPError as failure:
                error = f"{type(failure).__name__}: {failure}"
        _log.info(
            "webhook %s: delivery %s attempt %d failed: %s",
            hook.hook_id,
            delivery.delivery_id,
            attempts,
            error,
        )
        if attempts > len(BACKOFF_S):
            return _ended(delivery, "failed", attempts, status, error)
        return StoredDelivery(
            **{
                **delivery.__dict__,
                "attempts": attempts,
                "last_status": status,
                "last_error": (error or "")[:_KEPT_ERROR],
                "next_attempt_at": now_text(BACKOFF_S[attempts - 1]),
            }
        )


def _ended(
    delivery: StoredDelivery, state: str, attempts: int, status: int | None, error: str | None
) -> StoredDelivery:
    return StoredDelivery(
        **{
            **delivery.__dict__,
            "state": state,
            "attempts": attempts,
            "last_status": status,
            "last_error": error[:_KEPT_ERROR] if error else None,
            "delivered_at": now_text() if state == "delivered" else None,
        }
    )


def _record_delivery(store: Store, delivery: StoredDelivery) -> None:
    store.update_delivery(delivery)
