"""Injection: hostile strings in every string input of the GraphQL API.

Quotes, backticks, comment markers, closing braces, ``DETACH DELETE``, Unicode look-alikes,
NUL, lone surrogates and long strings go into each string argument of every mutation and
query. Each one must be stored verbatim (names are trimmed of surrounding blanks) or refused
with a typed error a user can read; and the graph's nodes per label, relationships per type,
constraints and indexes change only by what the write was meant to do. The check that no
Cypher text is built from values lives in ``tests/check_cypher_hygiene.py`` (``make lint``).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from graph.kit.connection import Database, fetch_one
from schema.vocabulary import Role
from tests.factories import Caller, make_caller
from tests.reliability.model import GraphShape, Model, build_model, graph_shape

pytestmark = pytest.mark.slow

PAYLOADS = (
    "'",
    '"',
    "`",
    "\\",
    "//",
    "/*",
    "*/",
    "}",
    "{",
    "})",
    "'}) DETACH DELETE n //",
    '"}) MATCH (n) DETACH DELETE n //',
    "`) DETACH DELETE n RETURN 1 //",
    "}]->(x) DETACH DELETE x //",
    "MATCH (n) DETACH DELETE n",
    "CALL db.clearQueryCaches()",
    "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
    "$id",
    "n:Entity",
    "\u0000",
    "\u02bc",  # modifier letter apostrophe
    "\uff07",  # fullwidth apostrophe
    "\u2019",
    "\uff40",  # fullwidth grave accent
    "\u037e",  # Greek question mark, looks like ;
    "\u200b",
    "\u202e",
    "\ufeff",
    "\u0130",  # capital I with dot above: lower-cases to two characters
    "\u03a3",  # capital sigma
    "\U0001f600",
    "\n",
    "\r\n",
    " ",
)
hostile = st.one_of(
    st.lists(
        st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=12)), min_size=1, max_size=6
    ).map("".join),
    st.tuples(st.sampled_from(PAYLOADS[:19]), st.integers(400, 12_000)).map(
        lambda pair: (pair[0] * pair[1])[: pair[1]]
    ),
)


def crafted_cursor(key: object) -> str:
    payload = json.dumps({"t": "2026-01-01T00:00:00+00:00", "k": key}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


EXAMPLES = (
    "'}) DETACH DELETE n //",
    "`Segment` \u0000",
    "\ud800 lone surrogate",
    "x" * 10_001,
    "\u02bc\uff07\u037e}",
    crafted_cursor(["' DETACH DELETE n //", "ent-1"]),
    " \n\t ",
)

REFUSALS = {"BAD_USER_INPUT", "NOT_FOUND"}
LEAKS = re.compile(r"Traceback|neo4j|Neo\.|Cypher|codec|Exception", re.IGNORECASE)
# A malformed DateTime is refused by GraphQL's own variable coercion.
SCALAR_REFUSALS = REFUSALS | {"GRAPHQL_VALIDATION_FAILED"}

ENTITY_FIELDS = "id name description status altKind channel"


@dataclass
class World:
    http: httpx.AsyncClient
    db: Database
    admin: Caller
    model: Model
    ids: dict[str, str]
    examples: int = 0
    series: set[str] = field(default_factory=set)  # functions with a series on the proposition

    def unique(self, value: str) -> str:
        """The value made unique per example (an idempotency key seen before writes nothing)."""
        self.examples += 1
        return f"{self.examples}:{value}"

    async def call(self, query: str, **variables: Any) -> dict[str, Any]:
        # Encoded here with ASCII escapes, so a lone surrogate travels as JSON allows (\ud800).
        response = await self.http.post(
            "/graphql",
            content=json.dumps({"query": query, "variables": variables}),
            headers={**self.admin.headers, "Content-Type": "application/json"},
        )
        assert response.status_code < 500, response.text[:500]
        body: dict[str, Any] = response.json()
        return body

    async def stored(self, node_id: str, prop: str) -> Any:
        row = await self.db.read(
            fetch_one,
            "MATCH (n {id: $id}) RETURN n[$prop] AS value, n.key_scope AS scope",
            id=node_id,
            prop=prop,
        )
        assert row is not None, f"{node_id} is not in the graph"
        if prop == "idempotency_key" and row["scope"] is not None:
            # A key is stored in the scope of its function (graph/kit/keys.py).
            assert row["value"].startswith(f"{row['scope']}:"), row["value"]
            return row["value"].removeprefix(f"{row['scope']}:")
        return row["value"]


@dataclass
class Intent:
    """What a write was meant to change, and the values it must have stored."""

    labels: dict[str, int] = field(default_factory=dict)
    types: dict[str, int] = field(default_factory=dict)
    stored: list[tuple[str, str, Any]] = field(default_factory=list)  # (node id, prop, value)
    refusals: set[str] = field(default_factory=lambda: set(REFUSALS))
    must_refuse: bool = False
    # Labels and types a write adds a variable number of (a snapshot's content chunks).
    growing: frozenset[str] = frozenset()


Case = Callable[[World, str], Awaitable[tuple[dict[str, Any], Intent]]]
Prepare = Callable[[World], Awaitable[None]]


def new_entity(kind: str, value: str, field_name: str, response: dict[str, Any]) -> Intent:
    extra = {"IN_SEGMENT": 1} if kind == "ACCOUNT" else {}
    label = kind.capitalize()
    data = response.get("data") or {}
    created = data.get("createEntity") or {}
    stored_value = value.strip() if field_name == "name" else value
    return Intent(
        labels={"Entity": 1, label: 1, "AuditEntry": 1},
        types=extra,
        stored=[(created["id"], field_name, stored_value)] if created else [],
        must_refuse=field_name == "name" and not value.strip(),
    )


def create_entity(kind: str, field_name: str, **fixed: Any) -> Case:
    async def case(world: World, value: str) -> tuple[dict[str, Any], Intent]:
        name = {"name": "Fixed name"} if field_name != "name" else {}
        if kind == "ACCOUNT" and field_name != "segmentId":
            fixed.setdefault("segmentId", world.model.segment_id)
        graphql_field = {"alt_kind": "altKind", "idempotency_key": "idempotencyKey"}.get(
            field_name, field_name
        )
        if field_name == "idempotency_key":
            value = world.unique(value)
        entity_input = {"kind": kind, **name, **fixed, graphql_field: value}
        body = await world.call(
            "mutation($i: CreateEntityInput!) { createEntity(input: $i) { " + ENTITY_FIELDS + "}}",
            i=entity_input,
        )
        return body, new_entity(kind, value, field_name, body)

    return case


def update_entity(target: str, field_name: str) -> Case:
    async def case(world: World, value: str) -> tuple[dict[str, Any], Intent]:
        graphql_field = {"alt_kind": "altKind"}.get(field_name, field_name)
        body = await world.call(
            "mutation($id: ID!, $i: UpdateEntityInput!) { updateEntity(id: $id, input: $i) { "
            + ENTITY_FIELDS
            + "}}",
            id=world.ids[target],
            i={graphql_field: value},
        )
        stored_value = value.strip() if field_name == "name" else value
        return body, Intent(
            labels={"AuditEntry": 1},
            stored=[(world.ids[target], field_name, stored_value)],
            must_refuse=field_name == "name" and not value.strip(),
        )

    return case


async def update_unknown_entity(world: World, value: str) -> tuple[dict[str, Any], Intent]:
    body = await world.call(
        'mutation($id: ID!) { updateEntity(id: $id, input: {description: "x"}) { id } }',
        id=value,
    )
    return body, Intent(must_refuse=True)


async def fresh_goal(world: World) -> None:
    body = await world.call('mutation { createEntity(input: {kind: GOAL, name: "G"}) { id } }')
    world.ids["fresh"] = body["data"]["createEntity"]["id"]


async def fresh_proposition(world: World) -> None:
    pain = await world.call('mutation { createEntity(input: {kind: PAIN, name: "P"}) { id } }')
    body = await world.call(
        "mutation($s: ID!, $o: ID!) { createProposition(input: "
        "{subjectId: $s, relation: EXPERIENCES, objectId: $o}) { id } }",
        s=world.model.segment_id,
        o=pain["data"]["createEntity"]["id"],
    )
    world.ids["fresh"] = body["data"]["createProposition"]["id"]


async def fresh_evidence(world: World) -> None:
    body = await world.call(
        'mutation($p: ID!) { addEvidence(input: [{sourceType: "survey", summary: "S", '
        "bears: [{propositionId: $p, stance: SUPPORTS}]}]) { items { id } } }",
        p=world.model.proposition_ids[0],
    )
    world.ids["fresh"] = body["data"]["addEvidence"]["items"][0]["id"]


def with_reason(
    mutation: str, prop: str, types: dict[str, int] | None = None, *, stores: object = ...
) -> Case:
    """A change with a reason on ``world.ids["fresh"]``; ``prop`` then holds the reason, or
    ``stores`` when given (an undoing clears it)."""

    async def case(world: World, value: str) -> tuple[dict[str, Any], Intent]:
        body = await world.call(
            "mutation($id: ID!, $r: String!) { " + mutation + "(id: $id, reason: $r) { id } }",
            id=world.ids["fresh"],
            r=value,
        )
        return body, Intent(
            labels={"AuditEntry": 1},
            types=types or {},
            stored=[(world.ids["fresh"], prop, value if stores is ... else stores)],
        )

    return case


def unknown_id(mutation: str) -> Case:
    async def case(world: World, value: str) -> tuple[dict[str, Any], Intent]:
        body = await world.call(
            "mutation($id: ID!) { " + mutation + '(id: $id, reason: "because") { id } }', id=value
        )
        return body, Intent(must_refuse=True)

    return case


def create_proposition(side: str) -> Case:
    async def case(world: World, value: str) -> tuple[dict[str, Any], Intent]:
        ids = {
            "subjectId": world.model.segment_id,
            "objectId": world.model.pain_ids[0],
            side: value,
        }
        body = await world.call(
            "mutation($i: CreatePropositionInput!) { createProposition(input: $i) { id } }",
            i={**ids, "relation": "EXPERIENCES"},
        )
        return body, Intent(must_refuse=True)

    return case


def add_evidence(field_name: str) -> Case:
    async def case(world: World, value: str) -> tuple[dict[str, Any], Intent]:
        item: dict[str, Any] = {
            "sourceType": "interview",
            "summary": "A quote",
            "bears": [{"propositionId": world.model.proposition_ids[0], "stance": "SUPPORTS"}],
        }
        if field_name == "propositionId":
            item["bears"][0]["propositionId"] = value
        elif field_name == "idempotencyKey":
            value = world.unique(value)
            item[field_name] = value
        else:
            item[field_name] = value
        body = await world.call(
            "mutation($i: [EvidenceInput!]!) { addEvidence(input: $i) { items { id } } }", i=[item]
        )
        data = body.get("data") or {}
        items = (data.get("addEvidence") or {}).get("items") or []
        prop = {
            "summary": "summary",
            "sourceRef": "source_ref",
            "sourceType": "source_type",
            "idempotencyKey": "idempotency_key",
        }.get(field_name)
        return body, Intent(
            labels={"Evidence": 1, "AuditEntry": 1},
            types={"BEARS_ON": 1, **({"FROM_ACCOUNT": 1} if field_name == "accountId" else {})},
            stored=[(items[0]["id"], prop, value)] if items and prop else [],
            refusals=SCALAR_REFUSALS if field_name == "observedAt" else set(REFUSALS),
            must_refuse=field_name in ("accountId", "propositionId", "observedAt"),
        )

    return case


def state_belief(field_name: str) -> Case:
    async def case(world: World, value: str) -> tuple[dict[str, Any], Intent]:
        belief: dict[str, Any] = {"propositionId": world.model.proposition_ids[0], "p": 0.7}
        if field_name == "idempotencyKey":
            value = world.unique(value)
        belief[field_name] = value
        body = await world.call(
            "mutation($i: StateBeliefInput!) { stateBelief(input: $i) { id function } }", i=belief
        )
        data = body.get("data") or {}
        stated = data.get("stateBelief") or {}
        prop = {"rationale": "rationale", "idempotencyKey": "idempotency_key"}.get(field_name)
        own = world.admin.member.function
        # An empty function name means the caller's own.
        acting = (value or own) if field_name == "function" else own
        fresh_series = acting != own and acting not in world.series
        if stated:
            world.series.add(acting)
        return body, Intent(
            labels={"Belief": 1, "AuditEntry": 1, **({"BeliefSeries": 1} if fresh_series else {})},
            types={"ON": 1, "OF_FUNCTION": 1},
            stored=(
                [(stated["id"], prop or "function", value if prop else acting)]
                if stated and (prop or field_name == "function")
                else []
            ),
            must_refuse=field_name == "propositionId",
        )

    return case


def withdraw_belief(field_name: str) -> Case:
    async def case(world: World, value: str) -> tuple[dict[str, Any], Intent]:
        args = {"propositionId": world.model.proposition_ids[0], "function": None}
        args[field_name] = value
        body = await world.call(
            "mutation($p: ID!, $f: String) { withdrawBelief(propositionId: $p, function: $f) "
            "{ id } }",
            p=args["propositionId"],
            f=args["function"],
        )
        # Only the admin's own function (named, or an empty name) holds a belief to withdraw.
        own = field_name == "function" and (value or world.admin.member.function) == (
            world.admin.member.function
        )
        return body, Intent(
            labels={"Belief": 1, "AuditEntry": 1},
            types={"ON": 1, "OF_FUNCTION": 1},
            must_refuse=not own,
        )

    return case


def read_only(query: str, argument: str, **fixed: Any) -> Case:
    """A query with the value in one argument: answered or refused, never a write."""

    async def case(world: World, value: str) -> tuple[dict[str, Any], Intent]:
        pinned = {
            k: world.model.proposition_ids[0] if v == "$prop" else v for k, v in fixed.items()
        }
        variables = {**pinned, argument: value}
        body = await world.call(query, **variables)
        return body, Intent()

    return case


def merge_entities(side: str) -> Case:
    async def case(world: World, value: str) -> tuple[dict[str, Any], Intent]:
        ids = {"keep": world.ids["pain"], "gone": world.ids["other_pain"], side: value}
        body = await world.call(
            "mutation($keep: ID!, $gone: ID!) { mergeEntities(keepId: $keep, mergeId: $gone) "
            "{ id } }",
            **ids,
        )
        return body, Intent(must_refuse=True)

    return case


def create_snapshot(argument: str) -> Case:
    async def case(world: World, value: str) -> tuple[dict[str, Any], Intent]:
        if argument == "idempotencyKey":
            value = world.unique(value)
        body = await world.call(
            "mutation($v: String) { createSnapshot(" + argument + ": $v) { id } }", v=value
        )
        data = body.get("data") or {}
        made = data.get("createSnapshot") or {}
        prop = {"label": "label", "idempotencyKey": "idempotency_key"}[argument]
        return body, Intent(
            labels={"Snapshot": 1},
            growing=frozenset({"SnapshotChunk", "HAS_CHUNK", "AuditEntry"}),
            stored=[(made["id"], prop, value)] if made else [],
        )

    return case


async def retired_goal(world: World) -> None:
    await fresh_goal(world)
    await world.call(
        'mutation($id: ID!) { retireEntity(id: $id, reason: "r") { id } }', id=world.ids["fresh"]
    )


async def fresh_snapshot(world: World) -> None:
    body = await world.call('mutation { createSnapshot(label: "S") { id } }')
    world.ids["snapshot"] = body["data"]["createSnapshot"]["id"]


async def redacted_in_a_snapshot(world: World) -> None:
    await fresh_evidence(world)
    await fresh_snapshot(world)
    await world.call(
        'mutation($id: ID!) { redactEvidence(id: $id, reason: "r") { id } }', id=world.ids["fresh"]
    )


async def delete_snapshot(world: World, value: str) -> tuple[dict[str, Any], Intent]:
    chunks = await world.db.read(
        fetch_one,
        "MATCH (:Snapshot {id: $id})-[:HAS_CHUNK]->(k) RETURN count(k) AS n",
        id=world.ids["snapshot"],
    )
    n = int(chunks["n"]) if chunks else 0
    body = await world.call(
        "mutation($id: ID!, $r: String!) { deleteSnapshot(id: $id, reason: $r) { id } }",
        id=world.ids["snapshot"],
        r=value,
    )
    return body, Intent(
        labels={"AuditEntry": 1, "Snapshot": -1, "SnapshotChunk": -n}, types={"HAS_CHUNK": -n}
    )


def purge_redacted(argument: str) -> Case:
    async def case(world: World, value: str) -> tuple[dict[str, Any], Intent]:
        evidence_id = value if argument == "evidenceId" else world.ids["fresh"]
        reason = value if argument == "reason" else "because"
        body = await world.call(
            "mutation($e: ID!, $r: String!) { purgeRedactedFromSnapshots(evidenceId: $e, "
            "reason: $r) { snapshots { id } } }",
            e=evidence_id,
            r=reason,
        )
        return body, Intent(labels={"AuditEntry": 1}, must_refuse=argument == "evidenceId")

    return case


def open_vote(field_name: str) -> Case:
    async def case(world: World, value: str) -> tuple[dict[str, Any], Intent]:
        vote: dict[str, Any] = {"propositionIds": [world.model.proposition_ids[0]]}
        if field_name == "idempotencyKey":
            value = world.unique(value)
        vote[field_name] = [value] if field_name == "propositionIds" else value
        body = await world.call(
            "mutation($i: OpenVoteInput!) { openVote(input: $i) { id } }", i=vote
        )
        data = body.get("data") or {}
        opened = data.get("openVote") or {}
        prop = {"label": "label", "idempotencyKey": "idempotency_key"}.get(field_name)
        expected = value.strip() if field_name == "label" else value
        # A blank label is replaced by the opening time, like no label at all.
        stored = [(opened["id"], prop, expected)] if opened and prop and expected else []
        return body, Intent(
            labels={"Vote": 1, "AuditEntry": 1},
            types={"ABOUT": 1},
            stored=stored,
            must_refuse=field_name in ("propositionIds", "segmentId"),
        )

    return case


def record_decision(field_name: str) -> Case:
    async def case(world: World, value: str) -> tuple[dict[str, Any], Intent]:
        decision: dict[str, Any] = {
            "title": "Ship it",
            "propositionIds": [world.model.proposition_ids[0]],
        }
        if field_name == "idempotencyKey":
            value = world.unique(value)
        decision[field_name] = [value] if field_name == "propositionIds" else value
        body = await world.call(
            "mutation($i: RecordDecisionInput!) { recordDecision(input: $i) { id } }", i=decision
        )
        recorded = (body.get("data") or {}).get("recordDecision") or {}
        # Title and rationale are kept trimmed; the key is kept scoped to the function.
        expected = value.strip()
        prop = {"title": "title", "rationale": "rationale"}.get(field_name)
        stored = [(recorded["id"], prop, expected)] if recorded and prop and expected else []
        return body, Intent(
            labels={"Decision": 1, "AuditEntry": 1},
            stored=stored,
            must_refuse=field_name == "propositionIds",
        )

    return case


def cast_ballot(argument: str) -> Case:
    async def case(world: World, value: str) -> tuple[dict[str, Any], Intent]:
        args = {"vote": world.ids["vote"], "prop": world.model.proposition_ids[0], argument: value}
        body = await world.call(
            "mutation($vote: ID!, $prop: ID!) { castBallot(voteId: $vote, propositionId: $prop, "
            "p: 0.5) { id } }",
            **args,
        )
        return body, Intent(must_refuse=True)

    return case


def vote_by_id(mutation: str) -> Case:
    async def case(world: World, value: str) -> tuple[dict[str, Any], Intent]:
        body = await world.call("mutation($id: ID!) { " + mutation + "(id: $id) { id } }", id=value)
        return body, Intent(must_refuse=True)

    return case


async def search_finds_created(world: World, value: str) -> tuple[dict[str, Any], Intent]:
    """An entity named with the value is found by searching for that name."""
    body, intent = await create_entity("SEGMENT", "name")(world, value)
    if body.get("errors"):
        return body, intent
    created = body["data"]["createEntity"]
    found = await world.call(
        "query($s: String) { entities(search: $s, first: 100) { nodes { id } } }",
        s=created["name"],
    )
    assert not found.get("errors"), found["errors"]
    assert created["id"] in {n["id"] for n in found["data"]["entities"]["nodes"]}, (
        f"searching for {created['name']!r} does not find the entity named so"
    )
    return body, intent


DIVERGENCE_READS = {
    "divergences.function": "query($v: String) { divergences(function: $v) { totalCount } }",
    "divergences.segmentId": "query($v: ID) { divergences(segmentId: $v) { totalCount } }",
    "divergences.after": "query($v: String) { divergences(after: $v) { totalCount } }",
    "disagreements.segmentId": "query($v: ID) { disagreements(segmentId: $v) { __typename } }",
    "blindSpots.function": "query($v: String!) { blindSpots(function: $v) { __typename } }",
    "assumptionDebt.function": "query($v: String) { assumptionDebt(function: $v) { __typename } }",
    "priorityAlignment.segmentId": (
        "query($v: ID!) { priorityAlignment(segmentId: $v, relation: EXPERIENCES) { __typename } }"
    ),
    "alignment.segmentId": "query($v: ID) { alignment(segmentId: $v) { __typename } }",
    "structuralGaps.function": "query($v: String) { structuralGaps(function: $v) { __typename } }",
    "snapshot.id": "query($v: ID!) { snapshot(id: $v) { id } }",
    "snapshotDiff.from": "query($v: ID!) { snapshotDiff(from: $v, to: $v) { __typename } }",
    "snapshots.after": "query($v: String) { snapshots(after: $v) { __typename } }",
    "vote.id": "query($v: ID!) { vote(id: $v) { id } }",
    "votes.segmentId": "query($v: ID) { votes(segmentId: $v) { id } }",
    "propositionGraph.segmentId": "query($v: ID) { propositionGraph(segmentId: $v) }",
    "propositionGraph.after": "query($v: String) { propositionGraph(after: $v) }",
}

CASES: dict[str, tuple[Case, Prepare | None]] = {
    **{name: (read_only(query, "v"), None) for name, query in DIVERGENCE_READS.items()},
    "mergeEntities.keepId": (merge_entities("keep"), None),
    "mergeEntities.mergeId": (merge_entities("gone"), None),
    "createSnapshot.label": (create_snapshot("label"), None),
    "createSnapshot.idempotencyKey": (create_snapshot("idempotencyKey"), None),
    "openVote.label": (open_vote("label"), None),
    "openVote.idempotencyKey": (open_vote("idempotencyKey"), None),
    "openVote.segmentId": (open_vote("segmentId"), None),
    "openVote.propositionIds": (open_vote("propositionIds"), None),
    "recordDecision.title": (record_decision("title"), None),
    "recordDecision.rationale": (record_decision("rationale"), None),
    "recordDecision.idempotencyKey": (record_decision("idempotencyKey"), None),
    "recordDecision.propositionIds": (record_decision("propositionIds"), None),
    "castBallot.voteId": (cast_ballot("vote"), None),
    "castBallot.propositionId": (cast_ballot("prop"), None),
    "revealVote.id": (vote_by_id("revealVote"), None),
    "cancelVote.id": (vote_by_id("cancelVote"), None),
    "createEntity.name": (create_entity("SEGMENT", "name"), None),
    "createEntity.name (claim text)": (create_entity("CLAIM", "name"), None),
    "createEntity.description": (create_entity("PAIN", "description"), None),
    "createEntity.channel": (create_entity("CLAIM", "channel"), None),
    "createEntity.status": (create_entity("FEATURE", "status"), None),
    "createEntity.altKind": (create_entity("ALTERNATIVE", "alt_kind"), None),
    "createEntity.idempotencyKey": (create_entity("GOAL", "idempotency_key"), None),
    "createEntity.segmentId": (create_entity("ACCOUNT", "segmentId"), None),
    "updateEntity.name": (update_entity("pain", "name"), None),
    "updateEntity.description": (update_entity("pain", "description"), None),
    "updateEntity.status": (update_entity("feature", "status"), None),
    "updateEntity.altKind": (update_entity("alternative", "alt_kind"), None),
    "updateEntity.channel": (update_entity("claim", "channel"), None),
    "updateEntity.id": (update_unknown_entity, None),
    "retireEntity.reason": (with_reason("retireEntity", "retired_reason"), fresh_goal),
    "retireEntity.id": (unknown_id("retireEntity"), None),
    "retireProposition.reason": (
        with_reason("retireProposition", "retired_reason", {"EXPERIENCES": -1}),
        fresh_proposition,
    ),
    "retireProposition.id": (unknown_id("retireProposition"), None),
    "unretireEntity.reason": (
        with_reason("unretireEntity", "retired_reason", stores=None),
        retired_goal,
    ),
    "unretireEntity.id": (unknown_id("unretireEntity"), None),
    "unretireProposition.id": (unknown_id("unretireProposition"), None),
    "deleteSnapshot.reason": (delete_snapshot, fresh_snapshot),
    "deleteSnapshot.id": (unknown_id("deleteSnapshot"), None),
    "purgeRedactedFromSnapshots.reason": (purge_redacted("reason"), redacted_in_a_snapshot),
    "purgeRedactedFromSnapshots.evidenceId": (purge_redacted("evidenceId"), None),
    "createProposition.subjectId": (create_proposition("subjectId"), None),
    "createProposition.objectId": (create_proposition("objectId"), None),
    "addEvidence.summary": (add_evidence("summary"), None),
    "addEvidence.sourceRef": (add_evidence("sourceRef"), None),
    "addEvidence.sourceType": (add_evidence("sourceType"), None),
    "addEvidence.idempotencyKey": (add_evidence("idempotencyKey"), None),
    "addEvidence.accountId": (add_evidence("accountId"), None),
    "addEvidence.observedAt": (add_evidence("observedAt"), None),
    "addEvidence.bears.propositionId": (add_evidence("propositionId"), None),
    "retractEvidence.reason": (with_reason("retractEvidence", "retract_reason"), fresh_evidence),
    "retractEvidence.id": (unknown_id("retractEvidence"), None),
    "redactEvidence.reason": (with_reason("redactEvidence", "redact_reason"), fresh_evidence),
    "redactEvidence.id": (unknown_id("redactEvidence"), None),
    "stateBelief.rationale": (state_belief("rationale"), None),
    "stateBelief.function": (state_belief("function"), None),
    "stateBelief.idempotencyKey": (state_belief("idempotencyKey"), None),
    "stateBelief.propositionId": (state_belief("propositionId"), None),
    "withdrawBelief.function": (withdraw_belief("function"), None),
    "withdrawBelief.propositionId": (withdraw_belief("propositionId"), None),
    "entities.search": (search_finds_created, None),
    "entities.after": (
        read_only("query($v: String) { entities(after: $v) { nodes { id } } }", "v"),
        None,
    ),
    "entity.id": (read_only("query($v: ID!) { entity(id: $v) { id } }", "v"), None),
    "proposition.id": (read_only("query($v: ID!) { proposition(id: $v) { id } }", "v"), None),
    "propositions.segmentId": (
        read_only("query($v: ID) { propositions(segmentId: $v) { nodes { id } } }", "v"),
        None,
    ),
    "propositions.after": (
        read_only("query($v: String) { propositions(after: $v) { nodes { id } } }", "v"),
        None,
    ),
    "evidence.id": (read_only("query($v: ID!) { evidence(id: $v) { id } }", "v"), None),
    "evidenceItems.sourceType": (
        read_only("query($v: String) { evidenceItems(sourceType: $v) { nodes { id } } }", "v"),
        None,
    ),
    "evidenceItems.propositionId": (
        read_only("query($v: ID) { evidenceItems(propositionId: $v) { nodes { id } } }", "v"),
        None,
    ),
    "evidenceItems.accountId": (
        read_only("query($v: ID) { evidenceItems(accountId: $v) { nodes { id } } }", "v"),
        None,
    ),
    "evidenceItems.after": (
        read_only("query($v: String) { evidenceItems(after: $v) { nodes { id } } }", "v"),
        None,
    ),
    "beliefs.propositionId": (
        read_only("query($v: ID!) { beliefs(propositionId: $v) { id } }", "v"),
        None,
    ),
    "beliefs.function": (
        read_only(
            "query($p: ID!, $v: String) { beliefs(propositionId: $p, function: $v) { id } }",
            "v",
            p="$prop",
        ),
        None,
    ),
    "auditLog.action": (
        read_only("query($v: String) { auditLog(action: $v) { nodes { id } } }", "v"),
        None,
    ),
    "auditLog.memberId": (
        read_only("query($v: ID) { auditLog(memberId: $v) { nodes { id } } }", "v"),
        None,
    ),
    "auditLog.after": (
        read_only("query($v: String) { auditLog(after: $v) { nodes { id } } }", "v"),
        None,
    ),
}


async def make_world(http: httpx.AsyncClient, db: Database) -> World:
    admin = await make_caller(db, "engineering", Role.ADMIN)
    model = await build_model(db, pains=1)
    world = World(http, db, admin, model, {"pain": model.pain_ids[0]})
    other = await world.call('mutation { createEntity(input: {kind: PAIN, name: "Other"}) { id } }')
    world.ids["other_pain"] = other["data"]["createEntity"]["id"]
    vote = await world.call(
        "mutation($p: ID!) { openVote(input: {propositionIds: [$p]}) { id } }",
        p=model.proposition_ids[0],
    )
    world.ids["vote"] = vote["data"]["openVote"]["id"]
    for kind, key in (("CLAIM", "claim"), ("FEATURE", "feature"), ("ALTERNATIVE", "alternative")):
        body = await world.call(
            'mutation($k: EntityKind!) { createEntity(input: {kind: $k, name: "N"}) { id } }',
            k=kind,
        )
        world.ids[key] = body["data"]["createEntity"]["id"]
    # The admin's own series exists, so a statement adds exactly one Belief.
    stated = await world.call(
        "mutation($p: ID!) { stateBelief(input: {propositionId: $p, p: 0.5}) { id } }",
        p=model.proposition_ids[0],
    )
    assert not stated.get("errors"), stated
    return world


def check_outcome(
    name: str,
    value: str,
    body: dict[str, Any],
    intent: Intent,
    before: GraphShape,
    after: GraphShape,
) -> None:
    assert after.constraints == before.constraints, f"{name}: constraints changed"
    assert after.indexes == before.indexes, f"{name}: indexes changed"
    errors = body.get("errors")
    if errors:
        codes = {e.get("extensions", {}).get("code") for e in errors}
        assert codes <= intent.refusals, f"{name} {value[:80]!r}: refused with {errors}"
        for error in errors:
            # A sentence for a person: no stack trace, no database or driver internals.
            message = error.get("message", "")
            assert message and not LEAKS.search(message.replace(value, "")), error
        assert before.label_delta(after) == {}, f"{name}: a refused write changed nodes"
        assert before.type_delta(after) == {}, f"{name}: a refused write changed relationships"
        return
    assert not intent.must_refuse, f"{name} accepted {value[:80]!r}"
    labels, types = before.label_delta(after), before.type_delta(after)
    for grown in intent.growing:
        assert labels.pop(grown, 0) >= 0 and types.pop(grown, 0) >= 0, f"{name}: {grown} shrank"
    assert labels == intent.labels, f"{name} {value[:80]!r}"
    assert types == intent.types, f"{name} {value[:80]!r}"


@pytest.fixture
def worlds() -> dict[str, World]:
    """One world per case, built by its first example (the graph is wiped per case)."""
    return {}


@pytest.mark.parametrize("name", sorted(CASES))
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=hostile)
@example(value=EXAMPLES[0])
@example(value=EXAMPLES[1])
@example(value=EXAMPLES[2])
@example(value=EXAMPLES[3])
@example(value=EXAMPLES[4])
@example(value=EXAMPLES[5])
@example(value=EXAMPLES[6])
async def test_hostile_strings_are_stored_verbatim_or_refused(
    name: str, value: str, client: httpx.AsyncClient, db: Database, worlds: dict[str, World]
) -> None:
    if name not in worlds:
        worlds[name] = await make_world(client, db)
    world = worlds[name]
    case, prepare = CASES[name]
    if prepare is not None:
        await prepare(world)
    before = await graph_shape(db)
    body, intent = await case(world, value)
    after = await graph_shape(db)
    check_outcome(name, value, body, intent, before, after)
    if not body.get("errors"):
        for node_id, prop, expected in intent.stored:
            assert await world.stored(node_id, prop) == expected, f"{name}: not stored verbatim"
