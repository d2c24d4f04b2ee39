"""provcheck's conformance suite for registers searched by a person, run against each plugin."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from provcheck_referrals import ArtiveRegistry, CarabinieriRegistry, InterpolRegistry

from provcheck import ImageRef, ObjectDescription, Registry
from provcheck.testing import ReferralConformance

DESCRIPTION = {
    "object_type": "painting",
    "title": "The Horsewoman",
    "maker": "Karl Bryullov",
    "materials": "oil on canvas",
    "measurements": "291.5 x 206 cm",
    "period": "1832",
    "inscriptions": "signed lower right",
    "distinguishing_features": "a repaired tear in the lower left corner",
}


class _WithQuery:
    @pytest.fixture
    def query(self, tmp_path: Path) -> ObjectDescription:
        # A photograph as a file (a check reads it); none by address: no test reaches the network.
        photograph = tmp_path / "front.jpg"
        Image.new("RGB", (64, 48), (120, 80, 40)).save(photograph)
        return ObjectDescription(**DESCRIPTION, images=(ImageRef(path=str(photograph)),))


class TestInterpol(_WithQuery, ReferralConformance):
    @pytest.fixture
    def registry_factory(self) -> Callable[[], Registry]:
        return InterpolRegistry


class TestCarabinieri(_WithQuery, ReferralConformance):
    @pytest.fixture
    def registry_factory(self) -> Callable[[], Registry]:
        return CarabinieriRegistry


class TestArtive(_WithQuery, ReferralConformance):
    @pytest.fixture
    def registry_factory(self) -> Callable[[], Registry]:
        return lambda: ArtiveRegistry(ownership_type="Art Market/Art Trade")
