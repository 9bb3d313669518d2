"""Bulk import of evidence: the column mapping (mapping), reading a file (reading), one row to
one item (parsing), the whole file checked (validation), its accounts found by id or name
(accounts), and written (writing).

A file (CSV or JSON Lines) is read twice from a spool file. The first pass maps each row to
our fields, validates it and writes the clean rows to a second spool file; then one query per
two thousand distinct ids checks that the propositions exist and finds each account by id,
and one more finds the rest by name. Any problem rejects the whole file with a row-numbered
report, before anything is written. Only then are the rows written in batches under an
``(:Import {status: 'running'})`` node; evidence of an import counts only once the import has
its ``completed_at`` (``graph/support.py``), so readers never see half an import.

Each row's idempotency key is derived from its idempotency column (namespaced by source type
and proposition, so ticket 123 of one system never collides with another's) or, without
one, from a hash of its content: resending a file writes nothing new. Rows left behind by an
import that never completed are taken over by the next import of the same rows.
"""
