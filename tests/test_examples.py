"""The examples a newcomer runs must keep working and keep saying what they say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_custom_registry_script_shows_every_outcome_and_the_rule() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "custom_registry.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.splitlines() == [
        "lamp, our losses: possible-match (our-losses=searched)",
        "harbour, our losses: no-match-found (our-losses=searched)",
        "harbour, with a register down: incomplete (our-losses=searched, unreachable=failed)",
        "harbour, with a photo-only register: incomplete (our-losses=searched, photo-only=skipped)",
        "harbour, with a review pending: incomplete (our-losses=searched, answers-later=pending)",
    ]


@pytest.mark.slow
def test_the_notebook_runs_from_top_to_bottom() -> None:
    import nbclient
    import nbformat

    notebook = nbformat.read(EXAMPLES / "due-diligence.ipynb", as_version=4)
    nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(EXAMPLES)}},
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "possible-match local:LOSS-2020" in text
    assert "second run checked 0 of 12" in text
    assert "entries, intact: True" in text
    shown = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("POSSIBLE MATCH" in html for html in shown), "the report did not show itself"


def test_the_collections_systems_save_hook_keeps_the_reports_id_and_digest() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "cms_hook.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=180,
        env={k: v for k, v in os.environ.items() if not k.startswith("PROVCHECK_")},
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("2026.14: possible-match (needs review); report ")
    assert lines[1].startswith("2026.15: no-match-found (none found); report ")


def test_the_receivers_signature_check_is_the_services() -> None:
    sys.path.insert(0, str(EXAMPLES))
    try:
        from cms_hook import delivery_is_genuine
    finally:
        sys.path.remove(str(EXAMPLES))
    from provcheck.service.webhooks import sign

    body = b'{"event": "job.finished"}'
    assert delivery_is_genuine("s3cret", sign("s3cret", body), body)
    assert not delivery_is_genuine("s3cret", sign("other", body), body)
    assert not delivery_is_genuine("s3cret", sign("s3cret", body, timestamp=1), body)
