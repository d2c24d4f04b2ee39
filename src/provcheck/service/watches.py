"""Watches: a case under consideration checked again whenever a mirror syncs, and an alert for
each new possible match -- what no register offers a buyer.

After a register's mirror syncs, every watched case's latest check is run again against that
register's records in the store (the same search and ranking as a check), and a possible match
among the records the sync wrote is new unless the case was alerted to it before. Each new one is
kept as an alert, the check that found it added to the case's history (so the dossier shows when
provcheck knew), and announced to the webhooks that want `watch.alert`.
"""

from __future__ import annotations

from typing import Any

from provcheck.cases import CaseFile
from provcheck.engine import acheck
from provcheck.errors import InputError
from provcheck.reports.signing import SigningKey
from provcheck.service.jobs import now_text
from provcheck.service.webhooks import announce
from provcheck.service.work import stamp
from provcheck.store.interface import Store, StoredAlert
from provcheck.store.local_register import LocalRegistry

__all__ = ["WATCHER", "check_watches"]

# Who the checks a watch adds to a case name as having asked for them.
WATCHER = "provcheck watch"


async def check_watches(
    store: Store, registry: str, since: str, key: SigningKey | None
) -> dict[str, Any]:
    """Check every watched case against what the sync of `registry` wrote since `since`."""
    watched = store.watches()
    changed = store.records_updated_since(registry, since) if watched else set()
    result: dict[str, Any] = {"watched": len(watched), "changed": len(changed), "alerts": []}
    if not changed:
        return result
    cases = CaseFile(store, key=key)
    mirror = LocalRegistry(store=store, registries=[registry])
    skipped: dict[str, str] = {}
    for watch in watched:
        try:
            earlier = cases.latest_report(watch.case_id)
        except InputError as error:  # no check yet, or its history changed: said, not hidden
            skipped[watch.case_id] = str(error)
            continue
        report = await acheck(earlier.query, [mirror])
        fresh = []
        for candidate in report.candidates:
            record = candidate.record
            if (
                candidate.score < report.match_threshold
                or record.registry != registry
                or record.record_id not in changed
            ):
                continue
            alert = StoredAlert(
                alert_id=f"{watch.case_id}:{registry}:{record.record_id}",
                case_id=watch.case_id,
                registry=registry,
                record_id=record.record_id,
                score=round(candidate.score, 4),
                created_at=now_text(),
                summary=record.description.summary(),
            )
            if store.add_alert(alert):
                fresh.append(alert)
        if not fresh:
            continue
        report = stamp(report, WATCHER, key)
        entry = cases.add_check(watch.case_id, report)
        for alert in fresh:
            data = {
                "case_id": alert.case_id,
                "registry": alert.registry,
                "record_id": alert.record_id,
                "score": alert.score,
                "summary": alert.summary,
                "report_id": report.report_id,
                "case_entry": entry.sequence,
            }
            announce(store, "watch.alert", data)
            result["alerts"].append(data)
    if skipped:
        result["skipped"] = skipped
    return result
