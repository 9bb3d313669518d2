"""One segment's divergence report: every query of docs/design.md §2 over one Picture.

Snapshots and the workshop page use it; it costs the handful of queries of
``load_picture`` and nothing more.
"""

from __future__ import annotations

from graph.divergence.agreement import alignment, priority_alignment
from graph.divergence.gaps import assumption_debt, belief_gaps, blind_spots, disagreements
from graph.divergence.picture import Picture
from graph.divergence.structure import structural_gaps
from graph.kit import collector
from schema.divergence import SegmentReport
from schema.vocabulary import Relation

# The priorities a segment report ranks: the segment's goals, pains and alternatives.
REPORTED_PRIORITIES = (Relation.PURSUES, Relation.EXPERIENCES, Relation.USES)


@collector.pausing
def segment_report(picture: Picture) -> SegmentReport:
    """Every divergence of the picture's scope (a segment, or the whole model)."""
    return SegmentReport(
        segment=picture.segment,
        as_of=picture.as_of,
        thresholds=picture.thresholds,
        belief_gaps=tuple(belief_gaps(picture)),
        disagreements=tuple(disagreements(picture)),
        blind_spots=tuple(row for f in picture.functions for row in blind_spots(picture, f)),
        assumption_debt=tuple(assumption_debt(picture)),
        priority_alignment=tuple(
            priority_alignment(picture, relation) for relation in REPORTED_PRIORITIES
        )
        if picture.segment is not None
        else (),
        alignment=alignment(picture),
        structural_gaps=tuple(structural_gaps(picture)),
    )
