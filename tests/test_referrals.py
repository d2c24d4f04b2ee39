"""Registers searched by a person: the prepared referral in a check's report and page, the
person's answer recorded in the case (and what the conclusion then says), and how
`provcheck registries` says each register is reached and how fresh its data is."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

import pytest
from conftest import image_bytes

from provcheck import (
    Access,
    Capabilities,
    InputError,
    LocalStore,
    ObjectDescription,
    Record,
    Registry,
    check,
    verify_report,
)
from provcheck.cases import MATCH_NAMED_BY_A_PERSON, CaseFile, EntryKind
from provcheck.cli import main
from provcheck.model.outcome import Referral, ReferralOutcome
from provcheck.registers.discovery import BY_A_PERSON, MirrorInfo, registry_statuses
from provcheck.reports.signing import SigningKey
from provcheck.store.interface import MirrorState

referrals = pytest.importorskip("provcheck_referrals")

DESCRIPTION = {
    "object_type": "painting",
    "title": "The Horsewoman",
    "maker": "Karl Bryullov",
    "materials": "oil on canvas",
    "measurements": "291.5 x 206 cm",
    "inscriptions": "signed lower right",
}


class MirrorableRegistry(Registry):
    """A register with bulk access: it can be mirrored into the local store."""

    name = "mirrored"
    title = "A register that can be mirrored"
    access = Access.API
    capabilities = Capabilities(fields=frozenset({"title"}))

    async def search(self, query: ObjectDescription, *, limit: int) -> list[Record]:
        return []

    async def iter_records(self, *, since: datetime | None = None) -> AsyncIterator[Record]:
        records: tuple[Record, ...] = ()  # holds nothing: only that it can be mirrored counts
        for record in records:
            yield record


@pytest.fixture
def query(tmp_path: Path) -> ObjectDescription:
    photograph = tmp_path / "front.png"
    photograph.write_bytes(image_bytes())
    return ObjectDescription.model_validate({**DESCRIPTION, "images": [str(photograph)]})


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "store.sqlite3")


def _case_with_check(store: LocalStore, query: ObjectDescription, *registries: str) -> str:
    cases = CaseFile(store)
    case_id = cases.new("Bryullov, The Horsewoman").case_id
    chosen = [getattr(referrals, f"{name.capitalize()}Registry")() for name in registries]
    cases.add_check(case_id, check(query, chosen))
    return case_id


def _latest_report(store: LocalStore, case_id: str) -> object:
    entry = [e for e in CaseFile(store).entries(case_id) if e.kind is EntryKind.CHECK][-1]
    return entry.data["report"]


# --- the prepared referral -------------------------------------------------------------------


def test_a_check_of_interpol_is_incomplete_with_the_request_prepared(
    query: ObjectDescription,
) -> None:
    report = check(query, [referrals.InterpolRegistry()])
    assert report.conclusion == "incomplete"
    outcome = report.outcome("interpol")
    assert isinstance(outcome, ReferralOutcome)
    referral = outcome.referral
    assert referral.fields["Title"] == "The Horsewoman"
    assert referral.fields["Measurements"] == "291.5 x 206 cm"
    assert referral.fields["Inscriptions and markings"] == "signed lower right"
    assert referral.attachments == ("front.png",)
    assert "interpol.int" in (referral.send_to or "") and referral.fee
    assert "The Horsewoman" in referral.request and "front.png" in referral.request
    assert "check before sending" in referral.instructions
    # The JSON report keeps it whole, and verifies.
    data = json.loads(report.to_json())
    assert data["outcomes"][0]["referral"]["fields"]["Maker"] == "Karl Bryullov"
    assert verify_report(data)


def test_the_page_shows_the_referral_ready_to_print(query: ObjectDescription) -> None:
    page = check(query, [referrals.CarabinieriRegistry()]).to_html()
    assert "Prepared request" in page
    assert "Send to" in page and "carabinieri.it" in page and "Fee" in page
    assert "Titolo (title)" in page and "The Horsewoman" in page
    assert "<li>front.png</li>" in page


def test_a_referral_without_structured_fields_keeps_the_json_of_earlier_reports() -> None:
    plain = Referral(instructions="write to them", request="the request")
    assert plain.model_dump(mode="json") == {
        "instructions": "write to them",
        "request": "the request",
    }


def test_the_terminal_shows_where_the_fee_the_form_and_the_photographs(
    query: ObjectDescription,
) -> None:
    from provcheck.reports.terminal import render_report

    text = render_report(check(query, [referrals.ArtiveRegistry()]))
    assert "send to: Artive" in text and "fee: " in text
    assert (
        "form: Dimensions: 291.5 x 206 cm" in text
        and "form: Type of ownership: [to fill in]" in text
    )
    assert "attach: front.png" in text


# --- recording the answer --------------------------------------------------------------------


def test_an_answer_recorded_makes_interpol_searched_and_the_check_conclude(
    store: LocalStore, query: ObjectDescription, tmp_path: Path
) -> None:
    case_id = _case_with_check(store, query, "interpol")
    earlier = _latest_report(store, case_id)
    answer = tmp_path / "answer.pdf"
    answer.write_bytes(b"%PDF-1.4 no trace")
    recorded, checked = CaseFile(store).record_referral(
        case_id, "interpol", "no trace", attachment=answer, by="J. Registrar"
    )
    assert recorded.kind is EntryKind.RECORD and recorded.attachment is not None
    assert checked.kind is EntryKind.CHECK and checked.sequence == recorded.sequence + 1
    report = _latest_report(store, case_id)
    assert isinstance(report, dict) and isinstance(earlier, dict)
    assert verify_report(report)
    assert report["conclusion"] == "no-match-found"
    assert report["resumes"] == earlier["digest"]
    outcome = report["outcomes"][0]
    assert outcome["state"] == "searched"
    answered = outcome["documents"]["answer"]
    assert answered["result"] == "no trace" and answered["found"] is False
    assert answered["recorded_by"] == "J. Registrar" and answered["entry"] == recorded.sequence
    assert answered["attachment"]["sha256"] == hashlib.sha256(answer.read_bytes()).hexdigest()
    assert outcome["documents"]["referral"]["fields"]["Title"] == "The Horsewoman"
    assert CaseFile(store).verify(case_id).ok


def test_a_register_still_waiting_keeps_the_check_incomplete(
    store: LocalStore, query: ObjectDescription
) -> None:
    case_id = _case_with_check(store, query, "interpol", "carabinieri")
    CaseFile(store).record_referral(case_id, "interpol", "no trace")
    report = _latest_report(store, case_id)
    assert isinstance(report, dict)
    assert report["conclusion"] == "incomplete"
    states = {o["registry"]: o["state"] for o in report["outcomes"]}
    assert states == {"interpol": "searched", "carabinieri": "referral"}
    CaseFile(store).record_referral(case_id, "carabinieri", "nessun riscontro")
    assert _latest_report(store, case_id)["conclusion"] == "no-match-found"  # type: ignore[index]


def test_an_answer_that_names_a_match_is_never_no_match_found(
    store: LocalStore, query: ObjectDescription
) -> None:
    case_id = _case_with_check(store, query, "interpol", "carabinieri")
    cases = CaseFile(store)
    cases.record_referral(case_id, "interpol", "possible match: file 2019/123", found=True)
    cases.record_referral(case_id, "carabinieri", "nessun riscontro")  # all searched now
    report = _latest_report(store, case_id)
    assert isinstance(report, dict)
    assert report["conclusion"] == "possible-match"
    named = [lim for lim in report["limitations"] if lim["kind"] == MATCH_NAMED_BY_A_PERSON]
    assert named and "file 2019/123" in named[0]["message"]


def test_an_answer_for_no_waiting_referral_is_refused(
    store: LocalStore, query: ObjectDescription
) -> None:
    cases = CaseFile(store)
    empty = cases.new("nothing checked yet").case_id
    with pytest.raises(InputError, match="has no check yet"):
        cases.record_referral(empty, "interpol", "no trace")
    case_id = _case_with_check(store, query, "interpol")
    with pytest.raises(
        InputError, match=r"no referral to 'artive'.*waiting for an answer: interpol"
    ):
        cases.record_referral(case_id, "artive", "no trace")
    cases.record_referral(case_id, "interpol", "no trace")
    with pytest.raises(InputError, match="no referral to 'interpol'"):  # answered already
        cases.record_referral(case_id, "interpol", "no trace")


def test_in_a_signed_case_the_answer_and_the_new_report_are_signed(
    store: LocalStore, query: ObjectDescription
) -> None:
    key = SigningKey.generate("Musée Exemple, registrar")
    cases = CaseFile(store, key=key)
    case_id = cases.new("signed").case_id
    cases.add_check(case_id, check(query, [referrals.InterpolRegistry()]))
    recorded, checked = cases.record_referral(case_id, "interpol", "no trace")
    assert recorded.signature is not None and checked.signature is not None
    report = _latest_report(store, case_id)
    assert isinstance(report, dict) and report["signature"]["signer"] == "Musée Exemple, registrar"
    assert report["outcomes"][0]["documents"]["answer"]["recorded_by"] == key.signer
    assert verify_report(report).signature_ok
    verification = cases.verify(case_id)
    assert verification.ok and verification.signed_entries == 4


def test_case_record_referral_on_the_command_line(
    capsys: pytest.CaptureFixture[str],
    entry_points: Callable[..., None],
    tmp_path: Path,
) -> None:
    entry_points(interpol="provcheck_referrals:InterpolRegistry")
    store = str(tmp_path / "cli.sqlite3")
    assert main(["case", "new", "The Horsewoman", "--store", store]) == 0
    case_id = capsys.readouterr().out.split()[2].rstrip(":")
    argv = ["check", "--title", "The Horsewoman", "--maker", "Bryullov", "--registry", "interpol"]
    assert main([*argv, "--measurements", "291 x 206 cm", "--case", case_id, "--store", store]) == 3
    out = capsys.readouterr().out
    assert "interpol" in out and "referral" in out and "form: Title: The Horsewoman" in out
    answer = tmp_path / "answer.pdf"
    answer.write_bytes(b"no trace")
    record = ["case", "record", case_id, "--referral", "interpol", "--result", "no trace"]
    assert main([*record, "--attach", str(answer), "--store", store]) == 0
    out = capsys.readouterr().out
    assert "no-match-found" in out and "interpol now counts as searched" in out
    assert main(["case", "record", case_id, "text", "--found", "--store", store]) == 2
    assert "go with --referral" in capsys.readouterr().err
    assert main(["case", "record", case_id, "--referral", "interpol", "--store", store]) == 2
    assert "--result" in capsys.readouterr().err


# --- how each register is reached, how fresh its data is -------------------------------------


def test_registries_say_how_each_is_reached_and_how_fresh(
    entry_points: Callable[..., None],
) -> None:
    entry_points(
        interpol="provcheck_referrals:InterpolRegistry",
        memory="sample_registries:MemoryRegistry",
        mirrored="test_referrals:MirrorableRegistry",
    )
    statuses = {
        s.name: s
        for s in registry_statuses({"mirrored": MirrorInfo("2026-11-30T10:00:00+00:00", 4523)})
    }
    assert statuses["interpol"].reached == BY_A_PERSON
    assert statuses["interpol"].as_json()["freshness"] == "as of the answer a person records"
    assert statuses["memory"].reached == "local store"
    mirrored = statuses["mirrored"]
    assert mirrored.mirrorable and mirrored.freshness == "mirrored 2026-11-30, 4,523 records"
    assert mirrored.as_json()["mirror"] == {
        "synced_at": "2026-11-30T10:00:00+00:00",
        "records": 4523,
    }
    assert registry_statuses()[2].freshness == "not mirrored"


def test_the_registries_command_reads_the_mirror_from_the_store(
    capsys: pytest.CaptureFixture[str], entry_points: Callable[..., None], tmp_path: Path
) -> None:
    entry_points(mirrored="test_referrals:MirrorableRegistry")
    path = tmp_path / "mirrors.sqlite3"
    with LocalStore(path) as store:
        store.set_mirror_state("mirrored", MirrorState(synced_at="2026-11-30T10:00:00+00:00"))
    assert main(["registries", "--store", str(path)]) == 0
    assert "data: mirrored 2026-11-30, 0 records" in capsys.readouterr().out
    assert main(["registries", "--json", "--store", str(tmp_path / "none.sqlite3")]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["reached"] == "live API; mirrorable" and row["mirror"] is None
    assert not (tmp_path / "none.sqlite3").exists()  # listing registers makes no store
