"""API keys of the service: made, shown once, kept by their digest, checked, revoked.

A key is `pck_<id>_<secret>`: the id names it in lists, logs and reports' records of who asked;
the secret is 256 random bits. The store keeps the SHA-256 of the whole key -- a key of that much
randomness needs no slow hash to stay unguessable from its digest -- so a copy of the store gives
no one a key that works.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from enum import StrEnum

from provcheck.errors import InputError
from provcheck.store.interface import Store, StoredApiKey

__all__ = ["KEY_PATTERN", "Role", "authenticate", "make_key", "revoke_key"]

KEY_PATTERN = re.compile(r"pck_([0-9a-f]{12})_[A-Za-z0-9_-]{43}")

# The longest holder name kept: it is printed in every report the key asks for.
_LONGEST_HOLDER = 200


class Role(StrEnum):
    """What a key may do; each role may do what the ones before it may."""

    READ = "read"  # see reports, registers
    CHECK = "check"  # ... and check objects
    ADMINISTER = "administer"  # ... and make and revoke keys

    def allows(self, needed: Role) -> bool:
        order = list(Role)
        return order.index(self) >= order.index(needed)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def make_key(store: Store, holder: str, role: Role | str) -> tuple[StoredApiKey, str]:
    """A new key for `holder` with `role`, kept in `store` by its digest; returns what is kept
    and the key itself, which is shown once and never again."""
    holder = " ".join(holder.split())
    if not holder or len(holder) > _LONGEST_HOLDER or not holder.isprintable():
        raise InputError(
            f"holder {holder[:60]!r}: give the name of who will use the key (printable text, "
            f"1 to {_LONGEST_HOLDER} characters); it is written into every report the key asks for"
        )
    try:
        role = Role(role)
    except ValueError:
        raise InputError(
            f"role {str(role)[:40]!r}: give one of {', '.join(r.value for r in Role)}"
        ) from None
    key_id = secrets.token_hex(6)
    key = f"pck_{key_id}_{secrets.token_urlsafe(32)}"
    kept = StoredApiKey(
        key_id=key_id,
        holder=holder,
        role=role.value,
        digest=_digest(key),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    store.add_api_key(kept)
    return kept, key


def authenticate(store: Store, key: str) -> StoredApiKey | None:
    """The kept key `key` is, if it is one and not revoked; None otherwise. Compared in constant
    time, by digest."""
    shape = KEY_PATTERN.fullmatch(key)
    if shape is None:
        return None
    kept = store.api_key(shape.group(1))
    if kept is None or kept.revoked_at is not None:
        return None
    return kept if hmac.compare_digest(kept.digest, _digest(key)) else None


def revoke_key(store: Store, key_id: str) -> StoredApiKey:
    """Revoke the key `key_id`; an `InputError` if there is none or it was revoked already."""
    kept = store.api_key(key_id)
    if kept is None:
        raise InputError(
            f"API key {key_id[:40]!r}: there is no such key (see `provcheck api-key list`)"
        )
    if not store.revoke_api_key(key_id, datetime.now(UTC).isoformat(timespec="seconds")):
        raise InputError(f"API key {key_id}: revoked already, at {kept.revoked_at}")
    revoked = store.api_key(key_id)
    assert revoked is not None
    return revoked
