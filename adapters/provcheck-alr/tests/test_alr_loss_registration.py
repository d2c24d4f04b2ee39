"""An owner's loss registered with the ALR mock: the fee, the number, the same registration on a
repeat, the refusals -- and a later search for the object finds it on the register."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from provcheck_alr import AlrRegistry
from provcheck_alr.service import AlrService, create_mock

from provcheck import LossReport, ObjectDescription, Record, SubmissionState
from provcheck.mocks import in_process
from provcheck.testing import ManualClock

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
PHOTO = FIXTURES / "sample-register" / "images" / "dph-girl-in-white.jpg"


def _loss(police_reference: str | None = "CR 4521/26") -> LossReport:
    record = Record(
        registry="local",
        record_id="INV-77",
        status="stolen",
        description=ObjectDescription(
            title="Girl in White",
            maker="Vincent van Gogh",
            period="1890",
            measurements="66.7 x 45.8 cm",
            images=[str(PHOTO)],
        ),
        date_of_loss="2026-11-28",
        place_of_loss="Bologna, Italy",
    )
    return LossReport(
        record=record,
        police_reference=police_reference,
        reported_by="Museo Example",
        contact="registrar@example.org",
        reported_at=datetime.now(UTC),
    )


def _alr(clock: ManualClock, **options: str) -> tuple[AlrRegistry, AlrService]:
    mock = create_mock(
        None, {"review_seconds": "10", "min_poll_interval": "0", **options}, clock=clock
    )
    assert isinstance(mock.state, AlrService)
    settings = {**mock.client_settings, "poll_interval": 0.01, "deadline": 0.05}
    return AlrRegistry(transport=in_process(mock.app), **settings), mock.state


@pytest.mark.anyio
async def test_a_loss_is_registered_with_a_number_and_then_found_by_searches() -> None:
    clock = ManualClock()
    alr, service = _alr(clock)
    first = await alr.report_loss(_loss())
    # Staff have not checked it yet: received, with the registration's id and the fee.
    assert first.state == SubmissionState.SUBMITTED
    assert first.reference is not None and first.reference.startswith("L-")
    assert first.fee == "GBP 15.00"
    clock.now = 11
    second = await alr.report_loss(_loss())  # the same report again: the same registration
    assert second.state == SubmissionState.REGISTERED
    assert second.reference is not None and second.reference.startswith("ALR-R")
    assert len(service.registrations) == 1
    assert service.credit == 99  # one fee, however often it is sent
    # On the register now: a dealer's search for the painting finds it.
    search = await alr.submit(
        ObjectDescription(title="Girl in White", maker="van Gogh", images=[str(PHOTO)])
    )
    clock.now = 30  # the staff's review
    found = await alr.wait_for(search, limit=5)
    assert second.reference in [record.record_id for record in found]
    await alr.aclose()


@pytest.mark.anyio
async def test_a_theft_without_a_crime_reference_is_refused_and_costs_nothing() -> None:
    alr, service = _alr(ManualClock())
    refused = await alr.report_loss(_loss(police_reference=None))
    assert refused.state == SubmissionState.REFUSED
    assert "police_reference" in refused.message and "report it to the police" in refused.message
    assert service.credit == 100 and not service.registrations
    await alr.aclose()


@pytest.mark.anyio
async def test_no_credit_for_the_fee_is_a_refusal_that_says_so() -> None:
    alr, _ = _alr(ManualClock(), credit="0")
    refused = await alr.report_loss(_loss())
    assert refused.state == SubmissionState.REFUSED
    assert "registration fee" in refused.message
    await alr.aclose()


@pytest.mark.anyio
async def test_without_a_service_the_registration_is_prepared_for_a_person() -> None:
    alr = AlrRegistry()
    prepared = await alr.report_loss(_loss(police_reference=None))
    assert prepared.state == SubmissionState.PREPARED
    assert prepared.document is not None
    fields = prepared.document.fields
    assert fields["Title"] == "Girl in White"
    assert fields["Police crime reference"] == "[to fill in: required]"
    assert prepared.document.attachments == ("dph-girl-in-white.jpg",)
    assert "Girl in White" in prepared.document.text()
