"""With no service address set, the ALR is searched by a person: a check prepares the paid
search for them to submit, instead of failing on an incomplete configuration."""

from __future__ import annotations

import asyncio

import pytest
from provcheck_alr import AlrRegistry

import provcheck
from provcheck import ConfigurationError, OutcomeState


@pytest.fixture(autouse=True)
def _no_service(monkeypatch: pytest.MonkeyPatch) -> None:
    for option in ("BASE_URL", "API_KEY", "CURRENT_OWNER", "COLLECTION_TYPE"):
        monkeypatch.delenv(f"PROVCHECK_ALR_{option}", raising=False)


def test_without_a_service_the_search_is_prepared_for_a_person() -> None:
    query = {"title": "Acorn", "maker": "Tiffany Studios", "measurements": "61 cm high"}
    report = provcheck.check(query, [AlrRegistry(current_owner="Example Gallery Ltd")])
    outcome = report.outcome("alr")
    assert outcome.state is OutcomeState.REFERRAL and outcome.referral is not None
    assert report.conclusion == "incomplete"
    fields = outcome.referral.fields
    assert fields["Title"] == "Acorn" and fields["Dimensions"] == "61 cm high"
    assert fields["Current owner"] == "Example Gallery Ltd"
    assert fields["Type of collection"] == "[to fill in: required]"
    assert "artloss.com" in (outcome.referral.send_to or "")
    assert "fee per search" in (outcome.referral.fee or "")


def test_a_service_address_still_needs_its_key() -> None:
    with pytest.raises(ConfigurationError, match=r"api_key.*PROVCHECK_ALR_API_KEY"):
        AlrRegistry(base_url="https://alr.example.org")


def test_a_pending_search_without_a_service_address_says_what_to_set() -> None:
    # Submitted to a service earlier, resumed after its address was unset: one clear line, not
    # an unreachable "UnsupportedProtocol" left pending forever.
    with pytest.raises(ConfigurationError, match="PROVCHECK_ALR_BASE_URL"):
        asyncio.run(AlrRegistry().resume({"search_id": "S-000001"}, limit=5))
