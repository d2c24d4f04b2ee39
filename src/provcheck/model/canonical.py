"""Canonical JSON and its SHA-256: the same data gives the same bytes and digest on any machine."""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_json", "sha256_digest"]


def canonical_json(data: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes a digest is computed over."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_digest(data: Any) -> str:
    """`sha256:<hex>` of `data`'s canonical JSON."""
    return "sha256:" + hashlib.sha256(canonical_json(data)).hexdigest()
