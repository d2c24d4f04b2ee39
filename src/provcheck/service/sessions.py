"""Signing in to the staff page: an API key exchanged for a session, and the tokens that keep
other sites from acting in it.

The session cookie is 256 random bits, `HttpOnly`, `SameSite=Strict`, scoped to `/ui`; the store
keeps its SHA-256, the key it signed in with, and a CSRF token every form of the page carries and
every form sent back must match. Before signing in, the sign-in form is tied to its own cookie
the same way (a site cannot sign someone in as itself). A session ends after `SESSION_HOURS`, on
signing out, or when its key is revoked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from provcheck.service.jobs import now_text
from provcheck.store.interface import Store, StoredApiKey, StoredSession

__all__ = [
    "SESSION_COOKIE",
    "SESSION_HOURS",
    "SIGN_IN_COOKIE",
    "end_session",
    "same_token",
    "session_key",
    "start_session",
]

SESSION_COOKIE = "provcheck_session"
SIGN_IN_COOKIE = "provcheck_sign_in"
SESSION_HOURS = 8


def _digest(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("utf-8", "replace")).hexdigest()


def same_token(given: object, expected: str) -> bool:
    """Whether a form's token is the one expected (in constant time)."""
    return isinstance(given, str) and bool(expected) and hmac.compare_digest(given, expected)


def start_session(store: Store, key: StoredApiKey) -> tuple[str, StoredSession]:
    """A new session for `key`: the cookie to set, and the session kept (by the cookie's digest)."""
    cookie = secrets.token_urlsafe(32)
    session = StoredSession(
        digest=_digest(cookie),
        key_id=key.key_id,
        csrf=secrets.token_urlsafe(32),
        created_at=now_text(),
        expires_at=now_text(SESSION_HOURS * 3600),
    )
    store.add_session(session)
    return cookie, session


def session_key(store: Store, cookie: str | None) -> tuple[StoredSession, StoredApiKey] | None:
    """The living session a cookie names, and its key (None if it ended, or the key was
    revoked)."""
    if not cookie:
        return None
    session = store.session(_digest(cookie), now_text())
    if session is None:
        return None
    key = store.api_key(session.key_id)
    if key is None or key.revoked_at is not None:
        store.end_session(session.digest)
        return None
    return session, key


def end_session(store: Store, cookie: str | None) -> None:
    if cookie:
        store.end_session(_digest(cookie))
