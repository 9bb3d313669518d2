"""The ``DateTime`` scalar, read as the CLI and the importer read a time.

strawberry's own scalar keeps a zone-less value naive, and a naive time compared with the
stored (UTC) times matches nothing: ``alignment(asOf: "2026-11-22")`` answered an empty
model. This one is registered once for every ``datetime`` in the schema (arguments, input
fields, results), so no resolver has to remember the rule.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types.scalar import ScalarDefinition

from schema.times import EXAMPLES, read_time

DESCRIPTION = (
    f"An ISO 8601 date-time, e.g. {EXAMPLES}. A time without a zone is read as UTC and a "
    "bare date as its midnight UTC, as the CLI and the importer read them; anything else "
    "is refused with BAD_USER_INPUT. Answers carry their offset (+00:00)."
)


def _serialize(value: datetime) -> str:
    return value.isoformat()


DateTime: ScalarDefinition = strawberry.scalar(
    name="DateTime",
    description=DESCRIPTION,
    serialize=_serialize,
    parse_value=read_time,
)

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {datetime: DateTime}
"""What ``build_schema`` passes as ``scalar_overrides``."""
