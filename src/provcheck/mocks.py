"""The toolkit for a plugin's mock service (faults, in-process transport, seed records,
idempotency keys, polling pace, a base for services that answer later). The stable import path
for plugin authors; the code is `provcheck.testing.mocks`."""

from provcheck.testing import mocks as _mocks
from provcheck.testing.mocks import *  # noqa: F403 -- re-exported whole: this path is the stable one

__all__ = _mocks.__all__
