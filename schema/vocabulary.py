"""The domain vocabulary: entity kinds, relations, stances, roles and source types.

Every label and relationship type that reaches Cypher comes from these enums; nothing a
user sends is ever spliced into query text (see ``graph/kit/vocabulary.py``).
"""

from __future__ import annotations

from enum import StrEnum


class EntityKind(StrEnum):
    SEGMENT = "SEGMENT"
    ACCOUNT = "ACCOUNT"
    GOAL = "GOAL"
    PAIN = "PAIN"
    ALTERNATIVE = "ALTERNATIVE"
    FEATURE = "FEATURE"
    CLAIM = "CLAIM"

    @property
    def label(self) -> str:
        """The Neo4j label of this kind, e.g. ``Segment``."""
        return self.value.capitalize()

    @property
    def id_prefix(self) -> str:
        return _ID_PREFIX[self]


_ID_PREFIX = {
    EntityKind.SEGMENT: "seg",
    EntityKind.ACCOUNT: "acct",
    EntityKind.GOAL: "goal",
    EntityKind.PAIN: "pain",
    EntityKind.ALTERNATIVE: "alt",
    EntityKind.FEATURE: "feat",
    EntityKind.CLAIM: "claim",
}


class Relation(StrEnum):
    PURSUES = "PURSUES"
    EXPERIENCES = "EXPERIENCES"
    HINDERS = "HINDERS"
    USES = "USES"
    RELIEVES = "RELIEVES"
    ENABLES = "ENABLES"
    PROMISES = "PROMISES"
    BACKED_BY = "BACKED_BY"
    TARGETS = "TARGETS"
    BEATS = "BEATS"


# Which subject and object kinds each relation accepts (docs/design.md §1).
RELATION_ENDPOINTS: dict[Relation, tuple[frozenset[EntityKind], frozenset[EntityKind]]] = {
    Relation.PURSUES: (frozenset({EntityKind.SEGMENT}), frozenset({EntityKind.GOAL})),
    Relation.EXPERIENCES: (frozenset({EntityKind.SEGMENT}), frozenset({EntityKind.PAIN})),
    Relation.HINDERS: (frozenset({EntityKind.PAIN}), frozenset({EntityKind.GOAL})),
    Relation.USES: (frozenset({EntityKind.SEGMENT}), frozenset({EntityKind.ALTERNATIVE})),
    Relation.RELIEVES: (
        frozenset({EntityKind.FEATURE, EntityKind.ALTERNATIVE}),
        frozenset({EntityKind.PAIN}),
    ),
    Relation.ENABLES: (
        frozenset({EntityKind.FEATURE, EntityKind.ALTERNATIVE}),
        frozenset({EntityKind.GOAL}),
    ),
    Relation.PROMISES: (
        frozenset({EntityKind.CLAIM}),
        frozenset({EntityKind.GOAL, EntityKind.PAIN}),
    ),
    Relation.BACKED_BY: (frozenset({EntityKind.CLAIM}), frozenset({EntityKind.FEATURE})),
    Relation.TARGETS: (frozenset({EntityKind.CLAIM}), frozenset({EntityKind.SEGMENT})),
    Relation.BEATS: (
        frozenset({EntityKind.CLAIM, EntityKind.FEATURE}),
        frozenset({EntityKind.ALTERNATIVE}),
    ),
}

# What a belief's magnitude (1-5) means for each relation; None where it has no meaning.
MAGNITUDE_MEANING: dict[Relation, str | None] = {
    Relation.PURSUES: "importance",
    Relation.EXPERIENCES: "severity",
    Relation.HINDERS: "impact",
    Relation.USES: "prevalence",
    Relation.RELIEVES: "degree of relief",
    Relation.ENABLES: "degree of enablement",
    Relation.PROMISES: "prominence in messaging",
    Relation.BACKED_BY: None,
    Relation.TARGETS: None,
    Relation.BEATS: "strength of differentiation",
}


class Stance(StrEnum):
    SUPPORTS = "SUPPORTS"
    CONTRADICTS = "CONTRADICTS"


class SupportStatus(StrEnum):
    VALIDATED = "VALIDATED"
    REFUTED = "REFUTED"
    CONTESTED = "CONTESTED"
    UNKNOWN = "UNKNOWN"


class Role(StrEnum):
    VIEWER = "viewer"
    CONTRIBUTOR = "contributor"
    FACILITATOR = "facilitator"
    ADMIN = "admin"


class FeatureStatus(StrEnum):
    IDEA = "idea"
    PLANNED = "planned"
    BUILDING = "building"
    SHIPPED = "shipped"


class ClaimStatus(StrEnum):
    DRAFT = "draft"
    LIVE = "live"


class AlternativeKind(StrEnum):
    COMPETITOR = "competitor"
    WORKAROUND = "workaround"
    STATUS_QUO = "status_quo"


DEFAULT_FUNCTIONS: tuple[str, ...] = (
    "product",
    "marketing",
    "sales",
    "success",
    "design",
    "engineering",
    "leadership",
)

# Default reliability of each evidence source type (docs/design.md §2); configurable in settings.
DEFAULT_RELIABILITY: dict[str, float] = {
    "analytics": 0.9,
    "usage": 0.9,
    "interview": 0.8,
    "win_loss": 0.8,
    "survey": 0.7,
    "sales_call": 0.6,
    "support_ticket": 0.6,
    "review": 0.5,
    "other": 0.4,
}
SOURCE_TYPES: tuple[str, ...] = tuple(DEFAULT_RELIABILITY)


def endpoint_error(relation: Relation, subject: EntityKind, obj: EntityKind) -> str | None:
    """Why ``(subject)-[relation]->(object)`` is not allowed, or None when it is."""
    subjects, objects = RELATION_ENDPOINTS[relation]
    if subject not in subjects:
        allowed = " or ".join(sorted(k.value for k in subjects))
        return f"{relation.value} needs a subject of kind {allowed}, not {subject.value}"
    if obj not in objects:
        allowed = " or ".join(sorted(k.value for k in objects))
        return f"{relation.value} needs an object of kind {allowed}, not {obj.value}"
    return None
