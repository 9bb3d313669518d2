"""The cost pass measures each fragment once, and agrees with expanding every spread.

Random documents whose fragments spread later fragments (any number of times, in any
selection) are measured as written and as the same document with every spread written out
in place (a repeated spread in one selection once, as GraphQL merges it): the depth, aliases
and cost agree, while the pass over the written document visits each fragment once.
"""

from __future__ import annotations

from functools import cache

from graphql import parse
from hypothesis import given, settings
from hypothesis import strategies as st

from api.graphql.cost import CostRules, measure
from api.graphql.schema import build_schema
from schema.settings import Settings

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
