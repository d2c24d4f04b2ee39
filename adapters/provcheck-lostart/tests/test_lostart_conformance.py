"""provcheck's conformance suite, run against the lostart plugin and its mock export in-process.

The suite asks the service itself (a failing one must fail the search, a hanging one must hang),
so it runs in `live` mode: each search reads the mock's whole export (4 pages of 500 rows)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from provcheck_lostart import LostArtRegistry
from provcheck_lostart.service import create_mock

from provcheck import ObjectDescription, Registry
from provcheck.mocks import Faults, in_process
from provcheck.testing import RegistryConformance


def lostart(faults: Faults | None = None) -> LostArtRegistry:
    mock = create_mock(faults, {})
    return LostArtRegistry(transport=in_process(mock.app), **mock.client_settings, mode="live")


class TestLostArtRegistry(RegistryConformance):
    @pytest.fixture
    def registry_factory(self) -> Callable[[], Registry]:
        return lostart

    @pytest.fixture
    def query_with_records(self) -> ObjectDescription:
        return ObjectDescription(title="Alte Frau", maker="Wilhelm Leibl", period="1865")

    @pytest.fixture
    def query_without_records(self) -> ObjectDescription:
        return ObjectDescription(title="Zyzzyva quokka", maker="Xqwv")

    @pytest.fixture
    def failing_registry(self) -> Registry:
        return lostart(Faults(server_error=100))

    @pytest.fixture
    def hanging_registry(self) -> Registry:
        return lostart(Faults(latency=3600))
