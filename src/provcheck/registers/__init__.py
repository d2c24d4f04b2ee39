"""Registers: the plugin API (Registry, settings, capabilities), discovery of installed plugins,
HTTP for plugins (`provcheck.http`), and bases for common kinds of register. A plugin's author
imports from here: `Registry`, `RegistrySettings`, ..., `SubmitAndPollRegistry`."""

from provcheck.registers import registry as _registry
from provcheck.registers import submit_and_poll as _submit_and_poll
from provcheck.registers.registry import *  # noqa: F403 -- the plugin API, whole
from provcheck.registers.submit_and_poll import *  # noqa: F403

__all__ = [*_registry.__all__, *_submit_and_poll.__all__]
