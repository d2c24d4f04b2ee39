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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from provcheck.images.verification import GeometricMatch
from provcheck.matching.comparators import (
    Comparison,
    closest_photographs,
    compare_images,
    compare_inventory_numbers,
    compare_makers,
    compare_markings,
    compare_materials,
    compare_measurements,
    compare_object_types,
    compare_periods,
    compare_titles,
    looks_turned,
)
from provcheck.model.candidate import CONTRADICTION, Band, Candidate, Evidence, PhotographRegion
from provcheck.model.description import ObjectDescription
from provcheck.model.record import Record

__all__ = ["Geometry", "Matcher"]

# The mappings of a query's photographs onto one record's, by local features: one, or one per
# pair of photographs compared.
Geometry = GeometricMatch | Sequence[GeometricMatch]

# A record whose picture the query's photograph also confirms, with less than this share of the
# best one's agreement (`GeometricMatch.agreement`), shows the same image in another impression (a print of one
# plate, a cast of one mould): an exact copy agrees about ten times as much as its sister
# impressions, a new photograph of it five to seven times (the Erasmus impressions, RP-P-1906-1485
# to 1487). Above it the photographs cannot tell the records apart: one painting registered twice,
# once with a colour photograph and once with an old black-and-white one, agrees 6 to 10.
_IMPRESSION_SHARE = 0.4
# Two mappings of one photograph whose agreeing matches cover its same part (intersection over
# union of their extents) at least this much show the same image.
_SAME_PART = 0.5


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
        self, query: ObjectDescription, record: Record, geometry: Geometry | None = None
    ) -> Candidate:
        """Score one record; `geometry` is the verified mapping of the query's photographs onto
        the record's, when it was computed."""
        matches = _as_matches(geometry)
        evidence = [self._evidence(field, query, record.description, matches) for field in _FIELDS]
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
        if any(m.confirmed for m in matches):
            # A photograph that maps onto the record's is that object, or the same image of it,
            # whatever the seller wrote (a wrong title, another maker, no words at all): a
            # person must look, so it is never less than a possible match.
            score = max(score, self.match_threshold)
        score = round(score, 6)
        return Candidate(
            record=record, score=score, band=self.band(score), evidence=tuple(evidence)
        )

    @staticmethod
    def _evidence(
        field: _Field,
        query: ObjectDescription,
        record: ObjectDescription,
        geometry: Sequence[GeometricMatch],
    ) -> Evidence:
        ours, theirs = field.shown(query), field.shown(record)
        comparison = field.compare(query, record)
        if field.name == "images" and geometry:
            comparison = _with_geometry(comparison, geometry, query, record)
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
            region=comparison.region,
        )

    def rank(
        self,
        query: ObjectDescription,
        records: Iterable[Record],
        geometry: Mapping[str, Geometry] | None = None,
    ) -> list[Candidate]:
        """Candidates for every record, best first; `geometry` by record key, where verified.

        Records whose pictures one photograph of the query confirms alike show the same image:
        the one it agrees with far best comes first, and the others are said to be possibly
        another impression of it (see `_impressions`).
        """
        geometry = geometry or {}
        candidates = [self.judge(query, r, geometry.get(r.key)) for r in records]
        candidates = self._impressions(candidates, geometry)
        return sorted(candidates, key=lambda c: c.score, reverse=True)

    def _impressions(
        self, candidates: list[Candidate], geometry: Mapping[str, Geometry]
    ) -> list[Candidate]:
        """Prints of one plate, casts of one mould, a photograph's several prints: one query
        photograph maps, by the same part of it, onto each record's picture. The record it agrees
        with far best (an exact copy agrees with nearly every feature the poorer picture has, a
        sister impression with those its different lettering, margins and wear leave) ranks
        above the others, never tied, and they say what they are; records it agrees with alike
        say that the photographs cannot tell them apart."""
        by_view: dict[int, list[tuple[str, GeometricMatch]]] = {}
        for candidate in candidates:
            strongest: dict[int, GeometricMatch] = {}
            for match in _as_matches(geometry.get(candidate.record.key)):
                known = strongest.get(match.photograph)
                if match.confirmed and (known is None or match.agreement > known.agreement):
                    strongest[match.photograph] = match
            for photograph, match in strongest.items():
                by_view.setdefault(photograph, []).append((candidate.record.key, match))
        best = {
            photograph: max(pairs, key=lambda pair: pair[1].agreement)
            for photograph, pairs in by_view.items()
        }
        leading = {key for key, _ in best.values()}
        notes: dict[str, list[str]] = {}
        below: dict[str, str] = {}  # a record pushed down -> the record it must rank below
        for photograph, (leader, top) in best.items():
            for key, match in by_view[photograph]:
                if key == leader or not _same_part(match, top):
                    continue
                if match.agreement < _IMPRESSION_SHARE * top.agreement and key not in leading:
                    below[key] = leader
                    notes.setdefault(key, []).append(
                        f"the same image as {leader}, with fewer of its features agreeing "
                        f"({match.inliers} against {top.inliers}): possibly another impression"
                    )
                else:
                    for one, other in ((key, leader), (leader, key)):
                        notes.setdefault(one, []).append(
                            f"the same image as {other}, which the photograph matches as well: "
                            "the photographs alone cannot tell them apart"
                        )
        by_key = {c.record.key: c for c in candidates}
        scores = {key: c.score for key, c in by_key.items()}
        for key, leader in below.items():
            # Below the record it is an impression of, but never below a possible match: its
            # photograph is confirmed too. At the threshold, the leader goes a step above it.
            scores[key] = max(self.match_threshold, min(scores[key], scores[leader] - 0.01))
            if scores[key] >= scores[leader]:
                scores[leader] = round(scores[key] + 0.01, 6)
        judged = []
        for candidate in candidates:
            key = candidate.record.key
            if scores[key] != candidate.score:
                score = min(1.0, round(scores[key], 6))
                candidate = candidate.model_copy(update={"score": score, "band": self.band(score)})
            if key in notes:
                candidate = _noted(candidate, "; ".join(dict.fromkeys(notes[key])))
            judged.append(candidate)
        return judged


def _same_part(a: GeometricMatch, b: GeometricMatch) -> bool:
    """Do two mappings of one photograph start from the same part of it (one print shown whole,
    not two pendants side by side on a catalogue page)?"""
    if a.query_area is None or b.query_area is None:
        return False
    left, top = max(a.query_area[0], b.query_area[0]), max(a.query_area[1], b.query_area[1])
    right, bottom = min(a.query_area[2], b.query_area[2]), min(a.query_area[3], b.query_area[3])
    shared = max(0.0, right - left) * max(0.0, bottom - top)

    def size(area: tuple[float, float, float, float]) -> float:
        return (area[2] - area[0]) * (area[3] - area[1])

    union = size(a.query_area) + size(b.query_area) - shared
    return union > 0 and shared / union >= _SAME_PART


def _noted(candidate: Candidate, note: str) -> Candidate:
    """The candidate with `note` added to its photographs' evidence."""
    evidence = tuple(
        e.model_copy(update={"reason": f"{e.reason}; {note}"}) if e.field == "images" else e
        for e in candidate.evidence
    )
    return candidate.model_copy(update={"evidence": evidence})


def _as_matches(geometry: Geometry | None) -> tuple[GeometricMatch, ...]:
    if geometry is None:
        return ()
    if isinstance(geometry, GeometricMatch):
        return (geometry,)
    return tuple(geometry)


def _with_geometry(
    hashes: Comparison | None,
    geometry: Sequence[GeometricMatch],
    query: ObjectDescription,
    record: ObjectDescription,
) -> Comparison | None:
    """Hash similarity, confirmed or overruled by the geometry of local features.

    One confirmed view is enough, whichever it is (the back's label confirming what the front
    only suggested): views are never averaged. Without one, the pair of photographs the hashes
    found closest is the one whose geometry can overrule them.
    """
    hash_similarity = hashes.similarity if hashes else 0.0
    hash_detail = f"{hashes.detail}; " if hashes and hashes.detail else ""
    several = len(query.images) > 1 or len(record.images) > 1
    confirmed = sorted((m for m in geometry if m.confirmed), key=lambda m: -m.inliers)
    if confirmed:
        # Many matches on one mapping: this photograph shows that object, however reframed.
        best = confirmed[0]
        similarity = max(hash_similarity, 0.92 + 0.08 * min(1.0, best.inliers / 80))
        detail = _view(best, several) + best.describe()
        others = sorted({m.photograph for m in confirmed[1:]} - {best.photograph})
        if others:
            also = ", ".join(str(n + 1) for n in others)
            detail += f"; photograph {also} of the query also confirmed"
        region = None
        if best.detail is not None and best.region is not None:
            left, top, right, bottom = best.region
            region = PhotographRegion(
                record_photograph=best.record_photograph,
                left=left,
                top=top,
                right=right,
                bottom=bottom,
            )
        return Comparison(similarity, detail=hash_detail + detail, region=region)
    closest = closest_photographs(query, record)
    paired = [
        m for m in geometry if closest is None or (m.photograph, m.record_photograph) == closest
    ]
    if not paired:
        return hashes  # the pair the hashes judged was not mapped: another pair cannot overrule
    match = max(paired, key=lambda m: m.inliers)
    if not match.conclusive:
        return hashes  # nothing to say either way: the hashes stand alone
    if hash_similarity >= 1.0 and not match.overrules_likeness and not looks_turned(query, record):
        # The hashes say "the same picture", and one side had too little to map (a small, soft
        # old record photograph): a few unmapped matches do not overrule them. Not when the
        # likeness is of the query turned: one of the many variants tried, it is the likelier
        # to be chance, and an old record photograph is not turned.
        return hashes
    # Features enough, but no consistent mapping: a look-alike, not the object.
    detail = _view(match, several) + match.describe()
    return Comparison(min(hash_similarity, 0.25), detail=hash_detail + detail)


def _view(match: GeometricMatch, several: bool) -> str:
    if not several:
        return ""
    return (
        f"photograph {match.photograph + 1} of the query on the record's photograph "
        f"{match.record_photograph + 1}: "
    )
