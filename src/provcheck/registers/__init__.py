"""Registers: the plugin API (Registry, settings, capabilities), discovery of installed plugins, HTTP for plugins, and bases for common kinds of register."""

from provcheck.registers.submit_and_poll import (
    Loss,
    ServiceImage,
    ServiceRecord,
    SubmitAndPollRegistry,
    SubmitAndPollSettings,
)

__all__ = [
    "Loss",
    "ServiceImage",
    "ServiceRecord",
    "SubmitAndPollRegistry",
    "SubmitAndPollSettings",
]
