"""Schemathesis against a real server with a real token: every GraphQL query and mutation
and every REST operation of /openapi.json, with a bounded number of generated examples
each (at least 300 GraphQL operations in all), and not one 5xx answer.

IDs are drawn partly from the ids of a small model in the database, so generated requests
reach real data (nested fields, as-of times, cursors) instead of stopping at NOT_FOUND.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from neo4j import AsyncManagedTransaction
from schemathesis.graphql import nodes

from graph import beliefs, entities, evidence, propositions, votes
from graph.kit.connection import Database
from schema.models import (
    Actor,
    BearingCreate,
    BeliefCreate,
    EntityCreate,
    EvidenceCreate,
    PropositionCreate,
)
from schema.vocabulary import EntityKind, Relation, Role, Stance
from schema.votes import VoteOpen
from tests.api.apphelpers import served, wait_ready
from tests.factories import Caller, make_caller

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

pytestmark = pytest.mark.slow

GRAPHQL_EXAMPLES = 10  # per query or mutation
REST_EXAMPLES = 8  # per REST operation
MIN_GRAPHQL_OPERATIONS = 300


async def _model(db: Database, writer: Actor) -> list[str]:
    """A small model; returns the ids the fuzzer may pick from."""
    now = datetime.now(UTC) - timedelta(minutes=1)

    async def build(tx: AsyncManagedTransaction) -> list[str]:
        def made(kind: EntityKind, name: str, **extra: Any) -> EntityCreate:
            return EntityCreate(kind=kind, name=name, **extra)

        segment, _ = await entities.create(tx, writer, made(EntityKind.SEGMENT, "Agencies"), now)
        account, _ = await entities.create(
            tx, writer, made(EntityKind.ACCOUNT, "Northwind", segment_id=segment.id), now
        )
        pain, _ = await entities.create(tx, writer, made(EntityKind.PAIN, "Manual reports"), now)
        goal, _ = await entities.create(tx, writer, made(EntityKind.GOAL, "Trusted numbers"), now)
        feature, _ = await entities.create(
            tx, writer, made(EntityKind.FEATURE, "Scheduled exports", status="shipped"), now
        )
        ids = [segment.id, account.id, pain.id, goal.id, feature.id]
        for s, r, o in (
            (segment.id, Relation.EXPERIENCES, pain.id),
            (segment.id, Relation.PURSUES, goal.id),
            (pain.id, Relation.HINDERS, goal.id),
            (feature.id, Relation.RELIEVES, pain.id),
        ):
            prop, _ = await propositions.create(
                tx, writer, PropositionCreate(subject_id=s, relation=r, object_id=o), now
            )
            ids.append(prop.id)
            await beliefs.state(tx, writer, BeliefCreate(proposition_id=prop.id, p=0.7), now)
            [(item, _)] = await evidence.add(
                tx,
                writer,
                [
                    EvidenceCreate(
                        source_type="interview",
                        summary=f"About {prop.id}",
                        account_id=account.id,
                        bears=[BearingCreate(proposition_id=prop.id, stance=Stance.SUPPORTS)],
                    )
                ],
                now,
            )
            ids.append(item)
        vote = await votes.open_vote(tx, Actor.system(), VoteOpen(proposition_ids=ids[5:6]), now)
        return [*ids, vote.id]

    return await db.write(build)


@dataclass
class Target:
    base: str
    caller: Caller
    ids: list[str]
    log: Path

    def server_log(self) -> str:
        """The server's first traceback, if any, else the end of its log."""
        text = self.log.read_text(errors="replace")
        start = text.find("Traceback")
        return text[start : start + 6000] if start >= 0 else text[-3000:]

    @property
    def headers(self) -> dict[str, str]:
        return self.caller.headers


@pytest.fixture
async def target(neo4j_target: TestDatabase, db: Database, tmp_path: Path) -> AsyncIterator[Target]:
    caller = await make_caller(db, "product", Role.FACILITATOR)
    ids = await _model(db, caller.actor)
    with served(neo4j_target.target, tmp_path) as base:
        await wait_ready(base)
        yield Target(base, caller, ids, tmp_path / "server.log")


def _quiet(examples: int) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def test_graphql_fuzzing_with_a_real_token_never_gets_a_5xx(target: Target) -> None:
    ids = st.sampled_from(target.ids).map(nodes.String)
    schemathesis.graphql.scalar("ID", ids | st.text(max_size=30).map(nodes.String))
    schema = schemathesis.graphql.from_url(f"{target.base}/graphql", headers=target.headers)
    calls: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @_quiet(GRAPHQL_EXAMPLES)
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            response = case.call(base_url=target.base, headers=target.headers, timeout=60)
            calls[case.operation.label] += 1
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {case.body}: {response.text[:300]}")

        call()
    assert not failures, "\n\n".join(failures[:5]) + "\n\n" + target.server_log()
    print(f"GraphQL: {sum(calls.values())} operations over {len(calls)} fields; {statuses}")
    assert sum(calls.values()) >= MIN_GRAPHQL_OPERATIONS, calls
    assert statuses[401] == 0, "the token was not accepted"
    assert {"Query.entities", "Mutation.createEntity", "Mutation.stateBelief"} <= set(calls)


@schemathesis.serializer("text/csv", "application/x-ndjson")
def _text_body(ctx: Any, value: Any) -> bytes:
    return value.encode() if isinstance(value, str) else str(value).encode()


def test_rest_fuzzing_with_a_real_token_never_gets_a_5xx(target: Target) -> None:
    schema = schemathesis.openapi.from_url(f"{target.base}/openapi.json")
    succeeded: set[str] = set()
    calls: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/graphql":
            continue  # fuzzed through its own schema above

        @_quiet(REST_EXAMPLES)
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            response = case.call(base_url=target.base, headers=target.headers, timeout=60)
            calls[case.operation.label] += 1
            statuses[response.status_code] += 1
            if response.status_code < 300:
                succeeded.add(case.operation.label)
            if response.status_code >= 500:
                failures.append(
                    f"{case.operation.label} {response.status_code} {case.path_parameters} "
                    f"{case.query} {str(case.body)[:200]}: {response.text[:300]}"
                )

        call()
    assert not failures, "\n\n".join(failures[:5]) + "\n\n" + target.server_log()
    print(f"REST: {sum(calls.values())} requests over {len(calls)} operations; {statuses}")
    assert "POST /api/v1/evidence:import" in calls and "GET /metrics" in calls, calls
    # The token opened the data routes: they answered, not only refused.
    assert "GET /api/v1/workshop/segments" in succeeded, succeeded
