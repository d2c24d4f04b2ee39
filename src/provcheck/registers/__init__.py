"""Registers: the plugin API (Registry, settings, capabilities), discovery of installed plugins, HTTP for plugins, and bases for common kinds of register."""

from provcheck.registers import submit_and_poll as _submit_and_poll
from provcheck.registers.submit_and_poll import *  # noqa: F403 -- re-exported whole: this path is the stable one

__all__ = _submit_and_poll.__all__
