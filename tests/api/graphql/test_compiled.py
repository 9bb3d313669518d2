"""Typed reads completed by the compiled path answer exactly what graphql-core answers.

Every query runs twice on the same graph, at the same request time: through the schema as
served (``api/graphql/compiled/``) and through one that completes every field by itself
(``build_schema(compiled=False)``). The two JSON answers, data and errors, must be the same
bytes: the benchmark's reads, aliases, fragments, variables, ``@include``/``@skip``,
``__typename``, empty pages, retracted and redacted items, items recorded by members of
other functions, by a deactivated member and by the system, pages continued with a cursor,
unknown ids, bad arguments and a caller without a token.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from neo4j import AsyncManagedTransaction
from strawberry.extensions import SchemaExtension

from api.graphql.compiled.executor import CompilingExecutor
from api.graphql.context import Context
from api.graphql.schema import build_schema
from graph import entities, members, propositions
from graph.evidence import corrections, writing
from graph.kit.connection import Database
from schema.models import Actor, BearingCreate, EntityCreate, EvidenceCreate, PropositionCreate
from schema.settings import Settings
from schema.vocabulary import EntityKind, Relation, Role, Stance
from tests.factories import make_caller


class Recording(CompilingExecutor):
    """The served executor, noting which root reads the compiled path answered."""

    seen: ClassVar[list[tuple[str, bool]]] = []

    def compiled(self, root: str, taken: bool) -> None:
        self.seen.append((root, taken))


BENCHMARK_100 = """query Q($first: Int!) { propositions(first: $first) { nodes {
  id relation subject { id kind name } object { id kind name }
  evidence(first: 100) { nodes { id sourceType summary observedAt } } } } }"""
BENCHMARK_BEARINGS = """query Q($first: Int!, $evidence: Int!) {
  propositions(first: $first) { nodes {
    id relation subject { id kind name } object { id kind name }
    evidence(first: $evidence) { nodes { id sourceType observedAt
      bears { stance strength magnitude proposition { id relation subject { id name } } } } }
  } } }"""
EVERY_FIELD = """{ propositions(first: 50) { totalCount
  pageInfo { hasNextPage endCursor asOf }
  edges { cursor node { id relation createdAt createdById createdBy retiredAt retiredReason
    text subject { ...E } object { ...E }
    evidence(first: 50, includeRetracted: true) { totalCount
      pageInfo { hasNextPage endCursor asOf }
      edges { cursor node { ...Item } } } } } } }
fragment E on Entity { id kind name description status altKind channel createdAt createdById
  createdBy retiredAt retiredReason segment { id name kind } }
fragment Item on Evidence { id sourceType summary sourceRef observedAt recordedAt function
  retractedAt retractReason redactedAt importId recordedById
  recordedBy { id name function role active } account { id name segment { name } }
  bears { stance strength magnitude proposition { id text } } }"""
SHAPED = """query S($withText: Boolean!, $noEvidence: Boolean!, $first: Int) {
  __typename
  page: propositions(first: $first) { __typename count: totalCount nodes { __typename
    key: id ... on Proposition { relation }
    words: text @include(if: $withText)
    evidence(first: 3) @skip(if: $noEvidence) { nodes { __typename id ...Bits } }
    again: evidence(first: 3) { items: nodes { id } } } }
  other: propositions(first: 1) { nodes { id } } }
fragment Bits on Evidence { sourceType @skip(if: $withText) bears { ...on Bearing { stance } } }"""

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "benchmark: 100 propositions with evidence": (BENCHMARK_100, {"first": 100}),
    "benchmark: ~1k with bearings": (BENCHMARK_BEARINGS, {"first": 20, "evidence": 10}),
    "benchmark: ~10k with bearings": (BENCHMARK_BEARINGS, {"first": 100, "evidence": 20}),
    "every field, cursors, retracted and redacted items": (EVERY_FIELD, {}),
    "aliases, fragments, directives, __typename (1)": (
        SHAPED,
        {"withText": True, "noEvidence": False, "first": 2},
    ),
    "aliases, fragments, directives, __typename (2)": (
        SHAPED,
        {"withText": False, "noEvidence": True, "first": None},
    ),
    "retracted items left out": (
        "{ propositions { nodes { evidence { totalCount nodes { id retractedAt } } } } }",
        {},
    ),
    "an as-of before anything existed: empty pages": (
        """{ propositions(asOf: "2020-01-01") { totalCount pageInfo { hasNextPage endCursor }
           nodes { id } } }""",
        {},
    ),
    "an empty evidence page": (
        """{ propositions { nodes { id
           evidence(asOf: "2020-01-01") { totalCount pageInfo { endCursor } nodes { id } } } } }""",
        {},
    ),
    "a segment's scope, a relation": (
        """query($s: ID) { propositions(segmentId: $s, relation: EXPERIENCES) { totalCount
           nodes { id subject { name } } } }""",
        {"s": None},
    ),
    "entities with their segments": (
        "{ entities(first: 20) { totalCount nodes { id kind name segment { id name } } } }",
        {},
    ),
    "evidence items by source type": (
        """{ evidenceItems(sourceType: "interview", includeRetracted: true) { totalCount
           edges { cursor node { id summary recordedBy { name active } } } } }""",
        {},
    ),
    "a field the compiled path leaves to graphql-core": (
        "{ propositions { nodes { id support status evidence { nodes { id } } } } }",
        {},
    ),
    "an unknown entity, an unknown proposition, an unknown item": (
        """{ entity(id: "ent-nope") { id } proposition(id: "prop-nope") { id }
           evidence(id: "ev-nope") { id } }""",
        {},
    ),
    "a page too large": ("{ propositions(first: 100000) { nodes { id } } }", {}),
    "a nested page too large": (
        "{ propositions(first: 2) { nodes { id evidence(first: 101) { nodes { id } } } } }",
        {},
    ),
    "a forged cursor": ('{ propositions(after: "not-a-cursor") { nodes { id } } }', {}),
    "a forged nested cursor": (
        '{ propositions { nodes { evidence(after: "bm90LWEtY3Vyc29y") { nodes { id } } } } }',
        {},
    ),
    "an unknown segment": ('{ propositions(segmentId: "ent-nope") { nodes { id } } }', {}),
    "a bad variable": ("query($f: Int!) { propositions(first: $f) { nodes { id } } }", {}),
    "an unknown source type": ('{ evidenceItems(sourceType: "rumour") { nodes { id } } }', {}),
    "propositions filtered by text and creation time, newest first": (
        """{ propositions(search: "PAIN", createdFrom: "2020-01-01", orderBy: NEWEST_FIRST,
           first: 2) { totalCount pageInfo { hasNextPage endCursor }
           edges { cursor node { id text subject { name } object { name }
             evidence(first: 2) { totalCount nodes { id summary } } } } } }""",
        {},
    ),
    "evidence items by stance, time and text, oldest first": (
        """{ evidenceItems(stance: CONTRADICTS, search: "ITEM", observedFrom: "2020-01-01",
           orderBy: OLDEST_OBSERVED, includeRetracted: true) { totalCount
           pageInfo { endCursor } edges { cursor node { id summary observedAt } } } }""",
        {},
    ),
    "evidence items newest recorded first": (
        """{ evidenceItems(orderBy: NEWEST_RECORDED, first: 4) { totalCount
           edges { cursor node { id recordedAt } } } }""",
        {},
    ),
    "entities by name": (
        "{ entities(orderBy: NAME, first: 5) { pageInfo { endCursor } nodes { id name } } }",
        {},
    ),
    "facet counts of the listings": (
        """{ propositions { totalCount counts { byRelation { relation count }
             byStatus { status count } } }
           evidenceItems(includeRetracted: true) { totalCount
             counts { bySourceType { sourceType count } byStance { stance count } } } }""",
        {},
    ),
    "a time range that ends before it starts": (
        """{ evidenceItems(observedFrom: "2026-01-02", observedBefore: "2026-01-01") {
           nodes { id } } }""",
        {},
    ),
}
# The cases graphql-core must complete itself: a field the compiled path does not know, or
# an error raised before any value exists to complete.
NOT_COMPILED = {
    "a field the compiled path leaves to graphql-core",
    "a page too large",
    "a forged cursor",
    "an unknown segment",
    "a bad variable",
    "an unknown source type",
    "an unknown entity, an unknown proposition, an unknown item",
    "facet counts of the listings",
    "a time range that ends before it starts",
}
# The nested errors: compiled, then handed back to graphql-core, which reports them.
HANDED_BACK = {"a nested page too large", "a forged nested cursor"}


async def _model(db: Database) -> dict[str, str]:
    """Four segments (one without propositions), an account, four propositions, and nine
    items from four members and the system: one retracted, one redacted, some with an
    account; one member deactivated afterwards."""
    now = datetime.now(UTC) - timedelta(minutes=5)
    system = Actor.system()
    writers = [await make_caller(db, f, Role.CONTRIBUTOR) for f in ("product", "sales")]
    admin = await make_caller(db, "product", Role.ADMIN)
    leaving = await make_caller(db, "marketing", Role.CONTRIBUTOR)
    actors = [w.actor for w in writers] + [leaving.actor, system]
    made: dict[str, str] = {}

    async def build(tx: AsyncManagedTransaction) -> None:
        async def entity(name: str, kind: EntityKind, segment: str | None = None) -> str:
            created, _ = await entities.create(
                tx, system, EntityCreate(kind=kind, name=name, segment_id=segment), now
            )
            return created.id

        segments = [await entity(f"Segment {n}", EntityKind.SEGMENT) for n in range(4)]
        account = await entity("Account", EntityKind.ACCOUNT, segments[0])
        pains = [await entity(f"Pain {n}", EntityKind.PAIN) for n in range(2)]
        ids = []
        for subject, pain in (
            (segments[0], pains[0]),
            (segments[0], pains[1]),
            (segments[3], pains[0]),
        ):
            prop, _ = await propositions.create(
                tx,
                system,
                PropositionCreate(
                    subject_id=subject, relation=Relation.EXPERIENCES, object_id=pain
                ),
                now,
            )
            ids.append(prop.id)
        prop, _ = await propositions.create(
            tx,
            system,
            PropositionCreate(
                subject_id=segments[1], relation=Relation.EXPERIENCES, object_id=pains[1]
            ),
            now,
        )
        ids.append(prop.id)  # bears no evidence
        items = []
        for n in range(9):
            bears = [BearingCreate(proposition_id=ids[n % 3], stance=Stance.SUPPORTS)]
            if n % 2:
                bears.append(
                    BearingCreate(
                        proposition_id=ids[(n + 1) % 3],
                        stance=Stance.CONTRADICTS,
                        strength=0.25,
                        magnitude=n % 5 + 1,
                    )
                )
            items.append(
                (
                    actors[n % 4],
                    EvidenceCreate(
                        source_type="interview" if n % 3 else "survey",
                        summary=f"item {n}",
                        source_ref=f"ref-{n}" if n % 2 else None,
                        observed_at=now - timedelta(days=n, microseconds=n * 11),
                        account_id=account if n % 3 == 1 else None,
                        bears=bears,
                    ),
                )
            )
        written = []
        for actor, item in items:
            written += await writing.add(tx, actor, [item], now)
        made["retracted"] = written[2][0]
        made["redacted"] = written[5][0]
        await corrections.retract(tx, admin.actor, made["retracted"], "duplicate", now)
        await corrections.redact(tx, admin.actor, made["redacted"], "personal data", now)
        await members.deactivate(tx, system, leaving.member.id, now)
        made["segment"] = segments[0]
        made["account"] = account
        made["proposition"] = ids[0]

    await db.write(build)
    made["reader"] = writers[1].member.id
    return made


class EveryField(SchemaExtension):
    """An extension that sees every field resolved, as graphql-core calls each resolver."""

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        return _next(root, info, *args, **kwargs)


async def _answers(
    db: Database,
    settings: Settings,
    actor: Actor | None,
    query: str,
    variables: dict[str, Any],
    *extensions: type[SchemaExtension],
) -> list[str]:
    """The JSON answer of the served schema and of the reference, at one request time."""
    now = datetime.now(UTC)
    answers = []
    served = build_schema(settings)
    served.execution_context_class = Recording
    served.extensions = [*served.extensions, *extensions]
    for schema in (served, build_schema(settings, compiled=False)):
        context = Context(db, settings, actor, [])
        context.now = now
        result = await schema.execute(query, variable_values=variables, context_value=context)
        errors = [error.formatted for error in result.errors or []]
        answers.append(json.dumps({"data": result.data, "errors": errors}))
    return answers


async def test_compiled_reads_answer_what_graphql_core_answers(
    db: Database, app_settings: Settings
) -> None:
    made = await _model(db)
    reader = (await make_caller(db, "sales", Role.VIEWER)).actor
    cases = dict(CASES)
    cases["a segment's scope, a relation"] = (
        cases["a segment's scope, a relation"][0],
        {"s": made["segment"]},
    )
    cases["the retracted and the redacted item by id"] = (
        """query($a: ID!, $b: ID!) { a: evidence(id: $a) { id summary retractedAt
           retractReason bears { proposition { id } } } b: evidence(id: $b) { id summary
           sourceRef redactedAt recordedBy { id } } }""",
        {"a": made["retracted"], "b": made["redacted"]},
    )
    cases["an entity and a proposition by id"] = (
        """query($e: ID!, $p: ID!) { entity(id: $e) { id kind name segment { id } }
           proposition(id: $p) { id text evidence(first: 2) { nodes { id } } } }""",
        {"e": made["account"], "p": made["proposition"]},
    )
    mismatched = {}
    taken: dict[str, set[bool]] = {}
    for name, (query, variables) in cases.items():
        Recording.seen.clear()
        compiled, reference = await _answers(db, app_settings, reader, query, variables)
        if compiled != reference:
            mismatched[name] = (compiled, reference)
        taken[name] = {was_taken for _, was_taken in Recording.seen}
        assert '"data": null' not in compiled or name in NOT_COMPILED | HANDED_BACK, compiled
    assert not mismatched, json.dumps(mismatched, indent=1)[:4000]
    for name in cases:
        if name in NOT_COMPILED:
            assert True not in taken[name], name
        elif name in HANDED_BACK:
            assert taken[name] == {False}, name
        else:
            assert taken[name] == {True}, (name, taken[name])


async def test_pages_continued_with_a_cursor_answer_alike(
    db: Database, app_settings: Settings
) -> None:
    await _model(db)
    reader = (await make_caller(db, "product", Role.VIEWER)).actor
    first_page = """{ propositions(first: 2) { pageInfo { hasNextPage endCursor asOf } nodes {
      id evidence(first: 2, includeRetracted: true) { pageInfo { endCursor hasNextPage }
        edges { cursor node { id observedAt } } } } } }"""
    compiled, reference = await _answers(db, app_settings, reader, first_page, {})
    assert compiled == reference
    page = json.loads(compiled)["data"]["propositions"]
    assert page["pageInfo"]["hasNextPage"]
    # The first page's propositions come in id order, which the random ids decide: one of
    # them bears no evidence, so the nested page continued is one that has a next page.
    continued = [
        node["evidence"]["pageInfo"]
        for node in page["nodes"]
        if node["evidence"]["pageInfo"]["hasNextPage"]
    ]
    assert continued, page
    nested = continued[0]
    Recording.seen.clear()
    compiled, reference = await _answers(
        db,
        app_settings,
        reader,
        """query($after: String!, $inner: String!) {
          propositions(first: 2, after: $after) { pageInfo { hasNextPage endCursor }
            nodes { id evidence(first: 2, after: $inner, includeRetracted: true) {
              edges { cursor node { id } } } } } }""",
        {"after": page["pageInfo"]["endCursor"], "inner": nested["endCursor"]},
    )
    assert compiled == reference
    assert Recording.seen == [("propositions", True)]
    assert json.loads(compiled)["data"]["propositions"]["nodes"], compiled


async def test_no_read_is_compiled_while_an_extension_sees_every_field(
    db: Database, app_settings: Settings
) -> None:
    await _model(db)
    reader = (await make_caller(db, "product", Role.VIEWER)).actor
    Recording.seen.clear()
    query, variables = CASES["benchmark: ~1k with bearings"]
    compiled, reference = await _answers(db, app_settings, reader, query, variables, EveryField)
    assert compiled == reference
    assert json.loads(compiled)["data"]["propositions"]["nodes"]
    assert Recording.seen == []


async def test_a_caller_without_a_token_is_refused_alike(
    db: Database, app_settings: Settings
) -> None:
    await _model(db)
    compiled, reference = await _answers(db, app_settings, None, BENCHMARK_100, {"first": 5})
    assert compiled == reference
    assert "UNAUTHENTICATED" in compiled
