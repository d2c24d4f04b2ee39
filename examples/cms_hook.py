"""A collections system's save hook calling `provcheck serve`, and its webhook receiver.

What a collections-management system does when an object is saved (an acquisition proposed, a
loan booked in): send the object's description to the service, keep the report's id and digest
with the object's record (the proof the check was made, to cite in the acquisition file), and
flag the record when the check cannot clear it. Python's standard library only, as a hook in any
system would be written -- the same in PHP is in the README.

    PROVCHECK_URL=http://127.0.0.1:8000 PROVCHECK_API_KEY=pck_... python examples/cms_hook.py

Run without a service, it starts one on the sample register in a temporary folder first (as the
test does), saves two objects, and prints what each record now holds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def check_on_save(base_url: str, api_key: str, record: dict[str, Any]) -> dict[str, Any]:
    """The save hook: the object record, with what the check says kept beside it."""
    body = {
        "query": {
            "title": record.get("title"),
            "maker": record.get("artist"),
            "period": record.get("date"),
            "materials": record.get("medium"),
            "measurements": record.get("dimensions"),
            "inscriptions": record.get("marks"),
        },
    }
    request = urllib.request.Request(
        f"{base_url}/checks",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            report = json.load(answer)
    except urllib.error.HTTPError as error:
        # A problem (RFC 9457): one line saying what was wrong. The save goes on; the record
        # says the check was not made, never that the object is clear.
        problem = json.load(error)
        return {**record, "provenance_check": {"made": False, "why": problem["detail"]}}
    return {
        **record,
        "provenance_check": {
            "made": True,
            "report_id": report["report_id"],
            "digest": report["digest"],  # `provcheck verify` checks the report against it
            "conclusion": report["conclusion"],
            "checked_at": report["created_at"],
            # Anything but "no-match-found" needs a person: a possible match, or a check that
            # could not rule the object out (a register down, a photograph not compared).
            "needs_review": report["conclusion"] != "no-match-found",
            "url": f"{base_url}/checks/{report['report_id']}",
        },
    }


def delivery_is_genuine(
    secret: str, signature: str, body: bytes, *, tolerance_s: int = 300
) -> bool:
    """A webhook receiver's first step: the `Provcheck-Signature` header (`t=<time>,v1=<hex>`)
    is the HMAC-SHA256 of "<t>.<body>" under the hook's secret, made in the last minutes."""
    parts = dict(part.split("=", 1) for part in signature.split(",") if "=" in part)
    if not parts.get("t", "").isdigit() or abs(time.time() - int(parts["t"])) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts.get("v1", ""))


def _local_service(folder: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    """`provcheck serve` on the sample register, with a key: what the README's commands do."""
    store = folder / "store.sqlite3"
    provcheck = [sys.executable, "-m", "provcheck"]
    records = ROOT / "fixtures" / "sample-register" / "records.jsonl"
    subprocess.run(
        [*provcheck, "local", "import", str(records), "--store", str(store)],
        check=True,
        capture_output=True,
    )
    made = subprocess.run(
        [*provcheck, "api-key", "new", "--holder", "Collections system", "--store", str(store)],
        check=True,
        capture_output=True,
        text=True,
    )
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [*provcheck, "serve", "--port", str(port), "--store", str(store), "--registry", "local"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return server, url, made.stdout.strip()
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the service did not start")


def main() -> None:
    saved = [
        {"id": "2026.14", "title": "Tiffany Studios 'Acorn' table lamp", "artist": "Louis Comfort Tiffany",
         "date": "c. 1905", "medium": "leaded glass, bronze", "dimensions": "61 cm high", "marks": "LCT"},
        {"id": "2026.15", "title": "Harbour at dusk with fishing boats", "artist": "Jan Berendsen",
         "date": "1931", "medium": "oil on board", "dimensions": "40 x 55 cm"},
    ]  # fmt: skip
    base, key = os.environ.get("PROVCHECK_URL"), os.environ.get("PROVCHECK_API_KEY")
    with tempfile.TemporaryDirectory() as folder:
        server = None
        if not (base and key):
            server, base, key = _local_service(Path(folder))
        try:
            for record in saved:
                kept = check_on_save(base, key, record)["provenance_check"]
                # "No match found" is only that: no register searched holds it (never "clean").
                review = "needs review" if kept.get("needs_review") else "none found"
                print(
                    f"{record['id']}: {kept.get('conclusion', 'not checked')} ({review}); report {kept.get('report_id')}"
                )
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)


if __name__ == "__main__":
    main()
