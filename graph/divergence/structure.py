"""Structural gaps in the shared model (docs/design.md §2 item 7), each with the functions
that own the fix. Pure functions over a ``Picture``.

The rules look at the whole model for context (a claim's backing features, say, lie
outside the scope of a segment the claim does not target) and keep the gaps that concern
the requested segment. A link (RELIEVES, ENABLES, BACKED_BY, BEATS) counts unless the
evidence refutes it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from graph.divergence.picture import Picture
from graph.kit import collector
from schema.divergence import (
    EntityRef,
    PropositionEvidence,
    PropositionView,
    StructuralGap,
    StructuralGapKind,
)
from schema.vocabulary import EntityKind, FeatureStatus, Relation, SupportStatus

OWNERS: dict[StructuralGapKind, tuple[str, ...]] = {
    StructuralGapKind.UNRELIEVED_PAIN: ("product",),
    StructuralGapKind.UNBACKED_PROMISE: ("marketing",),
    StructuralGapKind.UNSUPPORTED_PROMISE: ("marketing", "sales"),
    StructuralGapKind.FEATURE_WITHOUT_VALIDATED_VALUE: ("product",),
    StructuralGapKind.UNBEATEN_ALTERNATIVE: ("marketing", "sales"),
}

# A feature counts as relieving a pain once it is planned or further along.
COMMITTED_FEATURE = frozenset(
    {FeatureStatus.PLANNED, FeatureStatus.BUILDING, FeatureStatus.SHIPPED}
)

_KIND_ORDER = {kind: n for n, kind in enumerate(StructuralGapKind)}


class _Index:
    """The visible propositions by relation, by subject and by triple."""

    def __init__(self, picture: Picture) -> None:
        self.picture = picture
        self.by_relation: dict[Relation, list[PropositionView]] = defaultdict(list)
        self.by_triple: dict[tuple[str, Relation, str], PropositionView] = {}
        # Looked up once per entity by the rules: scanning a relation's list each time made
        # the structural gaps quadratic (20 of 35 s of the whole-model report at M).
        self._by_subject: dict[tuple[Relation, str], list[PropositionView]] = defaultdict(list)
        self._by_object: dict[tuple[Relation, str], list[PropositionView]] = defaultdict(list)
        for proposition in sorted(picture.propositions.values(), key=lambda p: p.id):
            self.by_relation[proposition.relation].append(proposition)
            key = (proposition.subject.id, proposition.relation, proposition.object.id)
            self.by_triple[key] = proposition
            self._by_subject[(proposition.relation, proposition.subject.id)].append(proposition)
            self._by_object[(proposition.relation, proposition.object.id)].append(proposition)

    def status(self, proposition: PropositionView) -> SupportStatus:
        return self.picture.evidence(proposition.id).status

    def holds(self, proposition: PropositionView) -> bool:
        """A link counts unless the evidence refutes it."""
        return self.status(proposition) is not SupportStatus.REFUTED

    def validated(self, proposition: PropositionView) -> bool:
        return self.status(proposition) is SupportStatus.VALIDATED

    def with_subject(self, relation: Relation, subject_id: str) -> list[PropositionView]:
        return list(self._by_subject.get((relation, subject_id), ()))

    def with_object(self, relation: Relation, object_id: str) -> list[PropositionView]:
        return list(self._by_object.get((relation, object_id), ()))

    def segment_relation(self, target: EntityRef) -> Relation:
        return Relation.PURSUES if target.kind is EntityKind.GOAL else Relation.EXPERIENCES

    def validated_for(self, target: EntityRef, segment_id: str | None) -> bool:
        """Whether a goal or pain is validated for the segment (for any, given None)."""
        relation = self.segment_relation(target)
        return any(
            self.validated(p)
            for p in self.with_object(relation, target.id)
            if segment_id is None or p.subject.id == segment_id
        )

    def validated_by_object(
        self, relation: Relation, segment_id: str | None
    ) -> Iterable[list[PropositionView]]:
        """The validated propositions of a segment relation (of the given segment, or of any),
        grouped by their object (a pain, an alternative), in the order of first appearance."""
        validated: dict[str, list[PropositionView]] = defaultdict(list)
        for proposition in self.by_relation[relation]:
            if segment_id is not None and proposition.subject.id != segment_id:
                continue
            if self.validated(proposition):
                validated[proposition.object.id].append(proposition)
        return validated.values()

    def evidenced(self, propositions: Iterable[PropositionView]) -> tuple[PropositionEvidence, ...]:
        unique = {p.id: p for p in propositions}
        return tuple(
            PropositionEvidence(proposition=p, evidence=self.picture.evidence(p.id))
            for p in sorted(unique.values(), key=lambda p: (p.relation.value, p.id))
        )


def _names(entities: Iterable[EntityRef]) -> str:
    return ", ".join(sorted({f"“{e.name}”" for e in entities}))


def _gap(
    kind: StructuralGapKind,
    entity: EntityRef,
    segments: Iterable[EntityRef],
    propositions: tuple[PropositionEvidence, ...],
    explanation: str,
    related: EntityRef | None = None,
) -> StructuralGap:
    unique = {s.id: s for s in segments}
    return StructuralGap(
        kind=kind,
        owners=OWNERS[kind],
        entity=entity,
        related=related,
        segments=tuple(sorted(unique.values(), key=lambda s: s.name)),
        propositions=propositions,
        explanation=explanation,
    )


def _unrelieved_pains(index: _Index, segment_id: str | None) -> list[StructuralGap]:
    gaps = []
    for evidence_props in index.validated_by_object(Relation.EXPERIENCES, segment_id):
        pain = evidence_props[0].object
        relievers = index.with_object(Relation.RELIEVES, pain.id)
        committed = [
            r
            for r in relievers
            if r.subject.kind is EntityKind.FEATURE
            and r.subject.status in COMMITTED_FEATURE
            and index.holds(r)
        ]
        if committed:
            continue
        ideas = [r.subject for r in relievers if r.subject.kind is EntityKind.FEATURE]
        segments = [p.subject for p in evidence_props]
        note = f" (only {_names(ideas)}, not planned)" if ideas else ""
        gaps.append(
            _gap(
                StructuralGapKind.UNRELIEVED_PAIN,
                pain,
                segments,
                index.evidenced(evidence_props + relievers),
                f"“{pain.name}” is validated for {_names(segments)}, but no planned, building or "
                f"shipped feature relieves it{note}.",
            )
        )
    return gaps


def _targets(index: _Index, claim_id: str) -> list[PropositionView]:
    return index.with_subject(Relation.TARGETS, claim_id)


def _unbacked_promises(index: _Index, segment_id: str | None) -> list[StructuralGap]:
    gaps = []
    for promise in index.by_relation[Relation.PROMISES]:
        claim, target = promise.subject, promise.object
        targets = _targets(index, claim.id)
        if segment_id is not None and not (
            promise.id in index.picture.scope or any(t.object.id == segment_id for t in targets)
        ):
            continue
        backing = [b for b in index.with_subject(Relation.BACKED_BY, claim.id) if index.holds(b)]
        features = {b.object.id for b in backing}
        delivering = [
            d
            for relation in (Relation.RELIEVES, Relation.ENABLES)
            for d in index.with_object(relation, target.id)
            if d.subject.id in features and index.holds(d)
        ]
        if delivering:
            continue
        verb = "relieves" if target.kind is EntityKind.PAIN else "enables"
        because = (
            f"none of its backing features ({_names(b.object for b in backing)}) {verb} it"
            if backing
            else "it is backed by no feature"
        )
        gaps.append(
            _gap(
                StructuralGapKind.UNBACKED_PROMISE,
                claim,
                [t.object for t in targets if segment_id is None or t.object.id == segment_id],
                index.evidenced([promise, *backing]),
                f"“{claim.name}” promises “{target.name}”, but {because}.",
                related=target,
            )
        )
    return gaps


def _unsupported_promises(index: _Index, segment_id: str | None) -> list[StructuralGap]:
    gaps = []
    for promise in index.by_relation[Relation.PROMISES]:
        claim, target = promise.subject, promise.object
        relation = index.segment_relation(target)
        for targeting in _targets(index, claim.id):
            segment = targeting.object
            if segment_id is not None and segment.id != segment_id:
                continue
            own = index.by_triple.get((segment.id, relation, target.id))
            status = index.status(own) if own is not None else None
            if status is SupportStatus.VALIDATED:
                continue
            if status is SupportStatus.REFUTED:
                verdict = "the evidence refutes that they"
            elif own is None:
                verdict = "the model does not even say whether they"
            else:
                verdict = f"the evidence does not show ({status.value.lower()}) that they"  # type: ignore[union-attr]
            verb = "pursue" if relation is Relation.PURSUES else "experience"
            gaps.append(
                _gap(
                    StructuralGapKind.UNSUPPORTED_PROMISE,
                    claim,
                    [segment],
                    index.evidenced([promise, targeting] + ([own] if own else [])),
                    f"“{claim.name}” promises “{target.name}” to {segment.name}, but "
                    f"{verdict} {verb} it.",
                    related=target,
                )
            )
    return gaps


def _features_without_validated_value(index: _Index, segment_id: str | None) -> list[StructuralGap]:
    picture = index.picture
    features: dict[str, EntityRef] = {}
    for proposition in picture.propositions.values():
        if segment_id is not None and proposition.id not in picture.scope:
            continue
        for end in (proposition.subject, proposition.object):
            if end.kind is EntityKind.FEATURE:
                features[end.id] = end
    gaps = []
    for feature in features.values():
        links = index.with_subject(Relation.RELIEVES, feature.id) + index.with_subject(
            Relation.ENABLES, feature.id
        )
        valuable = [
            link
            for link in links
            if index.holds(link)
            and (
                (index.validated(link) and (segment_id is None or link.id in picture.scope))
                or index.validated_for(link.object, segment_id)
            )
        ]
        if valuable:
            continue
        where = "" if segment_id is None else f" for {picture.segment.name}"  # type: ignore[union-attr]
        what = (
            f"it relieves or enables only {_names(link.object for link in links)}, none of "
            f"them validated{where}"
            if links
            else "it relieves and enables nothing in the model"
        )
        gaps.append(
            _gap(
                StructuralGapKind.FEATURE_WITHOUT_VALIDATED_VALUE,
                feature,
                [] if picture.segment is None else [picture.segment],
                index.evidenced(links),
                f"“{feature.name}” ({feature.status or 'no status'}): {what}.",
            )
        )
    return gaps


def _unbeaten_alternatives(index: _Index, segment_id: str | None) -> list[StructuralGap]:
    gaps = []
    for uses_props in index.validated_by_object(Relation.USES, segment_id):
        alternative = uses_props[0].object
        beaters = [b for b in index.with_object(Relation.BEATS, alternative.id) if index.holds(b)]
        if beaters:
            continue
        segments = [u.subject for u in uses_props]
        gaps.append(
            _gap(
                StructuralGapKind.UNBEATEN_ALTERNATIVE,
                alternative,
                segments,
                index.evidenced(uses_props + index.with_object(Relation.BEATS, alternative.id)),
                f"{_names(segments)} validly use “{alternative.name}”, and no claim or "
                "feature beats it.",
            )
        )
    return gaps


@collector.pausing
def structural_gaps(picture: Picture, function: str | None = None) -> list[StructuralGap]:
    """Every structural gap in scope; given a function, those whose fix it owns."""
    function = picture.check_function(function)
    index = _Index(picture)
    segment_id = picture.segment_id
    gaps = (
        _unrelieved_pains(index, segment_id)
        + _unbacked_promises(index, segment_id)
        + _unsupported_promises(index, segment_id)
        + _features_without_validated_value(index, segment_id)
        + _unbeaten_alternatives(index, segment_id)
    )
    if function is not None:
        gaps = [g for g in gaps if function in g.owners]
    gaps.sort(
        key=lambda g: (
            _KIND_ORDER[g.kind],
            g.entity.name,
            g.related.name if g.related else "",
            tuple(s.name for s in g.segments),
        )
    )
    return gaps
