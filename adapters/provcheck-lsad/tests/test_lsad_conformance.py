"""provcheck's conformance suite, run against the LSAD plugin and its mock service in-process."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from provcheck_lsad import LsadRegistry
from provcheck_lsad.service import create_mock

from provcheck import ObjectDescription, Registry
from provcheck.mocks import Faults, in_process
from provcheck.testing import RegistryConformance


def lsad(faults: Faults | None = None) -> LsadRegistry:
    mock = create_mock(faults, {"review_seconds": "0", "min_poll_interval": "0"})
    settings = {**mock.client_settings, "poll_interval": 0.01}
    return LsadRegistry(transport=in_process(mock.app), **settings)


class TestLsadRegistry(RegistryConformance):
    @pytest.fixture
    def registry_factory(self) -> Callable[[], Registry]:
        return lsad

    @pytest.fixture
    def query_with_records(self) -> ObjectDescription:
        return ObjectDescription(
            title="The Horsewoman",
            maker="Karl Bryullov",
            object_type="painting",
            period="19th century",
            description="equestrian portrait of a young woman before a villa",
        )

    @pytest.fixture
    def query_without_records(self) -> ObjectDescription:
        return ObjectDescription(
            title="Harbour at dusk", period="1950", description="small harbour, fishing boats"
        )

    @pytest.fixture
    def failing_registry(self) -> Registry:
        return lsad(Faults(server_error=100))

    @pytest.fixture
    def hanging_registry(self) -> Registry:
        return lsad(Faults(latency=3600))
