"""The one module that splices labels and relationship types into Cypher.

Labels and types come only from the enums in ``schema/vocabulary.py``, never from a user;
each query is built once, at import, into a table keyed by that enum. Everything else in the
code base is a constant Cypher string with ``$parameters`` (a check in ``make test`` fails
on Cypher built with f-strings, ``%`` or ``.format`` anywhere else).
"""

from __future__ import annotations

from schema.vocabulary import EntityKind, Relation

_ENTITY_FIELDS = """
    e.id = $id, e.kind = $kind, e.name = $name, e.description = $description,
    e.status = $status, e.alt_kind = $alt_kind, e.channel = $channel,
    e.created_at = $now, e.created_by = $actor_id, e.idempotency_key = $idempotency_key
"""

# The same fields with the creation time and author given (seed data, snapshot restore).
_GIVEN_ENTITY_FIELDS = _ENTITY_FIELDS.replace("$now", "$created_at").replace(
    "$actor_id", "$created_by"
)


def _create_entity(kind: EntityKind) -> str:
    return (
        f"CREATE (e:Entity:{kind.label})\nSET {_ENTITY_FIELDS}\n"
        "WITH e OPTIONAL MATCH (s:Segment {id: $segment_id})\n"
        "FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | "
        "MERGE (e)-[:IN_SEGMENT]->(s))\n"
        "RETURN e.id AS id, true AS created"
    )


def _merge_entity_by_key(kind: EntityKind) -> str:
    # The uniqueness constraint on Entity.idempotency_key makes concurrent retries converge.
    return (
        f"MERGE (e:Entity {{idempotency_key: $idempotency_key}})\n"
        f"ON CREATE SET e:{kind.label}, {_ENTITY_FIELDS}, e.creation_marker = $marker\n"
        "WITH e, coalesce(e.creation_marker = $marker, false) AS created\n"
        "OPTIONAL MATCH (s:Segment {id: $segment_id}) WHERE created\n"
        "FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | "
        "MERGE (e)-[:IN_SEGMENT]->(s))\n"
        "REMOVE e.creation_marker\n"
        "RETURN e.id AS id, created"
    )


def _upsert_entity_by_id(kind: EntityKind) -> str:
    # Seeding and snapshot restore: the id is given, and loading twice changes nothing.
    return (
        f"MERGE (e:Entity {{id: $id}})\n"
        f"ON CREATE SET e:{kind.label}, {_GIVEN_ENTITY_FIELDS},"
        " e.retired_at = $retired_at, e.retired_reason = $retired_reason,"
        " e.merged_into = $merged_into\n"
        "WITH e OPTIONAL MATCH (s:Segment {id: $segment_id})\n"
        "FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | "
        "MERGE (e)-[:IN_SEGMENT]->(s))\n"
        "RETURN e.id AS id"
    )


def _link_proposition(relation: Relation) -> str:
    # The Proposition node carries evidence and beliefs; the direct typed edge between the
    # endpoints is there so the model reads naturally in Neo4j Browser.
    return (
        "MATCH (p:Proposition {id: $id}), (s:Entity {id: $subject_id}), "
        "(o:Entity {id: $object_id})\n"
        "MERGE (p)-[:SUBJECT]->(s)\n"
        "MERGE (p)-[:OBJECT]->(o)\n"
        f"MERGE (s)-[r:{relation.value} {{proposition_id: $id}}]->(o)\n"
        "RETURN p.id AS id"
    )


def _unlink_direct_edge(relation: Relation) -> str:
    return f"MATCH ()-[r:{relation.value} {{proposition_id: $id}}]->() DELETE r"


CREATE_ENTITY: dict[EntityKind, str] = {k: _create_entity(k) for k in EntityKind}
MERGE_ENTITY_BY_KEY: dict[EntityKind, str] = {k: _merge_entity_by_key(k) for k in EntityKind}
UPSERT_ENTITY_BY_ID: dict[EntityKind, str] = {k: _upsert_entity_by_id(k) for k in EntityKind}
LINK_PROPOSITION: dict[Relation, str] = {r: _link_proposition(r) for r in Relation}
UNLINK_DIRECT_EDGE: dict[Relation, str] = {r: _unlink_direct_edge(r) for r in Relation}
