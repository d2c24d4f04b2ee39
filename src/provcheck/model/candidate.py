"""A register's record judged against the query: a score, a band, and the evidence for both."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from provcheck.model.display import as_html
from provcheck.model.record import Record

__all__ = ["CONTRADICTION", "Band", "Candidate", "Evidence", "PhotographRegion"]

# Below this similarity a field's evidence reads, and counts, as a contradiction.
CONTRADICTION = 0.3


class Band(StrEnum):
    """How a person should read a score: look now (strong), look (possible), or hardly (weak)."""

    STRONG = "strong"
    POSSIBLE = "possible"
    WEAK = "weak"


class PhotographRegion(BaseModel):
    """The part of one of the record's photographs that the query's photograph shows (a
    detail): its edges as shares of that photograph's width and height, from the top left."""

    model_config = ConfigDict(frozen=True)

    record_photograph: int = Field(ge=0)  # which of the record's photographs, from 0
    left: float = Field(ge=0.0, le=1.0)
    top: float = Field(ge=0.0, le=1.0)
    right: float = Field(ge=0.0, le=1.0)
    bottom: float = Field(ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _edges_in_order(self) -> PhotographRegion:
        if self.left > self.right or self.top > self.bottom:
            raise ValueError("a region's left and top edges must not pass its right and bottom")
        return self


class Evidence(BaseModel):
    """One field compared: both values as written, how alike they are, and why.

    `similarity` is None when either side said nothing: absence is not disagreement.
    `weight` is how much this field counts towards the score.
    """

    model_config = ConfigDict(frozen=True)

    field: str
    query_value: str | None
    record_value: str | None
    similarity: float | None = Field(ge=0.0, le=1.0)
    weight: float = Field(ge=0.0)
    reason: str
    # For photographs: where in the record's photograph a detail shown by the query's lies.
    # Left out of a report without one, so that reports made before it keep their digests.
    region: PhotographRegion | None = Field(default=None, exclude_if=lambda value: value is None)


class Candidate(BaseModel):
    """A record that may be the object being checked."""

    model_config = ConfigDict(frozen=True)

    record: Record
    score: float = Field(ge=0.0, le=1.0)
    band: Band
    evidence: tuple[Evidence, ...] = ()
    # The same object as recorded elsewhere in this register's results (its listing imported
    # from a file, and its mirror; `registry:record_id` keys), judged with it: this candidate is
    # the best-scoring of them. Left out of the JSON when empty, so that a report written before
    # the field existed keeps its digest.
    also_recorded_as: tuple[str, ...] = Field(default=(), exclude_if=lambda keys: not keys)
    # Other candidates of this register that may be ANOTHER object of its series, set or theft,
    # or a record of it that could not be merged (`model.siblings.mark_alike`), best first, and
    # the sentence that says why. Left out of the JSON when empty, as `also_recorded_as` is.
    alike: tuple[str, ...] = Field(default=(), exclude_if=lambda keys: not keys)
    alike_reason: str = Field(default="", exclude_if=lambda reason: not reason)

    def _repr_html_(self) -> str:
        return as_html(self, fragment=True)

    def top_reasons(self, count: int = 3) -> list[str]:
        """The reasons of the fields that counted most for it, then the strongest against it."""
        compared = [e for e in self.evidence if e.similarity is not None]
        supporting = sorted(compared, key=lambda e: e.weight * (e.similarity or 0.0), reverse=True)
        reasons = [e.reason for e in supporting[:count] if (e.similarity or 0.0) >= CONTRADICTION]
        against = [e for e in compared if (e.similarity or 0.0) < CONTRADICTION]
        if against:
            worst = max(against, key=lambda e: e.weight * (1.0 - (e.similarity or 0.0)))
            reasons.append(worst.reason)
        return reasons
