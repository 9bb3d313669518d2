"""The GraphQL schema: each concept's Query and Mutation merged into one, plus the limits."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.base import get_object_definition
from strawberry.utils.logging import StrawberryLogger

from api.graphql.audit import AuditQuery
from api.graphql.beliefs import BeliefMutation, BeliefQuery
from api.graphql.bulk import BulkQuery
from api.graphql.decisions import DecisionMutation, DecisionQuery
from api.graphql.divergence.mutations import DivergenceMutation
from api.graphql.divergence.pages import DivergencePageQuery
from api.graphql.divergence.queries import DivergenceQuery
from api.graphql.entities import EntityMutation, EntityQuery
from api.graphql.evidence import EvidenceMutation, EvidenceQuery
from api.graphql.imports import ImportMutation
from api.graphql.members import FunctionQuery
from api.graphql.propositions import PropositionMutation, PropositionQuery
from api.graphql.scalars import SCALAR_OVERRIDES
from api.graphql.snapshots import SnapshotMutation, SnapshotQuery
from api.graphql.votes import VoteMutation, VoteQuery
from api.limits import (
    MaskUnexpectedErrors,
    OutageStatus,
    is_bad_bookmark,
    is_busy,
    is_timeout,
)
from api.metrics import GraphQLMetrics
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

MAX_TOKENS = 5000


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
            extensions = dict(error.extensions or {})
            extensions.setdefault("code", code)
            original = error.original_error
            if isinstance(original, CommonGroundError) and original.details:
                extensions.setdefault("details", {k: str(v) for k, v in original.details.items()})
            if isinstance(original, ImportRejected):  # the row-numbered report, as REST gives
                extensions.setdefault("problemCount", original.problem_count)
                extensions.setdefault("problems", [p.as_json() for p in original.problems])
            error.extensions = extensions


class LoggedSchema(strawberry.Schema):
    """Logs (with their traceback) only the errors someone must look at: bugs and timeouts.
    Expected refusals (bad input, not found, forbidden) are answered, not logged."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if error_code(error) in ("INTERNAL_SERVER_ERROR", "TIMEOUT"):
                StrawberryLogger.error(error, execution_context)


def _should_mask(error: GraphQLError) -> bool:
    return error_code(error) == "INTERNAL_SERVER_ERROR"


def build_schema(settings: Settings) -> strawberry.Schema:
    # Factories, so each request gets fresh extension instances.
    extensions: list[Any] = [
        lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        ErrorCodes,
        OutageStatus,
        GraphQLMetrics,
    ]
    if settings.production:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
        extensions.append(lambda: MaskUnexpectedErrors(should_mask_error=_should_mask))
    return LoggedSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=settings.production),
        # Zone-less times read as UTC, in every argument and input field alike.
        scalar_overrides=SCALAR_OVERRIDES,
    )


def sdl() -> str:
    """The schema as SDL, as committed in ``schema/schema.graphql``."""
    return build_schema(Settings()).as_str() + "\n"
