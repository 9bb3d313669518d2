"""Everything that speaks Cypher: connection, repositories, analytics queries, local Neo4j."""
