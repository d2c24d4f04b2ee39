from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import image_bytes
from pydantic import SecretStr
from sample_registries import MemoryRegistry

import provcheck
from provcheck import (
    Access,
    Capabilities,
    Conclusion,
    InvalidQueryError,
    ObjectDescription,
    OutcomeState,
    Record,
    Registry,
    RegistryNotFoundError,
)

ACORN = {"title": "Acorn", "maker": "Tiffany", "period": "1906", "measurements": "24 in"}
TEXT_FIELDS = frozenset({"title", "makers"})


class Scripted(Registry):
    """A register whose search does what the test says."""

    name = "scripted"
    title = "Scripted"
    access = Access.API
    capabilities = Capabilities(fields=TEXT_FIELDS)

    def __init__(
        self, behaviour: Callable[[], Any], *, name: str = "scripted", **options: Any
    ) -> None:
        super().__init__(**options)
        self.behaviour = behaviour
        self.name = name  # type: ignore[misc]
        self.closed = False

    async def search(self, query: ObjectDescription, *, limit: int) -> Sequence[Record]:
        result = self.behaviour()
        if asyncio.iscoroutine(result):
            result = await result
        return result  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        self.closed = True


def raising(error: BaseException) -> Callable[[], Any]:
    def behaviour() -> Any:
        raise error

    return behaviour


def sleeping(seconds: float, result: Any = ()) -> Callable[[], Any]:
    async def behaviour() -> Any:
        await asyncio.sleep(seconds)
        return list(result)

    return behaviour


def acorn_register() -> MemoryRegistry:
    return MemoryRegistry(
        [
            {
                "description": {
                    "title": "Acorn",
                    "maker": "Tiffany Studios",
                    "period": "c. 1906",
                    "measurements": "24 in",
                }
            },
            {"description": {"title": "Winter landscape", "maker": "Someone Else"}},
        ]
    )


def test_a_hit_is_a_possible_match() -> None:
    report = provcheck.check(ACORN, [acorn_register()])
    outcome = report.outcome("memory")
    assert outcome.state is OutcomeState.SEARCHED
    assert outcome.records_returned == 1
    (candidate,) = outcome.candidates
    assert candidate.record.description.title == "Acorn"
    assert candidate.score >= report.match_threshold
    assert report.conclusion is Conclusion.POSSIBLE_MATCH
    assert provcheck.verify_report(report).ok


def test_the_report_names_who_asked_inside_its_digest() -> None:
    report = provcheck.check(ACORN, [acorn_register()], requested_by="Registrar A. Smith")
    assert report.requested_by == "Registrar A. Smith"
    assert provcheck.verify_report(report).ok
    # Who asked is sealed in: naming someone else breaks the digest.
    changed = report.model_copy(update={"requested_by": "someone else"})
    assert not provcheck.verify_report(changed).ok
    assert "requested_by" not in provcheck.check(ACORN, [acorn_register()]).to_json()


@pytest.mark.parametrize("who", [5, "", "x" * 301])
def test_who_asked_is_checked_before_any_register_is_searched(who: object) -> None:
    asked: list[str] = []
    register = Scripted(lambda: asked.append("searched") or [])
    with pytest.raises(provcheck.InvalidQueryError, match="requested_by"):
        provcheck.check(ACORN, [register], requested_by=who)  # type: ignore[arg-type]
    assert asked == []


def test_searched_everywhere_without_a_match_is_no_match_found() -> None:
    harbour = {"title": "Harbour at dusk", "maker": "Jan Vermeulen"}
    report = provcheck.check(harbour, [acorn_register(), Scripted(lambda: [])])
    assert [o.state for o in report.outcomes] == [OutcomeState.SEARCHED, OutcomeState.SEARCHED]
    assert report.conclusion is Conclusion.NO_MATCH_FOUND


def test_a_register_that_raises_is_failed_and_the_check_incomplete() -> None:
    down = Scripted(raising(provcheck.RegistryUnavailableError("scripted: HTTP 503 from GET x")))
    report = provcheck.check({"title": "Harbour"}, [acorn_register(), down])
    outcome = report.outcome("scripted")
    assert outcome.state is OutcomeState.FAILED
    assert outcome.error is not None
    assert (outcome.error.kind, outcome.error.message) == (
        "unavailable",
        "scripted: HTTP 503 from GET x",
    )
    assert report.outcome("memory").state is OutcomeState.SEARCHED
    assert report.conclusion is Conclusion.INCOMPLETE


def test_a_match_elsewhere_still_wins_over_a_failure() -> None:
    down = Scripted(raising(provcheck.RegistryUnavailableError("down")))
    report = provcheck.check(ACORN, [acorn_register(), down])
    assert report.conclusion is Conclusion.POSSIBLE_MATCH


def test_a_hanging_register_times_out() -> None:
    started = time.perf_counter()
    report = provcheck.check({"title": "Harbour"}, [Scripted(sleeping(3600))], timeout=0.2)
    assert time.perf_counter() - started < 5
    outcome = report.outcome("scripted")
    assert outcome.state is OutcomeState.FAILED
    assert outcome.error is not None and outcome.error.kind == "timeout"
    assert "0.2 s" in outcome.error.message
    assert report.conclusion is Conclusion.INCOMPLETE


def test_the_register_timeout_setting_applies() -> None:
    report = provcheck.check({"title": "Harbour"}, [Scripted(sleeping(3600), timeout=0.1)])
    assert report.outcome("scripted").error.kind == "timeout"  # type: ignore[union-attr]


def test_a_query_the_register_cannot_answer_is_skipped() -> None:
    image_only = {"images": [image_bytes()]}
    report = provcheck.check(image_only, [Scripted(lambda: [])])
    outcome = report.outcome("scripted")
    assert outcome.state is OutcomeState.SKIPPED
    assert outcome.reason == "scripted searches on makers, title; the query gives images"
    assert report.conclusion is Conclusion.INCOMPLETE


def test_a_register_may_skip_by_itself() -> None:
    report = provcheck.check(
        {"title": "x"}, [Scripted(raising(provcheck.QueryNotSupported("needs a maker")))]
    )
    assert report.outcome("scripted").state is OutcomeState.SKIPPED
    assert report.outcome("scripted").reason == "needs a maker"


def test_a_pending_search_keeps_its_handle() -> None:
    pending = Scripted(raising(provcheck.SearchPending("in review", handle={"search_id": "S-17"})))
    report = provcheck.check({"title": "Harbour"}, [pending])
    outcome = report.outcome("scripted")
    assert outcome.state is OutcomeState.PENDING
    assert outcome.pending is not None and outcome.pending.handle == {"search_id": "S-17"}
    assert report.conclusion is Conclusion.INCOMPLETE


def test_a_referral_carries_the_prepared_request() -> None:
    referral = provcheck.ReferralRequired(
        "no public search", instructions="email the unit", request="Dear ..."
    )
    report = provcheck.check({"title": "Harbour"}, [Scripted(raising(referral))])
    outcome = report.outcome("scripted")
    assert outcome.state is OutcomeState.REFERRAL
    assert outcome.referral is not None and outcome.referral.request == "Dear ..."
    assert report.conclusion is Conclusion.INCOMPLETE


def test_a_plugin_bug_is_a_failure_not_a_crash() -> None:
    report = provcheck.check(
        {"title": "Harbour"}, [Scripted(raising(KeyError("items"))), acorn_register()]
    )
    outcome = report.outcome("scripted")
    assert outcome.state is OutcomeState.FAILED
    assert outcome.error is not None and outcome.error.kind == "internal"
    assert "KeyError" in outcome.error.message
    assert report.outcome("memory").state is OutcomeState.SEARCHED


def test_a_plugin_returning_something_else_is_failed() -> None:
    report = provcheck.check({"title": "Harbour"}, [Scripted(lambda: [{"title": "Acorn"}])])
    assert report.outcome("scripted").error.kind == "malformed-response"  # type: ignore[union-attr]


class Keyed(Scripted):
    class Settings(provcheck.RegistrySettings):
        api_key: SecretStr


def test_secrets_in_plugin_messages_are_redacted() -> None:
    secret = "sk-0123456789"
    leaky = Keyed(raising(RuntimeError(f"request to ?key={secret} failed")), api_key=secret)
    report = provcheck.check({"title": "Harbour"}, [leaky])
    assert secret not in report.to_json()
    assert "key=**********" in report.outcome("scripted").error.message  # type: ignore[union-attr]


def test_search_result_details_reach_the_outcome() -> None:
    synced = datetime(2026, 11, 1, tzinfo=UTC)
    result = provcheck.SearchResult(
        records=(),
        warnings=("item 7 malformed: left out",),
        source=provcheck.DataSource.MIRROR,
        data_as_of=synced,
        documents={"certificate": {"number": "S00123"}},
    )
    outcome = provcheck.check({"title": "x"}, [Scripted(lambda: result)]).outcome("scripted")
    assert outcome.warnings == ("item 7 malformed: left out",)
    assert (outcome.source, outcome.data_as_of) == (provcheck.DataSource.MIRROR, synced)
    assert outcome.documents == {"certificate": {"number": "S00123"}}


def test_registers_are_searched_concurrently() -> None:
    registers = [Scripted(sleeping(1.0), name=f"slow-{i}") for i in range(5)]
    started = time.perf_counter()
    report = provcheck.check({"title": "x"}, registers)
    elapsed = time.perf_counter() - started
    assert [o.state for o in report.outcomes] == [OutcomeState.SEARCHED] * 5
    assert elapsed < 1.5, f"five 1 s searches took {elapsed:.2f} s: not concurrent"


def test_no_register_selected_is_incomplete() -> None:
    assert provcheck.check({"title": "x"}, []).conclusion is Conclusion.INCOMPLETE


def test_an_empty_query_is_refused() -> None:
    with pytest.raises(InvalidQueryError, match="describes nothing"):
        provcheck.check({}, [acorn_register()])
    with pytest.raises(InvalidQueryError, match="titel"):
        provcheck.check({"titel": "x"}, [acorn_register()])


def test_the_same_register_twice_is_refused() -> None:
    with pytest.raises(InvalidQueryError, match="selected twice"):
        provcheck.check({"title": "x"}, [acorn_register(), acorn_register()])


def test_registers_by_name_are_opened_and_closed(
    entry_points: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    entry_points(memory="sample_registries:MemoryRegistry")
    closed: list[int] = []
    original = MemoryRegistry.aclose

    async def tracking_aclose(self: MemoryRegistry) -> None:
        closed.append(1)
        await original(self)

    monkeypatch.setattr(MemoryRegistry, "aclose", tracking_aclose)
    report = provcheck.check({"title": "x"}, ["memory"])
    assert report.outcome("memory").state is OutcomeState.SEARCHED
    assert closed == [1]
    everything = provcheck.check({"title": "x"})  # None: every installed register
    assert [o.registry for o in everything.outcomes] == ["memory"]


def test_instances_passed_in_stay_open() -> None:
    register = Scripted(lambda: [])
    provcheck.check({"title": "x"}, [register])
    assert register.closed is False


def test_an_unknown_name_is_the_callers_mistake(entry_points: Callable[..., None]) -> None:
    with pytest.raises(RegistryNotFoundError, match="provcheck-nowhere"):
        provcheck.check({"title": "x"}, ["nowhere"])


def test_unconfigured_and_broken_plugins_are_failed_outcomes(
    entry_points: Callable[..., None],
) -> None:
    entry_points(
        **{"sample-api": "sample_registries:SampleApiRegistry", "broken": "broken_plugin:Registry"}
    )
    report = provcheck.check({"title": "x"}, ["sample-api", "broken"])
    configured = report.outcome("sample-api")
    assert configured.state is OutcomeState.FAILED
    assert configured.error is not None and configured.error.kind == "configuration"
    assert "PROVCHECK_SAMPLE_API_API_KEY" in configured.error.message
    broken = report.outcome("broken")
    assert broken.error is not None and broken.error.kind == "plugin-load"
    assert report.conclusion is Conclusion.INCOMPLETE


@pytest.mark.anyio
async def test_acheck_and_check_inside_a_running_loop() -> None:
    report = await provcheck.acheck(ACORN, [acorn_register()])
    assert report.conclusion is Conclusion.POSSIBLE_MATCH
    # As in a notebook: the sync call made while a loop is running.
    assert provcheck.check(ACORN, [acorn_register()]).conclusion is Conclusion.POSSIBLE_MATCH


@pytest.mark.anyio
async def test_cancelling_a_check_cancels_the_searches() -> None:
    register = Scripted(sleeping(3600))
    task = asyncio.ensure_future(provcheck.acheck({"title": "x"}, [register]))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_an_unreadable_query_image_is_refused_before_any_search() -> None:
    register = Scripted(raising(AssertionError("must not be searched")))
    with pytest.raises(provcheck.InputError, match="not a readable image"):
        provcheck.check({"title": "x", "images": [b"not an image at all"]}, [register])
