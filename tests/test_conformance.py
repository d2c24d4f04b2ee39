"""The shipped conformance suite, run against the sample plugins exactly as a plugin author would."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sample_registries import MemoryRegistry, SampleApiRegistry, sample_api_transport

from provcheck import ObjectDescription, Registry
from provcheck.testing import RegistryConformance

SECRET = "sk-test-0123456789"


class TestSampleApiRegistry(RegistryConformance):
    @pytest.fixture
    def registry_factory(self) -> Callable[[], Registry]:
        return lambda: SampleApiRegistry(api_key=SECRET, transport=sample_api_transport("ok"))

    @pytest.fixture
    def query_with_records(self) -> ObjectDescription:
        return ObjectDescription(title="Acorn")

    @pytest.fixture
    def query_without_records(self) -> ObjectDescription:
        return ObjectDescription(title="Harbour at dusk")

    @pytest.fixture
    def failing_registry(self) -> Registry:
        return SampleApiRegistry(api_key=SECRET, transport=sample_api_transport("down"))

    @pytest.fixture
    def hanging_registry(self) -> Registry:
        return SampleApiRegistry(api_key=SECRET, transport=sample_api_transport("hang"))


class _Failing(MemoryRegistry):
    async def search(self, query: ObjectDescription, *, limit: int) -> list:  # type: ignore[type-arg]
        from provcheck import RegistryUnavailableError

        raise RegistryUnavailableError("memory: the store is gone", registry=self.name)


class _Hanging(MemoryRegistry):
    async def search(self, query: ObjectDescription, *, limit: int) -> list:  # type: ignore[type-arg]
        import asyncio

        await asyncio.Event().wait()
        return []


class TestMemoryRegistry(RegistryConformance):
    @pytest.fixture
    def registry_factory(self) -> Callable[[], Registry]:
        return lambda: MemoryRegistry(
            [{"description": {"title": "Acorn"}}, {"description": {"title": "Acorn lamp"}}]
        )

    @pytest.fixture
    def query_with_records(self) -> ObjectDescription:
        return ObjectDescription(title="Acorn")

    @pytest.fixture
    def query_without_records(self) -> ObjectDescription:
        return ObjectDescription(title="Harbour")

    @pytest.fixture
    def failing_registry(self) -> Registry:
        return _Failing()

    @pytest.fixture
    def hanging_registry(self) -> Registry:
        return _Hanging()


class _NotCancellable(MemoryRegistry):
    """Swallows cancellation: the suite must catch this."""

    async def search(self, query: ObjectDescription, *, limit: int) -> list:  # type: ignore[type-arg]
        import asyncio

        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                return []


@pytest.mark.anyio
async def test_the_suite_catches_a_search_that_swallows_cancellation() -> None:
    suite = TestMemoryRegistry()
    with pytest.raises(pytest.fail.Exception):
        await suite.test_search_can_be_cancelled(_NotCancellable(), ObjectDescription(title="x"))


@pytest.mark.anyio
async def test_the_suite_catches_errors_outside_the_tree() -> None:
    class _Crashing(MemoryRegistry):
        async def search(self, query: ObjectDescription, *, limit: int) -> list:  # type: ignore[type-arg]
            raise KeyError("items")

    suite = TestMemoryRegistry()
    with pytest.raises(KeyError):
        await suite.test_service_failure_raises_a_provcheck_error(
            _Crashing(), ObjectDescription(title="x")
        )
