"""The divergence queries of DESIGN.md §2 and ``mergeEntities``, in GraphQL.

Each resolver loads one ``Picture`` (a handful of queries, whatever the model's size) and
runs a pure query over it; every row carries the evidence behind it and each function's
current belief, and every result names the thresholds it used.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.model import _pin
from api.graphql.types import Entity, EntityKind, PageInfo, Proposition, Relation, SupportStatus
from graph import divergence as engine
from graph.kit.cursors import check_page_size, encode_cursor
from graph.merge import merge_entities
from schema import divergence as rows
from schema import models
from schema.errors import BadInput

strawberry.enum(
    rows.GapDirection,
    description="OVER_CONFIDENT: the function believes more than the evidence supports "
    "(gap > 0); UNDER_CONFIDENT: less (gap < 0); ALIGNED: exactly as much.",
)
strawberry.enum(
    rows.StructuralGapKind,
    description="UNRELIEVED_PAIN: a validated pain no planned, building or shipped feature "
    "relieves (product). UNBACKED_PROMISE: a claim promises something none of its backing "
    "features relieves or enables (marketing). UNSUPPORTED_PROMISE: a claim promises a goal "
    "or pain the evidence refutes or does not validate for a segment it targets (marketing, "
    "sales). FEATURE_WITHOUT_VALIDATED_VALUE: a feature that relieves or enables nothing "
    "validated (product). UNBEATEN_ALTERNATIVE: an alternative a segment validly uses that no "
    "claim or feature beats (marketing, sales).",
)
GapDirection = rows.GapDirection
StructuralGapKind = rows.StructuralGapKind

DEFAULT_ROWS = 50

FunctionFilter = Annotated[
    str | None,
    strawberry.argument(description="Only this function's rows (e.g. `sales`)."),
]
SegmentFilter = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="Only this segment's scope (its goals, pains, alternatives, what relieves, "
        "enables, promises or beats them, the claims targeting it); all when omitted."
    ),
]
AsOf = Annotated[
    datetime | None,
    strawberry.argument(description="Compute everything as of this time; now when omitted."),
]
First = Annotated[
    int | None,
    strawberry.argument(description="At most this many rows (50 by default, at most 100)."),
]


@strawberry.type(
    description="Every threshold the divergence queries use, as configured (DESIGN.md §2)."
)
class DivergenceThresholds:
    validated_confidence: float = strawberry.field(
        description="A proposition is VALIDATED when its confidence P(θ > 0.5) reaches this."
    )
    refuted_confidence: float = strawberry.field(
        description="A proposition is REFUTED when its confidence is at most this."
    )
    credible_level: float = strawberry.field(
        description="Probability mass of the reported credible interval of support."
    )
    min_evidence_mass: float = strawberry.field(
        description="Belief gaps need evidence mass S + C of at least this; below it, strong "
        "beliefs are assumption debt."
    )
    significant_gap: float = strawberry.field(
        description="A belief gap is significant when |p − confidence| reaches this."
    )
    contested_spread: float = strawberry.field(
        description="Functions disagree (contested among functions) when the spread of their "
        "beliefs, max p − min p, reaches this."
    )
    strong_belief_high: float = strawberry.field(
        description="A belief is strong (assumption debt) when p is at least this ..."
    )
    strong_belief_low: float = strawberry.field(description="... or at most this.")
    default_magnitude: float = strawberry.field(
        description="The magnitude used where none is given (consensus, rankings, debt)."
    )
    min_rank_items: int = strawberry.field(
        description="Kendall's tau-b is null over fewer items ranked by both sides than this."
    )
    min_alignment_units: int = strawberry.field(
        description="Krippendorff's alpha is null below this many pairable propositions."
    )
    bootstrap_resamples: int = strawberry.field(
        description="Resamples of the bootstrap interval of alpha."
    )
    bootstrap_level: float = strawberry.field(description="Level of that bootstrap interval.")
    duplicate_min_similarity: float = strawberry.field(
        description="Default text similarity from which two entities are flagged as duplicates."
    )
    half_life_days: float = strawberry.field(
        description="Evidence weight halves every this many days."
    )

    @classmethod
    def from_model(cls, t: rows.Thresholds) -> DivergenceThresholds:
        return cls(**t.model_dump())


@strawberry.type(description="What the evidence says about one proposition, as of the query.")
class EvidenceSummary:
    evidence_ids: list[strawberry.ID] = strawberry.field(
        description="The ids of the evidence behind it, newest first (at most 20)."
    )
    evidence_count: int = strawberry.field(description="Visible evidence items bearing on it.")
    supporting_count: int = strawberry.field(description="Items that support it.")
    contradicting_count: int = strawberry.field(description="Items that contradict it.")
    distinct_accounts: int = strawberry.field(description="Accounts the evidence comes from.")
    newest_evidence_at: datetime | None = strawberry.field(
        description="When the newest item was observed."
    )
    supporting_weight: float = strawberry.field(
        description="S: summed weight of supporting evidence (per-account noisy-OR)."
    )
    contradicting_weight: float = strawberry.field(description="C: the same for contradicting.")
    evidence_mass: float = strawberry.field(description="S + C.")
    mean_magnitude: float = strawberry.field(
        description="Weighted mean magnitude reported by supporting evidence; 1 when none."
    )
    support: float = strawberry.field(description="Posterior mean of Beta(1 + S, 1 + C).")
    confidence: float = strawberry.field(description="P(θ > 0.5) under that posterior.")
    interval_low: float = strawberry.field(description="Lower end of the credible interval.")
    interval_high: float = strawberry.field(description="Upper end of the credible interval.")
    interval_level: float = strawberry.field(description="Mass of that interval (0.9).")
    status: SupportStatus = strawberry.field(
        description="VALIDATED, REFUTED, CONTESTED or UNKNOWN (see the thresholds)."
    )

    @classmethod
    def from_model(cls, e: rows.EvidenceView) -> EvidenceSummary:
        return cls(
            evidence_ids=[strawberry.ID(i) for i in e.evidence_ids],
            evidence_count=e.evidence_count,
            supporting_count=e.supporting_count,
            contradicting_count=e.contradicting_count,
            distinct_accounts=e.distinct_accounts,
            newest_evidence_at=e.newest_evidence_at,
            supporting_weight=e.supporting_weight,
            contradicting_weight=e.contradicting_weight,
            evidence_mass=e.mass,
            mean_magnitude=e.mean_magnitude,
            support=e.support,
            confidence=e.confidence,
            interval_low=e.interval_low,
            interval_high=e.interval_high,
            interval_level=e.interval_level,
            status=e.status,
        )


@strawberry.type(description="A function's current belief on a proposition, as of the query.")
class FunctionBelief:
    function: str = strawberry.field(description="The function (team) that holds the belief.")
    p: float = strawberry.field(description="Probability that the proposition holds.")
    magnitude: int | None = strawberry.field(
        description="How much it matters, 1-5 (meaning depends on the relation)."
    )
    stated_at: datetime = strawberry.field(description="When it was stated.")
    stated_by: str = strawberry.field(description="The id of the member who stated it.")
    belief_id: strawberry.ID = strawberry.field(description="The id of the belief statement.")
    seq: int = strawberry.field(description="Its number in the function's history.")
    rationale: str | None = strawberry.field(description="Why the function believes it, as stated.")

    @classmethod
    def from_model(cls, b: rows.FunctionBelief) -> FunctionBelief:
        return cls(
            function=b.function,
            p=b.p,
            magnitude=b.magnitude,
            stated_at=b.stated_at,
            stated_by=b.stated_by,
            belief_id=strawberry.ID(b.belief_id),
            seq=b.seq,
            rationale=b.rationale,
        )


@strawberry.type(description="An entity named in a divergence row.")
class EntitySummary:
    id: strawberry.ID = strawberry.field(description="The entity's id.")
    kind: EntityKind = strawberry.field(description="The entity's kind.")
    name: str = strawberry.field(description="The entity's name; for a CLAIM, its text.")
    status: str | None = strawberry.field(description="FEATURE or CLAIM status.")

    @classmethod
    def from_model(cls, e: rows.EntityRef) -> EntitySummary:
        return cls(id=strawberry.ID(e.id), kind=e.kind, name=e.name, status=e.status)


def _proposition(view: rows.PropositionView) -> Proposition:
    return Proposition.from_model(
        models.Proposition(
            id=view.id,
            relation=view.relation,
            subject_id=view.subject.id,
            object_id=view.object.id,
            created_at=view.created_at,
            created_by=view.created_by,
        )
    )


def _beliefs(held: tuple[rows.FunctionBelief, ...]) -> list[FunctionBelief]:
    return [FunctionBelief.from_model(b) for b in held]


@strawberry.type(description="One function's belief against the evidence: gap = p − confidence.")
class BeliefGap:
    proposition: Proposition = strawberry.field(
        description="The proposition (navigate to its evidence and histories)."
    )
    text: str = strawberry.field(description="The proposition as a sentence.")
    function: str = strawberry.field(description="The function whose belief this is.")
    p: float = strawberry.field(description="The function's current belief.")
    confidence: float = strawberry.field(description="The evidence's P(θ > 0.5).")
    gap: float = strawberry.field(description="p − confidence; positive: over-confident.")
    direction: GapDirection = strawberry.field(
        description="Over- or under-confident, from the sign of the gap."
    )
    significant: bool = strawberry.field(description="|gap| ≥ thresholds.significantGap.")
    consensus_magnitude: float = strawberry.field(
        description="Median magnitude of the functions' current beliefs (3 when none)."
    )
    rank_score: float = strawberry.field(description="|gap| × consensus magnitude: the ranking.")
    belief: FunctionBelief = strawberry.field(
        description="The function's current belief, with who stated it and when."
    )
    evidence: EvidenceSummary = strawberry.field(
        description="The evidence behind the proposition, as of the query."
    )
    beliefs: list[FunctionBelief] = strawberry.field(
        description="Every function's current belief on the proposition."
    )
    thresholds: DivergenceThresholds = strawberry.field(
        description="The thresholds this row was computed with."
    )

    @classmethod
    def from_model(cls, g: rows.BeliefGap, t: DivergenceThresholds) -> BeliefGap:
        return cls(
            proposition=_proposition(g.proposition),
            text=g.proposition.text,
            function=g.function,
            p=g.p,
            confidence=g.confidence,
            gap=g.gap,
            direction=g.direction,
            significant=g.significant,
            consensus_magnitude=g.consensus_magnitude,
            rank_score=g.rank_score,
            belief=FunctionBelief.from_model(g.belief),
            evidence=EvidenceSummary.from_model(g.evidence),
            beliefs=_beliefs(g.beliefs),
            thresholds=t,
        )


@strawberry.type(description="One belief gap and its cursor.")
class BeliefGapEdge:
    cursor: str = strawberry.field(
        description="Pass as `after` to continue after this row (keeps the asOf)."
    )
    node: BeliefGap = strawberry.field(description="The belief gap.")


@strawberry.type(description="Belief gaps, largest |gap| × consensus magnitude first.")
class BeliefGapConnection:
    edges: list[BeliefGapEdge] = strawberry.field(
        description="The gaps of this page, with cursors."
    )
    page_info: PageInfo = strawberry.field(
        description="Where this page ends, and the asOf of every page."
    )
    total_count: int = strawberry.field(description="How many gaps match, over all pages.")
    thresholds: DivergenceThresholds = strawberry.field(
        description="The thresholds these gaps were computed with."
    )

    @strawberry.field(description="The gaps of this page, without cursors.")
    def nodes(self) -> list[BeliefGap]:
        return [edge.node for edge in self.edges]


@strawberry.type(description="How far apart the functions' current beliefs on a proposition are.")
class Disagreement:
    proposition: Proposition = strawberry.field(
        description="The proposition the functions disagree on."
    )
    text: str = strawberry.field(description="The proposition as a sentence.")
    spread: float = strawberry.field(description="max p − min p over the functions' beliefs.")
    standard_deviation: float = strawberry.field(
        description="Population standard deviation of those beliefs."
    )
    mean_p: float = strawberry.field(description="Mean of the functions' current beliefs.")
    contested: bool = strawberry.field(
        description="Contested among functions: spread ≥ thresholds.contestedSpread."
    )
    highest: FunctionBelief = strawberry.field(description="The most convinced function's belief.")
    lowest: FunctionBelief = strawberry.field(description="The least convinced function's belief.")
    evidence: EvidenceSummary = strawberry.field(
        description="The evidence behind the proposition, as of the query."
    )
    beliefs: list[FunctionBelief] = strawberry.field(
        description="Every function's current belief on it."
    )
    thresholds: DivergenceThresholds = strawberry.field(
        description="The thresholds this row was computed with."
    )

    @classmethod
    def from_model(cls, d: rows.Disagreement, t: DivergenceThresholds) -> Disagreement:
        return cls(
            proposition=_proposition(d.proposition),
            text=d.proposition.text,
            spread=d.spread,
            standard_deviation=d.standard_deviation,
            mean_p=d.mean_p,
            contested=d.contested,
            highest=FunctionBelief.from_model(d.highest),
            lowest=FunctionBelief.from_model(d.lowest),
            evidence=EvidenceSummary.from_model(d.evidence),
            beliefs=_beliefs(d.beliefs),
            thresholds=t,
        )


@strawberry.type(
    description="A validated or refuted proposition on which the function holds no belief."
)
class BlindSpot:
    proposition: Proposition = strawberry.field(
        description="The proposition the function holds no belief on."
    )
    text: str = strawberry.field(description="The proposition as a sentence.")
    function: str = strawberry.field(description="The function that holds no belief on it.")
    status: SupportStatus = strawberry.field(
        description="VALIDATED or REFUTED: what the evidence says."
    )
    evidence: EvidenceSummary = strawberry.field(
        description="The evidence behind the proposition, as of the query."
    )
    beliefs: list[FunctionBelief] = strawberry.field(
        description="What the other functions believe."
    )
    thresholds: DivergenceThresholds = strawberry.field(
        description="The thresholds this row was computed with."
    )

    @classmethod
    def from_model(cls, b: rows.BlindSpot, t: DivergenceThresholds) -> BlindSpot:
        return cls(
            proposition=_proposition(b.proposition),
            text=b.proposition.text,
            function=b.function,
            status=b.status,
            evidence=EvidenceSummary.from_model(b.evidence),
            beliefs=_beliefs(b.beliefs),
            thresholds=t,
        )


@strawberry.type(
    description="A strong belief (p ≥ strongBeliefHigh or ≤ strongBeliefLow) on a proposition "
    "with evidence mass below minEvidenceMass: an assumption to test first."
)
class AssumptionDebt:
    proposition: Proposition = strawberry.field(description="The barely evidenced proposition.")
    text: str = strawberry.field(description="The proposition as a sentence.")
    function: str = strawberry.field(description="The function holding the strong belief.")
    p: float = strawberry.field(description="Its current belief that the proposition holds.")
    magnitude: int | None = strawberry.field(
        description="How much it matters to the function, 1-5."
    )
    weight: float = strawberry.field(
        description="The belief's magnitude (defaultMagnitude when none): the ranking."
    )
    belief: FunctionBelief = strawberry.field(
        description="The belief, with who stated it and when."
    )
    evidence: EvidenceSummary = strawberry.field(
        description="The little evidence there is, as of the query."
    )
    beliefs: list[FunctionBelief] = strawberry.field(
        description="Every function's current belief on it."
    )
    thresholds: DivergenceThresholds = strawberry.field(
        description="The thresholds this row was computed with."
    )

    @classmethod
    def from_model(cls, d: rows.AssumptionDebt, t: DivergenceThresholds) -> AssumptionDebt:
        return cls(
            proposition=_proposition(d.proposition),
            text=d.proposition.text,
            function=d.function,
            p=d.p,
            magnitude=d.magnitude,
            weight=d.weight,
            belief=FunctionBelief.from_model(d.belief),
            evidence=EvidenceSummary.from_model(d.evidence),
            beliefs=_beliefs(d.beliefs),
            thresholds=t,
        )


@strawberry.type(description="A function's score of an item: p × magnitude.")
class FunctionScore:
    function: str = strawberry.field(description="The function.")
    score: float = strawberry.field(
        description="p × magnitude (defaultMagnitude when none is given)."
    )
    p: float = strawberry.field(description="The function's current belief.")
    magnitude: int | None = strawberry.field(description="The magnitude it gave, if any.")

    @classmethod
    def from_model(cls, s: rows.FunctionScore) -> FunctionScore:
        return cls(function=s.function, score=s.score, p=s.p, magnitude=s.magnitude)


@strawberry.type(description="One item of a priority ranking.")
class RankedItem:
    proposition: Proposition = strawberry.field(
        description="The item: one of the segment's propositions of the relation."
    )
    text: str = strawberry.field(description="The proposition as a sentence.")
    evidence_score: float | None = strawberry.field(
        description="max(S − C, 0) × mean reported magnitude; null when no evidence bears on it."
    )
    evidence: EvidenceSummary = strawberry.field(
        description="The evidence behind it, as of the query."
    )
    function_scores: list[FunctionScore] = strawberry.field(
        description="Each function's score of the item."
    )

    @classmethod
    def from_model(cls, r: rows.RankedItem) -> RankedItem:
        return cls(
            proposition=_proposition(r.proposition),
            text=r.proposition.text,
            evidence_score=r.evidence_score,
            evidence=EvidenceSummary.from_model(r.evidence),
            function_scores=[FunctionScore.from_model(s) for s in r.function_scores],
        )


@strawberry.type(description="Kendall's tau-b between two rankings, over the items both rank.")
class RankAgreement:
    a: str = strawberry.field(description="A function.")
    b: str = strawberry.field(description="Another function, or 'evidence'.")
    tau: float | None = strawberry.field(
        description="Null below thresholds.minRankItems common items or for a constant ranking."
    )
    items: int = strawberry.field(description="Items both rank.")

    @classmethod
    def from_model(cls, r: rows.RankAgreement) -> RankAgreement:
        return cls(a=r.a, b=r.b, tau=r.tau, items=r.items)


@strawberry.type(
    description="Whether the functions rank a segment's items (e.g. its pains) as the "
    "evidence does, and as each other do."
)
class PriorityAlignment:
    segment: EntitySummary = strawberry.field(description="The segment whose priorities these are.")
    relation: Relation = strawberry.field(
        description="Which of its items are ranked (EXPERIENCES: its pains, ...)."
    )
    as_of: datetime = strawberry.field(description="The time the rankings are computed as of.")
    items: list[RankedItem] = strawberry.field(description="By evidence score, highest first.")
    with_evidence: list[RankAgreement] = strawberry.field(
        description="Each function's ranking against the evidence's."
    )
    between_functions: list[RankAgreement] = strawberry.field(
        description="Every pair of functions."
    )
    thresholds: DivergenceThresholds = strawberry.field(
        description="The thresholds these figures were computed with."
    )


@strawberry.type(description="Agreement of two functions: their alpha and mean |p_a − p_b|.")
class PairAgreement:
    a: str = strawberry.field(description="One function.")
    b: str = strawberry.field(description="The other function.")
    alpha: float | None = strawberry.field(
        description="Interval alpha of the pair; null below thresholds.minAlignmentUnits."
    )
    mean_abs_difference: float | None = strawberry.field(
        description="Mean |p_a − p_b| over the propositions both hold a belief on."
    )
    units: int = strawberry.field(description="Propositions both hold a belief on.")


@strawberry.type(
    description="The alignment index: Krippendorff's alpha, interval metric (units = "
    "propositions, coders = functions, values = current p)."
)
class Alignment:
    alpha: float | None = strawberry.field(
        description="Null below thresholds.minAlignmentUnits pairable propositions."
    )
    alpha_low: float | None = strawberry.field(description="Bootstrap interval over units, low.")
    alpha_high: float | None = strawberry.field(description="... and high.")
    mean_abs_difference: float | None = strawberry.field(
        description="On a typical proposition, how far two functions' p are apart; read it "
        "beside alpha, which misleads when answers barely vary."
    )
    units: int = strawberry.field(description="Pairable propositions used.")
    functions: list[str] = strawberry.field(description="The functions holding beliefs here.")
    pairwise: list[PairAgreement] = strawberry.field(description="The function × function matrix.")
    segment: EntitySummary | None = strawberry.field(
        description="The segment, or null for the whole model."
    )
    as_of: datetime = strawberry.field(description="The time the index is computed as of.")
    thresholds: DivergenceThresholds = strawberry.field(
        description="The thresholds these figures were computed with."
    )


@strawberry.type(description="A proposition behind a structural gap, with its evidence.")
class PropositionEvidence:
    proposition: Proposition = strawberry.field(description="A proposition behind the gap.")
    text: str = strawberry.field(description="The proposition as a sentence.")
    evidence: EvidenceSummary = strawberry.field(description="Its evidence, as of the query.")


@strawberry.type(description="A hole in the shared model, and the functions that own the fix.")
class StructuralGap:
    kind: StructuralGapKind = strawberry.field(description="Which rule found the gap.")
    owners: list[str] = strawberry.field(description="The functions that own the fix.")
    entity: EntitySummary = strawberry.field(
        description="The pain, claim, feature or alternative at issue."
    )
    related: EntitySummary | None = strawberry.field(
        description="For a claim: the goal or pain it promises."
    )
    segments: list[EntitySummary] = strawberry.field(description="The segments concerned.")
    propositions: list[PropositionEvidence] = strawberry.field(
        description="The propositions that make it a gap."
    )
    explanation: str = strawberry.field(description="The gap in one sentence.")
    thresholds: DivergenceThresholds = strawberry.field(
        description="The thresholds this row was computed with."
    )

    @classmethod
    def from_model(cls, g: rows.StructuralGap, t: DivergenceThresholds) -> StructuralGap:
        return cls(
            kind=g.kind,
            owners=list(g.owners),
            entity=EntitySummary.from_model(g.entity),
            related=EntitySummary.from_model(g.related) if g.related else None,
            segments=[EntitySummary.from_model(s) for s in g.segments],
            propositions=[
                PropositionEvidence(
                    proposition=_proposition(p.proposition),
                    text=p.proposition.text,
                    evidence=EvidenceSummary.from_model(p.evidence),
                )
                for p in g.propositions
            ],
            explanation=g.explanation,
            thresholds=t,
        )


@strawberry.type(description="One side of a duplicate pair, and who created it.")
class DuplicateEntity:
    entity: EntitySummary = strawberry.field(description="The entity.")
    description: str | None = strawberry.field(
        description="Its description, compared with the name."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    created_by: str | None = strawberry.field(description="The id of the member who created it.")
    created_by_name: str | None = strawberry.field(
        description="The name of the member who created it."
    )
    created_by_function: str | None = strawberry.field(
        description="The function of the member who created it."
    )

    @classmethod
    def from_model(cls, d: rows.DuplicateEntity) -> DuplicateEntity:
        return cls(
            entity=EntitySummary.from_model(d.entity),
            description=d.description,
            created_at=d.created_at,
            created_by=d.entity.created_by,
            created_by_name=d.created_by_name,
            created_by_function=d.created_by_function,
        )


@strawberry.type(
    description="Two entities of one kind whose names and descriptions look like the same "
    "thing (TF-IDF text similarity, computed locally). Merge them with mergeEntities."
)
class DuplicatePair:
    kind: EntityKind = strawberry.field(description="The kind both entities are of.")
    similarity: float = strawberry.field(description="Cosine similarity in [0, 1].")
    a: DuplicateEntity = strawberry.field(description="One entity (the smaller id).")
    b: DuplicateEntity = strawberry.field(description="The other entity.")
    across_functions: bool = strawberry.field(
        description="Whether members of two different functions created them."
    )
    min_similarity: float = strawberry.field(description="The threshold this list used.")


def _thresholds(ctx: Context) -> tuple[engine.EngineSettings, DivergenceThresholds]:
    settings = engine.EngineSettings.from_settings(ctx.settings)
    return settings, DivergenceThresholds.from_model(settings.thresholds)


async def _picture(
    ctx: Context, settings: engine.EngineSettings, segment_id: strawberry.ID | None, as_of: datetime
) -> engine.Picture:
    return await ctx.db.read_model(
        ctx.bookmarks or None,
        engine.load_picture,
        settings,
        as_of=as_of,
        segment_id=str(segment_id) if segment_id is not None else None,
    )


def _limit(ctx: Context, first: int | None) -> int:
    return check_page_size(first, DEFAULT_ROWS, ctx.settings.max_page_size)


def _gap_key(gap: rows.BeliefGap) -> list[str]:
    return [
        repr(float(gap.rank_score)),
        repr(float(abs(gap.gap))),
        gap.proposition.id,
        gap.function,
    ]


def _after(key: list[str]) -> tuple[float, float, str, str]:
    try:
        rank, size, pid, function = key
        return (-float(rank), -float(size), pid, function)
    except ValueError as error:
        raise BadInput("the `after` cursor is not one this query issued") from error


@strawberry.type
class DivergenceQuery:
    @strawberry.field(
        description="Belief gaps (DESIGN.md §2 item 1): each function's current belief against "
        "the evidence, gap = p − confidence, on propositions with evidence mass S + C ≥ "
        "minEvidenceMass; ranked by |gap| × consensus magnitude. A cursor pins asOf."
    )
    async def divergences(
        self,
        info: Info[Context, None],
        function: FunctionFilter = None,
        segment_id: SegmentFilter = None,
        as_of: AsOf = None,
        first: First = None,
        after: Annotated[
            str | None,
            strawberry.argument(description="The endCursor of the previous page; pins its asOf."),
        ] = None,
        significant_only: Annotated[
            bool, strawberry.argument(description="Only gaps with |gap| >= significantGap.")
        ] = False,
    ) -> BeliefGapConnection:
        ctx = info.context
        ctx.actor  # noqa: B018 - reading needs a token
        limit = _limit(ctx, first)
        pinned, after_key = _pin(as_of, after, ctx.now)
        settings, thresholds = _thresholds(ctx)
        picture = await _picture(ctx, settings, segment_id, pinned)
        gaps = engine.belief_gaps(picture, function, significant_only=significant_only)
        remaining = gaps
        if after_key is not None:
            start = _after(after_key)
            remaining = [g for g in gaps if engine.gap_sort_key(g) > start]
        page = remaining[:limit]
        edges = [
            BeliefGapEdge(
                cursor=encode_cursor(pinned, _gap_key(g)), node=BeliefGap.from_model(g, thresholds)
            )
            for g in page
        ]
        return BeliefGapConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(remaining) > limit,
                end_cursor=edges[-1].cursor if edges else None,
                as_of=pinned,
            ),
            total_count=len(gaps),
            thresholds=thresholds,
        )

    @strawberry.field(
        description="Disagreement between functions (item 2): spread and standard deviation of "
        "the current beliefs on each proposition with two or more, widest first; contested "
        "among functions when spread ≥ contestedSpread."
    )
    async def disagreements(
        self,
        info: Info[Context, None],
        segment_id: SegmentFilter = None,
        as_of: AsOf = None,
        first: First = None,
        function: Annotated[
            str | None,
            strawberry.argument(description="Only propositions this function holds a belief on."),
        ] = None,
        contested_only: Annotated[
            bool, strawberry.argument(description="Only spreads >= contestedSpread.")
        ] = False,
    ) -> list[Disagreement]:
        ctx = info.context
        ctx.actor  # noqa: B018
        limit = _limit(ctx, first)
        settings, thresholds = _thresholds(ctx)
        picture = await _picture(ctx, settings, segment_id, as_of or ctx.now)
        found = engine.disagreements(picture, function, contested_only=contested_only)
        return [Disagreement.from_model(d, thresholds) for d in found[:limit]]

    @strawberry.field(
        description="Blind spots (item 3): validated or refuted propositions on which the "
        "function holds no belief, strongest evidence first."
    )
    async def blind_spots(
        self,
        info: Info[Context, None],
        function: Annotated[
            str, strawberry.argument(description="The function whose blind spots to list.")
        ],
        segment_id: SegmentFilter = None,
        as_of: AsOf = None,
        first: First = None,
    ) -> list[BlindSpot]:
        ctx = info.context
        ctx.actor  # noqa: B018
        limit = _limit(ctx, first)
        settings, thresholds = _thresholds(ctx)
        picture = await _picture(ctx, settings, segment_id, as_of or ctx.now)
        found = engine.blind_spots(picture, function)
        return [BlindSpot.from_model(b, thresholds) for b in found[:limit]]

    @strawberry.field(
        description="Assumption debt (item 4): strong beliefs on propositions with evidence "
        "mass below minEvidenceMass, per function, heaviest magnitude first: the assumptions "
        "to test first."
    )
    async def assumption_debt(
        self,
        info: Info[Context, None],
        function: FunctionFilter = None,
        segment_id: SegmentFilter = None,
        as_of: AsOf = None,
        first: First = None,
    ) -> list[AssumptionDebt]:
        ctx = info.context
        ctx.actor  # noqa: B018
        limit = _limit(ctx, first)
        settings, thresholds = _thresholds(ctx)
        picture = await _picture(ctx, settings, segment_id, as_of or ctx.now)
        found = engine.assumption_debt(picture, function)
        return [AssumptionDebt.from_model(d, thresholds) for d in found[:limit]]

    @strawberry.field(
        description="Priority alignment (item 5): Kendall's tau-b between each function's "
        "ranking (p × magnitude) of a segment's items of one relation and the evidence's "
        "(max(S − C, 0) × mean magnitude), and between every pair of functions."
    )
    async def priority_alignment(
        self,
        info: Info[Context, None],
        segment_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The segment whose priorities to compare."),
        ],
        relation: Annotated[
            Relation,
            strawberry.argument(
                description="Which items to rank: PURSUES its goals, EXPERIENCES its pains, "
                "USES its alternatives, or any relation of its scope."
            ),
        ],
        as_of: AsOf = None,
    ) -> PriorityAlignment:
        ctx = info.context
        ctx.actor  # noqa: B018
        settings, thresholds = _thresholds(ctx)
        picture = await _picture(ctx, settings, segment_id, as_of or ctx.now)
        result = engine.priority_alignment(picture, relation)
        return PriorityAlignment(
            segment=EntitySummary.from_model(result.segment),
            relation=result.relation,
            as_of=picture.as_of,
            items=[RankedItem.from_model(i) for i in result.items],
            with_evidence=[RankAgreement.from_model(r) for r in result.with_evidence],
            between_functions=[RankAgreement.from_model(r) for r in result.between_functions],
            thresholds=thresholds,
        )

    @strawberry.field(
        description="The alignment index (item 6), over the whole model or one segment: "
        "Krippendorff's interval alpha with its bootstrap interval, the mean absolute "
        "difference and the function × function matrix."
    )
    async def alignment(
        self,
        info: Info[Context, None],
        segment_id: SegmentFilter = None,
        as_of: AsOf = None,
    ) -> Alignment:
        ctx = info.context
        ctx.actor  # noqa: B018
        settings, thresholds = _thresholds(ctx)
        picture = await _picture(ctx, settings, segment_id, as_of or ctx.now)
        result = engine.alignment(picture)
        return Alignment(
            alpha=result.alpha,
            alpha_low=result.alpha_low,
            alpha_high=result.alpha_high,
            mean_abs_difference=result.mean_abs_difference,
            units=result.units,
            functions=list(result.functions),
            pairwise=[
                PairAgreement(
                    a=p.a,
                    b=p.b,
                    alpha=p.alpha,
                    mean_abs_difference=p.mean_abs_difference,
                    units=p.units,
                )
                for p in result.pairwise
            ],
            segment=EntitySummary.from_model(result.segment) if result.segment else None,
            as_of=picture.as_of,
            thresholds=thresholds,
        )

    @strawberry.field(
        description="Structural gaps in the shared model (item 7); `function` keeps the gaps "
        "whose fix that function owns."
    )
    async def structural_gaps(
        self,
        info: Info[Context, None],
        segment_id: SegmentFilter = None,
        function: Annotated[
            str | None,
            strawberry.argument(description="Only the gaps whose fix this function owns."),
        ] = None,
        as_of: AsOf = None,
    ) -> list[StructuralGap]:
        ctx = info.context
        ctx.actor  # noqa: B018
        settings, thresholds = _thresholds(ctx)
        picture = await _picture(ctx, settings, segment_id, as_of or ctx.now)
        return [
            StructuralGap.from_model(g, thresholds)
            for g in engine.structural_gaps(picture, function)
        ]

    @strawberry.field(
        description="Duplicates across teams (item 8): features, pains, goals and claims "
        "(or one kind) that look like the same thing, most alike first."
    )
    async def duplicates(
        self,
        info: Info[Context, None],
        kind: Annotated[
            EntityKind | None,
            strawberry.argument(
                description="Only this kind (FEATURE, PAIN, GOAL, CLAIM by default)."
            ),
        ] = None,
        min_similarity: Annotated[
            float | None,
            strawberry.argument(
                description="Flag pairs at least this alike; duplicateMinSimilarity when omitted."
            ),
        ] = None,
        first: First = None,
        as_of: Annotated[
            datetime | None,
            strawberry.argument(
                description="Compare the entities that existed at this time; now when omitted."
            ),
        ] = None,
    ) -> list[DuplicatePair]:
        ctx = info.context
        ctx.actor  # noqa: B018
        limit = _limit(ctx, first)
        settings, _ = _thresholds(ctx)
        threshold = settings.duplicate_min_similarity if min_similarity is None else min_similarity
        if not 0.0 <= threshold <= 1.0:
            raise BadInput("minSimilarity must be between 0 and 1")
        found = await ctx.read(
            engine.duplicates, as_of=as_of or ctx.now, min_similarity=threshold, kind=kind
        )
        return [
            DuplicatePair(
                kind=p.kind,
                similarity=p.similarity,
                a=DuplicateEntity.from_model(p.a),
                b=DuplicateEntity.from_model(p.b),
                across_functions=p.across_functions,
                min_similarity=threshold,
            )
            for p in found[:limit]
        ]

    @strawberry.field(description="The thresholds every divergence query uses, as configured.")
    def divergence_thresholds(self, info: Info[Context, None]) -> DivergenceThresholds:
        info.context.actor  # noqa: B018
        return _thresholds(info.context)[1]


@strawberry.type
class DivergenceMutation:
    @strawberry.mutation(
        description="Merge mergeId into keepId (facilitators and admins; same kind): its "
        "propositions move to the survivor, those that become the same triple fold into one "
        "(evidence and belief histories united), and the merged ids keep resolving to the "
        "survivor. Audited."
    )
    async def merge_entities(
        self,
        info: Info[Context, None],
        keep_id: Annotated[strawberry.ID, strawberry.argument(description="The survivor.")],
        merge_id: Annotated[
            strawberry.ID, strawberry.argument(description="The entity merged into the survivor.")
        ],
    ) -> Entity:
        ctx = info.context
        actor = ctx.writer()
        survivor, _ = await ctx.write(merge_entities, actor, str(keep_id), str(merge_id), ctx.now)
        return Entity.from_model(survivor)
