"""Judging a register's record against the query, field by field, with the evidence written down.

Every register's records go through the same `Matcher`, so scores are comparable across registers.
Each field comparator (`provcheck.matching.comparators`) gives a similarity, or nothing when a side is
silent. The score is

    score = sum(weight * similarity) / (sum(weight) + evidence_needed) * penalties

over the fields compared, so that agreeing evidence (a similarity at least the current score)
never lowers it and one agreeing field alone cannot make a strong candidate. Weights say how
identifying a field is: a photograph or a shared inscription more than a title, a title more than
a century. A contradiction in an identifying field (two distinct titles, a size a sixth off, a
painting against a coin) does more than fail to add: each multiplies the score by a penalty that
grows with the field's weight and with how far below `CONTRADICTION` its similarity is, so that
the same maker and period cannot make a match of two different works. Two more rules keep what
only tells one kind of object from another (a century, "oil on canvas", a painting, a generic
title) from making a match: with too little identifying agreement (title, maker, size, marks,
inventory number, photograph) the score is lowered, and with no maker to compare more evidence is
needed (a title alone is often a subject many objects share).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from provcheck.images.verification import GeometricMatch
from provcheck.matching.comparators import (
    Comparison,
    compare_images,
    compare_inventory_numbers,
    compare_makers,
    compare_markings,
    compare_materials,
    compare_measurements,
    compare_object_types,
    compare_periods,
    compare_titles,
)
from provcheck.model.candidate import CONTRADICTION, Band, Candidate, Evidence
from provcheck.model.description import ObjectDescription
from provcheck.model.record import Record

__all__ = ["Matcher"]


@dataclass(frozen=True)
class _Field:
    name: str
    weight: float
    compare: Callable[[ObjectDescription, ObjectDescription], Comparison | None]
    shown: Callable[[ObjectDescription], str | None]


def _makers(d: ObjectDescription) -> str | None:
    return d.maker_text or ", ".join(m.name for m in d.makers) or None


def _measurements(d: ObjectDescription) -> str | None:
    return d.measurements_text or ", ".join(m.text for m in d.measurements) or None


def _markings(d: ObjectDescription) -> str | None:
    parts = [d.inscriptions, d.distinguishing_features, d.description]
    text = " | ".join(p for p in parts if p)
    return (text[:117] + "...") if len(text) > 120 else (text or None)


def _images(d: ObjectDescription) -> str | None:
    # File names are enough for people; the record keeps the full reference.
    return ", ".join(i.location.rsplit("/", 1)[-1] for i in d.images) or None


_FIELDS: tuple[_Field, ...] = (
    _Field("images", 5.0, compare_images, _images),
    _Field("inventory_number", 5.0, compare_inventory_numbers, lambda d: d.inventory_number),
    _Field("title", 3.0, compare_titles, lambda d: d.title),
    _Field("makers", 3.0, compare_makers, _makers),
    _Field("markings", 2.5, compare_markings, _markings),
    _Field("measurements", 2.5, compare_measurements, _measurements),
    _Field("period", 1.5, compare_periods, lambda d: d.period.text if d.period else None),
    _Field("materials", 1.5, compare_materials, lambda d: d.materials),
    _Field("object_type", 0.75, compare_object_types, lambda d: d.object_type),
)


# The fields that tell one object from another of its kind.
_IDENTIFYING = frozenset(
    ["images", "inventory_number", "title", "makers", "markings", "measurements"]
)


@dataclass(frozen=True)
class Matcher:
    """Scores records against a query.

    `match_threshold` is where a "possible match" begins and `strong_threshold` where a strong
    one does. They and the evidence settings below were chosen on the validation halves of
    `benchmarks/text_matching.py` (NSAF) and `benchmarks/text_matching_lostart.py` (Lost Art),
    whose negatives are held-out records of the registers' own kind, and are reported on the
    test halves (the README's "How well it matches"). On validation, at 0.60: no unrelated NSAF
    object flagged and 95% of re-described ones found; 1.3% of unrelated Lost Art objects flagged
    (none of a named maker) and 83% found.
    """

    match_threshold: float = 0.6
    strong_threshold: float = 0.7
    evidence_needed: float = 2.0
    contradiction_penalty: float = (
        0.4  # at full weight: a flat contradiction keeps 60% of the score
    )

    # Agreement (weight x similarity) of identifying fields below which the score is lowered,
    # by up to `unidentified_penalty` when none agrees: a title of rare words (3.0 at full
    # weight) or a named maker clears it alone; a generic title does not.
    identifying_needed: float = 2.4
    unidentified_penalty: float = 0.25
    # Evidence needed on top of `evidence_needed` when no maker could be compared.
    unattributed_evidence: float = 0.5

    def band(self, score: float) -> Band:
        if score >= self.strong_threshold:
            return Band.STRONG
        if score >= self.match_threshold:
            return Band.POSSIBLE
        return Band.WEAK

    def judge(
        self, query: ObjectDescription, record: Record, geometry: GeometricMatch | None = None
    ) -> Candidate:
        """Score one record; `geometry` is the verified mapping of the query's photograph onto
        the record's, when it was computed."""
        evidence = [self._evidence(field, query, record.description, geometry) for field in _FIELDS]
        compared = [e for e in evidence if e.similarity is not None]
        total = sum(e.weight * (e.similarity or 0.0) for e in compared)
        needed = self.evidence_needed
        if not any(e.field == "makers" for e in compared):
            # No maker to compare (none given, or unknown on one side): what is left must say
            # more, since a title alone is often a subject many objects share.
            needed += self.unattributed_evidence
        weights = sum(e.weight for e in compared) + needed
        # Nothing compared and no evidence needed (a Matcher made so): nothing to score.
        score = total / weights if weights > 0 else 0.0
        for e in compared:
            shortfall = max(0.0, CONTRADICTION - (e.similarity or 0.0)) / CONTRADICTION
            score *= 1.0 - self.contradiction_penalty * min(1.0, e.weight / 3.0) * shortfall
        # What only tells one kind of object from another (a century, "oil on canvas", a
        # painting) cannot make a match without something that tells one object from another.
        identifying = sum(
            e.weight * (e.similarity or 0.0) for e in compared if e.field in _IDENTIFYING
        )
        if identifying < self.identifying_needed:
            score *= 1.0 - self.unidentified_penalty * (1.0 - identifying / self.identifying_needed)
        score = round(score, 6)
        return Candidate(
            record=record, score=score, band=self.band(score), evidence=tuple(evidence)
        )

    @staticmethod
    def _evidence(
        field: _Field,
        query: ObjectDescription,
        record: ObjectDescription,
        geometry: GeometricMatch | None,
    ) -> Evidence:
        ours, theirs = field.shown(query), field.shown(record)
        comparison = field.compare(query, record)
        if field.name == "images" and geometry is not None:
            comparison = _with_geometry(comparison, geometry)
        if comparison is None:
            return Evidence(
                field=field.name,
                query_value=ours,
                record_value=theirs,
                similarity=None,
                weight=0.0,
                reason=f"{field.name}: not compared ({'no value' if not ours else 'none in record'})",
            )
        similarity = round(min(1.0, max(0.0, comparison.similarity)), 3)
        sign = "≠" if similarity < CONTRADICTION else "≈"
        detail = f"; {comparison.detail}" if comparison.detail else ""
        return Evidence(
            field=field.name,
            query_value=ours,
            record_value=theirs,
            similarity=similarity,
            weight=round(field.weight * comparison.weight_factor, 3),
            reason=f"{field.name}: {ours!r} {sign} {theirs!r} ({similarity:.2f}{detail})",
        )

    def rank(
        self,
        query: ObjectDescription,
        records: Iterable[Record],
        geometry: Mapping[str, GeometricMatch] | None = None,
    ) -> list[Candidate]:
        """Candidates for every record, best first; `geometry` by record key, where verified."""
        geometry = geometry or {}
        candidates = [self.judge(query, r, geometry.get(r.key)) for r in records]
        return sorted(candidates, key=lambda c: c.score, reverse=True)


def _with_geometry(hashes: Comparison | None, geometry: GeometricMatch) -> Comparison | None:
    """Hash similarity, confirmed or overruled by the geometry of local features."""
    detail = geometry.describe()
    if not geometry.conclusive:
        return hashes  # nothing to say either way: the hashes stand alone
    hash_similarity = hashes.similarity if hashes else 0.0
    hash_detail = f"{hashes.detail}; " if hashes and hashes.detail else ""
    if geometry.confirmed:
        # Many matches on one mapping: this photograph shows that object, however reframed.
        similarity = max(hash_similarity, 0.85 + 0.15 * min(1.0, geometry.inliers / 80))
    else:
        # Features enough, but no consistent mapping: a look-alike, not the object.
        similarity = min(hash_similarity, 0.25)
    return Comparison(similarity, detail=hash_detail + detail)
