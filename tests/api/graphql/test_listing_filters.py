"""Filters, orders and facet counts of the typed listings, as an internal tool pages them.

Every expectation is worked out here from the model the test writes (which items bear on
what, when each was observed and recorded), then compared with what the pages hold.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
from neo4j import AsyncManagedTransaction

from api.auth import member_cache
from graph import entities, propositions
from graph.evidence import corrections, writing
from graph.kit.connection import Database
from schema.models import Actor, BearingCreate, EntityCreate, EvidenceCreate, PropositionCreate
from schema.vocabulary import EntityKind, Relation, Role, Stance
from tests.api.apphelpers import CountingDatabase, app_client
from tests.conftest import TestDatabase
from tests.factories import Caller, gql, make_caller, settings_for_target

S, C = Stance.SUPPORTS, Stance.CONTRADICTS
_ZONE = timezone(timedelta(hours=-5))
# Each item: source type, summary, days after BASE it was observed, hours after RECORDED it
# was recorded, and its bearings (proposition index, stance). Items 2 and 3 were observed at
# the same time (their order then goes by id); 7 is redacted and 8 retracted.
ITEMS: list[tuple[str, str, int, int, list[tuple[int, Stance]]]] = [
    ("interview", "Reporting takes a DAY every month", 1, 5, [(0, S)]),
    ("survey", "exports time out on big accounts", 2, 1, [(1, S)]),
    ("interview", "Reporting is fine now", 3, 9, [(0, C)]),
    ("support_ticket", "Export failed again", 3, 2, [(1, S), (0, C)]),
    ("interview", "Closing the books is slow", 5, 3, [(2, S)]),
    ("survey", "Monthly reporting by hand", 6, 8, [(0, S), (3, S)]),
    ("support_ticket", "No complaints about exports", 7, 4, [(1, C)]),
    ("interview", "Reporting text that is redacted", 8, 6, [(0, S)]),
    ("interview", "Reporting item that is retracted", 9, 7, [(0, S)]),
    ("review", "Exports praised", 10, 0, [(1, C)]),
]
REDACTED, RETRACTED = 7, 8
PAGES = 30  # more pages than any listing here has, even a page at a time


@dataclass
class Model:
    base: datetime
    props: list[str] = field(default_factory=list)  # P0..P3, created an hour apart
    prop_created: list[datetime] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # ids, in ITEMS order
    observed: list[datetime] = field(default_factory=list)
    recorded: list[datetime] = field(default_factory=list)
    entity_names: dict[str, str] = field(default_factory=dict)  # id -> name
    entity_created: dict[str, datetime] = field(default_factory=dict)


async def _model(db: Database) -> Model:
    """Two segments, a goal and two pains, created a minute apart; four propositions
    (P0 Mid-market ops EXPERIENCES Manual reporting, P1 ... EXPERIENCES Slow exports, P2 ...
    PURSUES Faster close, P3 Enterprise IT EXPERIENCES Manual reporting), an hour apart;
    and the ten ITEMS."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=40)
    model = Model(base)
    system = Actor.system()
    admin = await make_caller(db, "product", Role.ADMIN)

    async def build(tx: AsyncManagedTransaction) -> None:
        async def entity(name: str, kind: EntityKind, minute: int) -> str:
            at = base - timedelta(minutes=60 - minute)
            created, _ = await entities.create(tx, system, EntityCreate(kind=kind, name=name), at)
            model.entity_names[created.id] = name
            model.entity_created[created.id] = at
            return created.id

        ops = await entity("Mid-market ops", EntityKind.SEGMENT, 0)
        manual = await entity("Manual reporting", EntityKind.PAIN, 1)
        slow = await entity("Slow exports", EntityKind.PAIN, 2)
        close = await entity("Faster close", EntityKind.GOAL, 3)
        it = await entity("enterprise IT", EntityKind.SEGMENT, 4)
        for hour, (subject, relation, obj) in enumerate(
            [
                (ops, Relation.EXPERIENCES, manual),
                (ops, Relation.EXPERIENCES, slow),
                (ops, Relation.PURSUES, close),
                (it, Relation.EXPERIENCES, manual),
            ]
        ):
            at = base + timedelta(hours=hour)
            data = PropositionCreate(subject_id=subject, relation=relation, object_id=obj)
            created, _ = await propositions.create(tx, system, data, at)
            model.props.append(created.id)
            model.prop_created.append(at)
        recorded_from = base + timedelta(days=20)
        for source, summary, day, hour, bears in ITEMS:
            observed = base + timedelta(days=day)
            recorded = recorded_from + timedelta(hours=hour)
            item = EvidenceCreate(
                source_type=source,
                summary=summary,
                observed_at=observed,
                bears=[
                    BearingCreate(proposition_id=model.props[p], stance=stance)
                    for p, stance in bears
                ],
            )
            [(item_id, _)] = await writing.add(tx, system, [item], recorded)
            model.items.append(item_id)
            model.observed.append(observed)
            model.recorded.append(recorded)
        later = recorded_from + timedelta(days=1)
        await corrections.redact(tx, admin.actor, model.items[REDACTED], "personal data", later)
        await corrections.retract(tx, admin.actor, model.items[RETRACTED], "duplicate", later)

    await db.write(build)
    return model


EVIDENCE = """query($p: ID, $source: String, $stance: Stance, $from: DateTime,
  $before: DateTime, $search: String, $order: EvidenceOrder! = NEWEST_OBSERVED,
  $retracted: Boolean! = false, $first: Int, $after: String) {
  evidenceItems(propositionId: $p, sourceType: $source, stance: $stance, observedFrom: $from,
    observedBefore: $before, search: $search, orderBy: $order, includeRetracted: $retracted,
    first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id sourceType bears { stance proposition { id } } } } }"""
EVIDENCE_COUNTS = """query($p: ID, $source: String, $stance: Stance, $search: String,
  $retracted: Boolean! = false) {
  evidenceItems(propositionId: $p, sourceType: $source, stance: $stance, search: $search,
    includeRetracted: $retracted, first: 1) {
    totalCount counts { bySourceType { sourceType count } byStance { stance count } } } }"""


async def _pages(
    client: httpx.AsyncClient, caller: Caller, query: str, root: str, first: int, **args: Any
) -> tuple[list[dict[str, Any]], int]:
    """Every node of a listing, page after page, and its totalCount (the same on each)."""
    nodes: list[dict[str, Any]] = []
    totals = set()
    after = None
    for _ in range(PAGES):
        body = await gql(client, caller, query, first=first, after=after, **args)
        assert "errors" not in body, body
        page = body["data"][root]  # type: ignore[index]
        nodes += page["nodes"]
        totals.add(page["totalCount"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    else:
        raise AssertionError(f"still a next page after {PAGES} pages: a cursor repeats rows")
    assert len(totals) == 1, totals
    return nodes, totals.pop()


def _shown(model: Model, retracted: bool = False) -> list[int]:
    return [n for n in range(len(ITEMS)) if retracted or n != RETRACTED]


def _ids(model: Model, wanted: list[int]) -> set[str]:
    return {model.items[n] for n in wanted}


async def _evidence_ids(
    client: httpx.AsyncClient, caller: Caller, **args: Any
) -> tuple[set[str], int]:
    nodes, total = await _pages(client, caller, EVIDENCE, "evidenceItems", 3, **args)
    ids = [node["id"] for node in nodes]
    assert len(ids) == len(set(ids)) == total
    return set(ids), total


async def test_evidence_filters(client: httpx.AsyncClient, db: Database) -> None:
    model = await _model(db)
    reader = await make_caller(db, "sales", Role.VIEWER)
    shown = _shown(model)
    p0, p1 = model.props[0], model.props[1]

    async def expect(wanted: list[int], **args: Any) -> None:
        ids, _ = await _evidence_ids(client, reader, **args)
        assert ids == _ids(model, wanted), args

    # The stance of the bearing on the proposition named: item 3 supports P1, contradicts P0.
    await expect([n for n in shown if (0, C) in ITEMS[n][4]], p=p0, stance="CONTRADICTS")
    await expect([n for n in shown if (1, S) in ITEMS[n][4]], p=p1, stance="SUPPORTS")
    # No proposition named: any bearing with that stance (item 3 again).
    await expect([n for n in shown if any(s is C for _, s in ITEMS[n][4])], stance="CONTRADICTS")
    # Observed in [day 3, day 7): both items of day 3, not the one of day 7.
    await expect(
        [n for n in shown if 3 <= ITEMS[n][2] < 7],
        **{"from": (model.base + timedelta(days=3)).isoformat()},
        before=(model.base + timedelta(days=7)).isoformat(),
    )
    # A bound in another zone is the same instant.
    await expect(
        [n for n in shown if ITEMS[n][2] >= 6],
        **{"from": (model.base + timedelta(days=6)).astimezone(_ZONE).isoformat()},
    )
    # Any case; a redacted item has no text to match.
    reporting = [n for n in shown if "reporting" in ITEMS[n][1].lower() and n != REDACTED]
    assert len(reporting) >= 3
    await expect(reporting, search="REPORTING")
    await expect([0], search="a day every")
    await expect(reporting + [RETRACTED], search="reporting", retracted=True)
    # Filters combine.
    await expect(
        [n for n in reporting if ITEMS[n][0] == "survey"], search="report", source="survey"
    )
    await expect(
        [n for n in shown if (0, S) in ITEMS[n][4] and ITEMS[n][2] < 6],
        p=p0,
        stance="SUPPORTS",
        before=(model.base + timedelta(days=6)).isoformat(),
    )
    # A blank search filters nothing, as a blank search box.
    await expect(shown, search="  ")


def _expected_order(model: Model, wanted: list[int], order: str) -> list[str]:
    if order == "OLDEST_OBSERVED":
        keys = sorted((model.observed[n], model.items[n]) for n in wanted)
    elif order == "NEWEST_RECORDED":
        keys = sorted(((model.recorded[n], model.items[n]) for n in wanted), reverse=True)
    else:
        keys = sorted(((model.observed[n], model.items[n]) for n in wanted), reverse=True)
    return [item_id for _, item_id in keys]


async def test_evidence_orders_page_through_without_repeats_or_gaps(
    client: httpx.AsyncClient, db: Database
) -> None:
    model = await _model(db)
    reader = await make_caller(db, "sales", Role.VIEWER)
    every = _shown(model, retracted=True)
    assert _expected_order(model, every, "NEWEST_RECORDED") != _expected_order(
        model, every, "NEWEST_OBSERVED"
    )
    for order in ("NEWEST_OBSERVED", "OLDEST_OBSERVED", "NEWEST_RECORDED"):
        for first in (1, 2, 3):
            nodes, total = await _pages(
                client, reader, EVIDENCE, "evidenceItems", first, order=order, retracted=True
            )
            assert [node["id"] for node in nodes] == _expected_order(model, every, order)
            assert total == len(every)
        # Filtered, the same order over what the filter keeps.
        nodes, _ = await _pages(
            client, reader, EVIDENCE, "evidenceItems", 2, order=order, search="report"
        )
        wanted = [n for n in _shown(model) if "report" in ITEMS[n][1].lower() and n != REDACTED]
        assert [node["id"] for node in nodes] == _expected_order(model, wanted, order)


async def test_a_cursor_is_refused_under_another_order(
    client: httpx.AsyncClient, db: Database
) -> None:
    await _model(db)
    reader = await make_caller(db, "sales", Role.VIEWER)
    cursors = {}
    for order in ("NEWEST_OBSERVED", "OLDEST_OBSERVED", "NEWEST_RECORDED"):
        body = await gql(client, reader, EVIDENCE, order=order, first=2)
        cursors[order] = body["data"]["evidenceItems"]["pageInfo"]["endCursor"]  # type: ignore[index]
    for made, cursor in cursors.items():
        for asked in cursors:
            body = await gql(client, reader, EVIDENCE, order=asked, first=2, after=cursor)
            if made == asked:
                assert "errors" not in body, body
                continue
            [error] = body["errors"]  # type: ignore[misc]
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert f"made for orderBy {made}, not {asked}" in error["message"]


async def test_evidence_counts_are_what_the_pages_hold(
    client: httpx.AsyncClient, db: Database
) -> None:
    model = await _model(db)
    reader = await make_caller(db, "sales", Role.VIEWER)
    p0 = model.props[0]
    for args in (
        {},
        {"retracted": True},
        {"p": p0},
        {"p": p0, "stance": "SUPPORTS"},
        {"search": "export"},
        {"stance": "CONTRADICTS"},
    ):
        nodes, total = await _pages(client, reader, EVIDENCE, "evidenceItems", 2, **args)
        body = await gql(client, reader, EVIDENCE_COUNTS, **args)
        listing = body["data"]["evidenceItems"]  # type: ignore[index]
        assert listing["totalCount"] == total
        by_source = Counter(node["sourceType"] for node in nodes)
        by_stance: Counter[str] = Counter()
        for node in nodes:
            stances = {
                b["stance"]
                for b in node["bears"]
                if "p" not in args or b["proposition"]["id"] == p0
            }
            by_stance.update(stances)
        counts = listing["counts"]
        assert {c["sourceType"]: c["count"] for c in counts["bySourceType"]} == by_source, args
        assert {c["stance"]: c["count"] for c in counts["byStance"]} == by_stance, args
        assert sum(by_source.values()) == total
        if "p" in args:
            assert sum(by_stance.values()) == total
        # Most first, then by value.
        facets = [(-c["count"], c["sourceType"]) for c in counts["bySourceType"]]
        assert facets == sorted(facets)
    # The counts of a proposition's own evidence page are its own.
    body = await gql(
        client,
        reader,
        """query($p: ID!) { proposition(id: $p) { evidence(first: 1) { totalCount
          counts { bySourceType { sourceType count } byStance { stance count } } } } }""",
        p=p0,
    )
    page = body["data"]["proposition"]["evidence"]  # type: ignore[index]
    on_p0 = [n for n in _shown(model) if any(p == 0 for p, _ in ITEMS[n][4])]
    assert page["totalCount"] == len(on_p0)
    assert {c["sourceType"]: c["count"] for c in page["counts"]["bySourceType"]} == Counter(
        ITEMS[n][0] for n in on_p0
    )
    assert {c["stance"]: c["count"] for c in page["counts"]["byStance"]} == Counter(
        str(s) for n in on_p0 for p, s in ITEMS[n][4] if p == 0
    )


async def test_bad_listing_input_is_refused_before_any_read(
    client: httpx.AsyncClient, db: Database
) -> None:
    model = await _model(db)
    reader = await make_caller(db, "sales", Role.VIEWER)
    day = model.base + timedelta(days=3)
    refused = [
        # An unknown proposition would be NOT_FOUND, after a read: the input is refused first.
        (EVIDENCE, {"p": "prop-nope", "search": "x" * 201}, "at most 200"),
        (EVIDENCE, {"p": "prop-nope", "search": "a\x00b"}, "at most 200"),
        (
            EVIDENCE,
            {"p": "prop-nope", "from": day.isoformat(), "before": day.isoformat()},
            "`observedBefore` must be later than `observedFrom`",
        ),
        (
            EVIDENCE,
            {"from": day.isoformat(), "before": (day - timedelta(seconds=1)).isoformat()},
            "`observedBefore` must be later than `observedFrom`",
        ),
        (PROPOSITIONS, {"segment": "ent-nope", "search": "x" * 201}, "at most 200"),
        (
            PROPOSITIONS,
            {"segment": "ent-nope", "from": day.isoformat(), "before": day.isoformat()},
            "`createdBefore` must be later than `createdFrom`",
        ),
    ]
    for query, args, message in refused:
        body = await gql(client, reader, query, **args)
        [error] = body["errors"]  # type: ignore[misc]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (args, error)
        assert message in error["message"], (args, error)
    # 200 characters are taken (and match nothing).
    ids, total = await _evidence_ids(client, reader, search="x" * 200)
    assert (ids, total) == (set(), 0)


PROPOSITIONS = """query($segment: ID, $relation: Relation, $status: SupportStatus, $search: String,
  $from: DateTime, $before: DateTime, $order: PropositionOrder! = OLDEST_FIRST, $first: Int,
  $after: String) {
  propositions(segmentId: $segment, relation: $relation, status: $status, search: $search,
    createdFrom: $from, createdBefore: $before, orderBy: $order, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id relation status text } } }"""
PROPOSITION_COUNTS = """query($segment: ID, $relation: Relation, $status: SupportStatus,
  $search: String) {
  propositions(segmentId: $segment, relation: $relation, status: $status, search: $search,
    first: 1) {
    totalCount counts { byRelation { relation count } byStatus { status count } } } }"""


async def test_proposition_filters_and_orders(client: httpx.AsyncClient, db: Database) -> None:
    model = await _model(db)
    reader = await make_caller(db, "sales", Role.VIEWER)
    p = model.props

    async def listed(first: int = 2, **args: Any) -> list[str]:
        nodes, total = await _pages(client, reader, PROPOSITIONS, "propositions", first, **args)
        ids = [node["id"] for node in nodes]
        assert len(ids) == len(set(ids)) == total
        return ids

    # The text, in any case: an object's name, a subject's, a relation, across the words.
    assert await listed(search="MANUAL reporting") == [p[0], p[3]]
    assert await listed(search="enterprise") == [p[3]]
    assert await listed(search="pursues") == [p[2]]
    assert await listed(search="ops experiences slow") == [p[1]]
    assert await listed(search="nothing like this") == []
    assert await listed(search="") == p
    # Created in [P1's time, P3's time): P3 itself left out.
    created = {
        "from": model.prop_created[1].isoformat(),
        "before": model.prop_created[3].isoformat(),
    }
    assert await listed(**created) == [p[1], p[2]]
    assert await listed(search="experiences", **created) == [p[1]]
    # Orders, page by page.
    for first in (1, 2, 3):
        assert await listed(first, order="NEWEST_FIRST") == p[::-1]
        assert await listed(first, order="OLDEST_FIRST") == p
    assert await listed(1, order="NEWEST_FIRST", search="experiences") == [p[3], p[1], p[0]]
    assert await listed(1, order="NEWEST_FIRST", segment=None, relation="EXPERIENCES") == [
        p[3],
        p[1],
        p[0],
    ]
    # A cursor of one order is refused under the other.
    body = await gql(client, reader, PROPOSITIONS, first=1, order="NEWEST_FIRST")
    cursor = body["data"]["propositions"]["pageInfo"]["endCursor"]  # type: ignore[index]
    body = await gql(client, reader, PROPOSITIONS, first=1, after=cursor)
    [error] = body["errors"]  # type: ignore[misc]
    assert "made for orderBy NEWEST_FIRST, not OLDEST_FIRST" in error["message"]


async def test_proposition_filters_reach_the_one_query_listing(
    client: httpx.AsyncClient, db: Database
) -> None:
    """The nodes select their endpoints and an evidence page: the listing's one query reads
    them with the page, under the same filters and order."""
    model = await _model(db)
    reader = await make_caller(db, "sales", Role.VIEWER)
    query = """query($from: DateTime, $first: Int, $after: String) {
      propositions(search: "experiences", createdFrom: $from, orderBy: NEWEST_FIRST,
                   first: $first,
                   after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        nodes { id text subject { name } evidence(first: 2) { totalCount nodes { id } } } } }"""
    nodes, total = await _pages(client, reader, query, "propositions", 1)
    p = model.props
    assert [node["id"] for node in nodes] == [p[3], p[1], p[0]]
    assert total == 3
    assert nodes[0]["text"] == "enterprise IT EXPERIENCES Manual reporting"
    assert nodes[1]["evidence"]["totalCount"] == 4  # items 1, 3, 6, 9 bear on P1
    since_p1 = {"from": model.prop_created[1].isoformat()}
    nodes, total = await _pages(client, reader, query, "propositions", 1, **since_p1)
    assert ([node["id"] for node in nodes], total) == ([p[3], p[1]], 2)


async def test_proposition_counts_are_what_the_pages_hold(
    client: httpx.AsyncClient, db: Database
) -> None:
    model = await _model(db)
    reader = await make_caller(db, "sales", Role.VIEWER)
    segment = next(i for i, name in model.entity_names.items() if name == "Mid-market ops")
    statuses_seen: set[str] = set()
    for args in (
        {},
        {"search": "manual"},
        {"segment": segment},
        {"relation": "EXPERIENCES"},
        {"status": "UNKNOWN"},
    ):
        nodes, total = await _pages(client, reader, PROPOSITIONS, "propositions", 1, **args)
        body = await gql(client, reader, PROPOSITION_COUNTS, **args)
        assert "errors" not in body, body
        listing = body["data"]["propositions"]  # type: ignore[index]
        assert listing["totalCount"] == total
        counts = listing["counts"]
        by_relation = {c["relation"]: c["count"] for c in counts["byRelation"]}
        assert by_relation == Counter(node["relation"] for node in nodes), args
        by_status = {c["status"]: c["count"] for c in counts["byStatus"]}
        assert by_status == Counter(node["status"] for node in nodes), args
        statuses_seen |= set(by_status)
    assert len(statuses_seen) >= 2  # the model tells statuses apart


ENTITIES = """query($order: EntityOrder! = OLDEST_FIRST, $first: Int, $after: String,
  $kind: EntityKind) {
  entities(orderBy: $order, first: $first, after: $after, kind: $kind) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id name } } }"""


async def test_entity_orders(client: httpx.AsyncClient, db: Database) -> None:
    model = await _model(db)
    reader = await make_caller(db, "sales", Role.VIEWER)
    by_name = sorted(model.entity_names, key=lambda i: (model.entity_names[i].lower(), i))
    oldest = sorted(model.entity_names, key=lambda i: (model.entity_created[i], i))
    assert by_name != oldest
    for first in (1, 2, 4):
        for order, expected in (
            ("NAME", by_name),
            ("OLDEST_FIRST", oldest),
            ("NEWEST_FIRST", oldest[::-1]),
        ):
            nodes, total = await _pages(client, reader, ENTITIES, "entities", first, order=order)
            assert [node["id"] for node in nodes] == expected, (order, first)
            assert total == len(expected)
    segments = [i for i in by_name if model.entity_names[i] in ("Mid-market ops", "enterprise IT")]
    nodes, _ = await _pages(client, reader, ENTITIES, "entities", 1, order="NAME", kind="SEGMENT")
    assert [node["id"] for node in nodes] == segments
    body = await gql(client, reader, ENTITIES, first=1, order="NAME")
    cursor = body["data"]["entities"]["pageInfo"]["endCursor"]  # type: ignore[index]
    body = await gql(client, reader, ENTITIES, first=1, after=cursor, order="NEWEST_FIRST")
    [error] = body["errors"]  # type: ignore[misc]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "made for orderBy NAME, not NEWEST_FIRST" in error["message"]


async def test_counts_are_read_only_when_selected(db: Database, neo4j_target: TestDatabase) -> None:
    """Selecting a listing's counts costs one query more than the same listing without
    them: a listing that does not select them reads nothing for them."""
    await _model(db)
    reader = await make_caller(db, "sales", Role.VIEWER)
    counting = CountingDatabase(db)
    asked = {
        "evidence": "{ evidenceItems(first: 2) { totalCount nodes { id } } }",
        "evidence counts": "{ evidenceItems(first: 2) { totalCount nodes { id } "
        "counts { bySourceType { count } } } }",
        "propositions": "{ propositions(first: 2) { totalCount nodes { id } } }",
        "proposition counts": "{ propositions(first: 2) { totalCount nodes { id } "
        "counts { byRelation { count } } } }",
    }
    queries = {}
    async with app_client(settings_for_target(neo4j_target.target), counting) as http:
        for name, query in asked.items():
            await gql(http, reader, query)  # the token is then cached: not counted below
            # No re-check of the token falls due, however slow the machine is today.
            cache = member_cache(counting)
            cache.clock = functools.partial(getattr, cache, "confirmed_at")
            counting.reset()
            body = await gql(http, reader, query)
            assert "errors" not in body, body
            queries[name] = counting.queries
    # Without counts: the page and its count, and the one-query listing (graph/listings.py).
    assert (queries["evidence"], queries["propositions"]) == (2, 1), queries
    assert queries["evidence counts"] == queries["evidence"] + 1, queries
    assert queries["proposition counts"] == queries["propositions"] + 1, queries


NESTED_COUNTS = """{ propositions(first: 10) { nodes { id
  evidence(first: 1, includeRetracted: true) { totalCount
    counts { bySourceType { sourceType count } byStance { stance count } } } } } }"""


async def test_the_counts_of_a_listing_s_evidence_pages_are_read_together(
    db: Database, neo4j_target: TestDatabase
) -> None:
    """Each proposition's evidence page counts its own items; asked on a page of
    propositions, the counts of all their pages cost one query."""
    model = await _model(db)
    reader = await make_caller(db, "sales", Role.VIEWER)
    counting = CountingDatabase(db)
    async with app_client(settings_for_target(neo4j_target.target), counting) as http:
        await gql(http, reader, "{ functions { name } }")  # the token is then cached
        cache = member_cache(counting)
        cache.clock = functools.partial(getattr, cache, "confirmed_at")
        counting.reset()
        body = await gql(http, reader, NESTED_COUNTS)
        assert "errors" not in body, body
        with_counts = counting.queries
    nodes = body["data"]["propositions"]["nodes"]  # type: ignore[index]
    assert len(nodes) == len(model.props)
    shown = _shown(model, retracted=True)
    for node in nodes:
        index = model.props.index(node["id"])
        on_it = [n for n in shown if any(p == index for p, _ in ITEMS[n][4])]
        page = node["evidence"]
        assert page["totalCount"] == len(on_it)
        assert {c["sourceType"]: c["count"] for c in page["counts"]["bySourceType"]} == Counter(
            ITEMS[n][0] for n in on_it
        ), index
        assert {c["stance"]: c["count"] for c in page["counts"]["byStance"]} == Counter(
            str(s) for n in on_it for p, s in ITEMS[n][4] if p == index
        ), index
    # Four pages' counts in one query: the listing's, then the counts' (one batch).
    assert with_counts == 2, counting.log
