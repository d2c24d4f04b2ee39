"""One register's part in a check: open it, search it (or resume its pending search) under its
own timeout, judge what it returns, and say what happened as its outcome -- whatever it does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from provcheck.engine.photographs import (
    VERIFIED_AT_MOST,
    VERIFIED_BY_SCORE,
    VERIFIED_CANDIDATES,
    VerificationProblems,
    verify_photographs,
)
from provcheck.errors import (
    ConfigurationError,
    InvalidQueryError,
    PluginLoadError,
    ProvcheckError,
    QueryNotSupported,
    ReferralRequired,
    RegistryError,
    SearchPending,
    message_of,
)
from provcheck.matching.matcher import Matcher
from provcheck.model.description import ImageRef, ObjectDescription
from provcheck.model.duplicates import merge_same_objects
from provcheck.model.outcome import (
    OutcomeError,
    OutcomeState,
    PendingSearch,
    Referral,
    RegistryOutcome,
    outcome_of_state,
)
from provcheck.model.record import Record
from provcheck.model.siblings import mark_alike
from provcheck.registers.discovery import installed_registries, plugin_version, registry_class
from provcheck.registers.http import search_budget_end
from provcheck.registers.registry import Access, Registry, SearchResult

__all__ = ["RegistriesLike", "Selected", "open_registry_by_name", "search_one", "select_registries"]

RegistriesLike = str | Registry | Sequence[str | Registry] | None


@dataclass
class Selected:
    """A register chosen for this check, or why it could not even be opened."""

    name: str
    registry: Registry | None
    owned: bool  # opened here, so closed here; instances passed in belong to the caller
    title: str
    access: Access
    open_error: ProvcheckError | None = None


def select_registries(registries: RegistriesLike) -> list[Selected]:
    if registries is None:
        chosen: list[str | Registry] = list(installed_registries())
    elif isinstance(registries, str | Registry):
        chosen = [registries]
    else:
        chosen = list(registries)
    selected: list[Selected] = []
    for item in chosen:
        if isinstance(item, type) and issubclass(item, Registry):
            raise InvalidQueryError(
                f"registries: {item.__name__} is a class; give an instance ({item.__name__}()) "
                "or its name"
            )
        if not isinstance(item, str | Registry):
            raise InvalidQueryError(
                f"registries: {item!r:.60} is neither a register's name nor a Registry instance"
            )
        choice = (
            Selected(item.name, item, False, item.title, item.access)
            if isinstance(item, Registry)
            else open_registry_by_name(item)
        )
        if any(s.name == choice.name for s in selected):
            raise InvalidQueryError(f"register {choice.name!r} is selected twice")
        selected.append(choice)
    return selected


def open_registry_by_name(name: str) -> Selected:
    """Open a register by name. Not installed is the caller's mistake and raises; installed but
    broken or not configured is that register's failure, reported in its outcome."""
    try:
        cls = registry_class(name)
    except PluginLoadError as error:
        return Selected(name, None, True, name, Access.API, error)
    try:
        return Selected(name, cls(), True, cls.title, cls.access)
    except ConfigurationError as error:
        return Selected(name, None, True, cls.title, cls.access, error)


async def search_one(
    selected: Selected,
    query: ObjectDescription,
    photographs: list[ImageRef],
    *,
    limit: int,
    timeout: float | None,
    matcher: Matcher,
    pending: PendingSearch | None = None,
    reply: str | None = None,
) -> RegistryOutcome:
    """Search one register -- or, given the `pending` search it left, resume it -- and judge
    what it returns."""
    started = datetime.now(UTC)
    clock = time.perf_counter()
    registry = selected.registry

    def outcome(state: OutcomeState, **fields: Any) -> RegistryOutcome:
        return outcome_of_state(
            registry=selected.name,
            title=selected.title,
            access=selected.access,
            state=state,
            started_at=started,
            duration_s=round(time.perf_counter() - clock, 4),
            plugin_version=plugin_version(registry) if registry is not None else None,
            **fields,
        )

    if registry is None:
        error = selected.open_error or ProvcheckError("not opened")
        return outcome(OutcomeState.FAILED, error=OutcomeError(kind=error.kind, message=str(error)))

    def failure(kind: str, message: str, retry_after: float | None = None) -> RegistryOutcome:
        text = _bounded(registry.settings.redact(message))
        return outcome(
            OutcomeState.FAILED,
            error=OutcomeError(kind=kind, message=text, retry_after=retry_after),
        )

    if pending is None:
        reason = registry.capabilities.why_unanswerable(query)
        if reason is not None:
            return outcome(OutcomeState.SKIPPED, reason=f"{selected.name} {reason}")
    seconds = timeout if timeout is not None else registry.settings.timeout
    search_budget_end.set(time.monotonic() + seconds)  # this task's own context
    try:
        async with asyncio.timeout(seconds):
            if pending is None:
                result = await registry.search(query, limit=limit)
            else:
                result = await registry.resume(pending.handle, limit=limit, reply=reply)
            records = list(result)  # a plugin's generator runs here, under the same rules
    except TimeoutError as error:
        if isinstance(error, RegistryError):  # the plugin's own timeout, with its message
            return failure(error.kind, message_of(error), error.retry_after)
        return failure("timeout", f"{selected.name}: no answer within {seconds:g} s")
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # the check itself is being cancelled
        return failure("internal", f"{selected.name}: plugin error: it raised CancelledError")
    except QueryNotSupported as signal:
        return outcome(OutcomeState.SKIPPED, reason=registry.settings.redact(str(signal)))
    except SearchPending as signal:
        waiting = PendingSearch(
            message=registry.settings.redact(str(signal)),
            handle=signal.handle,
            question=signal.question,
        )
        return outcome(OutcomeState.PENDING, pending=waiting)
    except ReferralRequired as signal:
        referral = Referral(
            instructions=signal.instructions,
            request=signal.request,
            fields=signal.fields,
            attachments=signal.attachments,
            send_to=signal.send_to,
            fee=signal.fee,
        )
        return outcome(OutcomeState.REFERRAL, referral=referral, reason=str(signal))
    except RegistryError as error:
        return failure(error.kind, message_of(error), error.retry_after)
    except ProvcheckError as error:
        return failure(error.kind, message_of(error))
    except Exception as error:  # a plugin's bug must not end the check for every register
        return failure(
            "internal",
            f"{selected.name}: plugin error: {type(error).__name__}: {message_of(error)}",
        )
    if time.perf_counter() - clock > seconds + _LATE_GRACE_S:
        # It answered, but only after its time (it blocked the loop, or ignored cancellation):
        # a late answer is not the search the check allowed.
        return failure(
            "timeout",
            f"{selected.name}: answered only after {time.perf_counter() - clock:.1f} s, "
            f"past its {seconds:g} s",
        )
    strays = [r for r in records if not isinstance(r, Record)]
    if strays:
        return failure(
            "malformed-response",
            f"{selected.name}: the plugin returned {type(strays[0]).__name__}, not Record",
        )
    warnings: list[str] = []
    returned = len(records)
    if len(records) > limit:
        warnings.append(
            f"the register returned {len(records):,} records, more than the {limit} asked for; "
            f"the first {limit} were judged"
        )
        records = records[:limit]
    unique = _one_per_key(records, query, matcher, warnings)
    extras: dict[str, Any] = {}
    if any(image.fingerprints for image in query.images):
        extras["photographs_searched"] = registry.capabilities.images and not (
            isinstance(result, SearchResult) and result.photographs_searched is False
        )
    if isinstance(result, SearchResult):
        warnings = [*result.warnings, *warnings]
        extras |= {
            "source": result.source,
            "data_as_of": result.data_as_of,
            "documents": dict(result.documents),
        }
    # Ranking is CPU work: off the event loop, so that a service's other requests are not held
    # up by it (and a notebook's other work goes on).
    ranked = await asyncio.to_thread(matcher.rank, query, unique)
    if photographs:
        # The best by score so far, and the register's own first answers (a photograph found by
        # its local features may not look alike as a whole, so it scores nothing yet).
        first = {c.record.key: c for c in ranked[:VERIFIED_BY_SCORE]}
        by_key = {c.record.key: c for c in ranked}
        for record in unique[:VERIFIED_CANDIDATES]:
            first.setdefault(record.key, by_key[record.key])
        problems, said = VerificationProblems(), len(warnings)
        geometry = await verify_photographs(
            registry, query, photographs, list(first.values()), problems
        )
        ranked = await asyncio.to_thread(matcher.rank, query, unique, geometry)
        # Nothing is a match on its hashes alone for want of a turn at verification: in a large
        # register many plain pictures' hashes sit near a photograph's by chance (the more so
        # as it is tried turned and mirrored). Those that would be matches are verified in turn.
        verified = set(first)
        while True:
            unverified = [
                c
                for c in ranked
                if c.score >= matcher.match_threshold and c.record.key not in verified
            ]
            if not unverified:
                break
            if len(verified) >= VERIFIED_AT_MOST:
                warnings.append(
                    f"{len(unverified)} more candidate(s) that look alike by their photographs' "
                    f"hashes were not verified by local features ({len(verified)} were, the "
                    "most one check verifies); their likeness is by hashes only"
                )
                break
            turn = unverified[:VERIFIED_CANDIDATES]
            geometry |= await verify_photographs(registry, query, photographs, turn, problems)
            verified |= {c.record.key for c in turn}
            ranked = await asyncio.to_thread(matcher.rank, query, unique, geometry)
        # Before what was left unverified: what could not be verified, once for all rounds.
        warnings[said:said] = problems.warnings()
        extras["photographs_not_compared"] = tuple(
            _bounded(registry.settings.redact(problem)) for problem in problems.unverified
        )
    return outcome(
        OutcomeState.SEARCHED,
        # One object twice is one candidate; objects of one series, set or theft name each other.
        candidates=tuple(mark_alike(merge_same_objects(ranked))),
        records_returned=returned,
        warnings=tuple(_bounded(registry.settings.redact(w)) for w in warnings),
        **extras,
    )


# Seconds past its timeout a plugin's answer is still taken (the loop's own scheduling).
_LATE_GRACE_S = 1.0

# What a report keeps of one message from a plugin or a service.
_MESSAGE_CHARS = 2_000


def _bounded(text: str) -> str:
    return text if len(text) <= _MESSAGE_CHARS else text[:_MESSAGE_CHARS] + " ... (cut short)"


def _one_per_key(
    records: list[Record], query: ObjectDescription, matcher: Matcher, warnings: list[str]
) -> list[Record]:
    """One record per key, in the register's order. Two records under one id are not silently
    one: the one most like the object is kept (never the last by chance), and the report says so."""
    keys = [record.key for record in records]
    if len(set(keys)) == len(keys):
        return records
    best: dict[str, Record] = {}
    for candidate in matcher.rank(query, records):  # best first
        best.setdefault(candidate.record.key, candidate.record)
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    warnings.append(
        f"{len(repeated)} record id(s) came more than once ({', '.join(repeated[:3])}"
        f"{', ...' if len(repeated) > 3 else ''}); for each, the record most like the object "
        "was judged"
    )
    kept: list[Record] = []
    for record in records:
        if best.get(record.key) is record:
            kept.append(record)
            del best[record.key]
    return kept
