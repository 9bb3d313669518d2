"""Evidence: observations from the outside world that support or contradict propositions.

Evidence is never deleted: it is retracted (kept, excluded from support from then on) or, for
personal data, redacted (text removed; weight, stance and audit kept). ``writing`` adds batches,
``reading`` reads items and pages (and holds the rule for which evidence counts as of a time),
``corrections`` retracts and redacts. The package re-exports the functions callers use.
"""

from __future__ import annotations

from graph.evidence.corrections import REDACT, RETRACT, Change, redact, retract
from graph.evidence.reading import (
    Facets,
    count,
    count_facets,
    facets_for_propositions,
    for_proposition,
    get,
    get_many,
    list_page,
    pages_for_propositions,
)
from graph.evidence.writing import (
    CREATE_EVIDENCE,
    add,
    add_answered,
    prepare_row,
    write_rows,
)

__all__ = [
    "Facets",
    "CREATE_EVIDENCE",
    "Change",
    "REDACT",
    "RETRACT",
    "add",
    "add_answered",
    "count",
    "count_facets",
    "facets_for_propositions",
    "for_proposition",
    "get",
    "get_many",
    "list_page",
    "pages_for_propositions",
    "prepare_row",
    "redact",
    "retract",
    "write_rows",
]
