"""Resuming a report's pending searches: only those are asked again, nothing else changes, the new
report names the old one, and a question from a register is answered with a reply."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import JsonValue
from sample_registries import MemoryRegistry

from provcheck import (
    Access,
    Capabilities,
    CheckReport,
    Conclusion,
    InputError,
    ObjectDescription,
    OutcomeState,
    Record,
    Registry,
    SearchPending,
    check,
    resume,
)
from provcheck.cli import main

ACORN = {"title": "Acorn", "maker": "Tiffany", "period": "1906", "measurements": "24 in"}


class Queue(Registry):
    """A register that answers later, and asks a question first when told to."""

    name = "queue"
    title = "Queue"
    access = Access.API
    capabilities = Capabilities(fields=frozenset({"title", "makers"}))

    def __init__(self, *, ask: str | None = None, ready: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.ask, self.ready = ask, ready
        self.submitted = 0
        self.resumed: list[tuple[Mapping[str, JsonValue], str | None]] = []

    async def search(self, query: ObjectDescription, *, limit: int) -> Sequence[Record]:
        self.submitted += 1
        raise SearchPending("queue: in review", handle={"ticket": "T-1"}, question=self.ask)

    async def resume(
        self, handle: Mapping[str, JsonValue], *, limit: int, reply: str | None = None
    ) -> Sequence[Record]:
        self.resumed.append((handle, reply))
        if self.ask and not reply:
            raise SearchPending("queue: waiting for you", handle=dict(handle), question=self.ask)
        if not self.ready:
            raise SearchPending("queue: still in review", handle=dict(handle))
        return [Record(registry="queue", record_id="Q1", description=ObjectDescription(**ACORN))]


def pending_report(queue: Queue) -> CheckReport:
    memory = MemoryRegistry([{"description": {"title": "Harbour"}}])
    report = check(ACORN, [memory, queue])
    assert report.outcome("queue").state is OutcomeState.PENDING
    assert report.conclusion is Conclusion.INCOMPLETE
    return report


def test_only_pending_searches_are_taken_up_and_the_new_report_names_the_old() -> None:
    queue = Queue()
    first = pending_report(queue)
    queue.ready = True
    second = resume(first, [queue])
    assert queue.submitted == 1, "resuming submitted the search again"
    assert queue.resumed == [({"ticket": "T-1"}, None)]
    assert second.outcome("memory") == first.outcome("memory")  # kept exactly
    assert second.outcome("queue").state is OutcomeState.SEARCHED
    assert second.conclusion is Conclusion.POSSIBLE_MATCH
    assert second.resumes == first.digest
    assert second.query == first.query
    assert second.report_id != first.report_id


def test_a_search_still_pending_stays_pending() -> None:
    queue = Queue()
    second = resume(pending_report(queue), [queue])
    assert second.outcome("queue").state is OutcomeState.PENDING
    assert second.conclusion is Conclusion.INCOMPLETE


def test_a_question_is_kept_and_the_reply_goes_to_the_register() -> None:
    queue = Queue(ask="Please send the measurements.", ready=True)
    first = pending_report(queue)
    pending = first.outcome("queue").pending
    assert pending is not None and pending.question == "Please send the measurements."
    assert resume(first, [queue]).outcome("queue").state is OutcomeState.PENDING
    answered = resume(first, [queue], reply="61 cm high")
    assert queue.resumed[-1] == ({"ticket": "T-1"}, "61 cm high")
    assert answered.outcome("queue").state is OutcomeState.SEARCHED
    assert answered.reply == "61 cm high"  # the record shows what was told to the register


def test_a_report_without_pending_searches_or_changed_is_refused(tmp_path: Path) -> None:
    done = check(ACORN, [MemoryRegistry([])])
    with pytest.raises(InputError, match="no pending searches"):
        resume(done)
    queue = Queue()
    data = json.loads(pending_report(queue).to_json())
    data["outcomes"][1]["pending"]["handle"]["ticket"] = "T-999"  # someone else's search
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(data))
    with pytest.raises(InputError, match="changed after it was written"):
        resume(changed, [queue])
    assert queue.resumed == []


def test_a_register_that_cannot_resume_is_skipped_not_searched() -> None:
    queue = Queue()
    first = pending_report(queue)

    class Forgetful(MemoryRegistry):
        name = "queue"

    second = resume(first, [Forgetful([])])
    outcome = second.outcome("queue")
    assert outcome.state is OutcomeState.SKIPPED
    assert second.conclusion is Conclusion.INCOMPLETE


def test_the_cli_refuses_a_report_with_nothing_pending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    report.write_text(check(ACORN, [MemoryRegistry([])]).to_json())
    assert main(["resume", str(report)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("provcheck: error: report ") and "no pending searches" in err
    assert main(["resume", str(tmp_path / "missing.json")]) == 2
    assert "no such report file" in capsys.readouterr().err
