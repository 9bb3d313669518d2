"""The divergence concept in GraphQL: the row types (derived from ``schema.divergence``),
the queries that compute them, and ``mergeEntities``."""
