"""Evidence and support through GraphQL: batches, retraction, redaction, status, round trips."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from neo4j import AsyncManagedTransaction

from api.graphql.loaders import support_settings
from graph import seeding, support
from graph.kit.connection import Database
from schema.settings import Settings
from schema.vocabulary import Role
from tests.api.apphelpers import app_client
from tests.factories import Caller, gql, make_caller, small_model

ADD = """
mutation($input: [EvidenceInput!]!) {
  addEvidence(input: $input) {
    created alreadyPresent
    items { id summary recordedAt function recordedBy { name } account { name }
            bears { stance strength proposition { id } } }
  }
}
"""
SUPPORT = """
query($id: ID!, $asOf: DateTime) {
  proposition(id: $id) {
    evidenceSupport(asOf: $asOf) {
      support confidence status low high supportingWeight contradictingWeight
      evidenceCount supportingCount contradictingCount distinctAccounts evidenceIds
    }
  }
}
"""


async def _model(db: Database, pains: int = 1) -> tuple[str, str, list[str]]:
    """A segment with one account and one EXPERIENCES proposition per pain."""
    model = await small_model(
        db,
        segment="Mid-market ops",
        account="Northwind",
        pains=[f"Pain {n:02d}" for n in range(pains)],
    )
    assert model.account_id is not None
    return model.segment_id, model.account_id, model.experiences


def _item(prop: str, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "sourceType": "interview",
        "summary": f"Customer {n} says reporting takes a day",
        "bears": [{"propositionId": prop, "stance": "SUPPORTS"}],
        **extra,
    }


@contextlib.asynccontextmanager
async def _client_with(
    db: Database, app_settings: Settings, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A client on an app whose settings differ from the defaults."""
    changed = app_settings.model_copy(update=overrides)
    async with app_client(changed, db, http_timeout_s=5.0) as http:
        yield http


def _data(body: dict[str, Any]) -> Any:
    assert "errors" not in body, body["errors"]
    return body["data"]


def _code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def _total(client: httpx.AsyncClient, caller: Caller, prop: str) -> int:
    body = await gql(
        client,
        caller,
        "query($p: ID!) { evidenceItems(propositionId: $p, includeRetracted: true) "
        "{ totalCount } }",
        p=prop,
    )
    return int(_data(body)["evidenceItems"]["totalCount"])


async def test_resending_a_keyed_batch_writes_nothing_new(
    client: httpx.AsyncClient, db: Database
) -> None:
    _, account, [prop] = await _model(db)
    pm = await make_caller(db, "product")
    batch = [_item(prop, n, idempotencyKey=f"ticket-{n}", accountId=account) for n in range(3)]

    first = _data(await gql(client, pm, ADD, input=batch))["addEvidence"]
    assert (first["created"], first["alreadyPresent"]) == (3, 0)
    item = first["items"][0]
    assert item["function"] == "product" and item["recordedBy"]["name"] == pm.member.name
    assert item["account"]["name"] == "Northwind"
    assert item["bears"] == [{"stance": "SUPPORTS", "strength": 1.0, "proposition": {"id": prop}}]
    figures = _data(await gql(client, pm, SUPPORT, id=prop, asOf=item["recordedAt"]))

    again = _data(await gql(client, pm, ADD, input=batch))["addEvidence"]
    assert (again["created"], again["alreadyPresent"]) == (0, 3)
    assert [i["id"] for i in again["items"]] == [i["id"] for i in first["items"]]
    assert await _total(client, pm, prop) == 3
    assert _data(await gql(client, pm, SUPPORT, id=prop, asOf=item["recordedAt"])) == figures

    mixed = _data(await gql(client, pm, ADD, input=[batch[1], _item(prop, 9)]))["addEvidence"]
    assert (mixed["created"], mixed["alreadyPresent"]) == (1, 1)
    assert await _total(client, pm, prop) == 4


async def test_a_bad_item_or_an_oversized_batch_writes_nothing(
    client: httpx.AsyncClient, db: Database, app_settings: Settings
) -> None:
    _, _, [prop] = await _model(db)
    pm = await make_caller(db, "product")
    bad_strength = _item(prop, 1)
    bad_strength["bears"][0]["strength"] = 1.5
    body = await gql(client, pm, ADD, input=[_item(prop, 0), bad_strength])
    assert _code(body) == "BAD_USER_INPUT" and "item 1" in body["errors"][0]["message"]
    body = await gql(client, pm, ADD, input=[_item(prop, 0, sourceType="hunch")])
    assert _code(body) == "BAD_USER_INPUT" and "sourceType" in body["errors"][0]["message"]
    body = await gql(client, pm, ADD, input=[_item("prop-nowhere", 0)])
    assert _code(body) == "NOT_FOUND"

    async with _client_with(db, app_settings, max_evidence_batch=2) as limited:
        body = await gql(limited, pm, ADD, input=[_item(prop, n) for n in range(3)])
        assert _code(body) == "BAD_USER_INPUT"
        assert "at most 2 items" in body["errors"][0]["message"]
        ok = _data(await gql(limited, pm, ADD, input=[_item(prop, n) for n in range(2)]))
        assert ok["addEvidence"]["created"] == 2
    assert await _total(client, pm, prop) == 2

    viewer = await make_caller(db, "product", Role.VIEWER)
    assert _code(await gql(client, viewer, ADD, input=[_item(prop, 5)])) == "FORBIDDEN"
    assert await _total(client, pm, prop) == 2


async def test_retracted_evidence_stays_but_stops_counting_from_then_on(
    client: httpx.AsyncClient, db: Database
) -> None:
    _, _, [prop] = await _model(db)
    pm = await make_caller(db, "product")
    sales = await make_caller(db, "sales")
    added = _data(await gql(client, pm, ADD, input=[_item(prop, 0), _item(prop, 1)]))
    items = added["addEvidence"]["items"]
    before = items[0]["recordedAt"]

    retract = "mutation($id: ID!, $r: String!) { retractEvidence(id: $id, reason: $r) { id } }"
    body = await gql(client, sales, retract, id=items[0]["id"], r="not ours")
    assert _code(body) == "FORBIDDEN"
    body = await gql(client, pm, retract, id=items[0]["id"], r="   ")
    assert _code(body) == "BAD_USER_INPUT"
    _data(await gql(client, pm, retract, id=items[0]["id"], r="Duplicate of a ticket"))

    kept = _data(
        await gql(
            client,
            pm,
            "query($id: ID!) { evidence(id: $id) { summary retractedAt retractReason } }",
            id=items[0]["id"],
        )
    )["evidence"]
    assert (
        kept["summary"] == items[0]["summary"] and kept["retractReason"] == "Duplicate of a ticket"
    )

    then = _data(await gql(client, pm, SUPPORT, id=prop, asOf=before))
    now = _data(await gql(client, pm, SUPPORT, id=prop))
    assert then["proposition"]["evidenceSupport"]["evidenceCount"] == 2
    assert now["proposition"]["evidenceSupport"]["evidenceCount"] == 1
    assert now["proposition"]["evidenceSupport"]["evidenceIds"] == [items[1]["id"]]
    assert (
        now["proposition"]["evidenceSupport"]["supportingWeight"]
        < then["proposition"]["evidenceSupport"]["supportingWeight"]
    )

    listing = _data(
        await gql(
            client,
            pm,
            """query($p: ID!, $before: DateTime) {
              proposition(id: $p) {
                current: evidence { totalCount nodes { id } }
                all: evidence(includeRetracted: true) { totalCount }
                then: evidence(asOf: $before) { totalCount }
              }
            }""",
            p=prop,
            before=before,
        )
    )["proposition"]
    assert listing["current"] == {"totalCount": 1, "nodes": [{"id": items[1]["id"]}]}
    assert listing["all"]["totalCount"] == 2 and listing["then"]["totalCount"] == 2


async def test_redaction_is_for_admins_removes_text_keeps_weight_and_is_audited(
    client: httpx.AsyncClient, db: Database
) -> None:
    _, _, [prop] = await _model(db)
    pm = await make_caller(db, "product")
    facilitator = await make_caller(db, "design", Role.FACILITATOR)
    admin = await make_caller(db, "engineering", Role.ADMIN)
    [item] = _data(
        await gql(client, pm, ADD, input=[_item(prop, 0, sourceRef="https://crm/ticket/42")])
    )["addEvidence"]["items"]
    figures = _data(await gql(client, pm, SUPPORT, id=prop, asOf=item["recordedAt"]))

    redact = """mutation($id: ID!, $r: String!) {
      redactEvidence(id: $id, reason: $r) { summary sourceRef redactedAt bears { stance } }
    }"""
    for caller in (pm, facilitator):
        assert _code(await gql(client, caller, redact, id=item["id"], r="GDPR")) == "FORBIDDEN"
    done = _data(await gql(client, admin, redact, id=item["id"], r="GDPR request"))
    assert done["redactEvidence"]["summary"] is None
    assert done["redactEvidence"]["sourceRef"] is None
    assert done["redactEvidence"]["redactedAt"] is not None
    assert done["redactEvidence"]["bears"] == [{"stance": "SUPPORTS"}]
    assert _data(await gql(client, pm, SUPPORT, id=prop, asOf=item["recordedAt"])) == figures

    log = _data(
        await gql(
            client,
            admin,
            """{ auditLog(action: "redactEvidence") {
                 nodes { memberId memberName role function targetIds detail } } }""",
        )
    )["auditLog"]["nodes"]
    assert log == [
        {
            "memberId": admin.member.id,
            "memberName": admin.member.name,
            "role": "admin",
            "function": "engineering",
            "targetIds": [item["id"]],
            "detail": "GDPR request",
        }
    ]


async def test_evidence_items_filter_and_page_newest_first(
    client: httpx.AsyncClient, db: Database
) -> None:
    _, account, [prop, other] = await _model(db, pains=2)
    pm = await make_caller(db, "product")
    batch = [
        _item(prop, n, observedAt=f"2026-0{n + 1}-15T09:00:00Z", accountId=account)
        for n in range(5)
    ] + [_item(other, 9, sourceType="survey")]
    _data(await gql(client, pm, ADD, input=batch))

    query = """query($p: ID, $a: ID, $s: String, $after: String) {
      evidenceItems(propositionId: $p, accountId: $a, sourceType: $s, first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { observedAt }
      }
    }"""
    seen: list[str] = []
    after = None
    while True:
        page = _data(await gql(client, pm, query, p=prop, after=after))["evidenceItems"]
        assert page["totalCount"] == 5
        seen += [n["observedAt"][:10] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["2026-05-15", "2026-04-15", "2026-03-15", "2026-02-15", "2026-01-15"]

    by_account = _data(await gql(client, pm, query, a=account))["evidenceItems"]
    by_source = _data(await gql(client, pm, query, s="survey"))["evidenceItems"]
    assert by_account["totalCount"] == 5 and by_source["totalCount"] == 1
    assert _code(await gql(client, pm, query, s="gossip")) == "BAD_USER_INPUT"
    assert _code(await gql(client, pm, query, p="prop-nowhere")) == "NOT_FOUND"
    too_many = await gql(client, pm, "{ evidenceItems(first: 101) { totalCount } }")
    assert _code(too_many) == "BAD_USER_INPUT"


async def test_status_filter_on_propositions(
    client: httpx.AsyncClient, db: Database, app_settings: Settings
) -> None:
    segment, account, props = await _model(db, pains=4)
    validated, refuted, contested, _unknown = props
    pm = await make_caller(db, "product")
    batch = [_item(validated, n, accountId=None) for n in range(6)]
    batch += [
        {**_item(refuted, 10 + n), "bears": [{"propositionId": refuted, "stance": "CONTRADICTS"}]}
        for n in range(6)
    ]
    batch += [_item(contested, 20), _item(contested, 21)]
    batch += [
        {
            **_item(contested, 22 + n),
            "bears": [{"propositionId": contested, "stance": "CONTRADICTS"}],
        }
        for n in range(2)
    ]
    _data(await gql(client, pm, ADD, input=batch))

    query = """query($s: SupportStatus!, $seg: ID) {
      propositions(status: $s, segmentId: $seg) { totalCount nodes { id status support } }
    }"""
    expected = {
        "VALIDATED": validated,
        "REFUTED": refuted,
        "CONTESTED": contested,
        "UNKNOWN": _unknown,
    }
    for status, prop in expected.items():
        found = _data(await gql(client, pm, query, s=status, seg=segment))["propositions"]
        assert found["totalCount"] == 1, status
        assert [(n["id"], n["status"]) for n in found["nodes"]] == [(prop, status)]
    everything = _data(await gql(client, pm, query, s="UNKNOWN"))["propositions"]
    assert [n["id"] for n in everything["nodes"]] == [_unknown]
    assert everything["nodes"][0]["support"] == 0.5

    # Six independent interviews give confidence 1 - 0.5^5.8 = 0.982: validated at the
    # default 0.95, not when the threshold is configured to 0.99.
    async with _client_with(db, app_settings, validated_confidence=0.99) as strict:
        found = _data(await gql(strict, pm, query, s="UNKNOWN", seg=segment))["propositions"]
        assert sorted(n["id"] for n in found["nodes"]) == sorted([validated, _unknown])
        figures = _data(await gql(strict, pm, SUPPORT, id=validated))
        assert figures["proposition"]["evidenceSupport"]["status"] == "UNKNOWN"
        assert figures["proposition"]["evidenceSupport"]["confidence"] == pytest.approx(
            1 - 0.5**5.8
        )


class _CountingTx:
    """Counts the queries a unit of work sends."""

    def __init__(self, tx: AsyncManagedTransaction, queries: list[str]) -> None:
        self._tx = tx
        self._queries = queries

    async def run(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self._queries.append(query)
        return await self._tx.run(query, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Every read transaction (and every query in it) the app sends from now on."""
    seen: dict[str, list[str]] = {"transactions": [], "queries": []}
    original = Database.read_after

    async def counting(self: Database, bookmarks: Any, work: Any, *args: Any, **kw: Any) -> Any:
        seen["transactions"].append(getattr(work, "__name__", repr(work)))

        async def counted(tx: AsyncManagedTransaction, *a: Any, **k: Any) -> Any:
            return await work(_CountingTx(tx, seen["queries"]), *a, **k)

        return await original(self, bookmarks, counted, *args, **kw)

    monkeypatch.setattr(Database, "read_after", counting)
    return seen


PAGE = """query($first: Int!) {
  propositions(first: $first) {
    nodes { id support confidence status subject { name } object { name } }
  }
}"""
NESTED = """query($first: Int!) {
  propositions(first: $first) {
    nodes {
      text status evidenceSupport { low high evidenceCount newestEvidenceAt }
      evidence(first: 2) {
        totalCount
        nodes { summary account { name } recordedBy { name } bears { proposition { id } } }
      }
      beliefs { function p statedBy { name } proposition { support } }
      beliefHistory { seq }
    }
  }
}"""


async def test_a_page_of_fifty_costs_the_same_round_trips_as_a_page_of_five(
    client: httpx.AsyncClient, db: Database, round_trips: dict[str, list[str]]
) -> None:
    _, account, props = await _model(db, pains=50)
    pm = await make_caller(db, "product")
    _data(
        await gql(
            client,
            pm,
            ADD,
            input=[_item(p, n, accountId=account if n % 2 else None) for n, p in enumerate(props)],
        )
    )
    state = "mutation($p: ID!) { stateBelief(input: {propositionId: $p, p: 0.7}) { id } }"
    for prop in props[:10]:
        _data(await gql(client, pm, state, p=prop))

    counts: dict[tuple[str, int], tuple[int, int]] = {}
    for query_name, query in (("page", PAGE), ("nested", NESTED)):
        for first in (5, 50):
            round_trips["transactions"].clear()
            round_trips["queries"].clear()
            body = _data(await gql(client, pm, query, first=first))
            assert len(body["propositions"]["nodes"]) == first
            # The token check is left out: a process's token cache answers it without a
            # read when the cache was confirmed in the last second (api/auth.py).
            token_checks = round_trips["transactions"].count("authenticate")
            counts[(query_name, first)] = (
                len(round_trips["transactions"]) - token_checks,
                len(round_trips["queries"]) - token_checks,
            )
    # The page with its count and its entities in one query (graph/listings.py), the support
    # figures.
    assert counts[("page", 5)] == counts[("page", 50)] == (2, 2)
    # At most one read per field that loads related data, whatever the page size: the page,
    # subject/object names, support, evidence pages, current beliefs, histories, accounts,
    # and members and propositions reached by two paths each (two loads when the paths reach
    # the loader in different event-loop ticks).
    for first in (5, 50):
        assert counts[("nested", first)][0] <= 11


async def test_demo_support_through_graphql_equals_graph_support(
    client: httpx.AsyncClient, db: Database, app_settings: Settings
) -> None:
    await seeding.load_demo(db)
    reader = await make_caller(db, "leadership", Role.VIEWER)
    as_of = datetime(2026, 11, 22, tzinfo=UTC)
    expected = await db.read(support.support_for, support_settings(app_settings), as_of=as_of)

    body = _data(
        await gql(
            client,
            reader,
            """query($asOf: DateTime!) {
              propositions(asOf: $asOf, first: 100) {
                totalCount
                nodes {
                  id support confidence status
                  evidenceSupport {
                    support low high confidence status supportingWeight contradictingWeight
                    evidenceCount supportingCount contradictingCount distinctAccounts
                    newestEvidenceAt asOf
                  }
                }
              }
            }""",
            asOf=as_of.isoformat(),
        )
    )["propositions"]
    assert body["totalCount"] == len(body["nodes"]) == len(expected) == 88
    statuses: dict[str, int] = {}
    for node in body["nodes"]:
        want = expected[node["id"]]
        got = node["evidenceSupport"]
        assert datetime.fromisoformat(got["asOf"]) == as_of
        assert node["support"] == got["support"] == pytest.approx(want.support, abs=1e-12)
        assert node["confidence"] == got["confidence"]
        assert got["confidence"] == pytest.approx(want.confidence, abs=1e-12)
        assert (got["low"], got["high"]) == pytest.approx(
            (want.posterior.low, want.posterior.high), abs=1e-12
        )
        assert node["status"] == got["status"] == want.posterior.status
        assert (got["supportingWeight"], got["contradictingWeight"]) == pytest.approx(
            (want.supporting, want.contradicting), abs=1e-12
        )
        assert (
            got["evidenceCount"],
            got["supportingCount"],
            got["contradictingCount"],
            got["distinctAccounts"],
        ) == (
            want.evidence_count,
            want.supporting_count,
            want.contradicting_count,
            want.distinct_accounts,
        )
        newest = got["newestEvidenceAt"]
        assert (datetime.fromisoformat(newest) if newest else None) == want.newest_evidence_at
        statuses[node["status"]] = statuses.get(node["status"], 0) + 1
    assert statuses == {"VALIDATED": 18, "REFUTED": 3, "CONTESTED": 3, "UNKNOWN": 64}

    count = """query($s: SupportStatus!, $asOf: DateTime!) {
      propositions(status: $s, asOf: $asOf) { totalCount nodes { status } }
    }"""
    for status, total in statuses.items():
        found = _data(await gql(client, reader, count, s=status, asOf=as_of.isoformat()))
        assert found["propositions"]["totalCount"] == total
        assert {n["status"] for n in found["propositions"]["nodes"]} == {status}


STATE = "mutation($input: StateBeliefInput!) { stateBelief(input: $input) { id function } }"


async def test_an_idempotency_key_belongs_to_the_function_that_writes(
    client: httpx.AsyncClient, db: Database
) -> None:
    _, _, [prop] = await _model(db)
    sales = await make_caller(db, "sales")
    pm = await make_caller(db, "product")
    item = _item(prop, 0, idempotencyKey="K")

    by_sales = _data(await gql(client, sales, ADD, input=[item]))["addEvidence"]
    by_product = _data(await gql(client, pm, ADD, input=[item]))["addEvidence"]
    assert (by_product["created"], by_product["alreadyPresent"]) == (1, 0)
    assert by_product["items"][0]["function"] == "product"
    assert by_product["items"][0]["id"] != by_sales["items"][0]["id"]
    retried = _data(await gql(client, pm, ADD, input=[item]))["addEvidence"]
    assert (retried["created"], retried["items"][0]["id"]) == (0, by_product["items"][0]["id"])
    assert await _total(client, pm, prop) == 2

    beliefs = []
    for caller in (sales, pm, pm):
        said = {"propositionId": prop, "p": 0.7, "idempotencyKey": "K"}
        beliefs.append(_data(await gql(client, caller, STATE, input=said))["stateBelief"])
    assert [b["function"] for b in beliefs] == ["sales", "product", "product"]
    assert len({b["id"] for b in beliefs}) == 2  # the retry got product's belief back
    assert beliefs[2]["id"] == beliefs[1]["id"]


async def test_redaction_replaces_the_key_and_a_retry_still_finds_the_item(
    client: httpx.AsyncClient, db: Database
) -> None:
    _, _, [prop] = await _model(db)
    pm = await make_caller(db, "product")
    admin = await make_caller(db, "engineering", Role.ADMIN)
    item = _item(prop, 0, idempotencyKey="alice@example.com")
    [first] = _data(await gql(client, pm, ADD, input=[item]))["addEvidence"]["items"]
    redact = 'mutation($id: ID!) { redactEvidence(id: $id, reason: "GDPR") { redactedAt } }'
    _data(await gql(client, admin, redact, id=first["id"]))

    stored = await db.read(_stored_key, first["id"])
    assert "alice" not in stored and stored.startswith("redacted:")
    retried = _data(await gql(client, pm, ADD, input=[item]))["addEvidence"]
    assert (retried["created"], retried["items"][0]["id"]) == (0, first["id"])
    assert await _total(client, pm, prop) == 1


async def _stored_key(tx: AsyncManagedTransaction, evidence_id: str) -> str:
    result = await tx.run(
        "MATCH (ev:Evidence {id: $id}) RETURN ev.idempotency_key AS k", id=evidence_id
    )
    record = await result.single()
    assert record is not None
    return str(record["k"])


EVIDENCE_FIELDS = """
id sourceType summary sourceRef observedAt recordedAt function retractedAt retractReason
redactedAt importId recordedById recordedBy { id } account { id }
bears { stance strength magnitude proposition { id } }
"""


async def test_the_answer_to_add_evidence_is_what_reading_the_items_gives(
    client: httpx.AsyncClient, db: Database
) -> None:
    # New items are answered from what was written, not read back: every field must be
    # what a later read of the item gives (the already-present one as first written).
    _, account, [p1, p2] = await _model(db, pains=2)
    pm = await make_caller(db, "product")
    add = f"""mutation($input: [EvidenceInput!]!) {{
      addEvidence(input: $input) {{ created alreadyPresent items {{ {EVIDENCE_FIELDS} }} }}
    }}"""
    first = _item(p1, 0, idempotencyKey="call-7", summary="First words")
    _data(await gql(client, pm, add, input=[first]))
    full = {
        "sourceType": "sales_call",
        "summary": "Two teams export by hand every Friday",
        "sourceRef": "https://crm.example/calls/42",
        "observedAt": "2026-03-04T05:06:07.123456+02:00",
        "accountId": account,
        "idempotencyKey": "call-8",
        "sourceKey": "Ada@Example.com",
        "bears": [
            {"propositionId": p2, "stance": "CONTRADICTS", "strength": 0.4, "magnitude": 3},
            {"propositionId": p1, "stance": "SUPPORTS"},
        ],
    }
    resent = {**first, "summary": "Other words"}
    answer = _data(await gql(client, pm, add, input=[full, _item(p2, 1), resent]))
    payload = answer["addEvidence"]
    assert (payload["created"], payload["alreadyPresent"]) == (2, 1)
    given, plain, present = payload["items"]
    assert given["observedAt"] == "2026-03-04T05:06:07.123456+02:00"
    assert given["account"] == {"id": account} and given["recordedBy"] == {"id": pm.member.id}
    assert plain["observedAt"] == plain["recordedAt"]  # no observedAt: recorded now
    assert present["summary"] == "First words"
    # The bearings in the order they were given; a read lists them in the database's order.
    assert given["bears"] == [
        {"stance": "CONTRADICTS", "strength": 0.4, "magnitude": 3, "proposition": {"id": p2}},
        {"stance": "SUPPORTS", "strength": 1.0, "magnitude": None, "proposition": {"id": p1}},
    ]
    for item in payload["items"]:
        read = f"query($id: ID!) {{ evidence(id: $id) {{ {EVIDENCE_FIELDS} }} }}"
        stored = _data(await gql(client, pm, read, id=item["id"]))["evidence"]

        def by_proposition(bearing: dict[str, Any]) -> str:
            return str(bearing["proposition"]["id"])

        assert {**stored, "bears": sorted(stored["bears"], key=by_proposition)} == {
            **item,
            "bears": sorted(item["bears"], key=by_proposition),
        }
