"""One exception tree for everything provcheck raises.

Every error derives from `ProvcheckError`; where a builtin says the same thing (`TimeoutError`,
`ConnectionError`, `ValueError`, `PermissionError`, `LookupError`) the error inherits it too, so
callers can catch either. Each error that can end a register's search has a short `kind` slug: the
engine writes it into the report as the reason the register failed.

Messages never contain secrets: settings mark secrets, and the engine redacts their values from any
message a plugin produces before it reaches a report.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "InputError",
    "InvalidQueryError",
    "MalformedResponseError",
    "PaymentRequiredError",
    "PluginLoadError",
    "ProvcheckError",
    "QueryNotSupported",
    "RateLimitedError",
    "ReferralRequired",
    "RegistryError",
    "RegistryNotFoundError",
    "RegistryTimeoutError",
    "RegistryUnavailableError",
    "RejectedQueryError",
    "SearchPending",
    "first_problem",
    "message_of",
]

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pydantic import JsonValue, ValidationError


def message_of(error: BaseException) -> str:
    """An exception's message, whatever its `__str__` does (a plugin's may raise)."""
    try:
        return str(error)
    except Exception:
        return f"{type(error).__name__} (its message could not be read)"


# The longest part of a field's path told back as written.
_LONGEST_KEY = 40


def first_problem(error: ValidationError) -> tuple[str | None, str]:
    """Where the first problem of a pydantic error is (`description.title`), and what it is,
    with how many more there are and where, so that one correction is not followed by another
    refusal."""
    problems = error.errors()
    first = problems[0]
    where = _where(first["loc"]) or None
    problem = first["msg"].removeprefix("Value error, ")
    others = sorted({_where(p["loc"]) or "the object as a whole" for p in problems[1:]})
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        problem += (
            f"; and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''} ({shown})"
        )
    return where, problem


def _where(location: Sequence[int | str]) -> str:
    """A field's path; a part too long to be a field's name (a file's own key, a page long, or
    holding a secret) is told by its length only."""
    return ".".join(
        part if len(part := str(p)) <= _LONGEST_KEY else f"<a key of {len(part):,} characters>"
        for p in location
    )


class ProvcheckError(Exception):
    """The root of every error provcheck raises."""

    kind: str = "error"


class InvalidQueryError(ProvcheckError, ValueError):
    """The query cannot be checked as given (empty, or not an object description)."""

    kind = "invalid-query"


class InputError(ProvcheckError, ValueError):
    """A user's file or value is wrong; the message says where and what to do."""

    kind = "input"


class ConfigurationError(ProvcheckError, ValueError):
    """A register's settings are missing or wrong; the message names the setting to fix."""

    kind = "configuration"


class RegistryNotFoundError(ProvcheckError, LookupError):
    """No installed plugin provides a register of that name; the message says what to install."""

    kind = "not-installed"


class PluginLoadError(ProvcheckError, ImportError):
    """A plugin is installed but could not be imported; the message says how to repair it."""

    kind = "plugin-load"


class RegistryError(ProvcheckError):
    """A register could not answer. `registry` names it when known; `status` is the HTTP status
    when there was one; `retry_after` (seconds) is when the register said to come back."""

    kind = "registry-error"

    def __init__(
        self,
        message: str,
        *,
        registry: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.registry = registry
        self.status = status
        self.retry_after = retry_after


class RegistryUnavailableError(RegistryError, ConnectionError):
    """The register could not be reached, or answered with a server error."""

    kind = "unavailable"


class RegistryTimeoutError(RegistryUnavailableError, TimeoutError):
    """The register did not answer in time."""

    kind = "timeout"


class RateLimitedError(RegistryError):
    """The register refused because of too many requests (HTTP 429)."""

    kind = "rate-limited"


class AuthenticationError(RegistryError, PermissionError):
    """The register refused the credentials (HTTP 401 or 403)."""

    kind = "authentication"


class PaymentRequiredError(RegistryError):
    """The register requires payment or credit the account does not have (HTTP 402)."""

    kind = "payment-required"


class RejectedQueryError(RegistryError, ValueError):
    """The register rejected the request as invalid (HTTP 400, 404, 422, ...)."""

    kind = "rejected-query"


class MalformedResponseError(RegistryError, ValueError):
    """The register answered, but not in the form its plugin understands."""

    kind = "malformed-response"


# Signals rather than failures: a register's search cannot return records now, for a reason that
# belongs in the report as its own outcome state (skipped, pending, referral).


class QueryNotSupported(ProvcheckError):
    """The register cannot search on anything this query gives; its outcome is `skipped`."""

    kind = "not-supported"


class SearchPending(ProvcheckError):
    """The register accepted the search and will answer later; its outcome is `pending`.

    `handle` is whatever the plugin needs to resume the search without submitting (or paying)
    again; it is written into the report, so it must not hold secrets. `question` is set when the
    register waits for the requester (an officer asking for more information): the answer goes
    to `Registry.resume` as its `reply`.
    """

    kind = "pending"

    def __init__(
        self, message: str, *, handle: dict[str, JsonValue], question: str | None = None
    ) -> None:
        super().__init__(message)
        self.handle = handle
        self.question = question


class ReferralRequired(ProvcheckError):
    """The register has no programmatic access; a person must send the prepared request.

    `instructions` says to whom and how; `request` is the prepared text of the request. A plugin
    that knows the register's form gives it too: `fields` (the form's label -> the value to fill
    in), `attachments` (the photographs to attach, named), `send_to` (where) and `fee`.
    """

    kind = "referral"

    def __init__(
        self,
        message: str,
        *,
        instructions: str,
        request: str,
        fields: Mapping[str, str] | None = None,
        attachments: Sequence[str] = (),
        send_to: str | None = None,
        fee: str | None = None,
    ) -> None:
        super().__init__(message)
        self.instructions = instructions
        self.request = request
        self.fields = dict(fields or {})
        self.attachments = tuple(attachments)
        self.send_to = send_to
        self.fee = fee
