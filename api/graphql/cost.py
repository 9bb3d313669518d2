"""A query's depth, aliases and cost, measured in one pass over its text before it runs.

docs/design.md §4: the cost of a query is the number of objects it can return. A paged list
counts ``first`` (its default page size when omitted) times what is nested under it; an
unpaged list counts the bound the product enforces on it (``BOUNDS``); ``propositionGraph``
counts first × (1 + evidencePerProposition) / 10; an analytic field (the divergence
listings, alignment, …) counts 1,000 plus 100 per row it returns, plus what is nested under
its rows. A fragment spread repeated in one selection counts once, as GraphQL merges it.

Each fragment is measured once and its measure reused wherever it is spread, so the pass
takes time linear in the document, however the fragments nest (strawberry's own depth and
alias limiters walk every spread again: 2^n work for n fragments that each spread the next
twice). A fragment cycle is measured as empty: GraphQL's validation refuses it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.type.definition import GraphQLInterfaceType, GraphQLNamedType
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.types import ExecutionContext

from schema.settings import Settings

# Each function holds at most one current belief on a proposition; the cost counts this many
# functions (the product starts with seven).
FUNCTIONS = 20
HISTORY = 100  # a belief history, by function then sequence number
BEARINGS = 20  # the propositions one evidence item bears on (docs/design.md §4)
# Unpaged lists the product bounds; any other unpaged list of objects counts DEFAULT_BOUND.
BOUNDS: Mapping[str, int] = {
    "bears": BEARINGS,
    "beliefs": FUNCTIONS,
    "functions": FUNCTIONS,
    "functionScores": FUNCTIONS,
    "progress": FUNCTIONS,
    "myBallots": FUNCTIONS,
    "results": FUNCTIONS,
    "pairwise": FUNCTIONS * FUNCTIONS,
    "beliefHistory": HISTORY,
    "calibration": FUNCTIONS,  # one row per function
    "bins": 10,  # a reliability diagram's ten bins
    "byQuarter": 40,  # ten years of quarters
    "basis": 50,  # the propositions a decision rests on (schema/decisions.py)
    "movedBy": 20,  # the items listed per proposition of a decision
    # A listing's facet counts: one row per value some row of it has.
    "bySourceType": 20,  # the source types (schema/vocabulary.py), with room to grow
    "byStance": 2,
    "byRelation": 20,  # the relations (schema/vocabulary.py), with room to grow
    "byStatus": 4,
}
HISTORY_FIELDS = frozenset({("Query", "beliefs"), ("Proposition", "beliefHistory")})
DEFAULT_BOUND = 100
PAGE_LISTS = frozenset({"nodes", "edges"})  # the lists of a page, `first` items long
ANALYTIC_BASE = 1_000
ANALYTIC_PER_ROW = 100
GRAPH_FIELD = "propositionGraph"
GRAPH_DEFAULT_FIRST = 100


@dataclass(frozen=True)
class CostRules:
    """What the pass needs to know of the product: its page size and analytic fields."""

    default_page: int
    analytic: frozenset[str] = frozenset()  # Query fields that compute over the model
    analytic_page: int = 50  # the analytic listings' page size when `first` is omitted


@dataclass
class Measure:
    """Depth (fields with a selection, nested), aliases and cost of a selection.

    ``per_row`` is the cost of a page's own lists (``nodes``, ``edges``): the field that
    returns the page multiplies it by the page size.
    """

    depth: int = 0
    aliases: int = 0
    cost: int = 0
    per_row: int = 0
    # The most times one selection asks for one name: GraphQL's validation compares such
    # fields pairwise, so a thousand copies cost it a million comparisons.
    repeats: int = 0

    def add(self, other: Measure) -> None:
        self.depth = max(self.depth, other.depth)
        self.aliases += other.aliases
        self.cost += other.cost
        self.per_row += other.per_row
        self.repeats = max(self.repeats, other.repeats)


@dataclass
class _Pass:
    schema: GraphQLSchema
    rules: CostRules
    variables: Mapping[str, Any]
    fragments: dict[str, FragmentDefinitionNode]
    defaults: dict[str, ValueNode] = field(default_factory=dict)
    measured: dict[str, Measure] = field(default_factory=dict)
    visiting: set[str] = field(default_factory=set)

    def fragment(self, name: str) -> Measure:
        if name in self.measured:
            return self.measured[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:
            return Measure()  # unknown or cyclic: validation refuses the document
        self.visiting.add(name)
        parent = self.schema.get_type(definition.type_condition.name.value)
        measure = self.selection(definition.selection_set, parent)
        self.visiting.discard(name)
        self.measured[name] = measure
        return measure

    def selection(self, selection_set: SelectionSetNode, parent: Any) -> Measure:
        total = Measure()
        spread: set[str] = set()
        asked: dict[str, int] = {}
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                key = (node.alias or node.name).value
                asked[key] = asked.get(key, 0) + 1
                total.add(self.field(node, parent))
            elif isinstance(node, FragmentSpreadNode):
                if node.name.value not in spread:  # the same spread twice is merged into one
                    spread.add(node.name.value)
                    total.add(self.fragment(node.name.value))
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                inner = parent if condition is None else self.schema.get_type(condition.name.value)
                total.add(self.selection(node.selection_set, inner))
        total.repeats = max(total.repeats, *asked.values(), 0)
        return total

    def field(self, node: FieldNode, parent: Any) -> Measure:
        name = node.name.value
        aliases = 1 if node.alias is not None else 0
        if name.startswith("__"):  # introspection: bounded by the schema, not the data
            return Measure(aliases=aliases)
        definition = _field_of(parent, name)
        if name == GRAPH_FIELD and _type_name(parent) == "Query":
            first = self.integer(node, "first", GRAPH_DEFAULT_FIRST)
            evidence = self.integer(node, "evidencePerProposition", 5)
            return Measure(aliases=aliases, cost=max(first, 0) * (1 + max(evidence, 0)) // 10)
        if node.selection_set is None:
            return Measure(aliases=aliases)
        returns = None if definition is None else definition.type
        inner = self.selection(node.selection_set, _named(returns))
        own = Measure(depth=inner.depth + 1, aliases=aliases + inner.aliases, repeats=inner.repeats)
        analytic = _type_name(parent) == "Query" and name in self.rules.analytic
        page = self.page_size(node, definition, name if analytic else "")
        # A page's own lists multiply by its size; elsewhere by the page size by default.
        nested = inner.cost + (page or self.rules.default_page) * inner.per_row
        is_list = returns is not None and is_list_type(get_nullable_type(returns))
        count = (page or self.bound(parent, name)) if is_list else 1
        if is_list and page is None and name in PAGE_LISTS:
            own.per_row = 1 + nested
        else:
            own.cost = count * (1 + nested)
        if analytic:
            # Computed over the whole model: a base, then each row it returns, then what
            # the query asks under its rows as anywhere else.
            rows = count if is_list else (page or 1)
            below = count * nested if is_list else nested
            own.cost = ANALYTIC_BASE + ANALYTIC_PER_ROW * rows + below
        return own

    def page_size(
        self, node: FieldNode, definition: GraphQLField | None, name: str = ""
    ) -> int | None:
        """``first`` of a paged field (its default page size when omitted), else None."""
        if definition is None or "first" not in definition.args:
            return None
        declared = definition.args["first"].default_value
        default = declared if isinstance(declared, int) else self.rules.default_page
        if name in self.rules.analytic and not isinstance(declared, int):
            default = self.rules.analytic_page
        return max(self.integer(node, "first", default), 0)

    def bound(self, parent: Any, name: str) -> int:
        if (_type_name(parent), name) in HISTORY_FIELDS:
            return HISTORY
        return BOUNDS.get(name, DEFAULT_BOUND)

    def integer(self, node: FieldNode, argument: str, default: int) -> int:
        """An integer argument's value: a literal, a variable's value or its default."""
        for arg in node.arguments or ():
            if arg.name.value != argument:
                continue
            value: Any = arg.value
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int) and not isinstance(given, bool):
                    return given
                value = self.defaults.get(value.name.value)
            if isinstance(value, IntValueNode):
                try:
                    return int(value.value)
                except ValueError:
                    return default
            return default
        return default


def _field_of(parent: Any, name: str) -> GraphQLField | None:
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        found: GraphQLField | None = parent.fields.get(name)
        return found
    return None


def _named(type_: Any) -> GraphQLNamedType | None:
    return None if type_ is None else get_named_type(type_)


def _type_name(type_: Any) -> str | None:
    return getattr(type_, "name", None)


def _operations(
    document: DocumentNode, operation_name: str | None
) -> Iterable[OperationDefinitionNode]:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    named = [o for o in operations if o.name is not None and o.name.value == operation_name]
    # The operation that runs; when it cannot be told, every one (the costliest decides).
    return named if operation_name and named else operations


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: CostRules,
    *,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Measure:
    """The depth, aliases and cost of the operation that would run (the worst of several
    when the name does not tell), in one pass over the document."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    worst = Measure()
    for operation in _operations(document, operation_name):
        walk = _Pass(schema, rules, variables or {}, fragments)
        for definition in operation.variable_definitions or ():
            if definition.default_value is not None:
                walk.defaults[definition.variable.name.value] = definition.default_value
        root = schema.get_root_type(operation.operation)
        found = walk.selection(operation.selection_set, root)
        found.cost += rules.default_page * found.per_row
        worst = Measure(
            depth=max(worst.depth, found.depth),
            aliases=max(worst.aliases, found.aliases),
            cost=max(worst.cost, found.cost),
            repeats=max(worst.repeats, found.repeats),
        )
    return worst


# ---------------------------------------------------------------- the checks, per request

CACHE_SIZE = 256  # parsed and validated documents kept, shared by every request
COST_ATTRIBUTE = "query_cost"


def cost_of(execution_context: ExecutionContext) -> int:
    """The cost ``QueryLimits`` measured for this execution (0 before it did)."""
    return int(getattr(execution_context, COST_ATTRIBUTE, 0))


class BoundedParser(ParserCache):
    """Refuse a document over ``max_bytes`` before parsing it, and parse (once per text,
    cached) with the token limit. A text that does not parse is left to strawberry, which
    parses it again and reports the syntax error as usual."""

    def __init__(self, max_bytes: int, max_tokens: int) -> None:
        super().__init__(maxsize=CACHE_SIZE)
        self.max_bytes = max_bytes
        self.max_tokens = max_tokens

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query or ""
        if len(query) > self.max_bytes or len(query.encode()) > self.max_bytes:
            raise GraphQLError(
                f"the query document is longer than {self.max_bytes:,} bytes: send a shorter "
                "one (values belong in variables)",
                extensions={"code": "BAD_USER_INPUT", "limit": self.max_bytes},
            )
        context.parse_options["max_tokens"] = self.max_tokens
        with contextlib.suppress(GraphQLError, RecursionError):
            context.graphql_document = self.cached_parse_document(query, **context.parse_options)
        yield


class QueryLimits(ValidationCache):
    """Depth, aliases and cost, measured in one linear pass before GraphQL's validation
    (cached per document text and rules) and before anything runs, on every request: the cost
    depends on the variables (``first: $n``)."""

    def __init__(self, settings: Settings, rules: CostRules) -> None:
        super().__init__(maxsize=CACHE_SIZE)
        self.settings = settings
        self.rules = rules

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        operation_name = context.operation_name
        found = measure(
            context.schema._schema,
            context.graphql_document,
            self.rules,
            operation_name=operation_name,
            variables=context.variables,
        )
        refusal = self.refusal(found, operation_name)
        if refusal is not None:
            context.pre_execution_errors = [refusal]
            yield
            return
        setattr(context, COST_ATTRIBUTE, found.cost)
        yield from super().on_validate()

    def refusal(self, found: Measure, operation_name: str | None) -> GraphQLError | None:
        settings = self.settings
        if found.depth > settings.max_query_depth:
            name = operation_name or "anonymous"
            return GraphQLError(
                f"'{name}' exceeds maximum operation depth of {settings.max_query_depth}"
            )
        if found.aliases > settings.max_aliases:
            return GraphQLError(f"{found.aliases} aliases found. Allowed: {settings.max_aliases}")
        if found.repeats > settings.max_aliases:
            return GraphQLError(
                f"one selection asks for the same field {found.repeats} times; allowed: "
                f"{settings.max_aliases}",
                extensions={"code": "BAD_USER_INPUT"},
            )
        budget = settings.query_cost_budget
        if found.cost > budget:
            return GraphQLError(
                f"the query could return up to {found.cost:,} objects, over the budget of "
                f"{budget:,}: ask for smaller pages (first), fewer nested lists or fewer "
                "aliases, or page through with after",
                extensions={"code": "BAD_USER_INPUT", "cost": found.cost, "budget": budget},
            )
        return None
