"""Decisions that reopen themselves (docs/design.md §2b): recorded with the status and
confidence of each proposition they rest on, and at risk when the evidence that arrived or was
retracted since tells another story, weighed at the same time as the evidence they saw."""

from graph.decisions.recording import list_all, list_as_of, record, record_given, upsert_many
from graph.decisions.risk import check, checked_as_of

__all__ = [
    "check",
    "checked_as_of",
    "list_all",
    "list_as_of",
    "record",
    "record_given",
    "upsert_many",
]
