"""GraphQL: bulk import of evidence, for tools that speak only GraphQL.

``importEvidence`` takes a whole file (JSON Lines or CSV) as one string and runs the same
import as ``POST /api/v1/evidence:import`` (``graph/imports/``): the file validated whole,
then written in batches under an import that counts once its last batch commits, each row
keyed so that sending it again writes nothing new. One string is what keeps it fast:
``addEvidence`` makes every item and bearing a GraphQL input object, which costs more than
writing it (benchmark a, docs/benchmarks.md).
"""

from __future__ import annotations

import io

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.shapes import Row, row_type
from graph.imports import running, slots
from graph.imports.mapping import ColumnMapping
from graph.kit.connection import unstorable_text
from schema.imports import ImportFormat, ImportOutcome

# Registered so that resolvers receive the domain enum itself, as api/graphql/vocabulary.py
# does for the models' other enums.
strawberry.enum(
    ImportFormat,
    name="EvidenceFileFormat",
    description="How an imported file is written: CSV with a header row, or JSON Lines.",
)


@row_type(ImportOutcome, all_fields=True, description="What an import wrote.")
class EvidenceImport(Row):
    import_id: strawberry.ID


@strawberry.type
class ImportMutation:
    @strawberry.mutation(
        description="Bulk-import evidence from a whole file sent as one string (up to the "
        "request size limit, 10 MB by default; bigger files go to POST "
        "/api/v1/evidence:import, which streams). Rows and the column `mapping` are those of "
        "the REST import: a bad row rejects the whole file with BAD_USER_INPUT, its "
        "`extensions.problems` listing the first 100 problems by row, and nothing is written. "
        "Each row is keyed by its idempotency column (keys belong to your function) or a hash "
        "of its content, so sending the same file again writes nothing new. A member runs at "
        "most a few imports at once (CONFLICT beyond). The way to load thousands of items: "
        "addEvidence turns each one into GraphQL input objects first."
    )
    async def import_evidence(
        self,
        info: Info[Context, None],
        data: str,
        format: ImportFormat = ImportFormat.JSONL,
        mapping: JSON | None = None,
        delimiter: str = ",",
    ) -> EvidenceImport:
        ctx = info.context
        actor = ctx.writer()
        column_mapping = ColumnMapping.parse(mapping)
        try:
            raw = io.BytesIO(data.encode("utf-8"))
        except UnicodeEncodeError as error:
            raise unstorable_text(error) from None
        settings = ctx.settings
        with slots.held(actor.member_id, settings.max_imports_per_member):
            result = await running.run(
                ctx.db,
                actor,
                raw,
                format,
                column_mapping,
                running.Limits.of(settings),
                delimiter=delimiter,
                bookmarks=ctx.bookmarks or None,
            )
        # Later reads in this request, and the client through the response, see the import.
        ctx.new_bookmarks = ctx.bookmarks = result.bookmarks
        return EvidenceImport.from_model(result)
