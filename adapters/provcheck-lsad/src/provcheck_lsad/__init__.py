"""provcheck plugin for the London Stolen Arts Database's request service (`lsad`), with a mock
of it."""

from provcheck_lsad.client import LsadRegistry, LsadSettings

__all__ = ["LsadRegistry", "LsadSettings"]
