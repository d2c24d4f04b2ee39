"""The examples a newcomer runs must keep working and keep saying what they say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
