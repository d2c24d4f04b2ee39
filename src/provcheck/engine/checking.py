"""The check: ask every selected register at once, judge what comes back, write the record.

Each register is searched concurrently under its own timeout. Whatever happens at one register --
an answer, an error, a hang, a register that cannot answer this query, one that will answer later
-- becomes that register's outcome; nothing at one register stops the others. The conclusion
follows the rule in `provcheck.model.report.conclude`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import platform
import uuid
from collections.abc import Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from provcheck._version import __version__
from provcheck.engine.photographs import query_photographs
from provcheck.engine.search import (
    RegistriesLike,
    Selected,
    open_registry_by_name,
    search_one,
    select_registries,
)
from provcheck.errors import (
    InputError,
    InvalidQueryError,
    first_problem,
)
from provcheck.images.fingerprints import fingerprinted
from provcheck.images.verification import (
    features_for,
    query_features,
    remember_photograph,
)
from provcheck.matching.matcher import Matcher
from provcheck.matching.sufficiency import THIN_QUERY_KINDS, thin_query_limitations
from provcheck.model.description import FINGERPRINT_PATTERN, ImageRef, ObjectDescription
from provcheck.model.outcome import (
    OutcomeState,
    RegistryOutcome,
)
from provcheck.model.report import CheckReport, Limitation, conclude
from provcheck.registers.fetching import fetch_image
from provcheck.registers.registry import Registry
from provcheck.reports.signing import verify_report
from provcheck.userfiles import load_json, read_text

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_TIMEOUT_S",
    "PHOTOGRAPH_NOT_SEARCHED",
    "RECORD_PHOTOGRAPH_NOT_COMPARED",
    "QueryLike",
    "RegistriesLike",
    "acheck",
    "aresume",
    "check",
    "resume",
    "run_blocking",
]

T = TypeVar("T")

DEFAULT_LIMIT = 20

# The most records asked of one register, and the longest a register may take, in one check.
MAX_LIMIT = 1_000

MAX_TIMEOUT_S = 86_400

# The limitation a register that searched by words only leaves on a check with photographs.
PHOTOGRAPH_NOT_SEARCHED = "photograph-not-searched"
# The limitation a candidate's record photograph that could not be compared leaves.
RECORD_PHOTOGRAPH_NOT_COMPARED = "record-photograph-not-compared"

QueryLike = ObjectDescription | Mapping[str, Any]


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
    # A photograph's local features (what retrieval and verification compare) are described on
    # another thread while its hashes are computed here: a check waits on both (about 30 ms a
    # photograph less on two cores). What fails there fails again where it is used, and is said.
    describer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="provcheck-describe")
    try:
        for image in description.images:
            if image.url is None:
                describer.submit(query_features, image)
        images = _fingerprinted(description.images, limitations)
    finally:
        describer.shutdown(wait=True)  # not described twice at once by the search that follows
    for image in images:
        if _nothing_to_compare(image):
            limitations.append(
                Limitation(
                    kind="photograph-not-compared",
                    subject=image.location,
                    message="the photograph shows nothing to compare (a blank or uniform "
                    "picture: flat hashes, no local features); give a photograph of the object",
                )
            )
    return description.model_copy(update={"images": tuple(images)})


def _fingerprinted(given: Sequence[ImageRef], limitations: list[Limitation]) -> list[ImageRef]:
    """The query's photographs fingerprinted; what could not be fetched is added to
    `limitations`.

    Query photographs are decoded and fingerprinted once here, never once per register. One
    given by address is fetched (once, under the address policy) and then treated like a file;
    one that cannot be fetched or read is named as not compared, and the check cannot conclude
    "no match found" without it."""
    fetched: dict[str, ImageRef] = {}
    images = []
    for image in given:
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
    return images


def _nothing_to_compare(image: ImageRef) -> bool:
    """A blank picture -- one colour, a pixel, a sliver: its hashes are flat (a difference hash
    of next to no set bits) and it has no local features. Likeness to it proves nothing, and
    unlikeness to every record even less."""
    dhash = (image.fingerprints or {}).get("dhash")
    if dhash is None or not FINGERPRINT_PATTERN.fullmatch(dhash) or int(dhash, 16).bit_count() > 2:
        return False
    try:
        features = features_for(image)
    except InputError:
        return False  # unreadable now: said where it is read again, not here
    return features is not None and len(features.descriptors) == 0


async def acheck(
    query: QueryLike,
    registries: RegistriesLike = None,
    *,
    limit: int = DEFAULT_LIMIT,
    timeout: float | None = None,
    matcher: Matcher | None = None,
    requested_by: str | None = None,
) -> CheckReport:
    """Check `query` against `registries` (names or `Registry` instances; None: every installed one).

    `limit` caps the records asked of each register; `timeout` (seconds) overrides each
    register's own timeout setting; `requested_by` names who asked for the check, in the
    report (inside its digest). Returns the sealed `CheckReport`.
    """
    _check_options(limit, timeout)
    if requested_by is not None and (
        not isinstance(requested_by, str) or not 0 < len(requested_by) <= _LONGEST_NAME
    ):
        raise InvalidQueryError(
            f"requested_by must be a name of 1 to {_LONGEST_NAME} characters, "
            f"not {requested_by!r:.40}"
        )
    # Decoding photographs is slow work: keep it off the event loop.
    limitations: list[Limitation] = []
    description = await asyncio.to_thread(_as_query, query, limitations)
    photographs = await asyncio.to_thread(query_photographs, description)
    matcher = matcher or Matcher()
    created = datetime.now(UTC)
    selected = select_registries(registries)
    try:
        outcomes = tuple(
            await asyncio.gather(
                *(
                    search_one(
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
    return _report(
        description,
        outcomes,
        matcher,
        created,
        limitations=tuple(limitations),
        requested_by=requested_by,
    )


# The longest name of who asked for a check that a report keeps.
_LONGEST_NAME = 300


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
    requested_by: str | None = None,
) -> CheckReport:
    # Whether the query could rule records out depends on what came back: found anew each time.
    found = [c for outcome in outcomes for c in outcome.candidates]
    limitations = (
        *(
            limitation
            for limitation in limitations
            if limitation.kind
            not in THIN_QUERY_KINDS | {PHOTOGRAPH_NOT_SEARCHED, RECORD_PHOTOGRAPH_NOT_COMPARED}
        ),
        *_photographs_not_searched(outcomes),
        *_record_photographs_not_compared(outcomes),
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
        requested_by=requested_by,
    )
    return report.sealed()


def _record_photographs_not_compared(outcomes: Sequence[RegistryOutcome]) -> list[Limitation]:
    """A candidate whose photograph could not be compared by local features was compared by its
    hashes alone, which find neither a detail nor most new photographs of the object."""
    return [
        Limitation(
            kind=RECORD_PHOTOGRAPH_NOT_COMPARED,
            subject=outcome.registry,
            message=(
                f"{len(outcome.photographs_not_compared)} record photograph(s) of "
                f"{outcome.registry}'s candidates could not be compared by local features "
                f"({outcome.photographs_not_compared[0]}); compared by their hashes only, a "
                "detail or a new photograph of one of them may have been missed: check again "
                "when the register's photographs can be had (a local store's damaged copy is "
                "not replaced by importing again: import the records into a new store)"
            ),
        )
        for outcome in outcomes
        if outcome.photographs_not_compared
    ]


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
    photographs = await asyncio.to_thread(query_photographs, earlier.query)
    given = {registry.name: registry for registry in registries}
    created = datetime.now(UTC)
    selected = {
        o.registry: (
            Selected(o.registry, given[o.registry], False, o.title, o.access)
            if o.registry in given
            else open_registry_by_name(o.registry)
        )
        for o in earlier.outcomes
        if o.state is OutcomeState.PENDING
    }
    if not selected:
        raise InputError(f"report {earlier.report_id} has no pending searches to resume")

    async def resumed(outcome: RegistryOutcome) -> RegistryOutcome:
        if outcome.registry not in selected:
            return outcome
        return await search_one(
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
    requested_by: str | None = None,
) -> CheckReport:
    """`acheck`, for code that is not async. Works inside a running event loop (a notebook) too."""
    return run_blocking(
        acheck(
            query,
            registries,
            limit=limit,
            timeout=timeout,
            matcher=matcher,
            requested_by=requested_by,
        )
    )


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
    return run_blocking(run)


def run_blocking(work: Coroutine[Any, Any, T]) -> T:
    """Async work run to its end from code that is not async; inside a running event loop (a
    notebook) too."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    # A notebook already runs a loop in this thread: run the work on a loop of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()
