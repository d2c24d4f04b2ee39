"""Judging a register's record against the query, field by field, with the evidence written down.

Every register's records go through the same `Matcher`, so scores are comparable across registers.
Each comparator returns a similarity in [0, 1], or None when either side is silent: absence is not
disagreement. The score is the weighted mean of the informative fields, discounted when little was
compared, so that one matching field alone cannot make a strong candidate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from provcheck.candidate import Band, Candidate, Evidence
from provcheck.description import ObjectDescription
from provcheck.imaging import hamming
from provcheck.measurements import Measurement
from provcheck.normalise import normalise_text
from provcheck.periods import DatePeriod
from provcheck.record import Record

__all__ = ["Matcher"]

# Years a "circa" date may be off by.
_CIRCA_YEARS = 10
# 64-bit perceptual hashes: at or below SAME bits apart two images are the same picture; at NONE
# and beyond they share nothing (unrelated images sit around 32).
_IMAGE_DISTANCE_SAME = 6
_IMAGE_DISTANCE_NONE = 22


def _text_similarity(query: str | None, record: str | None) -> float | None:
    if not query or not record:
        return None
    a, b = normalise_text(query), normalise_text(record)
    if not a or not b:
        return None
    return fuzz.token_set_ratio(a, b) / 100.0


def _maker_similarity(query: ObjectDescription, record: ObjectDescription) -> float | None:
    ours = [m for m in query.makers if not m.is_anonymous]
    theirs = [m for m in record.makers if not m.is_anonymous]
    if not ours or not theirs:
        return None
    best = 0.0
    for a in ours:
        for b in theirs:
            similarity = fuzz.token_set_ratio(normalise_text(a.name), normalise_text(b.name)) / 100
            if a.qualifier is not None or b.qualifier is not None:
                similarity *= 0.8  # "circle of X" is evidence for X, but weaker
            best = max(best, similarity)
    return best


def _lengths_cm(measurements: Iterable[Measurement]) -> list[float]:
    return sorted((m.centimetres for m in measurements if m.centimetres), reverse=True)


def _measurement_similarity(query: ObjectDescription, record: ObjectDescription) -> float | None:
    ours, theirs = _lengths_cm(query.measurements), _lengths_cm(record.measurements)
    if not ours or not theirs:
        return None
    # Compare largest with largest: the order registers write dimensions in is not reliable.
    similarities = []
    for a, b in zip(ours, theirs, strict=False):
        difference = abs(a - b)
        tolerance = max(0.02 * max(a, b), 1.0)
        if difference <= tolerance:
            similarities.append(1.0)
        else:
            relative = difference / max(a, b)
            similarities.append(max(0.0, 1.0 - relative / 0.5))
    return sum(similarities) / len(similarities)


def _years(period: DatePeriod) -> tuple[int, int] | None:
    if not period.is_structured:
        return None
    low = period.earliest if period.earliest is not None else -10_000
    high = period.latest if period.latest is not None else 10_000
    if period.circa:
        low, high = low - _CIRCA_YEARS, high + _CIRCA_YEARS
    return low, high


def _period_similarity(query: ObjectDescription, record: ObjectDescription) -> float | None:
    if query.period is None or record.period is None:
        return None
    ours, theirs = _years(query.period), _years(record.period)
    if ours is None or theirs is None:
        return _text_similarity(query.period.text, record.period.text)
    gap = max(ours[0], theirs[0]) - min(ours[1], theirs[1])
    return 1.0 if gap <= 0 else max(0.0, 1.0 - gap / 50)


def _image_similarity(query: ObjectDescription, record: ObjectDescription) -> float | None:
    """The closest pair of photographs: near-identical hashes are strong evidence of the object."""
    ours = [i.fingerprints for i in query.images if i.fingerprints]
    theirs = [i.fingerprints for i in record.images if i.fingerprints]
    if not ours or not theirs:
        return None
    distance = min(
        hamming(a[kind], b[kind]) for a in ours for b in theirs for kind in a.keys() & b.keys()
    )
    return min(
        1.0,
        max(0.0, (_IMAGE_DISTANCE_NONE - distance) / (_IMAGE_DISTANCE_NONE - _IMAGE_DISTANCE_SAME)),
    )


def _field_text(name: str) -> Callable[[ObjectDescription, ObjectDescription], float | None]:
    def compare(query: ObjectDescription, record: ObjectDescription) -> float | None:
        return _text_similarity(getattr(query, name), getattr(record, name))

    return compare


def _shown(description: ObjectDescription, name: str) -> str | None:
    if name == "makers":
        return description.maker_text or ", ".join(m.name for m in description.makers) or None
    if name == "measurements":
        return (
            description.measurements_text
            or ", ".join(m.text for m in description.measurements)
            or None
        )
    if name == "period":
        return description.period.text if description.period else None
    if name == "images":  # file names are enough for people; the record keeps the full reference
        return ", ".join(i.location.rsplit("/", 1)[-1] for i in description.images) or None
    value = getattr(description, name)
    return str(value) if value else None


@dataclass(frozen=True)
class _Field:
    name: str
    weight: float
    compare: Callable[[ObjectDescription, ObjectDescription], float | None]


_FIELDS: tuple[_Field, ...] = (
    _Field("images", 5.0, _image_similarity),
    _Field("title", 3.0, _field_text("title")),
    _Field("makers", 3.0, _maker_similarity),
    _Field("measurements", 2.0, _measurement_similarity),
    _Field("period", 1.5, _period_similarity),
    _Field("materials", 1.5, _field_text("materials")),
    _Field("object_type", 1.0, _field_text("object_type")),
    _Field("inscriptions", 2.5, _field_text("inscriptions")),
    _Field("inventory_number", 4.0, _field_text("inventory_number")),
    _Field("description", 1.0, _field_text("description")),
)


@dataclass(frozen=True)
class Matcher:
    """Scores records against a query. `match_threshold` is where a "possible match" begins."""

    match_threshold: float = 0.6
    strong_threshold: float = 0.8
    # How much compared evidence it takes before a perfect agreement counts fully.
    evidence_needed: float = 2.0

    def band(self, score: float) -> Band:
        if score >= self.strong_threshold:
            return Band.STRONG
        if score >= self.match_threshold:
            return Band.POSSIBLE
        return Band.WEAK

    def judge(self, query: ObjectDescription, record: Record) -> Candidate:
        evidence = []
        for field in _FIELDS:
            ours = _shown(query, field.name)
            theirs = _shown(record.description, field.name)
            similarity = field.compare(query, record.description)
            if similarity is None:
                reason = f"{field.name}: not compared (one side is silent)"
            else:
                similarity = round(similarity, 3)
                reason = f"{field.name}: {ours!r} ≈ {theirs!r} ({similarity:.2f})"
            evidence.append(
                Evidence(
                    field=field.name,
                    query_value=ours,
                    record_value=theirs,
                    similarity=similarity,
                    weight=field.weight,
                    reason=reason,
                )
            )
        informative = [e for e in evidence if e.similarity is not None]
        weight = sum(e.weight for e in informative)
        if not weight:
            score = 0.0
        else:
            mean = sum(e.weight * (e.similarity or 0.0) for e in informative) / weight
            score = mean * weight / (weight + self.evidence_needed)
        score = round(score, 4)
        return Candidate(
            record=record, score=score, band=self.band(score), evidence=tuple(evidence)
        )

    def rank(self, query: ObjectDescription, records: Iterable[Record]) -> list[Candidate]:
        """Candidates for every record, best first."""
        candidates = [self.judge(query, record) for record in records]
        return sorted(candidates, key=lambda c: c.score, reverse=True)
