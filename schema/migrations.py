"""Constraints and indexes, as a versioned list applied idempotently at start-up.

Each version is applied once and recorded as a ``(:SchemaMigration {version})`` node; every
statement is ``IF NOT EXISTS`` as well, so a half-applied version simply applies again.
Every key that a ``MERGE`` relies on is backed by a uniqueness constraint here. A version may
also rewrite data (``data``): each such statement runs after its version's schema statements,
in batches of its own, and touches only what it has not rewritten yet, so it too may run again.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]
    data: tuple[str, ...] = ()


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "identity constraints for every node kind and MERGE key",
        (
            "CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT entity_idempotency IF NOT EXISTS "
            "FOR (n:Entity) REQUIRE n.idempotency_key IS UNIQUE",
            "CREATE CONSTRAINT proposition_id IF NOT EXISTS "
            "FOR (n:Proposition) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT function_name IF NOT EXISTS "
            "FOR (n:Function) REQUIRE n.name IS UNIQUE",
            "CREATE CONSTRAINT member_id IF NOT EXISTS FOR (n:Member) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT member_name IF NOT EXISTS FOR (n:Member) REQUIRE n.name IS UNIQUE",
            "CREATE CONSTRAINT token_id IF NOT EXISTS FOR (n:ApiToken) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT token_hash IF NOT EXISTS FOR (n:ApiToken) REQUIRE n.hash IS UNIQUE",
            "CREATE CONSTRAINT evidence_id IF NOT EXISTS FOR (n:Evidence) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT evidence_idempotency IF NOT EXISTS "
            "FOR (n:Evidence) REQUIRE n.idempotency_key IS UNIQUE",
            "CREATE CONSTRAINT belief_id IF NOT EXISTS FOR (n:Belief) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT belief_idempotency IF NOT EXISTS "
            "FOR (n:Belief) REQUIRE n.idempotency_key IS UNIQUE",
            "CREATE CONSTRAINT belief_series_key IF NOT EXISTS "
            "FOR (n:BeliefSeries) REQUIRE n.key IS UNIQUE",
            "CREATE CONSTRAINT audit_id IF NOT EXISTS FOR (n:AuditEntry) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT snapshot_id IF NOT EXISTS FOR (n:Snapshot) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT snapshot_idempotency IF NOT EXISTS "
            "FOR (n:Snapshot) REQUIRE n.idempotency_key IS UNIQUE",
            "CREATE CONSTRAINT import_id IF NOT EXISTS FOR (n:Import) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT schema_migration_version IF NOT EXISTS "
            "FOR (n:SchemaMigration) REQUIRE n.version IS UNIQUE",
        ),
    ),
    Migration(
        2,
        "lookup indexes for as-of reads, search and the audit log",
        (
            "CREATE INDEX entity_kind IF NOT EXISTS FOR (n:Entity) ON (n.kind)",
            "CREATE INDEX entity_created_at IF NOT EXISTS FOR (n:Entity) ON (n.created_at)",
            "CREATE INDEX proposition_relation IF NOT EXISTS FOR (n:Proposition) ON (n.relation)",
            "CREATE INDEX evidence_observed_at IF NOT EXISTS FOR (n:Evidence) ON (n.observed_at)",
            "CREATE INDEX evidence_import IF NOT EXISTS FOR (n:Evidence) ON (n.import_id)",
            "CREATE INDEX belief_function IF NOT EXISTS FOR (n:Belief) ON (n.function)",
            "CREATE INDEX audit_at IF NOT EXISTS FOR (n:AuditEntry) ON (n.at)",
            "CREATE FULLTEXT INDEX entity_text IF NOT EXISTS "
            "FOR (n:Entity) ON EACH [n.name, n.description]",
        ),
    ),
    Migration(
        3,
        "blind votes: votes, ballots and results keyed for MERGE; vote changes for live pages",
        (
            "CREATE CONSTRAINT vote_id IF NOT EXISTS FOR (n:Vote) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT vote_idempotency IF NOT EXISTS "
            "FOR (n:Vote) REQUIRE n.idempotency_key IS UNIQUE",
            "CREATE CONSTRAINT ballot_key IF NOT EXISTS FOR (n:Ballot) REQUIRE n.key IS UNIQUE",
            "CREATE CONSTRAINT vote_result_key IF NOT EXISTS "
            "FOR (n:VoteResult) REQUIRE n.key IS UNIQUE",
            "CREATE INDEX vote_updated_at IF NOT EXISTS FOR (n:Vote) ON (n.updated_at)",
            "CREATE INDEX vote_result_proposition IF NOT EXISTS "
            "FOR (n:VoteResult) ON (n.proposition_id)",
        ),
    ),
    Migration(
        4,
        "seed runs: a demo load is complete only once its last write committed",
        ("CREATE CONSTRAINT seed_run_name IF NOT EXISTS FOR (n:SeedRun) REQUIRE n.name IS UNIQUE",),
    ),
    Migration(
        5,
        "decisions: keyed for MERGE, listed by the time they were made",
        (
            "CREATE CONSTRAINT decision_id IF NOT EXISTS FOR (n:Decision) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT decision_idempotency IF NOT EXISTS "
            "FOR (n:Decision) REQUIRE n.idempotency_key IS UNIQUE",
            "CREATE INDEX decision_decided_at IF NOT EXISTS FOR (n:Decision) ON (n.decided_at)",
        ),
    ),
    Migration(
        6,
        "workshop sessions found by their secret's hash; one members version for token caches",
        (
            "CREATE CONSTRAINT workshop_session_hash IF NOT EXISTS "
            "FOR (n:WorkshopSession) REQUIRE n.hash IS UNIQUE",
            "CREATE INDEX workshop_session_expires_at IF NOT EXISTS "
            "FOR (n:WorkshopSession) ON (n.expires_at)",
            "CREATE CONSTRAINT members_version_key IF NOT EXISTS "
            "FOR (n:MembersVersion) REQUIRE n.key IS UNIQUE",
        ),
    ),
    Migration(
        7,
        "idempotency keys belong to a function: stored keys scoped as '<function>:<key>'",
        (
            "CREATE CONSTRAINT server_secret_name IF NOT EXISTS "
            "FOR (n:ServerSecret) REQUIRE n.name IS UNIQUE",
        ),
        data=(
            # An item's or a belief's keys belong to the function it is recorded for; an
            # entity's or a snapshot's to its author's. ``key_scope`` marks a scoped key.
            "MATCH (n:Evidence) WHERE n.idempotency_key IS NOT NULL AND n.key_scope IS NULL "
            "CALL (n) { SET n.key_scope = coalesce(n.function, ''), "
            "n.idempotency_key = coalesce(n.function, '') + ':' + n.idempotency_key } "
            "IN TRANSACTIONS OF 5000 ROWS",
            "MATCH (n:Belief) WHERE n.idempotency_key IS NOT NULL AND n.key_scope IS NULL "
            "CALL (n) { SET n.key_scope = coalesce(n.function, ''), "
            "n.idempotency_key = coalesce(n.function, '') + ':' + n.idempotency_key } "
            "IN TRANSACTIONS OF 5000 ROWS",
            "MATCH (n) WHERE (n:Entity OR n:Snapshot) AND n.idempotency_key IS NOT NULL "
            "AND n.key_scope IS NULL "
            "CALL (n) { OPTIONAL MATCH (m:Member {id: n.created_by}) "
            "WITH n, coalesce(m.function, '') AS scope "
            "SET n.key_scope = scope, n.idempotency_key = scope + ':' + n.idempotency_key } "
            "IN TRANSACTIONS OF 5000 ROWS",
        ),
    ),
    Migration(
        8,
        "the shared model's version counters, keyed for MERGE by slot",
        (
            "CREATE CONSTRAINT model_version_slot IF NOT EXISTS "
            "FOR (n:ModelVersion) REQUIRE n.slot IS UNIQUE",
        ),
    ),
    Migration(
        9,
        "the shared model's stamps, found slot by slot above what a reader holds",
        (
            "CREATE INDEX proposition_changed IF NOT EXISTS "
            "FOR (n:Proposition) ON (n.changed_slot, n.changed_value)",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
