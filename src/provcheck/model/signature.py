"""A signature's data and its check: who vouches for a report or a case entry, with which key.

Checking a signature is computation over its fields (Ed25519, through `cryptography`); making one
needs a private key, which only `provcheck.reports.signing` handles.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, JsonValue

from provcheck.model.canonical import canonical_json

__all__ = ["ALGORITHM", "PublicKey", "Signature", "report_statement", "signed_message"]

ALGORITHM = "ed25519"


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key: what a verifier needs, and may share freely."""

    raw: bytes

    @property
    def text(self) -> str:
        """The key as written in reports and `.pub` files: `ed25519 <base64>`."""
        return f"{ALGORITHM} {base64.b64encode(self.raw).decode('ascii')}"

    @property
    def key_id(self) -> str:
        """`ed25519:` and the first 128 bits of the key's SHA-256, in hex: short, and unforgeable."""
        return f"{ALGORITHM}:{hashlib.sha256(self.raw).hexdigest()[:32]}"

    @classmethod
    def from_base64(cls, text: str) -> PublicKey | None:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None
        return cls(raw) if len(raw) == 32 else None

    def verifies(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


class Signature(BaseModel):
    """A signature over a statement (what is signed, spelled out), by a named signer's key.

    The message signed is the canonical JSON of the statement together with every field here but
    `value`: the signer's name, the key and the time cannot be changed without breaking it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    algorithm: Literal["ed25519"] = "ed25519"
    signer: str
    key_id: str
    public_key: str  # base64 of the raw 32-byte Ed25519 public key
    signed_at: str  # ISO 8601, UTC, exactly as signed
    value: str  # base64 of the 64-byte signature

    @property
    def described(self) -> str:
        return f"{self.signer} (key {self.key_id})"

    def key(self) -> PublicKey | None:
        """The public key it was made with, if its id is the one the key gives (else None)."""
        key = PublicKey.from_base64(self.public_key)
        return key if key is not None and key.key_id == self.key_id else None

    def verifies(self, statement: Mapping[str, JsonValue]) -> bool:
        """Whether this signature was made over `statement` by the key it names."""
        key = self.key()
        try:
            value = base64.b64decode(self.value, validate=True)
        except (binascii.Error, ValueError):
            return False
        return key is not None and key.verifies(value, signed_message(statement, self))


def signed_message(statement: Mapping[str, JsonValue], signature: Signature) -> bytes:
    return canonical_json(
        {"statement": dict(statement), **signature.model_dump(mode="json", exclude={"value"})}
    )


def report_statement(report_id: str, digest: str) -> dict[str, JsonValue]:
    """What a report's signature vouches for: its digest, and what that digest covers."""
    return {
        "purpose": "provcheck-report",
        "report_id": report_id,
        "digest": digest,
        "digest_covers": "the report's canonical JSON without its digest and signature fields",
    }
