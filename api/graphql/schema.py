"""The GraphQL schema: each concept's Query and Mutation merged into one, plus the limits."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from strawberry.extensions import AddValidationRules, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.base import get_object_definition
from strawberry.utils.logging import StrawberryLogger

from api.graphql.audit import AuditQuery
from api.graphql.beliefs import BeliefMutation, BeliefQuery
from api.graphql.bulk import BulkQuery
from api.graphql.calibration import CalibrationQuery
from api.graphql.compiled.executor import CompilingExecutor
from api.graphql.cost import BoundedParser, CostRules, QueryLimits, cost_of
from api.graphql.decisions import DecisionMutation, DecisionQuery
from api.graphql.divergence.mutations import DivergenceMutation
from api.graphql.divergence.pages import DivergencePageQuery
from api.graphql.divergence.queries import DivergenceQuery
from api.graphql.divergence.reading import DEFAULT_ROWS
from api.graphql.entities import EntityMutation, EntityQuery
from api.graphql.evidence import EvidenceMutation, EvidenceQuery
from api.graphql.imports import ImportMutation
from api.graphql.members import FunctionQuery
from api.graphql.propositions import PropositionMutation, PropositionQuery
from api.graphql.research import ResearchQuery
from api.graphql.scalars import SCALAR_OVERRIDES
from api.graphql.snapshots import SnapshotMutation, SnapshotQuery
from api.graphql.votes import VoteMutation, VoteQuery
from api.limits import (
    BAD_BOOKMARK,
    BUSY_MESSAGE,
    OUTAGE_MESSAGE,
    MaskUnexpectedErrors,
    OutageStatus,
    is_bad_bookmark,
    is_busy,
    is_timeout,
)
from api.metrics import GraphQLMetrics
from graph.kit import offload
from schema.errors import CommonGroundError
from schema.imports import ImportRejected
from schema.settings import Settings

# Each concept's fields, in the order the schema lists them.
QUERIES: tuple[type, ...] = (
    EntityQuery,
    PropositionQuery,
    FunctionQuery,
    EvidenceQuery,
    BeliefQuery,
    AuditQuery,
    DivergenceQuery,
    DivergencePageQuery,  # the divergence listings a page at a time, beside the lists
    CalibrationQuery,
    ResearchQuery,
    SnapshotQuery,
    VoteQuery,
    DecisionQuery,
    BulkQuery,  # big nested reads as one JSON value (docs/design.md §6)
)
MUTATIONS: tuple[type, ...] = (
    EntityMutation,
    PropositionMutation,
    EvidenceMutation,
    BeliefMutation,
    DivergenceMutation,
    SnapshotMutation,
    VoteMutation,
    DecisionMutation,
    ImportMutation,  # a whole evidence file as one string (benchmark a)
)

BOOKMARKS = (
    "A response to an operation that wrote carries `extensions.bookmark`: an opaque token "
    "naming the database transactions of the write (several joined by commas). Send it back "
    "unchanged in the `X-Bookmark` HTTP header of a later request, and that request reads "
    "after the write even when another API replica or database member answers it. With one "
    "API process and one database you never need it; clients of a cluster send it on the "
    "read that must see their write."
)


def _root(name: str, types: tuple[type, ...], description: str) -> type:
    """The concepts' fields merged into one root type, described."""
    merged = merge_types(name, types)
    get_object_definition(merged, strict=True).description = description
    return merged


Query = _root(
    "Query",
    QUERIES,
    "Every read. A `DateTime` argument without a zone is read as UTC (a bare date as its "
    "midnight UTC). To read your own write through a cluster, send its bookmark back in "
    "`X-Bookmark` (see Mutation).",
)
Mutation = _root("Mutation", MUTATIONS, f"Every write. {BOOKMARKS}")


def error_code(error: GraphQLError) -> str:
    """The ``extensions.code`` of an error: from our typed errors, else a generic code."""
    original = error.original_error
    if isinstance(original, CommonGroundError):
        return original.code
    if isinstance(original, ServiceUnavailable | SessionExpired) or is_busy(original):
        return "SERVICE_UNAVAILABLE"
    if is_timeout(original):
        return "TIMEOUT"
    if is_bad_bookmark(original):
        return "BAD_USER_INPUT"
    if error.path is None:
        # Refused before execution: the document or the variables' values. Variable
        # coercion errors carry the coercer's exception, and are still the client's input.
        if error.message.startswith("Syntax Error"):
            return "GRAPHQL_PARSE_FAILED"
        if error.message.startswith("Variable '$"):
            return "BAD_USER_INPUT"
        return "GRAPHQL_VALIDATION_FAILED"
    return "INTERNAL_SERVER_ERROR"


class ErrorCodes(SchemaExtension):
    """Give every error an ``extensions.code`` clients can branch on."""

    def on_operation(self) -> Any:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        for error in result.errors:
            code = error_code(error)
            _plain_message(error, code)
            extensions = dict(error.extensions or {})
            extensions.setdefault("code", code)
            original = error.original_error
            if isinstance(original, CommonGroundError) and original.details:
                extensions.setdefault("details", {k: str(v) for k, v in original.details.items()})
            if isinstance(original, ImportRejected):  # the row-numbered report, as REST gives
                extensions.setdefault("problemCount", original.problem_count)
                extensions.setdefault("problems", [p.as_json() for p in original.problems])
            error.extensions = extensions


# Reads that compute over the whole model, besides the divergence queries: each costs
# 1,000 plus 100 per object under it (docs/design.md §4).
ANALYTIC = frozenset({"calibration", "evidenceToCollect", "decisions", "snapshotDiff"})
SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def _plain_message(error: GraphQLError, code: str) -> None:
    """The database's own words (addresses, Java exception names) never reach a client."""
    original = error.original_error
    if isinstance(original, CommonGroundError):
        return
    if is_bad_bookmark(original):
        error.message = BAD_BOOKMARK
    elif code == "SERVICE_UNAVAILABLE":
        error.message = BUSY_MESSAGE if is_busy(original) else OUTAGE_MESSAGE


class LoggedSchema(strawberry.Schema):
    """Logs (with their traceback) only the errors someone must look at: bugs and timeouts.
    Expected refusals (bad input, not found, forbidden) are answered, not logged.

    A query costing ``offload_cost`` or more is executed on the worker loop
    (graph/kit/offload.py), so this loop keeps answering while it computes; when the request
    times out, its execution is cancelled there. In production no error suggests names
    ("Did you mean …"): not of fields, arguments, types or enum values."""

    def __init__(self, *args: Any, settings: Settings, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = settings
        self.reads_nested = True  # see build_schema

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if self.settings.production:
                error.message = SUGGESTION.sub("", error.message)
            if error_code(error) in ("INTERNAL_SERVER_ERROR", "TIMEOUT"):
                StrawberryLogger.error(error, execution_context)

    async def _execute_operation(
        self,
        execution_context: ExecutionContext,
        extensions_runner: Any,
        middleware_manager: Any,
        execute_function: Callable[..., Any],
        custom_context_kwargs: dict[str, Any],
    ) -> Any:
        if cost_of(execution_context) >= self.settings.offload_cost:
            # Its own deadline a little after the request's: the request timeout answers 504
            # and cancels it first; this one stops the work if nothing else does.
            deadline = self.settings.request_timeout_s + 1.0
            execute_function = _offloaded(execute_function, deadline)
        return await super()._execute_operation(
            execution_context,
            extensions_runner,
            middleware_manager,
            execute_function,
            custom_context_kwargs,
        )


def _offloaded(execute: Callable[..., Any], timeout_s: float) -> Callable[..., Any]:
    """``execute`` run to its end on the worker loop, whose work stops at ``timeout_s``."""

    async def run(*args: Any, **kwargs: Any) -> Any:
        async def whole() -> Any:
            result = execute(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        return await offload.in_worker_loop(whole, timeout_s=timeout_s)

    return run


def _should_mask(error: GraphQLError) -> bool:
    return error_code(error) == "INTERNAL_SERVER_ERROR"


def build_schema(settings: Settings, *, compiled: bool = True) -> strawberry.Schema:
    """The schema; ``compiled`` False completes every read field by field, each nested field
    reading through its own loader (the reference the compiled path and the listing's
    one-query read are tested against)."""
    # Factories, so each request gets fresh extension instances.
    rules = CostRules(
        default_page=settings.max_page_size,
        analytic=(_field_names(DivergenceQuery, DivergencePageQuery) | ANALYTIC)
        - {"divergenceThresholds"},
        analytic_page=DEFAULT_ROWS,
    )
    extensions: list[Any] = [
        # Size and tokens before parsing; depth, aliases and cost in one linear pass before
        # validation; parsing and validation cached per document (docs/design.md §4).
        lambda: BoundedParser(settings.max_query_bytes, settings.max_query_tokens),
        lambda: QueryLimits(settings, rules),
        ErrorCodes,
        OutageStatus,
        GraphQLMetrics,
    ]
    if settings.production:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
        extensions.append(lambda: MaskUnexpectedErrors(should_mask_error=_should_mask))
    schema = LoggedSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=settings.production),
        # Zone-less times read as UTC, in every argument and input field alike.
        scalar_overrides=SCALAR_OVERRIDES,
        # Known typed reads completed a level at a time (api/graphql/compiled/).
        execution_context_class=CompilingExecutor if compiled else None,
        settings=settings,
    )
    # The typed listing reads what its nodes select with its page (graph/listings.py).
    schema.reads_nested = compiled
    return schema


def _field_names(*types: type) -> frozenset[str]:
    """The GraphQL names of the fields of some of the concepts' Query types."""
    return frozenset(
        field.graphql_name or _camel(field.python_name)
        for type_ in types
        for field in get_object_definition(type_, strict=True).fields
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def sdl() -> str:
    """The schema as SDL, as committed in ``schema/schema.graphql``."""
    return build_schema(Settings()).as_str() + "\n"
