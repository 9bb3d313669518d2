"""What the evidence says about one proposition, in GraphQL: the ``Support`` figures."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.shapes import mirror, renamed
from api.graphql.vocabulary import SupportStatus
from graph.support import Support as SupportFigures
from schema.settings import Settings

SAME_AS_SUMMARY = "the name EvidenceSummary gives the same figure"


@strawberry.type(
    description="What the evidence says about one proposition as of a time (docs/design.md §2): "
    "weights are reliability x strength x 0.5^(age/half-life), items of one account combined "
    "by noisy-OR, and the posterior is Beta(1 + S, 1 + C). A proposition that does not exist "
    "at that time (not yet created, or retired) gets the figures of no evidence."
)
class Support:
    support: float = strawberry.field(
        description="Posterior mean (1 + S) / (2 + S + C): the share of evidence in favour."
    )
    interval_low: float = strawberry.field(
        description="Lower end of the equal-tailed credible interval."
    )
    interval_high: float = strawberry.field(
        description="Upper end of the equal-tailed credible interval."
    )
    interval_level: float = strawberry.field(
        description="Probability mass of the credible interval (0.9)."
    )
    # The old names of the two ends, kept for the clients that ask for them.
    low: float = renamed(
        "intervalLow",
        SAME_AS_SUMMARY,
        description="Lower end of the equal-tailed credible interval.",
    )
    high: float = renamed(
        "intervalHigh",
        SAME_AS_SUMMARY,
        description="Upper end of the equal-tailed credible interval.",
    )
    confidence: float = strawberry.field(
        description="P(theta > 0.5): the evidence's confidence that the proposition holds."
    )
    status: SupportStatus = strawberry.field(
        description="VALIDATED (confidence >= validatedConfidence), REFUTED (<= "
        "refutedConfidence), CONTESTED (S >= 1 and C >= 1, neither), else UNKNOWN."
    )
    validated_confidence: float = strawberry.field(
        description="The confidence from which a proposition counts as validated (0.95)."
    )
    refuted_confidence: float = strawberry.field(
        description="The confidence up to which a proposition counts as refuted (0.05)."
    )
    half_life_days: float = strawberry.field(
        description="Evidence weight halves every this many days of age."
    )
    supporting_weight: float = strawberry.field(
        description="S: the summed weight of supporting evidence, each account's items "
        "combined by noisy-OR (an account contributes at most 1)."
    )
    contradicting_weight: float = strawberry.field(
        description="C: the same for contradicting evidence."
    )
    evidence_mass: float = strawberry.field(
        description="S + C; belief gaps need at least 1, thinner evidence is assumption debt."
    )
    evidence_count: int = strawberry.field(description="Evidence items that count as of asOf.")
    supporting_count: int = strawberry.field(description="Of those, the supporting items.")
    contradicting_count: int = strawberry.field(description="Of those, the contradicting items.")
    distinct_accounts: int = strawberry.field(description="Distinct accounts the items come from.")
    distinct_sources: int = strawberry.field(
        description="Distinct sources the items come from: accounts, source keys, and items "
        "with neither (each its own source, as in the noisy-OR cap)."
    )
    newest_evidence_at: datetime | None = strawberry.field(
        description="When the newest counting item was observed; null without evidence."
    )
    evidence_ids: list[strawberry.ID] = strawberry.field(
        description="The ids of the counting items, newest first (at most 20)."
    )
    mean_magnitude: float = strawberry.field(
        description="Weighted mean magnitude reported by supporting items; 1 when none does."
    )
    as_of: datetime = strawberry.field(description="The time these figures are computed as of.")

    @classmethod
    def from_figures(cls, figures: SupportFigures, as_of: datetime, settings: Settings) -> Support:
        # The counts, the newest item and the mean magnitude keep the figures' own names.
        posterior = figures.posterior
        return mirror(
            cls,
            figures,
            support=posterior.mean,
            interval_low=posterior.low,
            interval_high=posterior.high,
            low=posterior.low,
            high=posterior.high,
            interval_level=posterior.level,
            confidence=posterior.confidence,
            status=SupportStatus(posterior.status),
            validated_confidence=settings.validated_confidence,
            refuted_confidence=settings.refuted_confidence,
            half_life_days=settings.half_life_days,
            supporting_weight=figures.supporting,
            contradicting_weight=figures.contradicting,
            evidence_mass=figures.mass,
            evidence_ids=list(figures.evidence_ids),
            as_of=as_of,
        )
