"""What a register plugin's author tests with: the conformance suite, a manual clock, and a mock
served over real HTTP (`provcheck.mocks` has the mock-service toolkit); and what a store
implementation tests with, the store contract.

The suites need pytest, a test-time dependency: they are imported when first used, so that
`provcheck.testing.mocks` (which the demo and `provcheck mock serve` run) works without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from provcheck.testing.conformance import (
        ManualClock,
        ReferralConformance,
        RegistryConformance,
        served,
    )
    from provcheck.testing.store_contract import StoreContract

__all__ = [
    "ManualClock",
    "ReferralConformance",
    "RegistryConformance",
    "StoreContract",
    "served",
]

_MODULE_OF = {
    "ManualClock": "provcheck.testing.conformance",
    "ReferralConformance": "provcheck.testing.conformance",
    "RegistryConformance": "provcheck.testing.conformance",
    "served": "provcheck.testing.conformance",
    "StoreContract": "provcheck.testing.store_contract",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'provcheck.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(_MODULE_OF[name]), name)
