"""Where a work stands now, read from its Wikidata events: still missing, recovered or restituted.

Every work this plugin lists had a theft or plunder event; many came back later. A work is
restituted when an event after its loss is a restitution (a repatriation, a legal settlement, a
repurchase after restitution), recovered when it is a recovery or a (re)discovery, and also
recovered when a collection holds it from a date after the loss with no end (a current
collection; a collection without dates says nothing, since Wikidata keeps a stolen work's museum
as its collection). An event without a date counts as after the loss; one dated before it does not
(the work was taken again). A claim for restitution, or a committee's recommendation, is not a
restitution. Otherwise the work is missing: looted if an event is plunder, looting, seizure or
confiscation, stolen if not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from provcheck import RecordStatus

__all__ = ["Standing", "is_loss", "standing"]

Word = Literal["missing", "recovered", "restituted"]
_NOT_AN_OUTCOME = re.compile(r"^(claim|recommendation)|erroneous|request", re.IGNORECASE)
_RESTITUTION = re.compile(r"restitution|repatriation|settlement|repurchase", re.IGNORECASE)
_RECOVERY = re.compile(r"recover|discovery|\bfound\b|\breturn", re.IGNORECASE)
_LOOTING = re.compile(r"plunder|loot|seizure|confiscation|spoliation", re.IGNORECASE)
_THEFT = re.compile(r"theft|robbery|heist|stolen|burglary", re.IGNORECASE)
_DATE = re.compile(r"^([+-]?\d+-\d\d-\d\d)")


@dataclass(frozen=True)
class Standing:
    """A work's status (stolen or looted while missing, recovered or restituted), the plain word
    for it, and the event or collection that says so."""

    status: RecordStatus
    word: Word
    because: str
    lost_on: str | None = None  # the latest dated loss (`1990-03-18`), if one is dated


def _when(text: str) -> tuple[int, str] | None:
    """A Wikidata time (`1990-03-18T00:00:00Z`, `-0515-01-01T...`) as a sortable key."""
    found = _DATE.match(text.strip())
    if found is None:
        return None
    sign = -1 if found.group(1).startswith("-") else 1
    year, _, month_day = found.group(1).lstrip("+-").partition("-")
    return (sign * int(year), month_day)


def is_loss(label: str) -> bool:
    """Whether an event (its English label) is a theft, a plunder or the like."""
    return (
        not _NOT_AN_OUTCOME.search(label)
        and bool(_THEFT.search(label) or _LOOTING.search(label))
        and not _RESTITUTION.search(label)
    )


def _said(label: str, date: str) -> str:
    return f"{label} ({date[:10]})" if date else label


def standing(
    events: Sequence[tuple[str, str]], collections: Sequence[tuple[str, str, str]] = ()
) -> Standing:
    """The standing of a work from its events (label, P585 date or "") and collections (label,
    start, end; dates or "")."""
    losses = [(label, date) for label, date in events if is_loss(label)]
    dated_losses = sorted((key, date[:10]) for _, date in losses if (key := _when(date)))
    last_loss, lost_on = dated_losses[-1] if dated_losses else (None, None)

    def after_loss(date: str) -> bool:
        when = _when(date)
        return when is None or last_loss is None or when >= last_loss

    returns = [
        (label, date)
        for label, date in events
        if not _NOT_AN_OUTCOME.search(label)
        and (_RESTITUTION.search(label) or _RECOVERY.search(label))
        and after_loss(date)
    ]
    restitutions = [event for event in returns if _RESTITUTION.search(event[0])]
    if restitutions:
        return Standing(RecordStatus.RESTITUTED, "restituted", _said(*restitutions[0]), lost_on)
    if returns:
        return Standing(RecordStatus.RECOVERED, "recovered", _said(*returns[0]), lost_on)
    for label, start, end in collections:
        since = _when(start)
        if since is not None and last_loss is not None and since > last_loss and not end:
            because = f"in {label} since {start[:10]}"
            return Standing(RecordStatus.RECOVERED, "recovered", because, lost_on)
    looted = any(_LOOTING.search(label) for label, _ in losses)
    loss = losses[0] if losses else (events[0] if events else ("a theft", ""))
    return Standing(
        RecordStatus.LOOTED if looted else RecordStatus.STOLEN, "missing", _said(*loss), lost_on
    )
