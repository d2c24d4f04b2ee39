"""provcheck plugin for the Art Loss Register's search service (`alr`), with a mock of it."""

from provcheck_alr.client import AlrRegistry, AlrSettings

__all__ = ["AlrRegistry", "AlrSettings"]
