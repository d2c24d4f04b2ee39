"""Fetching a photograph given by its address, without letting the address point anywhere.

A photograph's URL comes from a user's query, a catalogue row, or a register's record: any of
them can name `http://127.0.0.1:8080/admin`, a cloud's metadata address or a printer on the
office network. `fetch_image` fetches only `http(s)` addresses whose host resolves to public
addresses (no private, loopback, link-local, multicast, reserved or unspecified address, IPv4 or
IPv6, IPv4-mapped included), connects to exactly the addresses it checked (a name that resolves
to a public address when checked and to a private one when connecting -- DNS rebinding -- gets
nowhere), checks every redirect again, reads the body in chunks up to `MAX_IMAGE_BYTES` and
gives up after a bounded time. Private addresses are allowed when the user says so
(`PROVCHECK_ALLOW_PRIVATE_ADDRESSES=1`, or `allow_private=True`): a collection's own image
server on its own network.

Every refusal and failure is one `InputError` that names the address (without its query string,
which can carry a token) and says what to do.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import httpcore
import httpx

from provcheck._version import __version__
from provcheck.errors import InputError
from provcheck.model.description import MAX_IMAGE_BYTES
from provcheck.registers.http import MAX_REDIRECTS, shown_url, wire_host

__all__ = [
    "ALLOW_PRIVATE_ENV",
    "Resolver",
    "address_refusal",
    "fetch_image",
    "private_addresses_allowed",
    "resolve_addresses",
]

ALLOW_PRIVATE_ENV = "PROVCHECK_ALLOW_PRIVATE_ADDRESSES"
# Per operation (connect, each read) and for the whole fetch: a server that drips a byte a
# second must not hold a check for ever.
FETCH_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
FETCH_DEADLINE_S = 60.0

# host, port -> the addresses it resolves to (as text). Injectable, so tests need no network.
Resolver = Callable[[str, int], Sequence[str]]
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def resolve_addresses(host: str, port: int) -> Sequence[str]:
    """The addresses `host` resolves to, by the system's resolver."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def private_addresses_allowed(allow_private: bool | None = None) -> bool:
    """`allow_private` if given, else what `PROVCHECK_ALLOW_PRIVATE_ADDRESSES` says."""
    if allow_private is not None:
        return allow_private
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def address_refusal(address: str) -> str | None:
    """Why a photograph may not be fetched from `address` (a kind of address), or None if it is
    a public one."""
    try:
        ip: _Address = ipaddress.ip_address(address.split("%", 1)[0])  # no IPv6 zone
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address inside an IPv6 one is that IPv4 address: ::ffff:127.0.0.1 (mapped),
        # 2002:7f00:1::1 (6to4) and a Teredo address's client all reach 127.0.0.1.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return address_refusal(str(embedded))
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    )
    for kind, applies in checks:
        if applies:
            return kind
    if not ip.is_global:  # shared (carrier-grade NAT) space, documentation ranges, ...
        return "non-public"
    return None


def fetch_image(
    url: str,
    *,
    allow_private: bool | None = None,
    resolve: Resolver | None = None,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_redirects: int = MAX_REDIRECTS,
    timeout: httpx.Timeout = FETCH_TIMEOUT,
    deadline: float = FETCH_DEADLINE_S,
) -> bytes:
    """The bytes of the photograph at `url`, fetched under the address policy, or an `InputError`.

    Blocking: call it from a worker thread in async code (`asyncio.to_thread`).
    """
    allowed = private_addresses_allowed(allow_private)
    lookup = resolve or resolve_addresses
    pins: dict[str, list[str]] = {}
    shown = shown_url(url)
    ends = time.monotonic() + deadline
    backend = _PinnedBackend(pins)
    headers = {"User-Agent": f"provcheck/{__version__}", "Accept": "image/*"}
    # The whole fetch within `deadline`, however slowly a server drips its headers: past it the
    # connections are shut from outside, and whatever was waiting on them ends.
    watchdog = threading.Timer(deadline, backend.abort)
    watchdog.daemon = True
    watchdog.start()
    try:
        return _fetch(
            url, backend, headers, timeout, lookup, allowed, max_bytes, max_redirects, ends
        )
    except (httpx.HTTPError, httpcore.NetworkError, OSError, UnicodeError) as error:
        if backend.aborted:
            raise InputError(f"{shown}: the photograph took too long to arrive") from None
        raise InputError(
            f"{shown}: could not fetch the photograph ({type(error).__name__})"
        ) from None
    except InputError:
        if backend.aborted:
            raise InputError(f"{shown}: the photograph took too long to arrive") from None
        raise
    finally:
        watchdog.cancel()


def _fetch(
    url: str,
    backend: _PinnedBackend,
    headers: dict[str, str],
    timeout: httpx.Timeout,
    lookup: Resolver,
    allowed: bool,
    max_bytes: int,
    max_redirects: int,
    ends: float,
) -> bytes:
    pins = backend.pins
    shown = shown_url(url)
    with httpx.Client(
        transport=_PinnedTransport(backend),
        timeout=timeout,
        headers=headers,
        follow_redirects=False,
    ) as client:
        try:
            request = client.build_request("GET", url)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as error:
            raise InputError(f"{shown}: not a usable address ({error})") from None
        for hop in range(max_redirects + 1):
            if time.monotonic() > ends:
                raise InputError(f"{shown}: the photograph took too long to arrive")
            _admit(request.url, pins, lookup, allowed, given=shown)
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException:
                raise InputError(
                    f"{shown}: the photograph's server did not answer in time"
                ) from None
            except httpx.HTTPError as error:
                raise InputError(
                    f"{shown}: could not fetch the photograph ({type(error).__name__})"
                ) from None
            try:
                if response.next_request is not None:
                    if hop == max_redirects:
                        raise InputError(
                            f"{shown}: more than {max_redirects} redirects; give the "
                            "photograph's final address, or the file"
                        )
                    request = response.next_request
                    continue
                if response.status_code != 200:
                    raise InputError(
                        f"{shown}: the server answered HTTP {response.status_code} "
                        f"{response.reason_phrase}; check the address, or give the file"
                    )
                return _read_capped(response, max_bytes, ends, shown)
            finally:
                response.close()
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _admit(
    url: httpx.URL, pins: dict[str, list[str]], lookup: Resolver, allowed: bool, *, given: str
) -> None:
    """Check one hop's address against the policy and pin the host to what was checked."""
    where = shown_url(url)
    hop = given if where == given else f"{given} (redirected to {where})"
    if url.scheme not in ("http", "https"):
        raise InputError(
            f"{hop}: only http and https addresses are fetched, not {url.scheme or 'none'}:"
        )
    host = wire_host(url).strip("[]")
    if not host:
        raise InputError(f"{hop}: the address names no host")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    try:
        addresses = [str(literal)] if literal is not None else list(lookup(host, port))
    except (OSError, UnicodeError) as error:
        raise InputError(
            f"{hop}: the host {host!r} could not be resolved "
            f"({getattr(error, 'strerror', None) or error})"
        ) from None
    if not addresses:
        raise InputError(f"{hop}: the host {host!r} resolves to no address")
    if not allowed:
        for address in addresses:
            refusal = address_refusal(address)
            if refusal is not None:
                raise InputError(
                    f"{hop}: {host} is a {refusal} address ({address}); photographs are fetched "
                    f"from public addresses only. To allow your own network, set "
                    f"{ALLOW_PRIVATE_ENV}=1"
                )
    pins[host] = addresses


def _read_capped(response: httpx.Response, limit: int, ends: float, shown: str) -> bytes:
    too_large = InputError(
        f"{shown}: the photograph is larger than the limit of {limit:,} bytes; give a smaller one"
    )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    try:
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit:
                raise too_large
            if time.monotonic() > ends:
                raise InputError(f"{shown}: the photograph took too long to arrive")
    except httpx.TimeoutException:
        raise InputError(f"{shown}: the photograph's server stopped sending") from None
    except httpx.HTTPError as error:
        raise InputError(
            f"{shown}: the photograph could not be read ({type(error).__name__})"
        ) from None
    if not body:
        raise InputError(f"{shown}: the server sent an empty photograph")
    return bytes(body)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects a host only to the addresses the policy checked for it, never resolving again."""

    def __init__(self, pins: dict[str, list[str]]) -> None:
        self.pins = pins
        self.aborted = False
        self._streams: list[httpcore.NetworkStream] = []
        self._lock = threading.RLock()  # abort() runs inside connect_tcp too
        self._inner = httpcore.SyncBackend()

    def abort(self) -> None:
        """Shut every connection made (from another thread: a blocked read wakes and fails)."""
        with self._lock:
            self.aborted = True
            for stream in self._streams:
                connection = stream.get_extra_info("socket")
                with contextlib.suppress(OSError, AttributeError):
                    connection.shutdown(socket.SHUT_RDWR)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.pins.get(host.strip("[]").lower())
        if self.aborted or not addresses:
            raise httpcore.ConnectError(f"{host}: not an address checked for this fetch")
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = httpcore.ConnectError(str(error))
                continue
            with self._lock:
                self._streams.append(stream)
                if self.aborted:  # the deadline passed while connecting
                    self.abort()
            return stream
        raise failure or httpcore.ConnectError(host)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("photographs are not fetched over unix sockets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _PinnedTransport(httpx.HTTPTransport):
    """httpx's own transport, over a connection pool that connects through `_PinnedBackend`.

    Explicit transports also keep environment proxies out: the connection goes to the checked
    address itself. (httpx offers no public way to give its transport a network backend; the
    pool it builds is replaced by one built alike.)
    """

    def __init__(self, backend: _PinnedBackend) -> None:
        super().__init__()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=backend
        )
