"""HTTP for register plugins: `HttpSession` (timeouts, retries, bounded answers), `poll`, and
the helpers a plugin's client needs. The stable import path for plugin authors; the code is
`provcheck.registers.http`."""

from provcheck.registers import http as _http
from provcheck.registers.http import *  # noqa: F403 -- re-exported whole: this path is the stable one

__all__ = _http.__all__
