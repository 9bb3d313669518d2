"""Hand-made Pictures for the divergence engine's unit tests (no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from analytics.support import beta_support
from graph.divergence import EngineSettings, Picture, build_picture
from graph.propositions import proposition_id
from graph.support import Support
from schema.divergence import EntityRef, PropositionView
from schema.models import Belief
from schema.vocabulary import DEFAULT_FUNCTIONS, EntityKind, Relation

T = datetime(2026, 6, 1, tzinfo=UTC)


def entity(entity_id: str, kind: EntityKind, status: str | None = None) -> EntityRef:
    return EntityRef(id=entity_id, kind=kind, name=entity_id.replace("-", " "), status=status)


@dataclass
class Model:
    """A small model: propositions, evidence weights and beliefs, as a Picture."""

    settings: EngineSettings = field(default_factory=EngineSettings)
    propositions: dict[str, PropositionView] = field(default_factory=dict)
    weights: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    beliefs: list[Belief] = field(default_factory=list)

    def add(
        self, subject: EntityRef, relation: Relation, obj: EntityRef, s: float = 0.0, c: float = 0.0
    ) -> str:
        pid = proposition_id(subject.id, relation, obj.id)
        self.propositions[pid] = PropositionView(
            id=pid,
            relation=relation,
            subject=subject,
            object=obj,
            created_at=T - timedelta(days=30),
            created_by="mem-test",
        )
        if s or c:
            self.weights[pid] = (s, c, 1.0)
        return pid

    def evidence(self, pid: str, s: float, c: float, magnitude: float = 1.0) -> None:
        self.weights[pid] = (s, c, magnitude)

    def believe(
        self, pid: str, function: str, p: float, magnitude: int | None = None, seq: int = 1
    ) -> None:
        self.beliefs.append(
            Belief(
                id=f"bel-{function}-{pid[-6:]}-{seq}",
                proposition_id=pid,
                function=function,
                seq=seq,
                p=p,
                magnitude=magnitude,
                stated_at=T - timedelta(days=1),
                stated_by=f"mem-{function}",
            )
        )

    def support(self) -> dict[str, Support]:
        out = {}
        for pid, (s, c, magnitude) in self.weights.items():
            out[pid] = Support(
                proposition_id=pid,
                supporting=s,
                contradicting=c,
                evidence_count=2,
                supporting_count=1 if s else 0,
                contradicting_count=1 if c else 0,
                distinct_accounts=1,
                newest_evidence_at=T - timedelta(days=3),
                evidence_ids=(f"ev-{pid[-4:]}-1", f"ev-{pid[-4:]}-2"),
                mean_magnitude=magnitude,
                posterior=beta_support(s, c),
            )
        return out

    def picture(self, segment: EntityRef | None = None, scope: list[str] | None = None) -> Picture:
        return build_picture(
            as_of=T,
            settings=self.settings,
            propositions=self.propositions.values(),
            support_by_id=self.support(),
            current=self.beliefs,
            functions=DEFAULT_FUNCTIONS,
            segment=segment,
            scope=scope,
        )
