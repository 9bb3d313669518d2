"""A segment's scope (docs/design.md §2): the propositions that describe one segment's world.

``SEGMENT_SCOPE`` is a Cypher fragment that expects ``$segment_id`` and yields ``p`` (one
row per proposition in scope, any as-of filter applied by the caller); ``$segment_id`` null
means every proposition.
"""

from __future__ import annotations

# Subject is the segment (PURSUES, EXPERIENCES, USES); touching its goals, pains and
# alternatives (HINDERS, RELIEVES, ENABLES, PROMISES, BEATS); claims targeting it (TARGETS)
# and their backing (BACKED_BY).
# The first branch, every proposition, tests $segment_id before it matches: written as
# ``MATCH ... WHERE $segment_id IS NULL`` the planner scanned every proposition and then
# dropped them, for a named segment too (10,000 of one segment's 18,600 database hits at M).
SEGMENT_SCOPE = """
CALL {
  WITH $segment_id IS NULL AS every WHERE every
  MATCH (p:Proposition) RETURN p
  UNION
  MATCH (p:Proposition)-[:SUBJECT]->(:Segment {id: $segment_id}) RETURN p
  UNION
  MATCH (:Segment {id: $segment_id})<-[:SUBJECT]-(own:Proposition)-[:OBJECT]->(x:Entity)
  WHERE own.relation IN ['PURSUES', 'EXPERIENCES', 'USES']
  MATCH (p:Proposition)-[:SUBJECT|OBJECT]->(x)
  WHERE p.relation IN ['HINDERS', 'RELIEVES', 'ENABLES', 'PROMISES', 'BEATS']
  RETURN p
  UNION
  MATCH (p:Proposition {relation: 'TARGETS'})-[:OBJECT]->(:Segment {id: $segment_id}) RETURN p
  UNION
  MATCH (:Segment {id: $segment_id})<-[:OBJECT]-(:Proposition {relation: 'TARGETS'})
        -[:SUBJECT]->(claim:Claim)
  MATCH (p:Proposition {relation: 'BACKED_BY'})-[:SUBJECT]->(claim)
  RETURN p
}
"""

# The propositions of $ids, each once: an index seek per id. (``WHERE $ids IS NULL OR p.id IN
# $ids`` reads every proposition: the planner does not skip a guard's other side.)
PROPOSITIONS_OF_IDS = """
UNWIND $ids AS wanted
MATCH (p:Proposition {id: wanted})
WITH DISTINCT p
"""

# A proposition exists as of $as_of when it and both its endpoints were created and not
# yet retired at that time (and no endpoint has been merged away).
VISIBLE_AS_OF = """
MATCH (p)-[:SUBJECT]->(subject:Entity), (p)-[:OBJECT]->(object:Entity)
WHERE p.created_at <= $as_of AND (p.retired_at IS NULL OR p.retired_at > $as_of)
  AND (subject.retired_at IS NULL OR subject.retired_at > $as_of)
  AND (object.retired_at IS NULL OR object.retired_at > $as_of)
  AND subject.merged_into IS NULL AND object.merged_into IS NULL
"""
