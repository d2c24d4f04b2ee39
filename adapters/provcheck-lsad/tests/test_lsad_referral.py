"""With no service address set, the London Stolen Arts Database is asked by a person: a check
prepares the request to the Art & Antiques Unit, instead of failing on an incomplete
configuration."""

from __future__ import annotations

import pytest
from provcheck_lsad import LsadRegistry

import provcheck
from provcheck import ConfigurationError, OutcomeState


@pytest.fixture(autouse=True)
def _no_service(monkeypatch: pytest.MonkeyPatch) -> None:
    for option in ("BASE_URL", "CLIENT_ID", "CLIENT_SECRET", "REQUESTER_NAME", "REQUESTER_EMAIL"):
        monkeypatch.delenv(f"PROVCHECK_LSAD_{option}", raising=False)


def test_without_a_service_the_request_is_prepared_for_a_person() -> None:
    registry = LsadRegistry(requester_name="A. Registrar")
    report = provcheck.check({"title": "Acorn", "maker": "Tiffany Studios"}, [registry])
    outcome = report.outcome("lsad")
    assert outcome.state is OutcomeState.REFERRAL and outcome.referral is not None
    assert report.conclusion == "incomplete"
    fields = outcome.referral.fields
    assert fields["Requester"] == "A. Registrar" and fields["Reply to"] == "[to fill in]"
    assert fields["Title"] == "Acorn" and fields["Maker"] == "Tiffany Studios"
    assert "Art & Antiques Unit" in outcome.referral.request
    assert "met.police.uk" in (outcome.referral.send_to or "")


def test_a_service_address_still_needs_the_client_and_requester() -> None:
    with pytest.raises(ConfigurationError, match=r"client_id.*PROVCHECK_LSAD_CLIENT_ID"):
        LsadRegistry(base_url="https://lsad.example.org")
