"""The authorization matrix: every mutation (and every REST write) × every role × a target
of the caller's own function and of another. Each allowed call succeeds; each forbidden
call answers FORBIDDEN and leaves the whole graph exactly as it was (a fingerprint of every
node's labels and properties and every relationship, before and after).

The rules, as docs/design.md §1 and §6 state them: viewers only read; contributors write as
their own function; facilitators and admins may act for any function, merge entities and
run votes; only admins redact evidence. The shared model (entities, propositions) and
snapshots belong to no function.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from neo4j import AsyncManagedTransaction

from api.graphql.schema import build_schema
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
from tests.api.apphelpers import graph_fingerprint
from tests.factories import Caller, make_caller
from tests.graph.snapshots.factories import stored_snapshot

OWN = "product"  # every caller's function
OTHER = "sales"
ROLES = (Role.VIEWER, Role.CONTRIBUTOR, Role.FACILITATOR, Role.ADMIN)
ANY_FUNCTION = (Role.FACILITATOR, Role.ADMIN)


def writers(role: Role, own: bool) -> bool:
    return role is not Role.VIEWER


def own_or_any(role: Role, own: bool) -> bool:
    return role is not Role.VIEWER and (own or role in ANY_FUNCTION)


def facilitators(role: Role, own: bool) -> bool:
    return role in ANY_FUNCTION


def admins(role: Role, own: bool) -> bool:
    return role is Role.ADMIN


@dataclass
class Targets:
    """Fresh things for one call to act on; ``owner`` is the function that made them."""

    owner: str
    segment: str
    pain: str
    pain2: str
    proposition: str
    evidence: str
    vote: str
    redacted: str  # an evidence item an admin redacted
    snapshot: str


async def _targets(db: Database, owner: Actor) -> Targets:
    now = datetime.now(UTC) - timedelta(seconds=5)
    system = Actor.system()

    async def build(tx: AsyncManagedTransaction) -> Targets:
        tag = uuid.uuid4().hex[:6]

        async def entity(kind: EntityKind, name: str) -> str:
            made, _ = await entities.create(tx, owner, EntityCreate(kind=kind, name=name), now)
            return made.id

        segment = await entity(EntityKind.SEGMENT, f"Segment {tag}")
        pain = await entity(EntityKind.PAIN, f"Pain {tag}")
        pain2 = await entity(EntityKind.PAIN, f"Other pain {tag}")
        prop, _ = await propositions.create(
            tx,
            owner,
            PropositionCreate(subject_id=segment, relation=Relation.EXPERIENCES, object_id=pain),
            now,
        )
        [(item, _)] = await evidence.add(
            tx,
            owner,
            [
                EvidenceCreate(
                    source_type="interview",
                    summary=f"Interview {tag}",
                    bears=[BearingCreate(proposition_id=prop.id, stance=Stance.SUPPORTS)],
                )
            ],
            now,
        )
        await beliefs.state(tx, owner, BeliefCreate(proposition_id=prop.id, p=0.8), now)
        vote = await votes.open_vote(tx, system, VoteOpen(proposition_ids=[prop.id]), now)
        [(redacted, _)] = await evidence.add(
            tx,
            owner,
            [
                EvidenceCreate(
                    source_type="interview",
                    summary=f"Call with a customer {tag}",
                    bears=[BearingCreate(proposition_id=prop.id, stance=Stance.SUPPORTS)],
                )
            ],
            now,
        )
        await evidence.redact(tx, system, redacted, "personal data", now)
        snapshot = await stored_snapshot(tx, now)
        return Targets(
            str(owner.function),
            segment,
            pain,
            pain2,
            prop.id,
            item,
            vote.id,
            redacted,
            snapshot,
        )

    return await db.write(build)


# Each GraphQL case: the rule, and the operation with its variables for given targets.
Operation = Callable[[Targets], tuple[str, dict[str, Any]]]

MUTATIONS: dict[str, tuple[Callable[[Role, bool], bool], Operation]] = {
    "createEntity": (
        writers,
        lambda t: (
            "mutation($n: String!) { createEntity(input: {kind: GOAL, name: $n}) { id } }",
            {"n": f"Goal {uuid.uuid4().hex[:6]}"},
        ),
    ),
    "updateEntity": (
        writers,
        lambda t: (
            'mutation($id: ID!) { updateEntity(id: $id, input: {description: "x"}) { id } }',
            {"id": t.pain},
        ),
    ),
    "retireEntity": (
        writers,
        lambda t: (
            'mutation($id: ID!) { retireEntity(id: $id, reason: "gone") { id } }',
            {"id": t.pain2},
        ),
    ),
    "unretireEntity": (
        writers,
        lambda t: (
            'mutation($id: ID!) { unretireEntity(id: $id, reason: "back") { id } }',
            {"id": t.pain2},
        ),
    ),
    "unretireProposition": (
        writers,
        lambda t: (
            'mutation($id: ID!) { unretireProposition(id: $id, reason: "back") { id } }',
            {"id": t.proposition},
        ),
    ),
    "retireProposition": (
        writers,
        lambda t: (
            'mutation($id: ID!) { retireProposition(id: $id, reason: "wrong") { id } }',
            {"id": t.proposition},
        ),
    ),
    "createProposition": (
        writers,
        lambda t: (
            "mutation($s: ID!, $o: ID!) { createProposition("
            "input: {subjectId: $s, relation: EXPERIENCES, objectId: $o}) { id } }",
            {"s": t.segment, "o": t.pain2},
        ),
    ),
    "addEvidence": (
        writers,
        lambda t: (
            'mutation($p: ID!) { addEvidence(input: [{sourceType: "survey", summary: "s", '
            "bears: [{propositionId: $p, stance: SUPPORTS}]}]) { created } }",
            {"p": t.proposition},
        ),
    ),
    "importEvidence": (
        writers,
        lambda t: (
            "mutation($d: String!) { importEvidence(data: $d) { created } }",
            {
                "d": json.dumps(
                    {
                        "summary": f"imported {uuid.uuid4().hex[:6]}",
                        "source_type": "survey",
                        "proposition_id": t.proposition,
                        "stance": "SUPPORTS",
                    }
                )
                + "\n"
            },
        ),
    ),
    "retractEvidence": (
        own_or_any,
        lambda t: (
            'mutation($id: ID!) { retractEvidence(id: $id, reason: "duplicate") { id } }',
            {"id": t.evidence},
        ),
    ),
    "redactEvidence": (
        admins,
        lambda t: (
            'mutation($id: ID!) { redactEvidence(id: $id, reason: "personal data") { id } }',
            {"id": t.evidence},
        ),
    ),
    "stateBelief": (
        own_or_any,
        lambda t: (
            "mutation($p: ID!, $f: String) { stateBelief(input: "
            "{propositionId: $p, p: 0.2, function: $f}) { id } }",
            {"p": t.proposition, "f": t.owner},
        ),
    ),
    "withdrawBelief": (
        own_or_any,
        lambda t: (
            "mutation($p: ID!, $f: String) { withdrawBelief(propositionId: $p, function: $f) "
            "{ id } }",
            {"p": t.proposition, "f": t.owner},
        ),
    ),
    "mergeEntities": (
        facilitators,
        lambda t: (
            "mutation($k: ID!, $m: ID!) { mergeEntities(keepId: $k, mergeId: $m) { id } }",
            {"k": t.pain, "m": t.pain2},
        ),
    ),
    "openVote": (
        facilitators,
        lambda t: (
            "mutation($p: ID!) { openVote(input: {propositionIds: [$p]}) { id } }",
            {"p": t.proposition},
        ),
    ),
    "castBallot": (
        writers,
        lambda t: (
            "mutation($v: ID!, $p: ID!) { castBallot(voteId: $v, propositionId: $p, p: 0.6) "
            "{ id } }",
            {"v": t.vote, "p": t.proposition},
        ),
    ),
    "revealVote": (
        facilitators,
        lambda t: ("mutation($v: ID!) { revealVote(id: $v) { id } }", {"v": t.vote}),
    ),
    "cancelVote": (
        facilitators,
        lambda t: ("mutation($v: ID!) { cancelVote(id: $v) { id } }", {"v": t.vote}),
    ),
    "recordDecision": (
        writers,
        lambda t: (
            'mutation($p: ID!) { recordDecision(input: {title: "Ship it", propositionIds: [$p]}) '
            "{ id } }",
            {"p": t.proposition},
        ),
    ),
    "deleteSnapshot": (
        admins,
        lambda t: (
            'mutation($id: ID!) { deleteSnapshot(id: $id, reason: "old") { id } }',
            {"id": t.snapshot},
        ),
    ),
    "purgeRedactedFromSnapshots": (
        admins,
        lambda t: (
            "mutation($id: ID!) { purgeRedactedFromSnapshots(evidenceId: $id, "
            'reason: "personal data") { evidenceId } }',
            {"id": t.redacted},
        ),
    ),
    "createSnapshot": (
        writers,
        lambda t: (
            'mutation($k: String) { createSnapshot(label: "q3", idempotencyKey: $k) { id } }',
            {"k": uuid.uuid4().hex},
        ),
    ),
}

# Each REST write: the rule, and (method, path, JSON body or raw text, headers) for targets.
Request = Callable[[Targets], tuple[str, str, Any, dict[str, str]]]

REST_WRITES: dict[str, tuple[Callable[[Role, bool], bool], Request]] = {
    "POST /api/v1/evidence:import": (
        writers,
        lambda t: (
            "POST",
            "/api/v1/evidence:import",
            json.dumps(
                {
                    "summary": f"Imported {uuid.uuid4().hex[:6]}",
                    "source_type": "survey",
                    "proposition_id": t.proposition,
                    "stance": "SUPPORTS",
                }
            )
            + "\n",
            {"Content-Type": "application/x-ndjson"},
        ),
    ),
    "POST /api/v1/workshop/votes": (
        facilitators,
        lambda t: ("POST", "/api/v1/workshop/votes", {"proposition_ids": [t.proposition]}, {}),
    ),
    "PUT /api/v1/workshop/votes/{id}/ballots": (
        writers,
        lambda t: (
            "PUT",
            f"/api/v1/workshop/votes/{t.vote}/ballots",
            {"ballots": [{"proposition_id": t.proposition, "p": 0.6, "magnitude": 3}]},
            {},
        ),
    ),
    "POST /api/v1/workshop/votes/{id}/reveal": (
        facilitators,
        lambda t: ("POST", f"/api/v1/workshop/votes/{t.vote}/reveal", None, {}),
    ),
    "POST /api/v1/workshop/votes/{id}/cancel": (
        facilitators,
        lambda t: ("POST", f"/api/v1/workshop/votes/{t.vote}/cancel", None, {}),
    ),
}


def test_the_matrix_covers_every_mutation_of_the_schema(app_settings: Any) -> None:
    schema = build_schema(app_settings)
    mutation_type = schema._schema.mutation_type
    assert mutation_type is not None
    assert set(mutation_type.fields) == set(MUTATIONS)


@pytest.fixture
async def callers(db: Database) -> dict[Role, Caller]:
    return {role: await make_caller(db, OWN, role) for role in ROLES}


@pytest.fixture
async def owners(db: Database) -> dict[bool, Actor]:
    """The actor that makes a case's targets: of the caller's function, or of another."""
    return {
        True: (await make_caller(db, OWN, Role.CONTRIBUTOR)).actor,
        False: (await make_caller(db, OTHER, Role.CONTRIBUTOR)).actor,
    }


async def _graphql_case(
    client: httpx.AsyncClient,
    db: Database,
    caller: Caller,
    targets: Targets,
    name: str,
    expect_allowed: bool,
) -> str | None:
    """Run one case; return a description of what went wrong, or None."""
    query, variables = MUTATIONS[name][1](targets)
    before = await graph_fingerprint(db) if not expect_allowed else None
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=caller.headers
    )
    body = response.json()
    errors = body.get("errors") or []
    if expect_allowed:
        if response.status_code != 200 or errors or not body["data"][name]:
            return f"expected success, got {response.status_code} {errors}"
        return None
    codes = [e.get("extensions", {}).get("code") for e in errors]
    if codes != ["FORBIDDEN"]:
        return f"expected FORBIDDEN, got {response.status_code} {codes} {body.get('data')}"
    if await graph_fingerprint(db) != before:
        return "FORBIDDEN, but the graph changed"
    return None


@pytest.mark.parametrize("name", list(MUTATIONS))
async def test_every_mutation_for_every_role_on_own_and_other_functions(
    client: httpx.AsyncClient,
    db: Database,
    callers: dict[Role, Caller],
    owners: dict[bool, Actor],
    name: str,
) -> None:
    rule = MUTATIONS[name][0]
    failures = []
    for role in ROLES:
        for own in (True, False):
            targets = await _targets(db, owners[own])
            problem = await _graphql_case(client, db, callers[role], targets, name, rule(role, own))
            if problem:
                side = "own" if own else "other"
                failures.append(f"{name} as {role.value} on {side} function: {problem}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", list(REST_WRITES))
async def test_every_rest_write_for_every_role_on_own_and_other_functions(
    client: httpx.AsyncClient,
    db: Database,
    callers: dict[Role, Caller],
    owners: dict[bool, Actor],
    name: str,
) -> None:
    rule, build = REST_WRITES[name]
    failures = []
    for role in ROLES:
        for own in (True, False):
            targets = await _targets(db, owners[own])
            method, path, body, headers = build(targets)
            allowed = rule(role, own)
            before = None if allowed else await graph_fingerprint(db)
            response = await client.request(
                method,
                path,
                headers={**callers[role].headers, **headers},
                **({"content": body} if isinstance(body, str) else {"json": body}),
            )
            where = f"{name} as {role.value} on {'own' if own else 'other'} function"
            if allowed and response.status_code >= 300:
                failures.append(f"{where}: expected success, got {response.status_code}")
            if not allowed:
                if response.status_code != 403:
                    failures.append(f"{where}: expected 403, got {response.status_code}")
                elif await graph_fingerprint(db) != before:
                    failures.append(f"{where}: 403, but the graph changed")
    assert not failures, "\n".join(failures)


async def test_without_a_token_every_write_answers_401_and_writes_nothing(
    client: httpx.AsyncClient, db: Database, owners: dict[bool, Actor]
) -> None:
    targets = await _targets(db, owners[True])
    before = await graph_fingerprint(db)
    for name, (_, operation) in MUTATIONS.items():
        query, variables = operation(targets)
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 401, name
    for name, (_, build) in REST_WRITES.items():
        method, path, body, headers = build(targets)
        response = await client.request(
            method,
            path,
            headers=headers,
            **({"content": body} if isinstance(body, str) else {"json": body}),
        )
        assert response.status_code == 401, name
    assert await graph_fingerprint(db) == before
