"""The conformance suite every register plugin runs against itself.

Subclass `RegistryConformance` in your plugin's tests and provide five fixtures; pytest (with the
anyio plugin that comes with httpx) then runs every check below against your plugin::

    from provcheck.testing.conformance import RegistryConformance

    class TestMyRegistry(RegistryConformance):
        @pytest.fixture
        def registry_factory(self): ...      # () -> Registry whose service answers normally
        @pytest.fixture
        def query_with_records(self): ...    # an ObjectDescription it finds records for
        @pytest.fixture
        def query_without_records(self): ... # one it finds nothing for
        @pytest.fixture
        def failing_registry(self): ...      # a Registry whose service is down or erroring
        @pytest.fixture
        def hanging_registry(self): ...      # a Registry whose service never answers

The suite checks what the engine and the report rely on: `search` returns `Record`s of this
register; nothing found is an empty result, not an error; a failing service raises from the
`ProvcheckError` tree; a search can be cancelled; `aclose` is safe to call twice; no secret
appears in a repr or an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr

from provcheck.engine.checking import acheck
from provcheck.errors import ProvcheckError, ReferralRequired
from provcheck.model.description import ObjectDescription
from provcheck.model.outcome import OutcomeState
from provcheck.model.record import Record
from provcheck.model.report import Conclusion
from provcheck.registers.registry import Access, Capabilities, Registry, RegistrySettings

__all__ = ["ManualClock", "ReferralConformance", "RegistryConformance", "served"]

# How long the suite lets a hanging search run before it cancels it.
_CANCEL_AFTER_S = 0.2


@dataclass
class ManualClock:
    """A clock the test moves (`clock.now = 601`), for a mock service that answers after a time:
    give it to the mock as its `clock`."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    """Run an ASGI app (a plugin's mock service) as a real HTTP server on a free local port for
    the length of a test: its base URL, e.g. to point a register at it through the environment."""
    import uvicorn  # a plugin that ships a mock depends on it

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", ws="none")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        raise RuntimeError("the mock service did not start")
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class _PluginConformance:
    """What every plugin, whatever its access, must do: declare itself, refuse unknown settings,
    close twice safely, keep its secrets out of reprs (the `registry_factory` fixture)."""

    pytestmark = pytest.mark.anyio

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    @pytest.fixture
    async def registry(self, registry_factory: Callable[[], Registry]) -> AsyncIterator[Registry]:
        instance = registry_factory()
        yield instance
        await instance.aclose()

    async def test_declares_its_metadata(self, registry: Registry) -> None:
        cls = type(registry)
        assert isinstance(cls.name, str) and cls.name
        assert isinstance(cls.title, str) and cls.title
        assert isinstance(cls.access, Access)
        assert isinstance(cls.capabilities, Capabilities)
        assert cls.capabilities.fields or cls.capabilities.images, "it must search on something"
        assert issubclass(cls.Settings, RegistrySettings)

    async def test_settings_refuse_unknown_options(self, registry: Registry) -> None:
        with pytest.raises(ProvcheckError, match="unknown setting"):
            type(registry).Settings.load(registry.name, no_such_option_xyz=1)

    async def test_aclose_twice_is_safe(self, registry_factory: Callable[[], Registry]) -> None:
        instance = registry_factory()
        await instance.aclose()
        await instance.aclose()

    async def test_repr_hides_secrets(self, registry: Registry) -> None:
        text = repr(registry) + repr(registry.settings) + str(registry.settings)
        for name in type(registry.settings).model_fields:
            value = getattr(registry.settings, name)
            if isinstance(value, SecretStr) and value.get_secret_value():
                assert value.get_secret_value() not in text
                assert value.get_secret_value() not in registry.settings.model_dump_json()


class ReferralConformance(_PluginConformance):
    """Checks every register searched by a person (`access = referral`) must pass.

    Provide `registry_factory` (() -> Registry) and `query` (an `ObjectDescription` with the
    Object ID fields the register asks for, and a photograph given by path). The suite checks
    that a search raises `ReferralRequired` with instructions, a request that carries every
    field it fills in and names every photograph, and where it goes; that the check makes it a
    `referral` outcome with all of it; and that no secret is in it.
    """

    async def test_declares_referral_access(self, registry: Registry) -> None:
        assert type(registry).access is Access.REFERRAL
        homepage = type(registry).homepage
        assert homepage is not None and homepage.startswith("https://"), "name its home page"

    async def test_search_prepares_the_request(
        self, registry: Registry, query: ObjectDescription
    ) -> None:
        with pytest.raises(ReferralRequired) as raised:
            await registry.search(query, limit=10)
        signal = raised.value
        assert signal.instructions.strip() and signal.request.strip()
        assert signal.send_to, "say where the request goes"
        assert signal.fields, "fill in the register's form from the description"
        for value in signal.fields.values():
            assert value in signal.request, f"the request leaves out {value!r}"
        given = set(query.text_fields().values())
        assert given & set(signal.fields.values()), "the form holds nothing the query gave"
        assert len(signal.attachments) == len(query.images), "name every photograph to attach"
        for name in signal.attachments:
            assert name in signal.request
        text = " ".join([str(signal), signal.instructions, signal.request, *signal.fields.values()])
        for secret in registry.settings.secret_values():
            assert secret not in text

    async def test_a_check_makes_it_a_referral(
        self, registry: Registry, query: ObjectDescription
    ) -> None:
        report = await acheck(query, [registry])
        outcome = report.outcome(registry.name)
        assert outcome.state is OutcomeState.REFERRAL and outcome.referral is not None
        assert report.conclusion is Conclusion.INCOMPLETE
        assert outcome.referral.fields and outcome.referral.send_to


class RegistryConformance(_PluginConformance):
    """Checks every register plugin must pass. See the module docstring for the fixtures."""

    async def test_search_returns_records_of_this_register(
        self, registry: Registry, query_with_records: ObjectDescription
    ) -> None:
        records = list(await registry.search(query_with_records, limit=10))
        assert records, "the query meant to find records found none"
        assert len(records) <= 10, "search returned more records than the limit"
        for record in records:
            assert isinstance(record, Record), (
                f"search returned {type(record).__name__}, not Record"
            )
            assert record.record_id
            # JSON round trip: the report must be able to keep every record exactly.
            assert Record.model_validate_json(record.model_dump_json()) == record

    async def test_nothing_found_is_an_empty_result(
        self, registry: Registry, query_without_records: ObjectDescription
    ) -> None:
        records = await registry.search(query_without_records, limit=10)
        assert list(records) == []

    async def test_limit_is_respected(
        self, registry: Registry, query_with_records: ObjectDescription
    ) -> None:
        records = await registry.search(query_with_records, limit=1)
        assert len(records) <= 1

    async def test_service_failure_raises_a_provcheck_error(
        self, failing_registry: Registry, query_with_records: ObjectDescription
    ) -> None:
        try:
            with pytest.raises(ProvcheckError) as raised:
                await failing_registry.search(query_with_records, limit=10)
            for secret in failing_registry.settings.secret_values():
                assert secret not in str(raised.value)
        finally:
            await failing_registry.aclose()

    async def test_search_can_be_cancelled(
        self, hanging_registry: Registry, query_with_records: ObjectDescription
    ) -> None:
        task = asyncio.ensure_future(hanging_registry.search(query_with_records, limit=10))
        try:
            await asyncio.sleep(_CANCEL_AFTER_S)
            assert not task.done(), "the hanging service answered; it must not"
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=5)
        finally:
            await hanging_registry.aclose()
