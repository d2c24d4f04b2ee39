"""`provcheck serve`: the check, its reports, the registers and API keys as a web service."""

from provcheck.service.app import app_from_environment, create_app
from provcheck.service.keys import Role, authenticate, make_key, revoke_key
from provcheck.service.routes.checks import CheckRequest
from provcheck.service.state import ServiceSettings

__all__ = [
    "CheckRequest",
    "Role",
    "ServiceSettings",
    "app_from_environment",
    "authenticate",
    "create_app",
    "make_key",
    "revoke_key",
]
