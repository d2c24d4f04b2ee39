"""A check report as a web page people read, print and file: self-contained, and safe to open.

The page puts the conclusion first, then every selected register (outcome, time, how fresh its
data is, certificates and referrals verbatim), then each candidate with the object's photograph
beside the record's and the evidence field by field, the caveat, and the digest and versions at the
foot. Images are embedded as small JPEG thumbnails, so the file stands alone. Register data is
untrusted: the template escapes everything, links only http(s) addresses, and the page forbids
scripts outright (Content-Security-Policy). Notebooks show the same templates (`_repr_html_`).
"""

from __future__ import annotations

import base64
import contextlib
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from provcheck.errors import InputError
from provcheck.images.loading import load_image, thumbnail_jpeg
from provcheck.model.candidate import CONTRADICTION, Candidate
from provcheck.model.case import CaseEntry, CaseVerification, EntryKind
from provcheck.model.description import ImageRef
from provcheck.model.display import ImageSource, own_bytes
from provcheck.model.record import Record
from provcheck.model.report import CheckReport

__all__ = [
    "ImageSource",
    "render_batch_summary",
    "render_candidate",
    "render_case",
    "render_html",
    "render_record",
    "render_report",
]

THUMBNAIL_SIDE = 320
SHOWN_CANDIDATES = 5  # besides every candidate at or above the match threshold

_STYLES = Markup(
    """<style>
.provcheck { font-family: system-ui, sans-serif; color: #1b1b1b; max-width: 1100px; margin: auto; }
.provcheck h1 { font-size: 1.4em; } .provcheck h2 { font-size: 1.15em; margin-top: 1.5em; }
.provcheck .conclusion { font-size: 1.2em; font-weight: bold; padding: .6em .8em; border-radius: 4px; }
.provcheck .conclusion-possible-match { background: #fde2e1; border-left: 6px solid #b3261e; }
.provcheck .conclusion-no-match-found { background: #e3f1e4; border-left: 6px solid #2e7d32; }
.provcheck .conclusion-incomplete { background: #fff4d6; border-left: 6px solid #b26a00; }
.provcheck table { border-collapse: collapse; width: 100%; margin: .5em 0; font-size: .9em; }
.provcheck th, .provcheck td { border: 1px solid #ccc; padding: .3em .45em; vertical-align: top; text-align: left; }
.provcheck tr.against td { background: #fdecea; } .provcheck tr.silent td { color: #777; }
.provcheck .state-failed td, .provcheck .state-pending td, .provcheck .state-referral td { background: #fff8e6; }
.provcheck .referral { border: 1px dashed #b26a00; padding: .4em; margin-top: .4em; background: #fff; page-break-inside: avoid; }
.provcheck .side-by-side { display: flex; gap: 1em; flex-wrap: wrap; }
.provcheck figure { margin: .3em 0; max-width: 330px; } .provcheck img { max-width: 320px; max-height: 320px; display: block; }
.provcheck .framed { position: relative; display: inline-block; }
.provcheck .region { position: absolute; border: 2px solid #e8590c; outline: 1px solid #fff; }
.provcheck figcaption, .provcheck .where { font-size: .8em; color: #555; word-break: break-all; }
.provcheck .missing { width: 200px; height: 120px; background: #eee; color: #777; display: flex; align-items: center; justify-content: center; }
.provcheck .candidate { border-top: 2px solid #ddd; margin-top: 1em; page-break-inside: avoid; }
.provcheck .band-strong h3 { color: #b3261e; } .provcheck .band-possible h3 { color: #b26a00; }
.provcheck pre { white-space: pre-wrap; word-break: break-word; background: #f6f6f6; padding: .4em; font-size: .85em; }
.provcheck .document-name { font-weight: bold; margin-top: .4em; }
.provcheck .document-fields th { width: 9em; font-weight: normal; color: #555; }
.provcheck .warning { color: #8a5300; } .provcheck .caveat { font-style: italic; margin-top: 1.5em; }
.provcheck footer { font-size: .8em; color: #555; margin-top: 1em; border-top: 1px solid #ddd; padding-top: .5em; }
.provcheck dl { margin: .3em 0; } .provcheck dt { font-weight: bold; float: left; margin-right: .5em; }
@media print { .provcheck { max-width: none; } .provcheck .candidate { page-break-inside: avoid; } }
</style>"""
)


@dataclass(frozen=True)
class _Picture:
    data_uri: str | None
    location: str | None


@dataclass(frozen=True)
class _View:
    report: CheckReport
    query_pictures: list[_Picture]
    candidates: list[tuple[Candidate, list[_Picture]]]


def _safe_url(url: str | None) -> bool:
    return bool(url) and str(url).lower().startswith(("https://", "http://"))


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("provcheck.reports", "templates"),
        autoescape=True,  # every value comes from a query or a register: all of it is text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["safe_url"] = _safe_url
    return environment


def _thumbnail(data: bytes, source: str) -> str | None:
    try:
        image = load_image(data, source=source, max_side=THUMBNAIL_SIDE * 2)
    except InputError:
        return None
    jpeg = thumbnail_jpeg(image, max_side=THUMBNAIL_SIDE, quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def _picture(image: ImageRef, source: ImageSource, *, register: bool = False) -> _Picture:
    data = None
    asked = image
    if register and image.path is not None:
        # A record's image comes from the store's copy only: a path in a record (a service's
        # answer passed through) must not choose which file of this machine a shared page shows.
        asked = ImageRef.model_construct(sha256=image.sha256)
    with contextlib.suppress(Exception):  # a copy that cannot be had is shown as missing
        data = source(asked)
    uri = _thumbnail(data, image.location) if data else None
    if image.path is not None:
        # The file's name only: a page is shown to others, and the folders of this machine are
        # not theirs to read (the JSON report keeps the path as given).
        return _Picture(uri, Path(image.path).name)
    return _Picture(uri, image.url)


def _candidates_shown(report: CheckReport) -> list[Candidate]:
    above = [c for c in report.candidates if c.score >= report.match_threshold]
    below = [c for c in report.candidates if c.score < report.match_threshold]
    return above + below[: max(0, SHOWN_CANDIDATES - len(above))]


def _render(template_name: str, **context: Any) -> str:
    template = _environment().get_template(template_name)
    return template.render(styles=_STYLES, contradiction=CONTRADICTION, **context)


def render_report(
    report: CheckReport, *, images: ImageSource | None = None, fragment: bool = False
) -> str:
    """The report as a standalone HTML page (or, `fragment`, a block for a notebook).

    `images` gives the bytes of an image for its thumbnail; by default the image itself or the
    local store's copy (`provcheck.store.local_register.local_copies`).
    """
    view = _view(report, images or own_bytes)
    return _render(
        "report.html.j2",
        fragment="report" if fragment else None,
        report=report,
        view=view,
        headline=report.headline,
    )


def _view(report: CheckReport, source: ImageSource) -> _View:
    return _View(
        report=report,
        query_pictures=[_picture(i, source) for i in report.query.images],
        candidates=[
            (c, [_picture(i, source, register=True) for i in c.record.description.images])
            for c in _candidates_shown(report)
        ],
    )


def render_case(
    case_id: str,
    title: str,
    entries: Sequence[CaseEntry],
    verification: CaseVerification,
    *,
    images: ImageSource | None = None,
    attachments: Mapping[int, str] | None = None,
) -> str:
    """A case's dossier as one page: its history in order, each check's report in full;
    `attachments` gives each entry's attached file as exported beside the page (by sequence)."""
    source = images or own_bytes
    timeline: list[tuple[CaseEntry, _View | None, str | None]] = []
    for entry in entries:
        report = entry.data.get("report") if entry.kind is EntryKind.CHECK else None
        if isinstance(report, dict):
            checked = CheckReport.model_validate(report)
            timeline.append((entry, _view(checked, source), checked.headline))
        else:
            timeline.append((entry, None, None))
    return _render(
        "case.html.j2",
        case_id=case_id,
        title=title,
        timeline=timeline,
        verification=verification,
        attachments=attachments or {},
    )


def render_candidate(candidate: Candidate, *, images: ImageSource | None = None) -> str:
    """One candidate as an HTML block: its record, images and evidence."""
    source = images or own_bytes
    pictures = [_picture(i, source, register=True) for i in candidate.record.description.images]
    return _render("report.html.j2", fragment="candidate", candidate=candidate, pictures=pictures)


def render_record(record: Record, *, images: ImageSource | None = None) -> str:
    """One record as an HTML block."""
    source = images or own_bytes
    pictures = [_picture(i, source, register=True) for i in record.description.images]
    return _render("report.html.j2", fragment="record", record=record, pictures=pictures)


def render_batch_summary(entries: Sequence[Mapping[str, Any]]) -> str:
    """A batch's summary page: one row per object, in the order given (by concern)."""
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["conclusion"]] = counts.get(entry["conclusion"], 0) + 1
    return _render("summary.html.j2", entries=entries, counts=counts)


def render_html(item: object, *, fragment: bool, images: ImageSource | None = None) -> str:
    """A report, candidate or record as HTML: what `CheckReport.to_html()` and notebooks show."""
    if isinstance(item, CheckReport):
        return render_report(item, images=images, fragment=fragment)
    if isinstance(item, Candidate):
        return render_candidate(item, images=images)
    if isinstance(item, Record):
        return render_record(item, images=images)
    raise TypeError(f"no HTML view of {type(item).__name__}")
