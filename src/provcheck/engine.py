"""The check: ask every selected register at once, judge what comes back, write the record.

Each register is searched concurrently under its own timeout. Whatever happens at one register --
an answer, an error, a hang, a register that cannot answer this query, one that will answer later
-- becomes that register's outcome; nothing at one register stops the others. The conclusion
follows the rule in `provcheck.model.report.conclude`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import platform
import time
import uuid
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from provcheck._version import __version__
from provcheck.errors import (
    ConfigurationError,
    InputError,
    InvalidQueryError,
    PluginLoadError,
    ProvcheckError,
    QueryNotSupported,
    ReferralRequired,
    RegistryError,
    SearchPending,
    first_problem,
)
from provcheck.images.fingerprints import fingerprinted
from provcheck.images.verification import (
    GeometricMatch,
    LocalFeatures,
    features_for,
    features_of_bytes,
    match_geometry,
    remember_photograph,
)
from provcheck.matching.comparators import looks_mirrored
from provcheck.matching.matcher import Matcher
from provcheck.matching.sufficiency import THIN_QUERY_KINDS, thin_query_limitations
from provcheck.model.candidate import Candidate
from provcheck.model.description import ImageRef, ObjectDescription
from provcheck.model.duplicates import merge_same_objects
from provcheck.model.outcome import (
    OutcomeError,
    OutcomeState,
    PendingSearch,
    Referral,
    RegistryOutcome,
)
from provcheck.model.record import Record
from provcheck.model.report import CheckReport, Limitation, conclude, verify_report
from provcheck.registers.discovery import installed_registries, plugin_version, registry_class
from provcheck.registers.fetching import fetch_image
from provcheck.registers.http import search_budget_end
from provcheck.registers.registry import Access, Registry, SearchResult
from provcheck.userfiles import load_json, read_text

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_TIMEOUT_S",
    "QueryLike",
    "RegistriesLike",
    "acheck",
    "aresume",
    "check",
    "resume",
]

DEFAULT_LIMIT = 20
# The most records asked of one register, and the longest a register may take, in one check.
MAX_LIMIT = 1_000
MAX_TIMEOUT_S = 86_400
# Candidates per register whose photographs are verified by local features (the rest are far
# below them already; verification costs tens of milliseconds per image).
VERIFIED_CANDIDATES = 5
VERIFIED_BY_SCORE = 3
# The limitation a register that searched by words only leaves on a check with photographs.
PHOTOGRAPH_NOT_SEARCHED = "photograph-not-searched"

QueryLike = ObjectDescription | Mapping[str, Any]
RegistriesLike = str | Registry | Sequence[str | Registry] | None


def _as_query(query: QueryLike, limitations: list[Limitation]) -> ObjectDescription:
    """The query validated, its photographs fingerprinted; what could not be compared is added
    to `limitations`."""
    if isinstance(query, ObjectDescription):
        description = query
    else:
        try:
            description = ObjectDescription.model_validate(query)
        except ValidationError as error:
            where, problem = first_problem(error)
            raise InvalidQueryError(f"query field {where or 'query'}: {problem}") from None
    if description.is_empty:
        raise InvalidQueryError("the query describes nothing: give at least one field or image")
    # Query photographs are decoded and fingerprinted once here, never once per register. One
    # given by address is fetched (once, under the address policy) and then treated like a file;
    # one that cannot be fetched or read is named as not compared, and the check cannot conclude
    # "no match found" without it.
    fetched: dict[str, ImageRef] = {}
    images = []
    for image in description.images:
        if image.url is None:
            images.append(fingerprinted(image, variants=True))
            continue
        if image.url not in fetched:
            fetched[image.url] = image
            try:
                data = fetch_image(image.url)
                fetched[image.url] = fingerprinted(image, variants=True, data=data)
                remember_photograph(fetched[image.url], data)
            except InputError as error:
                limitations.append(
                    Limitation(
                        kind="photograph-not-compared",
                        subject=image.url,
                        message=f"the photograph could not be fetched or read ({error}); "
                        "give it as a file (--image PATH) to have it compared",
                    )
                )
        images.append(fetched[image.url])
    return description.model_copy(update={"images": tuple(images)})


@dataclass
class _Selected:
    """A register chosen for this check, or why it could not even be opened."""

    name: str
    registry: Registry | None
    owned: bool  # opened here, so closed here; instances passed in belong to the caller
    title: str
    access: Access
    open_error: ProvcheckError | None = None


def _select(registries: RegistriesLike) -> list[_Selected]:
    if registries is None:
        chosen: list[str | Registry] = list(installed_registries())
    elif isinstance(registries, str | Registry):
        chosen = [registries]
    else:
        chosen = list(registries)
    selected: list[_Selected] = []
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
            _Selected(item.name, item, False, item.title, item.access)
            if isinstance(item, Registry)
            else _open(item)
        )
        if any(s.name == choice.name for s in selected):
            raise InvalidQueryError(f"register {choice.name!r} is selected twice")
        selected.append(choice)
    return selected


def _open(name: str) -> _Selected:
    """Open a register by name. Not installed is the caller's mistake and raises; installed but
    broken or not configured is that register's failure, reported in its outcome."""
    try:
        cls = registry_class(name)
    except PluginLoadError as error:
        return _Selected(name, None, True, name, Access.API, error)
    try:
        return _Selected(name, cls(), True, cls.title, cls.access)
    except ConfigurationError as error:
        return _Selected(name, None, True, cls.title, cls.access, error)


def _failed(
    selected: _Selected, started: datetime, duration: float, error: OutcomeError
) -> RegistryOutcome:
    return RegistryOutcome(
        registry=selected.name,
        title=selected.title,
        access=selected.access,
        state=OutcomeState.FAILED,
        error=error,
        started_at=started,
        duration_s=round(duration, 4),
        plugin_version=plugin_version(selected.registry) if selected.registry else None,
    )


async def _search_one(
    selected: _Selected,
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
    if registry is None:
        error = selected.open_error or ProvcheckError("not opened")
        return _failed(selected, started, 0.0, OutcomeError(kind=error.kind, message=str(error)))

    def outcome(state: OutcomeState, **fields: Any) -> RegistryOutcome:
        return RegistryOutcome(
            registry=selected.name,
            title=selected.title,
            access=selected.access,
            state=state,
            started_at=started,
            duration_s=round(time.perf_counter() - clock, 4),
            plugin_version=plugin_version(registry),
            **fields,
        )

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
            return failure(error.kind, _said(error), error.retry_after)
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
        referral = Referral(instructions=signal.instructions, request=signal.request)
        return outcome(OutcomeState.REFERRAL, referral=referral, reason=str(signal))
    except RegistryError as error:
        return failure(error.kind, _said(error), error.retry_after)
    except ProvcheckError as error:
        return failure(error.kind, _said(error))
    except Exception as error:  # a plugin's bug must not end the check for every register
        return failure(
            "internal", f"{selected.name}: plugin error: {type(error).__name__}: {_said(error)}"
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
    ranked = matcher.rank(query, unique)
    if photographs:
        # The best by score so far, and the register's own first answers (a photograph found by
        # its local features may not look alike as a whole, so it scores nothing yet).
        first = {c.record.key: c for c in ranked[:VERIFIED_BY_SCORE]}
        by_key = {c.record.key: c for c in ranked}
        for record in unique[:VERIFIED_CANDIDATES]:
            first.setdefault(record.key, by_key[record.key])
        geometry = await _verify(registry, query, photographs, list(first.values()))
        ranked = matcher.rank(query, unique, geometry)
    return outcome(
        OutcomeState.SEARCHED,
        candidates=tuple(merge_same_objects(ranked)),  # one object twice: one candidate
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


def _said(error: BaseException) -> str:
    """An exception's message, whatever its `__str__` does."""
    try:
        return str(error)
    except Exception:
        return f"{type(error).__name__} (its message could not be read)"


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


def _photographs(query: ObjectDescription) -> list[ImageRef]:
    """The query's images that can be verified (a file or bytes, not a URL), with their local
    features computed now, once per check, off the event loop. A photograph no longer where a
    resumed report says it was is left to its fingerprints."""
    found = []
    for image in query.images:
        with contextlib.suppress(InputError):
            if features_for(image) is not None:
                found.append(image)
    return found


async def _verify(
    registry: Registry,
    query: ObjectDescription,
    photographs: list[ImageRef],
    candidates: Sequence[Candidate],
) -> dict[str, GeometricMatch]:
    """Map the query's photographs onto each candidate's, for the best few candidates.

    A record image the register cannot supply, or one that will not decode, is left to its
    fingerprints: verification adds evidence, it never fails a search.
    """
    found: dict[str, GeometricMatch] = {}
    for candidate in candidates:
        # Each photograph as taken; its mirror image too (described only then) when the record's
        # picture looks like a reversed copy of it.
        mirrored = looks_mirrored(query, candidate.record.description)
        ways = [(photo, flip) for photo in photographs for flip in (False, True)[: 1 + mirrored]]
        best: GeometricMatch | None = None
        for image in candidate.record.description.images:
            theirs = await _record_features(registry, image)
            if theirs is None:
                continue
            for photo, flip in ways:
                ours = await asyncio.to_thread(
                    functools.partial(features_for, photo, mirrored=flip)
                )
                if ours is None:
                    continue
                match = await asyncio.to_thread(match_geometry, ours, theirs)
                if best is None or _stronger(match, best):
                    best = match
                if best.confirmed:
                    break  # the mirror image need not be tried once the photograph is confirmed
        if best is not None:
            found[candidate.record.key] = best
    return found


async def _record_features(registry: Registry, image: ImageRef) -> LocalFeatures | None:
    """A record image's local features: as the register keeps them, else from its pixels. None
    when neither can be had -- whatever the reason, even a plugin's bug: verification adds
    evidence, it never fails a search."""
    with contextlib.suppress(Exception):  # kept features unreadable: describe the pixels
        kept = await registry.image_features(image)
        if kept is not None:
            return kept
    try:
        data = await registry.image_bytes(image)
        if data is None:
            return None
        return await asyncio.to_thread(
            functools.partial(features_of_bytes, data, source=image.location)
        )
    except Exception:
        return None


def _stronger(match: GeometricMatch, than: GeometricMatch) -> bool:
    return (match.confirmed, match.inliers) > (than.confirmed, than.inliers)


async def acheck(
    query: QueryLike,
    registries: RegistriesLike = None,
    *,
    limit: int = DEFAULT_LIMIT,
    timeout: float | None = None,
    matcher: Matcher | None = None,
) -> CheckReport:
    """Check `query` against `registries` (names or `Registry` instances; None: every installed one).

    `limit` caps the records asked of each register; `timeout` (seconds) overrides each
    register's own timeout setting. Returns the sealed `CheckReport`.
    """
    _check_options(limit, timeout)
    # Decoding photographs is slow work: keep it off the event loop.
    limitations: list[Limitation] = []
    description = await asyncio.to_thread(_as_query, query, limitations)
    photographs = await asyncio.to_thread(_photographs, description)
    matcher = matcher or Matcher()
    created = datetime.now(UTC)
    selected = _select(registries)
    try:
        outcomes = tuple(
            await asyncio.gather(
                *(
                    _search_one(
                        s, description, photographs, limit=limit, timeout=timeout, matcher=matcher
                    )
                    for s in selected
                )
            )
        )
    finally:
        await asyncio.gather(
            *(s.registry.aclose() for s in selected if s.owned and s.registry is not None),
            return_exceptions=True,
        )
    return _report(description, outcomes, matcher, created, limitations=tuple(limitations))


def _check_options(limit: object, timeout: object) -> None:
    """`limit` and `timeout` as a check takes them, said before anything is searched."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidQueryError(
            f"limit must be a whole number from 1 to {MAX_LIMIT}, not {limit!r:.40}"
        )
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 < timeout <= MAX_TIMEOUT_S  # NaN fails this too
    ):
        raise InvalidQueryError(
            f"timeout must be seconds above 0, at most {MAX_TIMEOUT_S}, not {timeout!r:.40}"
        )


def _report(
    query: ObjectDescription,
    outcomes: tuple[RegistryOutcome, ...],
    matcher: Matcher,
    created: datetime,
    resumes: str | None = None,
    reply: str | None = None,
    limitations: tuple[Limitation, ...] = (),
) -> CheckReport:
    # Whether the query could rule records out depends on what came back: found anew each time.
    found = [c for outcome in outcomes for c in outcome.candidates]
    limitations = (
        *(
            limitation
            for limitation in limitations
            if limitation.kind not in THIN_QUERY_KINDS | {PHOTOGRAPH_NOT_SEARCHED}
        ),
        *_photographs_not_searched(outcomes),
        *thin_query_limitations(
            query,
            found,
            matcher.match_threshold,
            photographs_searched=all(o.photographs_searched is not False for o in outcomes),
        ),
    )
    versions = {"provcheck": __version__, "python": platform.python_version()}
    for outcome in outcomes:
        if outcome.plugin_version:
            versions[outcome.registry] = outcome.plugin_version
    report = CheckReport(
        report_id=str(uuid.uuid4()),
        created_at=created,
        query=query,
        conclusion=conclude(outcomes, matcher.match_threshold, limitations),
        match_threshold=matcher.match_threshold,
        outcomes=outcomes,
        limitations=limitations,
        versions=versions,
        resumes=resumes,
        reply=reply,
    )
    return report.sealed()


def _photographs_not_searched(outcomes: Sequence[RegistryOutcome]) -> list[Limitation]:
    """A register searched by words only: the object's photographs met only the records the
    words found, not the register -- an object registered under other words was not looked for."""
    return [
        Limitation(
            kind=PHOTOGRAPH_NOT_SEARCHED,
            subject=outcome.registry,
            message=(
                f"{outcome.registry} was searched by words only: the photographs were compared "
                f"with the {outcome.records_returned} records the words found, not with the "
                "whole register; a register that can be mirrored is searched by photograph once "
                f"it is (`provcheck mirror {outcome.registry}`)"
            ),
        )
        for outcome in outcomes
        if outcome.state is OutcomeState.SEARCHED and outcome.photographs_searched is False
    ]


def _load_report(report: CheckReport | str | PathLike[str]) -> CheckReport:
    if isinstance(report, CheckReport):
        loaded = report
    else:
        path = Path(report)
        data = load_json(read_text(path, what="report"), source=str(path))
        try:
            loaded = CheckReport.model_validate(data)
        except ValidationError as error:
            where, problem = first_problem(error)
            raise InputError(f"{path}: not a provcheck report: field {where}: {problem}") from None
    if not verify_report(loaded):
        raise InputError(
            f"report {loaded.report_id} was changed after it was written (its digest does not "
            "match); only an intact report can be resumed"
        )
    return loaded


async def aresume(
    report: CheckReport | str | PathLike[str],
    registries: Sequence[Registry] = (),
    *,
    reply: str | None = None,
    limit: int = DEFAULT_LIMIT,
    timeout: float | None = None,
    matcher: Matcher | None = None,
) -> CheckReport:
    """Take up the pending searches of an earlier report, without submitting or paying again.

    Each pending register is asked for its answer (`Registry.resume`); `reply` answers a
    register that asked a question. Every other outcome is kept as it was. Returns a new sealed
    report that names the earlier one's digest (`resumes`). `registries` gives instances to use
    instead of opening the registers by name (a test's mock, a configured client).
    """
    _check_options(limit, timeout)
    earlier = _load_report(report)
    matcher = matcher or Matcher(match_threshold=earlier.match_threshold)
    photographs = await asyncio.to_thread(_photographs, earlier.query)
    given = {registry.name: registry for registry in registries}
    created = datetime.now(UTC)
    selected = {
        o.registry: (
            _Selected(o.registry, given[o.registry], False, o.title, o.access)
            if o.registry in given
            else _open(o.registry)
        )
        for o in earlier.outcomes
        if o.state is OutcomeState.PENDING
    }
    if not selected:
        raise InputError(f"report {earlier.report_id} has no pending searches to resume")

    async def resumed(outcome: RegistryOutcome) -> RegistryOutcome:
        if outcome.registry not in selected:
            return outcome
        return await _search_one(
            selected[outcome.registry],
            earlier.query,
            photographs,
            limit=limit,
            timeout=timeout,
            matcher=matcher,
            pending=outcome.pending,
            reply=reply,
        )

    try:
        outcomes = tuple(await asyncio.gather(*(resumed(o) for o in earlier.outcomes)))
    finally:
        await asyncio.gather(
            *(s.registry.aclose() for s in selected.values() if s.owned and s.registry),
            return_exceptions=True,
        )
    return _report(
        earlier.query, outcomes, matcher, created, earlier.digest, reply, earlier.limitations
    )


def check(
    query: QueryLike,
    registries: RegistriesLike = None,
    *,
    limit: int = DEFAULT_LIMIT,
    timeout: float | None = None,
    matcher: Matcher | None = None,
) -> CheckReport:
    """`acheck`, for code that is not async. Works inside a running event loop (a notebook) too."""
    return _run(acheck(query, registries, limit=limit, timeout=timeout, matcher=matcher))


def resume(
    report: CheckReport | str | PathLike[str],
    registries: Sequence[Registry] = (),
    *,
    reply: str | None = None,
    limit: int = DEFAULT_LIMIT,
    timeout: float | None = None,
    matcher: Matcher | None = None,
) -> CheckReport:
    """`aresume`, for code that is not async."""
    run = aresume(report, registries, reply=reply, limit=limit, timeout=timeout, matcher=matcher)
    return _run(run)


def _run(work: Coroutine[Any, Any, CheckReport]) -> CheckReport:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    # A notebook already runs a loop in this thread: run the work on a loop of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()
