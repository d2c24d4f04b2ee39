from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from provcheck import (
    Access,
    Band,
    Candidate,
    CheckReport,
    Conclusion,
    Evidence,
    ImageRef,
    ObjectDescription,
    OutcomeError,
    OutcomeState,
    PendingSearch,
    Record,
    RecordStatus,
    Referral,
    RegistryOutcome,
)


def full_description() -> ObjectDescription:
    return ObjectDescription(
        images=[
            ImageRef(path="photos/front.jpg", caption="front"),
            b"\x89PNG\r\n",
            "https://x.org/a.jpg",
        ],
        object_type="lighting > table lamp",
        measurements="H. 24 in; 3 lb 4 oz",
        materials="Metal; copper; stained glass",
        inscriptions='Signed "LCT" on the base',
        period="c. 1906",
        maker="attributed to Tiffany Studios; New York, USA",
        subject="acorns",
        title="Acorn",
        distinguishing_features="dent on the shade rim",
        description="Green leaded glass lamp",
        inventory_number="INV-0042",
        place_of_origin="New York",
        keywords="lamp; green; Tiffany",
    )


def test_free_text_is_parsed_and_kept() -> None:
    d = full_description()
    assert d.measurements_text == "H. 24 in; 3 lb 4 oz"
    assert [m.value for m in d.measurements] == [24, 3.25]
    assert d.period is not None and (d.period.earliest, d.period.circa) == (1906, True)
    assert d.maker_text == "attributed to Tiffany Studios; New York, USA"
    assert d.makers[0].name == "Tiffany Studios"
    assert d.makers[1].role == "place"
    assert d.keywords == ("lamp", "green", "Tiffany")
    assert [i.path or i.url or "bytes" for i in d.images] == [
        "photos/front.jpg",
        "bytes",
        "https://x.org/a.jpg",
    ]


def test_description_json_round_trip_is_exact() -> None:
    d = full_description()
    again = ObjectDescription.model_validate_json(d.model_dump_json())
    assert again == d
    assert again.model_dump_json() == d.model_dump_json()
    assert again.images[1].data == b"\x89PNG\r\n"


def test_models_are_frozen() -> None:
    d = ObjectDescription(title="Acorn")
    with pytest.raises(ValidationError):
        d.title = "Oak"  # type: ignore[misc]


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="titel"):
        ObjectDescription(titel="Acorn")  # type: ignore[call-arg]


def test_empty_strings_are_absent() -> None:
    d = ObjectDescription(title="  ", materials="", measurements="", maker="")
    assert d.is_empty
    assert d.given_fields() == frozenset()


def test_image_needs_exactly_one_source() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        ImageRef()
    with pytest.raises(ValidationError, match="exactly one"):
        ImageRef(path="a.jpg", url="https://x.org/a.jpg")
    assert "xxxxxxxx" not in repr(ImageRef(data=b"x" * 10_000)), (
        "inline bytes must not flood a repr"
    )


def test_maker_and_makers_cannot_both_be_given() -> None:
    with pytest.raises(ValidationError, match="either maker"):
        ObjectDescription(maker="Tiffany", makers=[])


def test_record_keeps_the_raw_payload_whole() -> None:
    raw = {
        "uid": "534f",
        "images": [{"thumb": "t", "caption": ""}],
        "isStealth": False,
        "maker": None,
        "n": 1.5,
    }
    record = Record(
        registry="fbi",
        record_id="534f",
        status=RecordStatus.STOLEN,
        raw=raw,
        description=full_description(),
    )
    again = Record.model_validate_json(record.model_dump_json())
    assert again == record
    assert again.raw == raw
    assert record.key == "fbi:534f"


def sample_report() -> CheckReport:
    record = Record(registry="memory", record_id="1", description=ObjectDescription(title="Acorn"))
    evidence = Evidence(
        field="title",
        query_value="Acorn",
        record_value="Acorn",
        similarity=1.0,
        weight=3,
        reason="same",
    )
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    outcomes = (
        RegistryOutcome(
            registry="memory",
            title="Memory",
            access=Access.LOCAL,
            state=OutcomeState.SEARCHED,
            candidates=(
                Candidate(record=record, score=0.75, band=Band.POSSIBLE, evidence=(evidence,)),
            ),
            started_at=now,
            duration_s=0.01,
        ),
        RegistryOutcome(
            registry="down",
            title="Down",
            access=Access.API,
            state=OutcomeState.FAILED,
            error=OutcomeError(kind="timeout", message="no answer within 1 s"),
            started_at=now,
            duration_s=1.0,
        ),
        RegistryOutcome(
            registry="later",
            title="Later",
            access=Access.API,
            state=OutcomeState.PENDING,
            pending=PendingSearch(message="in review", handle={"search_id": "S-1"}),
            started_at=now,
            duration_s=0.2,
        ),
        RegistryOutcome(
            registry="police",
            title="Police",
            access=Access.REFERRAL,
            state=OutcomeState.REFERRAL,
            referral=Referral(instructions="email the unit", request="Dear ..."),
            started_at=now,
            duration_s=0.0,
        ),
    )
    return CheckReport(
        report_id="r-1",
        created_at=now,
        query=full_description(),
        conclusion=Conclusion.POSSIBLE_MATCH,
        match_threshold=0.6,
        outcomes=outcomes,
        versions={"provcheck": "0.1.0"},
    ).sealed()


def test_report_json_round_trip_is_exact() -> None:
    report = sample_report()
    text = report.model_dump_json()
    again = CheckReport.model_validate_json(text)
    assert again == report
    assert again.model_dump_json() == text
    assert report.digest.startswith("sha256:")


def test_report_json_has_the_contract_fields() -> None:
    import json

    data = json.loads(sample_report().to_json())
    assert data["conclusion"] == "possible-match"
    for outcome in data["outcomes"]:
        assert {"registry", "access", "state", "error", "candidates"} <= set(outcome)
    candidate = data["outcomes"][0]["candidates"][0]
    assert {"record", "score", "band", "evidence"} <= set(candidate)
    assert {"registry", "record_id"} <= set(candidate["record"])
    assert {"created_at", "versions", "digest"} <= set(data)


def test_each_outcome_is_of_the_class_its_state_names() -> None:
    from provcheck.model.outcome import (
        FailedOutcome,
        PendingOutcome,
        ReferralOutcome,
        SearchedOutcome,
    )

    report = sample_report()  # built from the general RegistryOutcome
    kinds = [type(o) for o in report.outcomes]
    assert kinds == [SearchedOutcome, FailedOutcome, PendingOutcome, ReferralOutcome]
    again = CheckReport.model_validate_json(report.to_json())
    assert [type(o) for o in again.outcomes] == kinds
    failed = again.outcomes[1]
    assert isinstance(failed, FailedOutcome) and failed.error.kind == "timeout"
    assert again.digest == report.digest  # the JSON, and so the digest, did not change


@pytest.mark.parametrize(
    ("state", "details", "problem"),
    [
        (OutcomeState.FAILED, {}, "a failed outcome lacks `error`"),
        (OutcomeState.SEARCHED, {"error": OutcomeError(kind="x", message="y")}, "has `error`"),
        (OutcomeState.PENDING, {}, "a pending outcome lacks `pending`"),
        (OutcomeState.REFERRAL, {}, "a referral outcome lacks `referral`"),
        (OutcomeState.SKIPPED, {}, "a skipped outcome says why"),
        (
            OutcomeState.SEARCHED,
            {"pending": PendingSearch(message="later", handle={"id": "1"})},
            "a searched outcome has `pending`",
        ),
    ],
)
def test_an_outcome_carries_its_states_details_and_no_other(
    state: OutcomeState, details: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        RegistryOutcome(
            registry="r",
            title="R",
            access=Access.API,
            state=state,
            started_at=datetime(2026, 11, 25, tzinfo=UTC),
            duration_s=0.0,
            **details,  # type: ignore[arg-type]
        )


def test_a_status_keeps_its_value_and_reads_in_a_registrars_words() -> None:
    # The values are what reports serialise and sign: the old ones never change.
    old = ["stolen", "missing", "looted", "illegally-exported", "recovered", "unknown"]
    assert set(old) < {status.value for status in RecordStatus}
    assert all(status.label for status in RecordStatus)
    assert RecordStatus.STOLEN.label == "stolen"
    assert RecordStatus.SOUGHT.label == "sought (loss report)"
    assert RecordStatus.FOUND.label == "found; earlier owners may claim it (find report)"
    assert RecordStatus.RESTITUTED.label == "restituted to its owners"


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("Suchmeldung", RecordStatus.SOUGHT),
        ("sought", RecordStatus.SOUGHT),
        ("loss report", RecordStatus.SOUGHT),
        ("Fundmeldung", RecordStatus.FOUND),
        (" FOUND ", RecordStatus.FOUND),
        ("restituted", RecordStatus.RESTITUTED),
        ("Restitution", RecordStatus.RESTITUTED),
        ("restituiert", RecordStatus.RESTITUTED),
        ("gestohlen", RecordStatus.STOLEN),
        ("illegally  exported", RecordStatus.ILLEGALLY_EXPORTED),
        ("recovered", RecordStatus.RECOVERED),
        ("confiscated", RecordStatus.UNKNOWN),
    ],
)
def test_a_registers_status_word_is_read(word: str, status: RecordStatus) -> None:
    assert RecordStatus.parse(word) is status


def test_a_record_takes_a_known_word_and_refuses_an_unknown_one() -> None:
    assert (
        Record(registry="lostart", record_id="1", status="Fundmeldung").status is RecordStatus.FOUND
    )
    with pytest.raises(ValidationError):
        Record(registry="lostart", record_id="1", status="confiscated")


def test_a_found_object_is_still_a_possible_match_shown_in_a_registrars_words() -> None:
    # A find report is no theft, but earlier owners may claim the object: the matcher and the
    # conclusion do not look at the status, so it is a candidate like any other.
    from sample_registries import MemoryRegistry

    from provcheck import check
    from provcheck.reports.html import render_report as render_html_report
    from provcheck.reports.terminal import render_report

    acorn = {"title": "Acorn table lamp", "maker": "Tiffany Studios"}
    register = MemoryRegistry([{"status": "found", "description": acorn}])
    report = check(acorn, [register])
    assert report.conclusion is Conclusion.POSSIBLE_MATCH
    assert report.candidates[0].record.status is RecordStatus.FOUND
    label = "[found; earlier owners may claim it (find report)]"
    assert label in render_report(report)
    assert label in render_html_report(report)
    assert '"status":"found"' in report.model_dump_json()  # the value, not the label


def test_the_written_fields_are_the_ones_text_fields_gives_in_order() -> None:
    from provcheck.model.description import TEXT_FIELDS

    every = dict.fromkeys(TEXT_FIELDS, "1")
    described = ObjectDescription.model_validate({**every, "keywords": "a"})
    assert tuple(described.text_fields()) == TEXT_FIELDS
