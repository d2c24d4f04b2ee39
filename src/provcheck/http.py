"""HTTP for register plugins: `HttpSession` (timeouts, retries, bounded answers), `poll`, and
the helpers a plugin's client needs. The stable import path for plugin authors; the code is
`provcheck.registers.http`."""

from provcheck.registers.http import (
    MAX_REDIRECTS,
    USER_AGENT,
    HttpSession,
    RetryPolicy,
    Throttle,
    create_client,
    error_for_status,
    parse_retry_after,
    pending_if_unreachable,
    photograph_json,
    poll,
    search_budget_end,
    shown_url,
    wire_host,
)

__all__ = [
    "MAX_REDIRECTS",
    "USER_AGENT",
    "HttpSession",
    "RetryPolicy",
    "Throttle",
    "create_client",
    "error_for_status",
    "parse_retry_after",
    "pending_if_unreachable",
    "photograph_json",
    "poll",
    "search_budget_end",
    "shown_url",
    "wire_host",
]
