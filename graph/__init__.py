"""The domain over Neo4j: one module or package per concept (entities, evidence, divergence,
snapshots, imports, votes, ...); the plumbing they share is in ``graph/kit/``."""
