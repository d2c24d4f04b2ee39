"""The service under load: `provcheck serve` on loopback, asked by concurrent clients.

    uv run python benchmarks/service.py [--clients 50] [--checks 10000] [--workers 2]
                                        [--photo-clients 4] [--photo-checks 40] [--images 10000]

A store is built first: the sample register, a local register of photographs (the corpus's real
images, or the fixtures', padded with synthetic ones to `--images`, as `image_speed.py` pads
them), and the FBI API's mock mirrored into it through the service (`POST /registers/fbi/mirror`,
its 4,523 NSAF items). Then:

1. Text checks: `--clients` clients, each sending its next check as soon as the last is answered
   (closed loop: the service saturated, which gives its throughput), `--checks` in all, against
   the local register and the FBI mirror; then a tenth of them again at each of a quarter, a
   half and three quarters of that throughput, arriving as Poisson arrivals from the same
   clients (open loop: the latency collections systems see as their objects are saved). Each is
   a real catalogue row (`benchmarks/batch.py`'s mix: NSAF items, registered, and public-domain
   artworks that are not). Latency is the client's, request to whole answer.
2. Photograph checks: `--photo-clients` clients sending new photographs (a registered image seen
   anew, as `image_matching.py` makes them) against the register of `--images` images.
3. The service's memory (resident set) before and after the text checks.

Targets (issue 17): text median under 150 ms, p99 under 1 s; photographs median under 600 ms;
no error; memory flat. The table ends with the highest rate tried at which the text targets
hold. (The load generator runs on the same cores as the service: its CPU is counted against
the service's.) `--small` runs a few hundred checks for CI.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from batch import catalogue
from image_matching import NEW_PHOTOGRAPH
from image_speed import FIXTURE_IMAGES, SHARED_CORPUS, padded_store
from PIL import Image

from provcheck.batch import read_catalogue
from provcheck.service import Role, make_key
from provcheck.store.importing import import_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "fixtures" / "sample-register" / "records.jsonl"


# The shares of the sustained throughput at which checks then arrive.
PACED_SHARES = (0.25, 0.5, 0.75)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _started(
    command: list[str], environment: dict[str, str], ready: str
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(ready).status_code < 500:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"{' '.join(command[2:5])} did not start")
        time.sleep(0.2)


def _resident_mb(pid: int) -> float:
    """The resident memory of a process and its children (the service's workers), in MB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def _queries(count: int, seed: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "catalogue.jsonl"
        catalogue(path, min(count, 2000), seed)
        items, _ = read_catalogue(path)
    described = [
        item.query.model_dump(mode="json", exclude_defaults=True, exclude={"images"})
        for item in items
    ]
    rng = random.Random(seed)
    return [rng.choice(described) for _ in range(count)]


async def _load(
    base: str,
    headers: dict[str, str],
    bodies: list[dict[str, Any]],
    clients: int,
    rate: float | None = None,
) -> tuple[list[float], list[str]]:
    """Send every body from `clients` clients: each its next as soon as the last is answered
    (closed loop), or, given `rate`, the requests started at that many a second in all, Poisson
    arrivals (open loop: what a service meets from many collections systems saving objects).
    The latencies, and what went wrong."""
    pending = list(reversed(bodies))
    latencies: list[float] = []
    errors: list[str] = []
    arrivals = random.Random(1)
    next_start = [time.perf_counter()]

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as http:
            while pending:
                body = pending.pop()
                started = time.perf_counter()
                if rate is not None:
                    next_start[0] += arrivals.expovariate(rate)
                    # From its arrival: a check that arrives while every client is busy waits.
                    started = next_start[0]
                    await asyncio.sleep(max(0.0, started - time.perf_counter()))
                try:
                    if "photo" in body:
                        answer = await http.post(
                            "/checks",
                            data={"request": json.dumps(body["request"])},
                            files={"photo": ("photo.jpg", body["photo"], "image/jpeg")},
                        )
                    else:
                        answer = await http.post("/checks", json=body)
                    if answer.status_code != 201:
                        errors.append(f"{answer.status_code}: {answer.text[:200]}")
                except httpx.HTTPError as error:
                    errors.append(f"{type(error).__name__}: {error}")
                latencies.append(time.perf_counter() - started)
                done = len(latencies)
                if done % 500 == 0:
                    print(f"\r  {done:,}/{len(bodies):,}", end="", file=sys.stderr)

    await asyncio.gather(*(client() for _ in range(clients)))
    print(file=sys.stderr)
    return latencies, errors


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--checks", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="the service's processes")
    parser.add_argument("--photo-clients", type=int, default=4)
    parser.add_argument("--photo-checks", type=int, default=40)
    parser.add_argument("--images", type=int, default=10_000, help="photographs in the register")
    parser.add_argument(
        "--corpus", type=Path, default=SHARED_CORPUS if SHARED_CORPUS.is_dir() else FIXTURE_IMAGES
    )
    parser.add_argument("--small", action="store_true", help="a few hundred checks, for CI")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.small:
        args.checks, args.photo_checks, args.images, args.clients = 300, 8, 500, 20
    images = sorted(args.corpus.resolve().rglob("*.jpg"))
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        print(f"building a register of {args.images:,} photographs ...", file=sys.stderr)
        store = padded_store(folder, images, args.images, args.seed)
        import_file(store, SAMPLE)
        _, key = make_key(store, "benchmark", Role.ADMINISTER)
        store_path = store.location
        store.close()
        headers = {"Authorization": f"Bearer {key}"}

        fbi_port, port = _free_port(), _free_port()
        fbi = f"http://127.0.0.1:{fbi_port}"
        base = f"http://127.0.0.1:{port}"
        environment = {
            **os.environ,
            "PROVCHECK_FBI_BASE_URL": fbi,
            # The mirror alone: in `auto` each check would also ask the live API, which the
            # plugin paces at one request per half second, as the FBI asks of its clients.
            "PROVCHECK_FBI_MODE": "mirror",
            "PROVCHECK_LOCAL_PATH": str(store_path),
        }
        python = [sys.executable, "-m", "provcheck"]
        mock = _started(
            [*python, "mock", "serve", "fbi", "--port", str(fbi_port), "--set", "photographs=40"],
            environment,
            f"{fbi}/",
        )
        service = _started(
            [
                *python, "serve", "--port", str(port), "--store", str(store_path),
                "--workers", str(args.workers), "--rate-limit", "1000000",
            ],
            environment,
            f"{base}/health",
        )  # fmt: skip
        try:
            synced = httpx.post(f"{base}/registers/fbi/mirror", json={}, headers=headers)
            job = synced.json()
            while job["state"] in ("queued", "running"):
                time.sleep(1)
                job = httpx.get(f"{base}{synced.headers['location']}", headers=headers).json()
            if job["state"] != "done":
                sys.exit(f"the FBI mirror failed: {job.get('error')}")
            print(f"mirrored {job['result']['sync']['fetched']:,} FBI items", file=sys.stderr)

            bodies = [
                {"query": query, "registries": ["local", "fbi"]}
                for query in _queries(args.checks, args.seed)
            ]
            asyncio.run(_load(base, headers, bodies[:50], 5))  # warm: each worker's first check
            before = _resident_mb(service.pid)
            started = time.perf_counter()
            text, text_errors = asyncio.run(_load(base, headers, bodies, args.clients))
            text_seconds = time.perf_counter() - started
            after = _resident_mb(service.pid)
            # Checks arriving as objects are saved, at fractions of the rate the service sustained.
            throughput = len(text) / text_seconds
            paced_bodies = bodies[: max(100, len(bodies) // 10)]
            paced: list[tuple[float, list[float], list[str]]] = []
            for share in PACED_SHARES:
                rate = share * throughput
                latencies, errors = asyncio.run(
                    _load(base, headers, paced_bodies, args.clients, rate=rate)
                )
                paced.append((rate, latencies, errors))
            end = _resident_mb(service.pid)

            transforms = list(NEW_PHOTOGRAPH.values())
            photographs = []
            for number in range(args.photo_checks):
                out = io.BytesIO()
                target = rng.choice(images)
                transforms[number % len(transforms)](Image.open(target).convert("RGB"), rng).save(
                    out, format="JPEG", quality=90
                )
                photographs.append(
                    {"request": {"query": {}, "registries": ["local"]}, "photo": out.getvalue()}
                )
            photo, photo_errors = asyncio.run(_load(base, headers, photographs, args.photo_clients))
        finally:
            service.send_signal(signal.SIGTERM)
            mock.send_signal(signal.SIGTERM)
            service.wait(timeout=60)
            mock.wait(timeout=60)

    print(
        f"\nprovcheck serve, {args.workers} workers, on loopback; a register of "
        f"{args.images:,} photographs, the sample register and the FBI mirror"
    )
    print(f"{'':42}{'median':>10}{'p99':>10}{'errors':>10}")
    print(
        f"{f'text checks ({len(text):,}, {args.clients} clients)':<42}"
        f"{1000 * statistics.median(text):>8.0f}ms{1000 * _quantile(text, 0.99):>8.0f}ms"
        f"{len(text_errors):>10}"
    )
    for rate, latencies, errors in paced:
        print(
            f"{f'text checks ({len(latencies):,}, arriving {rate:.0f}/s)':<42}"
            f"{1000 * statistics.median(latencies):>8.0f}ms"
            f"{1000 * _quantile(latencies, 0.99):>8.0f}ms{len(errors):>10}"
        )
    print(
        f"{f'photograph checks ({len(photo)}, {args.photo_clients} clients)':<42}"
        f"{1000 * statistics.median(photo):>8.0f}ms{1000 * _quantile(photo, 0.99):>8.0f}ms"
        f"{len(photo_errors):>10}"
    )
    print(
        f"text throughput {throughput:.0f} checks/s; service memory "
        f"{before:.0f} MB before the text checks, {after:.0f} MB after, {end:.0f} MB at the end"
    )
    held = [
        rate
        for rate, latencies, _ in paced
        if statistics.median(latencies) < 0.150 and _quantile(latencies, 0.99) < 1.0
    ]
    print(
        f"text targets (median < 150 ms, p99 < 1 s) held up to {max(held):.0f} checks/s"
        if held
        else "text targets (median < 150 ms, p99 < 1 s) held at none of the rates tried"
    )
    errors = text_errors + [e for _, _, each in paced for e in each] + photo_errors
    for error in errors[:5]:
        print(f"  error: {error}")
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
