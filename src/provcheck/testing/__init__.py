"""What a register plugin's author tests with: the conformance suite, a manual clock, and a mock
served over real HTTP (`provcheck.mocks` has the mock-service toolkit)."""

from provcheck.testing.conformance import (
    ManualClock,
    RegistryConformance,
    served,
)

__all__ = [
    "ManualClock",
    "RegistryConformance",
    "served",
]
