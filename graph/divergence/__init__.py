"""The divergence engine (docs/design.md §2): where each function's picture of the customer
parts from the evidence and from the other functions.

``load_picture`` reads the model as of a time in a handful of queries; every divergence
query is a pure function over the resulting ``Picture``. ``shared_model(db).picture`` gives
the current model's picture from what the process keeps, reading only what changed.
"""

from __future__ import annotations

from graph.divergence.agreement import alignment, belief_matrix, priority_alignment
from graph.divergence.duplicates import duplicate_pairs, duplicates, load_candidates
from graph.divergence.gaps import (
    assumption_debt,
    belief_gaps,
    blind_spots,
    consensus_magnitude,
    disagreements,
    gap_sort_key,
)
from graph.divergence.picture import (
    Picture,
    build_picture,
    evidence_view,
    load_model,
    load_picture,
    load_scope,
    with_scope,
)
from graph.divergence.report import segment_report
from graph.divergence.settings import EngineSettings
from graph.divergence.shared import (
    SharedModel,
    kept_while_shaped,
    kept_with_copy,
    shared_model,
    written_so_far,
)
from graph.divergence.structure import structural_gaps

__all__ = [
    "EngineSettings",
    "Picture",
    "SharedModel",
    "alignment",
    "assumption_debt",
    "belief_gaps",
    "belief_matrix",
    "blind_spots",
    "build_picture",
    "consensus_magnitude",
    "disagreements",
    "duplicate_pairs",
    "duplicates",
    "evidence_view",
    "gap_sort_key",
    "kept_while_shaped",
    "kept_with_copy",
    "load_candidates",
    "load_model",
    "load_picture",
    "load_scope",
    "priority_alignment",
    "segment_report",
    "shared_model",
    "structural_gaps",
    "with_scope",
    "written_so_far",
]
