"""Bad input on every mutation and REST write: wrong types, missing fields, out-of-range
numbers, unknown ids, oversize text. Each answers a 4xx or a typed GraphQL error whose
message names the problem, and nothing is written (the graph's fingerprint is unchanged)."""

from __future__ import annotations

import json
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

LONG = "x" * 10_001  # over every text limit


@dataclass
class Model:
    segment: str
    pain: str
    proposition: str
    evidence: str
    vote: str


@pytest.fixture
async def model(db: Database) -> Model:
    now = datetime.now(UTC) - timedelta(seconds=5)
    actor = Actor.system()

    async def build(tx: AsyncManagedTransaction) -> Model:
        segment, _ = await entities.create(
            tx, actor, EntityCreate(kind=EntityKind.SEGMENT, name="Agencies"), now
        )
        pain, _ = await entities.create(
            tx, actor, EntityCreate(kind=EntityKind.PAIN, name="Manual reports"), now
        )
        prop, _ = await propositions.create(
            tx,
            actor,
            PropositionCreate(
                subject_id=segment.id, relation=Relation.EXPERIENCES, object_id=pain.id
            ),
            now,
        )
        [(item, _)] = await evidence.add(
            tx,
            actor,
            [
                EvidenceCreate(
                    source_type="interview",
                    summary="They export to spreadsheets every Monday",
                    bears=[BearingCreate(proposition_id=prop.id, stance=Stance.SUPPORTS)],
                )
            ],
            now,
        )
        await beliefs.state(
            tx, actor, BeliefCreate(proposition_id=prop.id, p=0.7, function="product"), now
        )
        vote = await votes.open_vote(tx, actor, VoteOpen(proposition_ids=[prop.id]), now)
        return Model(segment.id, pain.id, prop.id, item, vote.id)

    return await db.write(build)


@pytest.fixture
async def admin(db: Database) -> Caller:
    # An admin may do everything, so every refusal below is about the input, not the role.
    return await make_caller(db, "product", Role.ADMIN)


def _evidence(m: Model, **changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "sourceType": "interview",
        "summary": "A quote",
        "bears": [{"propositionId": m.proposition, "stance": "SUPPORTS"}],
    }
    item.update(changes)
    return item


def _bearing(m: Model, **changes: Any) -> dict[str, Any]:
    return _evidence(m, bears=[{"propositionId": m.proposition, "stance": "SUPPORTS", **changes}])


# (mutation, document, variables for the model, what the message must say)
GraphQLCase = tuple[str, str, Any, str]

CREATE_ENTITY = "mutation($i: CreateEntityInput!) { createEntity(input: $i) { id } }"
UPDATE_ENTITY = (
    "mutation($id: ID!, $i: UpdateEntityInput!) { updateEntity(id: $id, input: $i) { id } }"
)
RETIRE_ENTITY = "mutation($id: ID!, $r: String!) { retireEntity(id: $id, reason: $r) { id } }"
RETIRE_PROP = "mutation($id: ID!, $r: String!) { retireProposition(id: $id, reason: $r) { id } }"
CREATE_PROP = "mutation($i: CreatePropositionInput!) { createProposition(input: $i) { id } }"
UNRETIRE_ENTITY = "mutation($id: ID!, $r: String!) { unretireEntity(id: $id, reason: $r) { id } }"
UNRETIRE_PROP = (
    "mutation($id: ID!, $r: String!) { unretireProposition(id: $id, reason: $r) { id } }"
)
DELETE_SNAPSHOT = "mutation($id: ID!, $r: String!) { deleteSnapshot(id: $id, reason: $r) { id } }"
PURGE = (
    "mutation($e: ID!, $r: String!) "
    "{ purgeRedactedFromSnapshots(evidenceId: $e, reason: $r) { evidenceId } }"
)
ADD_EVIDENCE = "mutation($i: [EvidenceInput!]!) { addEvidence(input: $i) { created } }"
RETRACT = "mutation($id: ID!, $r: String!) { retractEvidence(id: $id, reason: $r) { id } }"
REDACT = "mutation($id: ID!, $r: String!) { redactEvidence(id: $id, reason: $r) { id } }"
STATE = "mutation($i: StateBeliefInput!) { stateBelief(input: $i) { id } }"
WITHDRAW = (
    "mutation($p: ID!, $f: String) { withdrawBelief(propositionId: $p, function: $f) { id } }"
)
MERGE = "mutation($k: ID!, $m: ID!) { mergeEntities(keepId: $k, mergeId: $m) { id } }"
SNAPSHOT = (
    "mutation($l: String, $a: DateTime, $k: String) "
    "{ createSnapshot(label: $l, asOf: $a, idempotencyKey: $k) { id } }"
)
OPEN_VOTE = "mutation($i: OpenVoteInput!) { openVote(input: $i) { id } }"
RECORD_DECISION = "mutation($i: RecordDecisionInput!) { recordDecision(input: $i) { id } }"
BALLOT = (
    "mutation($v: ID!, $p: ID!, $x: Float!, $m: Int) "
    "{ castBallot(voteId: $v, propositionId: $p, p: $x, magnitude: $m) { id } }"
)
REVEAL = "mutation($v: ID!) { revealVote(id: $v) { id } }"
CANCEL = "mutation($v: ID!) { cancelVote(id: $v) { id } }"
IMPORT = (
    "mutation($d: String!, $f: EvidenceFileFormat, $m: JSON) "
    "{ importEvidence(data: $d, format: $f, mapping: $m) { created } }"
)


def _line(m: Model, **changes: Any) -> str:
    row = {"summary": "s", "source_type": "survey", "proposition_id": m.proposition}
    return json.dumps({**row, "stance": "SUPPORTS", **changes}) + "\n"


def graphql_cases(m: Model) -> list[GraphQLCase]:
    return [
        # createEntity
        ("createEntity", CREATE_ENTITY, {"i": {"kind": "GOAL"}}, "name"),
        ("createEntity", CREATE_ENTITY, {"i": {"kind": "PLANET", "name": "x"}}, "PLANET"),
        ("createEntity", CREATE_ENTITY, {"i": {"kind": "GOAL", "name": "   "}}, "blank"),
        ("createEntity", CREATE_ENTITY, {"i": {"kind": "GOAL", "name": LONG}}, "500"),
        (
            "createEntity",
            CREATE_ENTITY,
            {"i": {"kind": "FEATURE", "name": "x", "status": "done"}},
            "shipped",
        ),
        ("createEntity", CREATE_ENTITY, {"i": {"kind": "ACCOUNT", "name": "x"}}, "segmentId"),
        (
            "createEntity",
            CREATE_ENTITY,
            {"i": {"kind": "ACCOUNT", "name": "x", "segmentId": "seg-nope"}},
            "seg-nope",
        ),
        (
            "createEntity",
            CREATE_ENTITY,
            {"i": {"kind": "GOAL", "name": "x", "altKind": "rival"}},
            "altKind",
        ),
        # updateEntity
        ("updateEntity", UPDATE_ENTITY, {"id": "pain-nope", "i": {"name": "y"}}, "pain-nope"),
        ("updateEntity", UPDATE_ENTITY, {"id": m.pain, "i": {"status": "shipped"}}, "status"),
        ("updateEntity", UPDATE_ENTITY, {"id": m.pain, "i": {"description": LONG}}, "10000"),
        ("updateEntity", UPDATE_ENTITY, {"id": m.pain, "i": {"name": 42}}, "String"),
        # retireEntity / retireProposition
        ("retireEntity", RETIRE_ENTITY, {"id": m.pain, "r": "  "}, "reason"),
        ("retireEntity", RETIRE_ENTITY, {"id": "goal-nope", "r": "gone"}, "goal-nope"),
        ("retireEntity", RETIRE_ENTITY, {"id": m.pain}, "$r"),
        ("retireProposition", RETIRE_PROP, {"id": m.proposition, "r": LONG}, "reason"),
        ("retireProposition", RETIRE_PROP, {"id": "prop-nope", "r": "wrong"}, "prop-nope"),
        # unretireEntity / unretireProposition
        ("unretireEntity", UNRETIRE_ENTITY, {"id": m.pain, "r": "  "}, "reason"),
        ("unretireEntity", UNRETIRE_ENTITY, {"id": "goal-nope", "r": "back"}, "goal-nope"),
        ("unretireProposition", UNRETIRE_PROP, {"id": m.proposition, "r": LONG}, "reason"),
        ("unretireProposition", UNRETIRE_PROP, {"id": "prop-nope", "r": "back"}, "prop-nope"),
        # deleteSnapshot / purgeRedactedFromSnapshots
        ("deleteSnapshot", DELETE_SNAPSHOT, {"id": "snap-nope", "r": "old"}, "snap-nope"),
        ("deleteSnapshot", DELETE_SNAPSHOT, {"id": "snap-nope"}, "$r"),
        ("purgeRedactedFromSnapshots", PURGE, {"e": "ev-nope", "r": "gdpr"}, "ev-nope"),
        ("purgeRedactedFromSnapshots", PURGE, {"e": m.evidence, "r": "gdpr"}, "not redacted"),
        ("purgeRedactedFromSnapshots", PURGE, {"e": m.evidence, "r": " "}, "reason"),
        # createProposition
        (
            "createProposition",
            CREATE_PROP,
            {"i": {"subjectId": m.segment, "relation": "PURSUES", "objectId": m.pain}},
            "PURSUES",
        ),
        (
            "createProposition",
            CREATE_PROP,
            {"i": {"subjectId": m.segment, "relation": "LOVES", "objectId": m.pain}},
            "LOVES",
        ),
        (
            "createProposition",
            CREATE_PROP,
            {"i": {"subjectId": m.segment, "relation": "EXPERIENCES", "objectId": "pain-nope"}},
            "pain-nope",
        ),
        (
            "createProposition",
            CREATE_PROP,
            {"i": {"subjectId": m.segment, "relation": "EXPERIENCES"}},
            "objectId",
        ),
        # addEvidence
        ("addEvidence", ADD_EVIDENCE, {"i": [_evidence(m, sourceType="rumour")]}, "sourceType"),
        ("addEvidence", ADD_EVIDENCE, {"i": [_evidence(m, summary="")]}, "summary"),
        ("addEvidence", ADD_EVIDENCE, {"i": [_evidence(m, summary=LONG)]}, "10000"),
        ("addEvidence", ADD_EVIDENCE, {"i": [_evidence(m, bears=[])]}, "bears"),
        ("addEvidence", ADD_EVIDENCE, {"i": [_bearing(m, strength=0)]}, "strength"),
        ("addEvidence", ADD_EVIDENCE, {"i": [_bearing(m, strength=1.5)]}, "strength"),
        ("addEvidence", ADD_EVIDENCE, {"i": [_bearing(m, magnitude=6)]}, "magnitude"),
        ("addEvidence", ADD_EVIDENCE, {"i": [_bearing(m, magnitude=2.5)]}, "Int"),
        ("addEvidence", ADD_EVIDENCE, {"i": [_bearing(m, stance="MAYBE")]}, "MAYBE"),
        ("addEvidence", ADD_EVIDENCE, {"i": [_bearing(m, propositionId="prop-nope")]}, "prop-nope"),
        ("addEvidence", ADD_EVIDENCE, {"i": [_evidence(m, accountId="acct-nope")]}, "acct-nope"),
        ("addEvidence", ADD_EVIDENCE, {"i": [_evidence(m, sourceKey=LONG)]}, "200"),
        ("addEvidence", ADD_EVIDENCE, {"i": [_evidence(m, sourceKey="")]}, "at least 1 character"),
        ("addEvidence", ADD_EVIDENCE, {"i": [_evidence(m, observedAt="last tuesday")]}, "DateTime"),
        # A time without a zone is UTC (docs/api.md); one that is no time at all is refused.
        (
            "addEvidence",
            ADD_EVIDENCE,
            {"i": [_evidence(m, observedAt="2026-05-03T25:00:00")]},
            "ISO 8601",
        ),
        (
            "addEvidence",
            ADD_EVIDENCE,
            {"i": [_evidence(m, idempotencyKey="k"), _evidence(m, idempotencyKey="k")]},
            "idempotencyKey",
        ),
        ("addEvidence", ADD_EVIDENCE, {"i": [_evidence(m), _bearing(m, strength=-1)]}, "strength"),
        # retractEvidence / redactEvidence
        ("retractEvidence", RETRACT, {"id": "ev-nope", "r": "dup"}, "ev-nope"),
        ("retractEvidence", RETRACT, {"id": m.evidence, "r": ""}, "reason"),
        ("redactEvidence", REDACT, {"id": "ev-nope", "r": "personal"}, "ev-nope"),
        ("redactEvidence", REDACT, {"id": m.evidence, "r": " "}, "reason"),
        # stateBelief / withdrawBelief
        ("stateBelief", STATE, {"i": {"propositionId": m.proposition, "p": 1.5}}, "p"),
        ("stateBelief", STATE, {"i": {"propositionId": m.proposition, "p": -0.1}}, "p"),
        ("stateBelief", STATE, {"i": {"propositionId": m.proposition, "p": "high"}}, "Float"),
        (
            "stateBelief",
            STATE,
            {"i": {"propositionId": m.proposition, "p": 0.5, "magnitude": 0}},
            "magnitude",
        ),
        (
            "stateBelief",
            STATE,
            {"i": {"propositionId": m.proposition, "p": 0.5, "magnitude": 9}},
            "magnitude",
        ),
        ("stateBelief", STATE, {"i": {"propositionId": "prop-nope", "p": 0.5}}, "prop-nope"),
        (
            "stateBelief",
            STATE,
            {"i": {"propositionId": m.proposition, "p": 0.5, "function": "finance"}},
            "finance",
        ),
        (
            "stateBelief",
            STATE,
            {"i": {"propositionId": m.proposition, "p": 0.5, "rationale": LONG}},
            "10000",
        ),
        ("stateBelief", STATE, {"i": {"propositionId": m.proposition}}, "p"),
        ("withdrawBelief", WITHDRAW, {"p": "prop-nope"}, "prop-nope"),
        ("withdrawBelief", WITHDRAW, {"p": m.proposition, "f": "finance"}, "finance"),
        # importEvidence: the file is refused whole, the report names the problem
        ("importEvidence", IMPORT, {"d": _line(m, stance="MAYBE")}, "SUPPORTS or CONTRADICTS"),
        ("importEvidence", IMPORT, {"d": _line(m, proposition_id="prop-nope")}, "prop-nope"),
        ("importEvidence", IMPORT, {"d": "{not json\n"}, "JSON"),
        ("importEvidence", IMPORT, {"d": "", "f": "CSV"}, "header"),
        ("importEvidence", IMPORT, {"d": _line(m), "m": {"subject": "x"}}, "'subject'"),
        ("importEvidence", IMPORT, {"d": _line(m), "f": "XLSX"}, "XLSX"),
        # mergeEntities
        ("mergeEntities", MERGE, {"k": m.pain, "m": m.pain}, "same entity"),
        ("mergeEntities", MERGE, {"k": m.pain, "m": "pain-nope"}, "pain-nope"),
        ("mergeEntities", MERGE, {"k": m.pain, "m": m.segment}, "kind"),
        # createSnapshot
        ("createSnapshot", SNAPSHOT, {"k": ""}, "idempotencyKey"),
        ("createSnapshot", SNAPSHOT, {"a": "yesterday"}, "DateTime"),
        ("createSnapshot", SNAPSHOT, {"l": LONG}, "label"),
        # votes
        ("openVote", OPEN_VOTE, {"i": {"propositionIds": []}}, "proposition"),
        ("openVote", OPEN_VOTE, {"i": {"propositionIds": ["prop-nope"]}}, "prop-nope"),
        ("castBallot", BALLOT, {"v": m.vote, "p": m.proposition, "x": 2}, "p"),
        ("castBallot", BALLOT, {"v": m.vote, "p": m.proposition, "x": 0.5, "m": 7}, "magnitude"),
        ("castBallot", BALLOT, {"v": "vote-nope", "p": m.proposition, "x": 0.5}, "vote-nope"),
        ("castBallot", BALLOT, {"v": m.vote, "p": "prop-other", "x": 0.5}, "prop-other"),
        ("revealVote", REVEAL, {"v": "vote-nope"}, "vote-nope"),
        ("cancelVote", CANCEL, {"v": "vote-nope"}, "vote-nope"),
        # decisions
        (
            "recordDecision",
            RECORD_DECISION,
            {"i": {"title": "x", "propositionIds": []}},
            "proposition",
        ),
        (
            "recordDecision",
            RECORD_DECISION,
            {"i": {"title": "x", "propositionIds": [m.proposition, "prop-nope"]}},
            "prop-nope",
        ),
        (
            "recordDecision",
            RECORD_DECISION,
            {"i": {"title": "  ", "propositionIds": [m.proposition]}},
            "title",
        ),
        (
            "recordDecision",
            RECORD_DECISION,
            {"i": {"title": "x", "propositionIds": [f"prop-{n}" for n in range(51)]}},
            "proposition",
        ),
    ]


TYPED_CODES = {"BAD_USER_INPUT", "NOT_FOUND", "GRAPHQL_VALIDATION_FAILED", "CONFLICT"}


def test_every_mutation_has_bad_input_cases(app_settings: Any) -> None:
    mutation_type = build_schema(app_settings)._schema.mutation_type
    assert mutation_type is not None
    placeholder = Model("s", "p", "q", "e", "v")
    assert {name for name, *_ in graphql_cases(placeholder)} == set(mutation_type.fields)


async def test_bad_input_on_every_mutation_is_refused_clearly_and_writes_nothing(
    client: httpx.AsyncClient, db: Database, model: Model, admin: Caller
) -> None:
    before = await graph_fingerprint(db)
    failures = []
    for name, document, variables, says in graphql_cases(model):
        response = await client.post(
            "/graphql", json={"query": document, "variables": variables}, headers=admin.headers
        )
        where = f"{name} {str(variables)[:120]}"
        if response.status_code >= 500:
            failures.append(f"{where}: HTTP {response.status_code}")
            continue
        errors = response.json().get("errors") or []
        if not errors:
            failures.append(f"{where}: accepted")
            continue
        code = errors[0].get("extensions", {}).get("code")
        message = errors[0]["message"]
        if code not in TYPED_CODES:
            failures.append(f"{where}: code {code}: {message}")
        elif says.lower() not in message.lower():
            failures.append(f"{where}: the message does not mention {says!r}: {message}")
        if await graph_fingerprint(db) != before:
            failures.append(f"{where}: the graph changed")
            before = await graph_fingerprint(db)
    assert not failures, "\n".join(failures)


async def test_bad_input_on_every_rest_write_is_a_4xx_and_writes_nothing(
    client: httpx.AsyncClient, db: Database, model: Model, admin: Caller
) -> None:
    headers = admin.headers
    jsonl = {**headers, "Content-Type": "application/x-ndjson"}
    cases: list[tuple[str, str, dict[str, Any], int, str]] = [
        (
            "POST",
            "/api/v1/evidence:import",
            {"content": "{not json\n", "headers": jsonl},
            422,
            "JSON",
        ),
        ("POST", "/api/v1/evidence:import", {"content": "", "headers": jsonl}, 422, "no rows"),
        (
            "POST",
            "/api/v1/evidence:import",
            {"content": "a,b\n", "headers": headers},
            415,
            "format",
        ),
        (
            "POST",
            "/api/v1/evidence:import?format=xml",
            {"content": "<a/>", "headers": headers},
            422,
            "format",
        ),
        (
            "POST",
            "/api/v1/evidence:import?format=csv&delimiter=%3B%3B",
            {"content": "a\n", "headers": headers},
            422,
            "delimiter",
        ),
        (
            "POST",
            "/api/v1/evidence:import?format=csv&mapping=[1]",
            {"content": "a\n", "headers": headers},
            400,
            "mapping",
        ),
        (
            "POST",
            "/api/v1/workshop/votes",
            {"json": {}, "headers": headers},
            422,
            "proposition_ids",
        ),
        (
            "POST",
            "/api/v1/workshop/votes",
            {"json": {"proposition_ids": "x"}, "headers": headers},
            422,
            "list",
        ),
        (
            "POST",
            "/api/v1/workshop/votes",
            {"json": {"proposition_ids": ["prop-nope"]}, "headers": headers},
            404,
            "prop-nope",
        ),
        (
            "PUT",
            f"/api/v1/workshop/votes/{model.vote}/ballots",
            {
                "json": {"ballots": [{"proposition_id": model.proposition, "p": 1.2}]},
                "headers": headers,
            },
            422,
            "p",
        ),
        (
            "PUT",
            f"/api/v1/workshop/votes/{model.vote}/ballots",
            {
                "json": {
                    "ballots": [{"proposition_id": model.proposition, "p": 0.5, "magnitude": 0}]
                },
                "headers": headers,
            },
            422,
            "magnitude",
        ),
        (
            "PUT",
            f"/api/v1/workshop/votes/{model.vote}/ballots",
            {"content": "not json", "headers": {**headers, "Content-Type": "application/json"}},
            422,
            "JSON",
        ),
        (
            "PUT",
            "/api/v1/workshop/votes/vote-nope/ballots",
            {
                "json": {"ballots": [{"proposition_id": model.proposition, "p": 0.5}]},
                "headers": headers,
            },
            404,
            "vote-nope",
        ),
        ("POST", "/api/v1/workshop/votes/vote-nope/reveal", {"headers": headers}, 404, "vote-nope"),
        ("POST", "/api/v1/workshop/votes/vote-nope/cancel", {"headers": headers}, 404, "vote-nope"),
        ("GET", "/api/v1/snapshots/snap-nope.json", {"headers": headers}, 404, "snap-nope"),
        ("GET", "/api/v1/imports/import-nope", {"headers": headers}, 404, "import-nope"),
    ]
    before = await graph_fingerprint(db)
    failures = []
    for method, path, options, status, says in cases:
        response = await client.request(method, path, **options)
        where = f"{method} {path}"
        if response.status_code != status:
            failures.append(
                f"{where}: expected {status}, got {response.status_code} {response.text[:200]}"
            )
        elif says.lower() not in response.text.lower():
            failures.append(f"{where}: the answer does not mention {says!r}: {response.text[:300]}")
    assert not failures, "\n".join(failures)
    assert await graph_fingerprint(db) == before


async def test_a_malformed_bookmark_is_bad_input_not_a_server_error(
    client: httpx.AsyncClient, db: Database, model: Model, admin: Caller
) -> None:
    nonsense = {**admin.headers, "X-Bookmark": "not-a-bookmark"}
    graphql = await client.post(
        "/graphql", json={"query": "{ functions { name } }"}, headers=nonsense
    )
    assert graphql.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "bookmark" in graphql.json()["errors"][0]["message"].lower()
    row = (
        '{"summary": "s", "source_type": "survey", "stance": "SUPPORTS", '
        f'"proposition_id": "{model.proposition}"}}\n'
    )
    before = await graph_fingerprint(db)
    rest = await client.post(
        "/api/v1/evidence:import",
        content=row,
        headers={**nonsense, "Content-Type": "application/x-ndjson"},
    )
    assert rest.status_code == 400 and "X-Bookmark" in rest.json()["message"]
    assert await graph_fingerprint(db) == before
