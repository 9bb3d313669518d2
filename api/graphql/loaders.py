"""Per-request DataLoaders for support, evidence, beliefs and members.

Each loader turns the keys one GraphQL request asks for in one tick into one read: a page of
100 propositions asking for their support, evidence or beliefs costs one query per field,
not one per proposition. Loaders live on the request's context (``Context.loader``), so
nothing is cached across requests.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

from strawberry.dataloader import DataLoader

from analytics.support import beta_support
from api.graphql.context import Context
from graph import beliefs, evidence, members, support
from graph.support import Support, SupportSettings
from schema.models import Belief, Evidence, EvidenceItem, Member
from schema.settings import Settings

# beta_support's own defaults; other configured values need the status recomputed.
DEFAULT_THRESHOLDS = (0.95, 0.05)

SupportKey = tuple[str, datetime]  # (proposition id, as of)
HistoryKey = tuple[str, str | None, datetime]  # (proposition id, function or None, as of)


@dataclass(frozen=True)
class EvidencePageKey:
    """One page of one proposition's evidence."""

    proposition_id: str
    as_of: datetime
    include_retracted: bool
    after: tuple[datetime, str] | None  # (observed_at, id) of the previous page's last item
    limit: int
    bears: bool = True  # False when the query selects no bearings: items come without them
    # The item fields the query selects (None: all); the items are then PartialEvidence.
    fields: frozenset[str] | None = None


def support_settings(settings: Settings) -> SupportSettings:
    """The configured reliabilities and half-life, as the support query takes them."""
    return SupportSettings(
        reliability=dict(settings.reliability), half_life_days=settings.half_life_days
    )


def with_thresholds(settings: Settings, figures: Support) -> Support:
    """The figures with the configured validated/refuted thresholds applied to the status."""
    if (settings.validated_confidence, settings.refuted_confidence) == DEFAULT_THRESHOLDS:
        return figures
    posterior = beta_support(
        figures.supporting,
        figures.contradicting,
        level=figures.posterior.level,
        validated_at=settings.validated_confidence,
        refuted_at=settings.refuted_confidence,
    )
    return replace(figures, posterior=posterior)


async def support_in_scope(
    ctx: Context, as_of: datetime, segment_id: str | None
) -> dict[str, Support]:
    """Support of every proposition in a segment's scope (or all), in one query."""
    figures = await ctx.read(
        support.support_for, support_settings(ctx.settings), as_of=as_of, segment_id=segment_id
    )
    return {pid: with_thresholds(ctx.settings, f) for pid, f in figures.items()}


def no_evidence(proposition_id: str) -> Support:
    """The figures of a proposition no evidence bears on (or that does not exist at T)."""
    return Support(
        proposition_id=proposition_id,
        supporting=0.0,
        contradicting=0.0,
        evidence_count=0,
        supporting_count=0,
        contradicting_count=0,
        distinct_accounts=0,
        newest_evidence_at=None,
        evidence_ids=(),
        mean_magnitude=1.0,
        posterior=beta_support(0.0, 0.0),
    )


def support_loader(ctx: Context) -> DataLoader[SupportKey, Support]:
    """Support per (proposition, as-of): one ``support_for`` query per distinct as-of."""

    async def load(keys: list[SupportKey]) -> list[Support]:
        wanted: dict[datetime, list[str]] = defaultdict(list)
        for proposition_id, as_of in keys:
            wanted[as_of].append(proposition_id)
        found: dict[SupportKey, Support] = {}
        for as_of, ids in wanted.items():
            figures = await ctx.read(
                support.support_for,
                support_settings(ctx.settings),
                as_of=as_of,
                ids=sorted(set(ids)),
            )
            for proposition_id, figure in figures.items():
                found[(proposition_id, as_of)] = figure
        return [
            with_thresholds(ctx.settings, found.get(key) or no_evidence(key[0])) for key in keys
        ]

    return ctx.loader("support", load)


async def support_of(ctx: Context, proposition_id: str, as_of: datetime) -> Support:
    figure: Support = await support_loader(ctx).load((proposition_id, as_of))
    return figure


def prime_support(ctx: Context, as_of: datetime, figures: dict[str, Support]) -> None:
    """Hand figures already computed (e.g. for a status filter) to this request's loader."""
    loader = support_loader(ctx)
    for proposition_id, figure in figures.items():
        loader.prime((proposition_id, as_of), figure)


def current_beliefs_loader(ctx: Context) -> DataLoader[SupportKey, list[Belief]]:
    """Each function's current belief per (proposition, as-of), one query per as-of."""

    async def load(keys: list[SupportKey]) -> list[list[Belief]]:
        wanted: dict[datetime, list[str]] = defaultdict(list)
        for proposition_id, as_of in keys:
            wanted[as_of].append(proposition_id)
        found: dict[SupportKey, list[Belief]] = defaultdict(list)
        for as_of, ids in wanted.items():
            for belief in await ctx.read(beliefs.current, sorted(set(ids)), as_of):
                found[(belief.proposition_id, as_of)].append(belief)
        return [sorted(found.get(key, []), key=lambda b: b.function) for key in keys]

    return ctx.loader("current_beliefs", load)


def belief_history_loader(ctx: Context) -> DataLoader[HistoryKey, list[Belief]]:
    """Belief histories per (proposition, function, as-of), in one query per batch."""

    async def load(keys: list[HistoryKey]) -> list[list[Belief]]:
        return await ctx.read(beliefs.histories, list(keys))

    return ctx.loader("belief_history", load)


def evidence_page_loader(
    ctx: Context,
) -> DataLoader[EvidencePageKey, tuple[list[EvidenceItem], int]]:
    """A page of evidence per proposition (and the count over all pages), one query per batch."""

    async def load(keys: list[EvidencePageKey]) -> list[tuple[list[EvidenceItem], int]]:
        return await ctx.read(
            evidence.pages_for_propositions,
            [
                {
                    "proposition_id": k.proposition_id,
                    "as_of": k.as_of,
                    "include_retracted": k.include_retracted,
                    "after": k.after,
                    "limit": k.limit,
                    "bears": k.bears,
                    "fields": k.fields,
                }
                for k in keys
            ],
        )

    return ctx.loader("evidence_page", load)


@dataclass(frozen=True)
class FacetsKey:
    """The facet counts of one proposition's own evidence, as of a time."""

    proposition_id: str
    as_of: datetime
    include_retracted: bool


def evidence_facets_loader(ctx: Context) -> DataLoader[FacetsKey, evidence.Facets]:
    """``counts`` of the evidence pages of a page of propositions: one query per batch."""

    async def load(keys: list[FacetsKey]) -> list[evidence.Facets]:
        return await ctx.read(
            evidence.facets_for_propositions,
            [
                {
                    "proposition_id": k.proposition_id,
                    "as_of": k.as_of,
                    "include_retracted": k.include_retracted,
                }
                for k in keys
            ],
        )

    return ctx.loader("evidence_facets", load)


def evidence_loader(ctx: Context) -> DataLoader[str, Evidence | None]:
    return ctx.by_id("evidence", evidence.get_many)


def member_loader(ctx: Context) -> DataLoader[str, Member | None]:
    return ctx.by_id("member", members.get_many)
