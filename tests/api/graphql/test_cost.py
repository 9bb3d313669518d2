"""The cost pass measures each fragment once, and agrees with expanding every spread.

Random documents whose fragments spread later fragments (any number of times, in any
selection) are measured as written and as the same document with every spread written out
in place (a repeated spread in one selection once, as GraphQL merges it): the depth, aliases
and cost agree, while the pass over the written document visits each fragment once. Random
nested reads (any page size, depth, aliases, fragments spread many times over) are answered,
or refused with a clear code: never a 5xx, never an unexpected error.
"""

from __future__ import annotations

from functools import cache

import httpx
from graphql import parse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.graphql.cost import CostRules, measure
from api.graphql.schema import build_schema
from graph.kit.connection import Database
from schema.settings import Settings
from schema.vocabulary import Role
from tests.factories import make_caller

RULES = CostRules(default_page=100, analytic=frozenset({"disagreements"}))
FIELDS = (
    "functions { name }",
    "f: functions { name }",
    "propositions(first: 3) { totalCount nodes { id beliefs { p } } }",
    "disagreements(first: 2) { spread }",
    "propositionGraph(first: 20, evidencePerProposition: 4)",
)


@cache
def _schema():  # type: ignore[no-untyped-def]
    return build_schema(Settings())._schema


# A fragment: some of the fields, and spreads of later fragments (repeats allowed).
fragment = st.tuples(
    st.lists(st.sampled_from(FIELDS), max_size=3),
    st.lists(st.integers(min_value=1, max_value=6), max_size=4),
)


def _written(bodies: list[tuple[list[str], list[int]]]) -> str:
    parts = []
    for n, (fields, spreads) in enumerate(bodies):
        later = [f"...F{n + s}" for s in spreads if n + s < len(bodies)]
        parts.append(f"fragment F{n} on Query {{ {' '.join([*fields, *later]) or '__typename'} }}")
    return "query { ...F0 } " + " ".join(parts)


def _expanded(bodies: list[tuple[list[str], list[int]]]) -> str:
    def body(n: int) -> str:
        fields, spreads = bodies[n]
        later = dict.fromkeys(n + s for s in spreads if n + s < len(bodies))  # merged: once
        inner = [*fields, *(f"... on Query {{ {body(m)} }}" for m in later)]
        return " ".join(inner) or "__typename"

    return f"query {{ ... on Query {{ {body(0)} }} }}"


@settings(max_examples=60, deadline=None)
@given(st.lists(fragment, min_size=1, max_size=7))
def test_fragments_measure_as_their_expansion(bodies: list[tuple[list[str], list[int]]]) -> None:
    written = measure(_schema(), parse(_written(bodies)), RULES)
    expanded = measure(_schema(), parse(_expanded(bodies)), RULES)
    assert (written.depth, written.aliases, written.cost) == (
        expanded.depth,
        expanded.aliases,
        expanded.cost,
    )


def test_the_rules_of_the_design() -> None:
    def cost(query: str) -> int:
        return measure(_schema(), parse(query), RULES).cost

    # A page counts first times what is nested; the page object itself counts one.
    assert cost("{ propositions(first: 10) { totalCount nodes { id subject { name } } } }") == 21
    # propositionGraph: first x (1 + evidencePerProposition) / 10.
    assert cost("{ propositionGraph(first: 1000, evidencePerProposition: 100) }") == 10_100
    # An analytic field: 1,000 plus 100 per object under it.
    assert cost("{ disagreements(first: 20) { spread } }") == 1_000 + 100 * 20
    # Omitted page sizes count the default page.
    assert cost("{ propositions { nodes { id } } }") == 1 + 100


# Nested reads as a careless tool or an attacker writes them: random page sizes (also
# negative and huge), depth, aliases, fragments spread many times over.
LEVELS = {
    "Query": [("propositions", "PropositionConnection", True), ("functions", None, False)],
    "PropositionConnection": [("nodes", "Proposition", False)],
    "Proposition": [("evidence", "EvidenceConnection", True), ("subject", None, False)],
    "EvidenceConnection": [("nodes", "Evidence", False)],
    "Evidence": [("bears", "Bearing", False), ("summary", None, False)],
    "Bearing": [("proposition", "Proposition", False), ("stance", None, False)],
}
LEAVES = {"functions": "{ name }", "subject": "{ name }", "summary": "", "stance": ""}


@st.composite
def nested_reads(draw: st.DrawFn) -> str:
    fragments: list[str] = []

    def selection(type_name: str, depth: int) -> str:
        parts = []
        for name, inner, paged in LEVELS[type_name]:
            if inner is None or depth <= 0:
                parts.append(name + " " + LEAVES.get(name, "{ id }" if inner else ""))
                continue
            args = f"(first: {draw(st.integers(-5, 2000))})" if paged else ""
            body = selection(inner, depth - 1)
            if draw(st.booleans()) and len(fragments) < 6:
                fragments.append(f"fragment X{len(fragments)} on {inner} {{ {body} }}")
                spread = f"...X{len(fragments) - 1}"
                body = " ".join([spread] * draw(st.integers(1, 3)))
            alias = f"a{draw(st.integers(0, 99))}: " if draw(st.booleans()) else ""
            parts.append(f"{alias}{name}{args} {{ {body} }}")
        return " ".join(parts)

    copies = draw(st.integers(1, 60))
    root = f"r: {selection('Query', draw(st.integers(0, 9)))}"
    return f"{{ {' '.join([root] * copies)} }} {' '.join(fragments)}"


CLEAR = {"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=nested_reads())
async def test_any_nested_read_is_answered_or_refused_clearly(
    client: httpx.AsyncClient, db: Database, query: str
) -> None:
    caller = await make_caller(db, "product", Role.VIEWER)
    response = await client.post("/graphql", json={"query": query}, headers=caller.headers)
    assert response.status_code == 200, response.text[:300]
    body = response.json()
    codes = {e["extensions"]["code"] for e in body.get("errors", [])}
    assert codes <= CLEAR, body["errors"][:2]
    assert body.get("data") is not None or codes, body
