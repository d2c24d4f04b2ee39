"""provcheck's conformance suite, run against the ALR plugin and its mock service in-process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from provcheck_alr import AlrRegistry
from provcheck_alr.service import create_mock

from provcheck import ObjectDescription, Registry
from provcheck.mocks import Faults, in_process
from provcheck.testing import RegistryConformance

FAST = {"review_seconds": "0", "min_poll_interval": "0"}


def alr(faults: Faults | None = None, **settings: Any) -> AlrRegistry:
    mock = create_mock(faults, FAST)
    given = {
        **mock.client_settings,
        "current_owner": "Example Gallery Ltd",
        "collection_type": "dealer stock",
        "poll_interval": 0.01,
        **settings,
    }
    return AlrRegistry(transport=in_process(mock.app), **given)


class TestAlrRegistry(RegistryConformance):
    @pytest.fixture
    def registry_factory(self) -> Callable[[], Registry]:
        return alr

    @pytest.fixture
    def query_with_records(self) -> ObjectDescription:
        return ObjectDescription(
            title="Acorn table lamp",
            maker="Tiffany Studios",
            inscriptions="LCT",
            measurements="61 cm high",
        )

    @pytest.fixture
    def query_without_records(self) -> ObjectDescription:
        return ObjectDescription(title="Harbour at dusk", maker="Anonymous", period="1950")

    @pytest.fixture
    def failing_registry(self) -> Registry:
        return alr(Faults(server_error=100))

    @pytest.fixture
    def hanging_registry(self) -> Registry:
        return alr(Faults(latency=3600))
