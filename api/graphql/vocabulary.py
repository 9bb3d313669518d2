"""The domain's enums as GraphQL enums, with the descriptions the schema shows.

Registering the domain enums themselves (not copies) lets resolvers take and return them as
they are; every module names them through this one, so they are registered before use.
"""

from __future__ import annotations

import strawberry

from schema.vocabulary import EntityKind, Relation, Stance, SupportStatus

strawberry.enum(EntityKind, description="The kinds of things in the model.")
strawberry.enum(
    Relation, description="The fixed vocabulary of propositions: subject -RELATION-> object."
)
strawberry.enum(Stance, description="Whether evidence supports or contradicts.")
strawberry.enum(
    SupportStatus,
    description="VALIDATED: confidence >= 0.95; REFUTED: <= 0.05; CONTESTED: S >= 1 and C >= 1 "
    "and neither; UNKNOWN otherwise.",
)

__all__ = ["EntityKind", "Relation", "Stance", "SupportStatus"]
