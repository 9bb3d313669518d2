"""Propositions in plain words: the one sentence builder the workshop page and the snapshot
reports share, so a reader never meets a relation's database name (EXPERIENCES, BACKED_BY)."""

from __future__ import annotations

from schema.divergence import PropositionView
from schema.vocabulary import RELATION_ENDPOINTS, EntityKind, Relation

# How each relation reads in a sentence; a segment is plural ("operations teams pursue").
VERBS = {
    Relation.PURSUES: "pursue",
    Relation.EXPERIENCES: "experience",
    Relation.USES: "use",
    Relation.HINDERS: "hinders",
    Relation.RELIEVES: "relieves",
    Relation.ENABLES: "enables",
    Relation.PROMISES: "promises",
    Relation.BACKED_BY: "is backed by",
    Relation.TARGETS: "targets",
    Relation.BEATS: "beats",
}

# The relations whose subject is always a segment: its name reads bare ("Mid-market operations
# teams experience …"); every other subject is a named thing and reads in quotation marks.
SEGMENT_SUBJECT = frozenset(
    r for r, (subjects, _) in RELATION_ENDPOINTS.items() if subjects == {EntityKind.SEGMENT}
)


def sentence(subject: str, relation: Relation | str, obj: str) -> str:
    """Mid-market operations teams experience “Slow onboarding”."""
    relation = Relation(relation)
    named = subject if relation in SEGMENT_SUBJECT else f"“{subject}”"
    return f"{named} {VERBS[relation]} “{obj}”"


def statement(view: PropositionView) -> str:
    """A proposition as a sentence (see ``sentence``)."""
    return sentence(view.subject.name, view.relation, view.object.name)
