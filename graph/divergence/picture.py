"""The model as it stood at a time T, loaded in a handful of queries for the engine.

A ``Picture`` holds every proposition visible at T (the whole model: structural gaps need
context beyond one segment), the ids inside the requested segment's scope, the support of
each proposition and each function's current belief. The divergence queries are pure
functions over it, so they run the same in tests, the API, the CLI and snapshots.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, overload

from neo4j import AsyncManagedTransaction
from pydantic import TypeAdapter

from analytics.support import beta_support, support_status
from graph import beliefs, entities, functions, support
from graph.divergence.settings import EngineSettings
from graph.kit import offload
from graph.kit.connection import fetch_collected
from graph.kit.scope import PROPOSITIONS_OF_IDS, SEGMENT_SCOPE, VISIBLE_AS_OF
from graph.support import Support
from schema.divergence import (
    EntityRef,
    EvidenceView,
    FunctionBelief,
    PropositionView,
    Thresholds,
)
from schema.entities import SegmentNotFound
from schema.models import Belief
from schema.vocabulary import EntityKind, SupportStatus

ENTITY_REF = "{.id, .kind, .name, .status, .created_by}"

# One record for the whole model, each row shaped as a PropositionView and its creation
# time as ISO text (a zone name cut off), so that pydantic validates the whole list in one
# call: a record per proposition with a hydrated DateTime cost the driver several times
# more, and a model built per row cost a tenth of the load (benchmark b).
_VIEWS = (
    VISIBLE_AS_OF
    + """
WITH p, subject, object ORDER BY p.id
RETURN collect(p {.id, .relation, .created_by,
                  created_at: split(toString(p.created_at), '[')[0],
                  subject: subject """
    + ENTITY_REF
    + """,
                  object: object """
    + ENTITY_REF
    + """}) AS rows
"""
)
# The view of every proposition visible as of $as_of, in one record; of those of $ids.
VISIBLE_PROPOSITIONS = "MATCH (p:Proposition)" + _VIEWS
VISIBLE_PROPOSITIONS_OF_IDS = PROPOSITIONS_OF_IDS + _VIEWS
PROPOSITION_VIEWS = TypeAdapter(list[PropositionView])

# The ids in one record: a record per id cost the driver more than the query (~100 a page).
SCOPE_IDS = (
    SEGMENT_SCOPE
    + "WITH DISTINCT p"
    + VISIBLE_AS_OF
    + """
RETURN collect(p.id) AS ids
"""
)


@dataclass(frozen=True)
class Picture:
    """The model at ``as_of``: propositions, their support and current beliefs."""

    as_of: datetime
    settings: EngineSettings
    propositions: dict[str, PropositionView]
    """Every proposition visible at ``as_of``, in the whole model (context for the queries)."""
    scope: frozenset[str]
    """The ids of the propositions in the requested segment's scope (all, without one)."""
    support: Mapping[str, Support]
    beliefs: dict[str, dict[str, FunctionBelief]]
    """Current belief per proposition id, then per function."""
    functions: tuple[str, ...]
    segment: EntityRef | None = None
    memo: dict[Hashable, Any] = field(default_factory=dict, repr=False, compare=False)
    """Figures that depend on the beliefs and the scope alone (not on T), kept for every
    picture of the same model: the shared model gives all its pictures one memo."""
    per_proposition: dict[Hashable, dict[str, Any]] = field(
        default_factory=dict, repr=False, compare=False
    )
    """Figures of one proposition each that depend on its view and beliefs alone (and on
    what the key names), by proposition id: the shared model carries them to its next copy
    for every proposition a write left alone (see ``each_proposition``)."""
    shaped: dict[Hashable, Any] = field(default_factory=dict, repr=False, compare=False)
    """What depends on the model's shape alone (which propositions there are, what they
    connect, what is said of their entities), kept by the shared model across its copies
    while no write changes that shape (see ``kept_while_shaped``)."""
    at_t: dict[Hashable, Any] = field(default_factory=dict, repr=False, compare=False)
    """What depends on T as well, kept for every picture of the same model at the same T
    and settings: the shared model's pictures of "now" share one T for a second, so the
    pages a workshop opens together work out each proposition's figures once."""
    # The evidence figures and the decided propositions, kept in ``at_t`` (so a picture with
    # another scope of the same T, ``with_scope``, shares them).
    _evidence: dict[str, EvidenceView] = field(init=False, repr=False, compare=False)
    _decided: dict[frozenset[str], list[tuple[PropositionView, EvidenceView]]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_evidence", self.at_t.setdefault("evidence", {}))
        object.__setattr__(self, "_decided", self.at_t.setdefault("decided", {}))

    @property
    def segment_id(self) -> str | None:
        return None if self.segment is None else self.segment.id

    @property
    def thresholds(self) -> Thresholds:
        return self.settings.thresholds

    def in_scope(self) -> list[PropositionView]:
        """The propositions in scope, in id order (a stable order for every query)."""
        return [self.propositions[pid] for pid in sorted(self.scope)]

    def evidence(self, proposition_id: str) -> EvidenceView:
        """The evidence figures of a proposition, with the configured thresholds."""
        cached = self._evidence.get(proposition_id)
        if cached is None:
            cached = evidence_view(self.support.get(proposition_id), self.settings)
            self._evidence[proposition_id] = cached
        return cached

    def decided(self) -> list[tuple[PropositionView, EvidenceView]]:
        """The propositions in scope that the evidence validates or refutes, with their
        evidence, in id order: once per time and scope (each function's blind spots are
        among them)."""
        found = self._decided.get(self.scope)
        if found is None:
            decided = (SupportStatus.VALIDATED, SupportStatus.REFUTED)
            found = [
                (proposition, evidence)
                for proposition in self.in_scope()
                if (evidence := self.evidence(proposition.id)).status in decided
            ]
            self._decided[self.scope] = found
        return found

    def each_proposition(self, key: Hashable) -> dict[str, Any]:
        """The figures kept under ``key``, by proposition id (``per_proposition``)."""
        return self.per_proposition.setdefault(key, {})

    def beliefs_on(self, proposition_id: str) -> tuple[FunctionBelief, ...]:
        """Each function's current belief, in the order of ``functions``.

        Asked for every row of every query, so each proposition's order is worked out once
        per model (the beliefs and functions are the memo's: see ``memo``)."""
        ordered: dict[str, tuple[FunctionBelief, ...]] = self.each_proposition(
            ("beliefs in function order", self.functions)
        )
        found = ordered.get(proposition_id)
        if found is None:
            held = self.beliefs.get(proposition_id, {})
            order = self.memo.get(("function order", self.functions))
            if order is None:
                order = self.memo.setdefault(
                    ("function order", self.functions),
                    {name: n for n, name in enumerate(self.functions)},
                )
            found = tuple(
                sorted(held.values(), key=lambda b: (order.get(b.function, 1 << 30), b.function))
            )
            ordered[proposition_id] = found
        return found

    @overload
    def check_function(self, function: str) -> str: ...
    @overload
    def check_function(self, function: None) -> None: ...
    def check_function(self, function: str | None) -> str | None:
        """The function named, as stored (any case given); UnknownFunction for no function."""
        return None if function is None else functions.named(function, self.functions)


def evidence_view(found: Support | None, settings: EngineSettings) -> EvidenceView:
    """Support figures as the engine reports them; no evidence gives Beta(1, 1)."""
    s = found.supporting if found else 0.0
    c = found.contradicting if found else 0.0
    if found is not None and found.posterior.level == settings.credible_level:
        # The support query's posterior has the interval already: only the status depends
        # on the configured thresholds (the whole model's 10,000 at M: benchmark b).
        computed = found.posterior
        status = support_status(
            s,
            c,
            computed.confidence,
            validated_at=settings.validated_confidence,
            refuted_at=settings.refuted_confidence,
        )
        posterior = computed if computed.status == status else replace(computed, status=status)
    else:
        posterior = beta_support(
            s,
            c,
            level=settings.credible_level,
            validated_at=settings.validated_confidence,
            refuted_at=settings.refuted_confidence,
        )
    # Validated from a dict: half the cost of model_construct (graph/divergence/gaps.py,
    # ROWS_VALIDATED).
    return EvidenceView.model_validate(
        {
            "evidence_ids": found.evidence_ids if found else (),
            "evidence_count": found.evidence_count if found else 0,
            "supporting_count": found.supporting_count if found else 0,
            "contradicting_count": found.contradicting_count if found else 0,
            "distinct_accounts": found.distinct_accounts if found else 0,
            "distinct_sources": found.distinct_sources if found else 0,
            "newest_evidence_at": found.newest_evidence_at if found else None,
            "supporting_weight": s,
            "contradicting_weight": c,
            "mean_magnitude": found.mean_magnitude if found else 1.0,
            "support": posterior.mean,
            "confidence": posterior.confidence,
            "interval_low": posterior.low,
            "interval_high": posterior.high,
            "interval_level": posterior.level,
            "status": SupportStatus(posterior.status),
        }
    )


def function_belief(belief: Belief) -> FunctionBelief:
    assert belief.p is not None
    # From a validated Belief, validated from a dict: cheaper than model_construct
    # (graph/divergence/gaps.py, ROWS_VALIDATED).
    return FunctionBelief.model_validate(
        {
            "function": belief.function,
            "p": belief.p,
            "magnitude": belief.magnitude,
            "stated_at": belief.stated_at,
            "stated_by": belief.stated_by,
            "belief_id": belief.id,
            "seq": belief.seq,
            "rationale": belief.rationale,
        }
    )


def build_picture(
    *,
    as_of: datetime,
    settings: EngineSettings,
    propositions: Iterable[PropositionView],
    support_by_id: dict[str, Support],
    current: Iterable[Belief],
    functions: Iterable[str],
    segment: EntityRef | None = None,
    scope: Iterable[str] | None = None,
) -> Picture:
    """Assemble a Picture from plain data (tests use it; the loader skips the Beliefs)."""
    held = (
        (belief.proposition_id, function_belief(belief))
        for belief in current
        if not belief.withdrawn and belief.p is not None
    )
    return _assemble(as_of, settings, propositions, support_by_id, held, functions, segment, scope)


def _assemble(
    as_of: datetime,
    settings: EngineSettings,
    propositions: Iterable[PropositionView],
    support_by_id: dict[str, Support],
    held_beliefs: Iterable[tuple[str, FunctionBelief]],
    functions: Iterable[str],
    segment: EntityRef | None = None,
    scope: Iterable[str] | None = None,
) -> Picture:
    by_id = {p.id: p for p in propositions}
    held: dict[str, dict[str, FunctionBelief]] = {}
    for proposition_id, belief in held_beliefs:
        if proposition_id in by_id:
            held.setdefault(proposition_id, {})[belief.function] = belief
    in_scope = frozenset(by_id) if scope is None else frozenset(scope) & frozenset(by_id)
    return Picture(
        as_of=as_of,
        settings=settings,
        propositions=by_id,
        scope=in_scope,
        support={pid: s for pid, s in support_by_id.items() if pid in by_id},
        beliefs=held,
        functions=tuple(functions),
        segment=segment,
    )


async def load_picture(
    tx: AsyncManagedTransaction,
    settings: EngineSettings,
    *,
    as_of: datetime,
    segment_id: str | None = None,
) -> Picture:
    """The model at ``as_of`` (whole, or with one segment's scope marked): four queries,
    six with a segment, whatever the size of the model."""
    if segment_id is None:
        return await load_model(tx, settings, as_of=as_of)
    segment, scope = await load_scope(tx, segment_id, as_of=as_of)
    return with_scope(await load_model(tx, settings, as_of=as_of), segment, scope)


async def load_model(
    tx: AsyncManagedTransaction, settings: EngineSettings, *, as_of: datetime
) -> Picture:
    """The whole model at ``as_of``, every proposition in scope: four queries."""
    views = PROPOSITION_VIEWS.validate_python(
        await fetch_collected(tx, VISIBLE_PROPOSITIONS, "rows", as_of=as_of)
    )
    figures = await support.support_for(tx, settings.support_settings, as_of=as_of)
    held = await beliefs.current_function_beliefs(tx, [v.id for v in views], as_of)
    names = [f.name for f in await functions.list_all(tx)]
    return await offload.in_thread(_assemble, as_of, settings, views, figures, held, names)


async def load_scope(
    tx: AsyncManagedTransaction, segment_id: str, *, as_of: datetime
) -> tuple[EntityRef, list[str]]:
    """A segment live at ``as_of`` and the ids of the propositions in its scope: two queries."""
    found = await entities.get(tx, segment_id, as_of)
    if (
        found is None
        or found.kind is not EntityKind.SEGMENT
        or (found.retired_at is not None and found.retired_at <= as_of)
    ):
        raise SegmentNotFound(segment_id)
    segment = EntityRef(id=found.id, kind=found.kind, name=found.name, created_by=found.created_by)
    return segment, await fetch_collected(tx, SCOPE_IDS, "ids", segment_id=found.id, as_of=as_of)


def with_scope(whole: Picture, segment: EntityRef, scope: Iterable[str]) -> Picture:
    """The whole model's picture with one segment's scope marked; the whole is shared, not
    copied (a Picture is never changed, and its evidence cache holds for every scope)."""
    # Only the scope's ids are looked up: a set of the whole model's ids per page was most of
    # this function's cost (10,000 at M, for a scope of about a hundred).
    visible = frozenset(pid for pid in scope if pid in whole.propositions)
    return replace(whole, segment=segment, scope=visible)
